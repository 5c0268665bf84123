"""Is this track already in my library? Without comparing every track with every other.

The index keeps, for every word of every library title, the tracks that have it. A
playlist track is compared only with the tracks sharing its rarest words (or its ISRC),
first cheaply in C (rapidfuzz over the shortlist), then with the full scorer on the few
best. 10,000 playlist tracks against 100,000 library tracks is a matter of seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from services.kernel.contracts import Track
from services.matcher.domain.normalise import ascii_fold
from services.matcher.domain.scoring import Prepared, gc_paused, prepare_many, score_batch
from services.matcher.domain.titles import parse_title

#: How many of a title's rarest words pick the candidates.
RARE_WORDS = 2
#: Most candidates compared cheaply per track, and fully.
MAX_SHORTLIST = 3000
FULLY_SCORED = 8


def _title_key(track: Track) -> str:
    return ascii_fold(parse_title(track.title).work) or ascii_fold(track.title)


class LibraryIndex:
    """A library prepared for repeated "is it there?" questions."""

    def __init__(self, tracks: Sequence[Track]) -> None:
        with gc_paused():
            self._build(tracks)

    def _build(self, tracks: Sequence[Track]) -> None:
        self.tracks = list(tracks)
        self._keys = [_title_key(track) for track in self.tracks]
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for position, key in enumerate(self._keys):
            for word in set(key.split()):
                postings[word].append(position)
        self._postings = dict(postings)
        self._by_isrc = {
            track.isrc.replace("-", "").upper(): position
            for position, track in enumerate(self.tracks)
            if track.isrc
        }
        self._prepared_tracks: dict[int, Prepared] = {}

    def _shortlist(self, key: str) -> list[int]:
        words = sorted(
            {word for word in key.split() if word in self._postings},
            key=lambda word: len(self._postings[word]),
        )
        found: set[int] = set()
        for word in words[:RARE_WORDS]:
            found.update(self._postings[word][:MAX_SHORTLIST])
        return sorted(found)[:MAX_SHORTLIST]

    def _nearest(self, source: Track) -> list[int]:
        """Library positions worth scoring fully for ``source`` (its ISRC twin first)."""
        isrc = source.isrc.replace("-", "").upper() if source.isrc else None
        if isrc and isrc in self._by_isrc:
            return [self._by_isrc[isrc]]
        shortlist = self._shortlist(_title_key(source))
        if not shortlist:
            return []
        nearest = process.extract(
            _title_key(source),
            [self._keys[position] for position in shortlist],
            scorer=fuzz.ratio,
            limit=FULLY_SCORED,
        )
        return [shortlist[offset] for _, _, offset in nearest]

    def _prepare(self, positions: set[int]) -> None:
        """Read the library tracks at these positions that are not read yet, together."""
        missing = sorted(positions.difference(self._prepared_tracks))
        prepared = prepare_many([self.tracks[position] for position in missing])
        self._prepared_tracks.update(zip(missing, prepared, strict=True))

    def best_match(self, source: Track) -> tuple[Track | None, float]:
        """The library track most likely to be ``source``, and the confidence."""
        return self.best_matches([source])[0]

    def best_matches(self, sources: Sequence[Track]) -> list[tuple[Track | None, float]]:
        """``best_match`` for each source, in order, scored in one batch."""
        with gc_paused():
            nearest = [self._nearest(source) for source in sources]
            self._prepare({position for positions in nearest for position in positions})
            library = self._prepared_tracks
            batch = score_batch(
                [
                    (source, [library[p] for p in positions])
                    for source, positions in zip(prepare_many(sources), nearest, strict=True)
                ]
            )
        found: list[tuple[Track | None, float]] = []
        for case, positions in enumerate(nearest):
            if not positions:
                found.append((None, 0.0))
                continue
            order, confidences = batch.ranking(case)
            found.append((self.tracks[positions[int(order[0])]], float(confidences[0])))
        return found
