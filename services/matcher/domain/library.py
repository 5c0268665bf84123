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
from services.matcher.domain.scoring import prepare, score_prepared
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

    def _shortlist(self, key: str) -> list[int]:
        words = sorted(
            {word for word in key.split() if word in self._postings},
            key=lambda word: len(self._postings[word]),
        )
        found: set[int] = set()
        for word in words[:RARE_WORDS]:
            found.update(self._postings[word][:MAX_SHORTLIST])
        return sorted(found)[:MAX_SHORTLIST]

    def best_match(self, source: Track) -> tuple[Track | None, float]:
        """The library track most likely to be ``source``, and the confidence."""
        if source.isrc and source.isrc.replace("-", "").upper() in self._by_isrc:
            return self.tracks[self._by_isrc[source.isrc.replace("-", "").upper()]], 0.999
        shortlist = self._shortlist(_title_key(source))
        if not shortlist:
            return None, 0.0
        nearest = process.extract(
            _title_key(source),
            [self._keys[position] for position in shortlist],
            scorer=fuzz.ratio,
            limit=FULLY_SCORED,
        )
        prepared_source = prepare(source)
        best: Track | None = None
        best_confidence = 0.0
        for _, _, offset in nearest:
            candidate = self.tracks[shortlist[offset]]
            confidence = score_prepared(prepared_source, prepare(candidate)).confidence
            if confidence > best_confidence:
                best, best_confidence = candidate, confidence
        return best, best_confidence

    def best_matches(self, sources: Sequence[Track]) -> list[tuple[Track | None, float]]:
        """``best_match`` for each source, in order."""
        return [self.best_match(source) for source in sources]
