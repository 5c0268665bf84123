"""Albums and artists: whether a catalog's album is the same release as a saved one, and
whether a catalog's artist is the one followed.

An album is the same release when both sides give the same UPC (decided, like an ISRC
from a catalog); else by its title and artists (read and compared as the track scorer
reads and compares them: ``scoring.key``, ``title_similarity``, ``artist_similarity``),
its year and its track count, in log-odds. An artist is the same by name; two candidates
with the same name are told apart by their albums (``Track.albums``, when the catalogs
listed them): the one that shares clearly more of the source artist's albums (by UPC,
or by title as an album's title is compared) is taken; with no such one, none is taken
without a person (the review queue asks).

The weights are set by hand (not fitted like the track scorer's calibration): an exact
title and artist alone is safe to act on; a track count that differs by three or more
(a deluxe or a single of the same name) or another decade sends it to review.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from services.kernel.contracts import ArtistAlbum, Track
from services.matcher.domain.scoring import (
    Contribution,
    Score,
    _names,
    artist_similarity,
    key,
    title_similarity,
)

#: An album's edition words that do not change which release people mean.
_EDITION = re.compile(
    r"\s*[\(\[](?:[^\)\]]*\b(?:remaster(?:ed)?|edition|version|anniversary)\b[^\)\]]*)[\)\]]\s*$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(\d{4})")
#: Two candidates' names at least this alike are the same name (an ambiguous artist).
SAME_NAME = 0.97
#: The most an artist shares with another of the same name is worth: a person decides.
AMBIGUOUS_CAP = 0.6
#: Two albums' titles at least this alike are the same album (editions aside).
ALBUM_TITLE_SAME = 0.9
#: What each album shared with the source artist adds to a namesake's log-odds.
SHARED_ALBUM = 1.0


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _title(text: str) -> str:
    return key(_EDITION.sub("", text) or text).text


def _year(release_date: str | None) -> int | None:
    found = _YEAR.match(release_date or "")
    return int(found[1]) if found else None


def _artists(source: Sequence[str], candidate: Sequence[str]) -> float | None:
    left, right = _names(tuple(source)), _names(tuple(candidate))
    primary = next(iter(_names(tuple(source[:1]))), None) if source else None
    return artist_similarity(primary, left, right)


def score_album(source: Track, candidate: Track) -> Score:
    """Confidence that ``candidate`` is the same release as ``source`` (album records)."""
    parts: list[Contribution] = []
    if source.upc and candidate.upc:
        if source.upc.lstrip("0") == candidate.upc.lstrip("0"):
            return Score(0.999, (Contribution("upc", source.upc, math.inf),))
        parts.append(Contribution("upc", "different", -1.5))  # regional editions differ
    title = title_similarity(_title(source.title), _title(candidate.title))
    parts.append(Contribution("title", round(title, 3), _clip(10 * (title - 0.8), -8, 2)))
    artists = _artists(source.artists, candidate.artists)
    if artists is not None:
        parts.append(
            Contribution("artists", round(artists, 3), _clip(12 * (artists - 0.8), -10, 2))
        )
    years = _year(source.release_date), _year(candidate.release_date)
    if years[0] is not None and years[1] is not None:
        apart = abs(years[0] - years[1])
        parts.append(Contribution("year", apart, 0.5 if apart <= 1 else -2.0))
    counts = source.track_total, candidate.track_total
    if counts[0] and counts[1]:
        apart = abs(counts[0] - counts[1])
        part = 1.0 if apart == 0 else -1.0 if apart == 1 else -2.5 if apart == 2 else -5.0
        parts.append(Contribution("track_count", apart, part))
    total = 2.0 + sum(p.contribution for p in parts)
    return Score(_sigmoid(total), tuple(parts))


def score_artist(source: Track, candidate: Track) -> Score:
    """Confidence that ``candidate`` is the artist ``source`` names (artist records)."""
    similarity = artist_similarity(
        next(iter(_names((source.title,))), None),
        _names((source.title,)),
        _names((candidate.title,)),
    )
    value = similarity or 0.0
    part = Contribution("name", round(value, 3), _clip(12 * (value - 0.85), -10, 2))
    return Score(_sigmoid(2.5 + part.contribution), (part,))


def _same_album(left: ArtistAlbum, right: ArtistAlbum) -> bool:
    if left.upc and right.upc and left.upc.lstrip("0") == right.upc.lstrip("0"):
        return True
    return title_similarity(_title(left.title), _title(right.title)) >= ALBUM_TITLE_SAME


def shared_albums(source: Sequence[ArtistAlbum], candidate: Sequence[ArtistAlbum]) -> int:
    """How many of the source artist's albums the candidate artist has too (each of its
    albums counted once)."""
    left = list(candidate)
    shared = 0
    for album in source:
        found = next((i for i, other in enumerate(left) if _same_album(album, other)), None)
        if found is not None:
            del left[found]
            shared += 1
    return shared


def clearly_more(overlaps: Sequence[int]) -> int | None:
    """The position of the overlap that is clearly the most (at least one album, and at
    least twice any other's), else None: equal or close overlaps decide nothing."""
    if not overlaps:
        return None
    best = max(range(len(overlaps)), key=lambda i: overlaps[i])
    others = [o for i, o in enumerate(overlaps) if i != best]
    if overlaps[best] >= 1 and all(overlaps[best] >= 2 * o for o in others):
        return best
    return None


def _capped(found: Score) -> Score:
    return Score(
        min(found.confidence, AMBIGUOUS_CAP),
        (*found.contributions, Contribution("same_name", 2, 0.0)),
    )


def rank_release(source: Track, candidates: Sequence[Track]) -> list[tuple[int, Score]]:
    """Candidate indices with their scores, best first (earlier ones win ties): albums
    or artists as ``source.entity`` says. Artists of the same name as the best are
    ambiguous: none of them is confident enough to be taken without a person, unless
    one shares clearly more of the source artist's albums (``Track.albums``)."""
    scorer = score_artist if source.entity == "artist" else score_album
    scored = [(index, scorer(source, candidate)) for index, candidate in enumerate(candidates)]
    scored.sort(key=lambda found: -found[1].confidence)
    if source.entity == "artist" and len(scored) >= 2:
        best, runner = candidates[scored[0][0]], candidates[scored[1][0]]
        alike = artist_similarity(
            next(iter(_names((best.title,))), None),
            _names((best.title,)),
            _names((runner.title,)),
        )
        if alike is not None and alike >= SAME_NAME:
            return _namesakes(source, candidates, scored)
    return scored


def _namesakes(
    source: Track, candidates: Sequence[Track], scored: list[tuple[int, Score]]
) -> list[tuple[int, Score]]:
    """Artists of the best one's name told apart by the albums they share with the
    source artist: one with clearly more is taken; otherwise each is capped."""
    best = candidates[scored[0][0]]
    namesakes = [
        (index, found)
        for index, found in scored
        if (
            artist_similarity(
                next(iter(_names((best.title,))), None),
                _names((best.title,)),
                _names((candidates[index].title,)),
            )
            or 0.0
        )
        >= SAME_NAME
    ]
    overlaps = [shared_albums(source.albums, candidates[i].albums) for i, _ in namesakes]
    winner = clearly_more(overlaps) if source.albums else None
    if winner is None:
        return [(index, _capped(found)) for index, found in scored]
    chosen, found = namesakes[winner]
    shared = overlaps[winner]
    odds = min(found.confidence, 0.999999)
    total = math.log(odds / (1 - odds)) + SHARED_ALBUM * shared
    lifted = Score(_sigmoid(total), (*found.contributions, Contribution("albums", shared, shared)))
    rest = [(index, _capped(other)) for index, other in scored if index != chosen]
    return [(chosen, lifted), *rest]
