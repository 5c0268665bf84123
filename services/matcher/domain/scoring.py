"""Is this candidate the same recording as the source track? Scoring, explained.

Each feature adds a named contribution in log-odds (like beets' named distance penalties,
but additive), so every confidence can be explained feature by feature. Confidence is the
logistic of the sum. Equal ISRCs decide. Different ISRCs count strongly against, but do
not veto: the same recording carries different ISRCs on different releases (see the
README's evaluation for the measured effect of vetoing).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from services.kernel.contracts import Track
from services.matcher.domain.normalise import (
    ascii_fold,
    channel_artist,
    fold,
    is_latin,
    split_credits,
)
from services.matcher.domain.titles import DIFFERENT_RECORDING, parse_title

Decision = Literal["auto", "review", "none"]

#: Log-odds weights. Tuned on the development set (tests/data/matcher), see the README.
BIAS = -1.0
TITLE_WEIGHT, TITLE_PIVOT = 16.0, 0.80
ARTIST_WEIGHT, ARTIST_PIVOT = 10.0, 0.70
UNKNOWN_ARTIST = -1.0
ALBUM_WEIGHT = 0.6
DURATION_AGREES = 0.3
VERSION_MISMATCH = -5.0
REMIXER_MISMATCH = -3.0
EDIT_MISMATCH = -0.5
EXPLICIT_MISMATCH = -4.5
ISRC_MISMATCH = -1.5
VIDEO_KIND = -0.3
SONG_KIND = 0.2
POPULARITY_WEIGHT = 0.3
#: Platt scaling of the summed log-odds into a probability, fitted on the development set
#: by scripts/calibrate_matcher.py (slope 1, offset 0 = the raw logistic).
CALIBRATION_SLOPE = 1.157
CALIBRATION_OFFSET = -2.222

_NUMBERS = re.compile(r"\d+")
_LEADING_THE = re.compile(r"^the ")


@dataclass(frozen=True)
class Thresholds:
    """Where confidence turns into a decision.

    Attributes:
        auto: At or above: safe to act on without asking.
        review: At or above (and below ``auto``): a person should look. Confidences are
            calibrated probabilities, so 0.3 means "right about three times in ten":
            worth a look, not worth acting on.
    """

    auto: float = 0.90
    review: float = 0.30

    def decide(self, confidence: float) -> Decision:
        """The decision for a confidence."""
        if confidence >= self.auto:
            return "auto"
        if confidence >= self.review:
            return "review"
        return "none"


@dataclass(frozen=True)
class Reading:
    """One way to read a track: a title and the artists that go with it."""

    title: str
    title_ascii: str
    artists: frozenset[str]
    artists_ascii: frozenset[str]
    primary: str | None
    primary_ascii: str | None


@dataclass(frozen=True)
class Prepared:
    """A track read once for comparing many times."""

    readings: tuple[Reading, ...]
    album: str | None
    versions: frozenset[str]
    remixers: frozenset[str]
    duration_ms: int | None
    isrc: str | None
    explicit: bool | None
    kind: str | None
    views: int | None


@dataclass(frozen=True)
class Contribution:
    """One feature's part in a score."""

    feature: str
    value: float | str | None
    contribution: float


@dataclass(frozen=True)
class Score:
    """A confidence and how it came about."""

    confidence: float
    contributions: tuple[Contribution, ...] = field(default=())


def _artist_name(name: str) -> str:
    return _LEADING_THE.sub("", fold(name))


def _artist_names(names: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
    folded = frozenset(_artist_name(name) for name in names) - {""}
    if all(name.isascii() for name in folded):
        return folded, folded
    return folded, frozenset(_LEADING_THE.sub("", ascii_fold(n)) for n in folded)


@lru_cache(maxsize=100_000)
def prepare(track: Track) -> Prepared:
    """Read a track's title, credits and flags into comparable parts."""
    parsed = parse_title(track.title)
    credits = split_credits([channel_artist(a) for a in track.artists])
    featured = split_credits(list(parsed.featured))
    versions = set(parsed.versions)
    explicit = track.explicit
    if "clean" in versions:
        explicit = False if explicit is None else explicit
    if "explicit" in versions:
        explicit = True if explicit is None else explicit
    versions -= {"clean", "explicit"}

    def reading(title: str, extra_artists: Sequence[str]) -> Reading:
        extra = split_credits(list(extra_artists))
        names = _artist_names([*credits, *featured, *extra])
        # The main artist: the first credit, else the artist named in an "Artist - Title".
        main = credits[0] if credits else (extra[0] if extra else None)
        primary = _artist_name(main) if main else None
        folded = fold(title)
        return Reading(
            folded,
            ascii_fold(title) if not is_latin(title) else folded,
            *names,
            primary or None,
            _LEADING_THE.sub("", ascii_fold(primary)) if primary else None,
        )

    readings = [reading(parsed.work, [])]
    if parsed.halves:
        first, second = parsed.halves
        readings.append(reading(second, [first]))  # "Artist - Title"
        readings.append(reading(first, [second]))  # "Title - Artist"
    return Prepared(
        readings=tuple(readings),
        album=fold(track.album) if track.album else None,
        versions=frozenset(versions),
        remixers=frozenset(fold(r) for r in split_credits(list(parsed.remixers))),
        duration_ms=track.duration_ms,
        isrc=track.isrc.replace("-", "").upper() if track.isrc else None,
        explicit=explicit,
        kind=track.kind,
        views=track.views,
    )


def _token_f1(a: str, b: str) -> float:
    """How many words the titles share (long words may differ by a typo)."""
    left, right = a.split(), b.split()
    if not left or not right:
        return 0.0
    unmatched = list(right)
    hits = 0
    for word in left:
        for index, other in enumerate(unmatched):
            if word == other or (
                min(len(word), len(other)) >= 5 and Indel.normalized_similarity(word, other) >= 0.85
            ):
                hits += 1
                del unmatched[index]
                break
    return 2 * hits / (len(left) + len(right))


def title_similarity(a: str, b: str) -> float:
    """0..1: characters and words must both agree; different numbers are different works."""
    if a == b:
        return 1.0
    similarity = 0.5 * fuzz.ratio(a, b) / 100 + 0.5 * _token_f1(a, b)
    if set(_NUMBERS.findall(a)) != set(_NUMBERS.findall(b)):
        similarity *= 0.6
    return similarity


def _name_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100


def artist_similarity(
    primary: str | None, source: frozenset[str], candidate: frozenset[str]
) -> float | None:
    """0..1, set-wise: the source's main artist must be among the candidate's artists;
    the other credited artists count for less."""
    if not source or not candidate or primary is None:
        return None
    if primary in candidate and source <= candidate:
        return 1.0
    best = [
        1.0 if name in candidate else max(_name_similarity(name, other) for other in candidate)
        for name in source
    ]
    main = 1.0 if primary in candidate else max(_name_similarity(primary, o) for o in candidate)
    similarity = 0.6 * main + 0.4 * sum(best) / len(best)
    if len(candidate) >= 2 and len(candidate) < len(source):
        # Classical credits: the candidate names the orchestra and conductor, not the composer.
        names = [max(_name_similarity(name, other) for other in source) for name in candidate]
        similarity = max(similarity, sum(names) / len(names))
    return similarity


def _pair(source: Reading, candidate: Reading) -> tuple[float, float | None]:
    title = title_similarity(source.title, candidate.title)
    if title < 1.0 and (source.title_ascii, candidate.title_ascii) != (
        source.title,
        candidate.title,
    ):
        title = max(title, title_similarity(source.title_ascii, candidate.title_ascii))
    artists = artist_similarity(source.primary, source.artists, candidate.artists)
    if artists != 1.0 and (source.artists_ascii, candidate.artists_ascii) != (
        source.artists,
        candidate.artists,
    ):
        ascii_artists = artist_similarity(
            source.primary_ascii, source.artists_ascii, candidate.artists_ascii
        )
        if ascii_artists is not None and (artists is None or ascii_artists > artists):
            artists = ascii_artists
    return title, artists


def _duration(source_ms: int | None, candidate_ms: int | None) -> float:
    """A few seconds are nothing; tens of seconds are a different edit (or a video intro)."""
    if not source_ms or not candidate_ms:
        return 0.0
    delta = abs(source_ms - candidate_ms) / 1000
    if delta <= 3:
        return DURATION_AGREES
    if delta <= 10:
        return -0.15 * (delta - 3)
    return max(-6.0, -1.05 - 0.12 * (delta - 10))


def score(source: Track, candidate: Track, explain: bool = False) -> Score:
    """Confidence in 0..1 that ``candidate`` is the same recording as ``source``."""
    return score_prepared(prepare(source), prepare(candidate), explain)


def score_prepared(src: Prepared, cand: Prepared, explain: bool = False) -> Score:
    """``score`` for tracks already read by ``prepare``."""
    if src.isrc and cand.isrc and src.isrc == cand.isrc:
        isrc_only = (Contribution("isrc", "equal", math.inf),)
        return Score(0.999, isrc_only if explain else ())
    title, artists = max(
        (_pair(s, c) for s in src.readings for c in cand.readings),
        key=lambda pair: TITLE_WEIGHT * pair[0] + ARTIST_WEIGHT * (pair[1] or 0.0),
    )
    parts: list[tuple[str, float | str | None, float]] = [
        ("bias", None, BIAS),
        ("title", round(title, 3), TITLE_WEIGHT * (title - TITLE_PIVOT)),
        (
            "artists",
            None if artists is None else round(artists, 3),
            UNKNOWN_ARTIST if artists is None else ARTIST_WEIGHT * (artists - ARTIST_PIVOT),
        ),
    ]
    if src.album and cand.album:
        album = title_similarity(src.album, cand.album)
        parts.append(("album", round(album, 3), ALBUM_WEIGHT * (album - 0.5)))
    duration = _duration(src.duration_ms, cand.duration_ms)
    if duration:
        delta = abs((src.duration_ms or 0) - (cand.duration_ms or 0)) / 1000
        parts.append(("duration", round(delta, 1), duration))
    different = (src.versions ^ cand.versions) & DIFFERENT_RECORDING
    if different:
        parts.append(
            ("version", ",".join(sorted(different)), max(-10.0, VERSION_MISMATCH * len(different)))
        )
    elif (
        "remix" in src.versions
        and src.remixers
        and cand.remixers
        and not src.remixers & cand.remixers
    ):
        parts.append(("remixer", ",".join(sorted(cand.remixers)), REMIXER_MISMATCH))
    edits = (src.versions ^ cand.versions) & {"radio_edit", "extended"}
    if edits:
        parts.append(("edit", ",".join(sorted(edits)), EDIT_MISMATCH))
    if src.explicit is not None and cand.explicit is not None and src.explicit != cand.explicit:
        parts.append(("explicit", "differs", EXPLICIT_MISMATCH))
    if src.isrc and cand.isrc:
        parts.append(("isrc", "differs", ISRC_MISMATCH))
    if cand.kind == "video":
        parts.append(("kind", "video", VIDEO_KIND))
    elif cand.kind == "song":
        parts.append(("kind", "song", SONG_KIND))
    if cand.views:
        popularity = min(1.0, math.log10(cand.views + 1) / 9)
        parts.append(("popularity", cand.views, POPULARITY_WEIGHT * popularity))
    logit = sum(part[2] for part in parts)
    confidence = round(1 / (1 + math.exp(-(CALIBRATION_SLOPE * logit + CALIBRATION_OFFSET))), 4)
    contributions = (
        tuple(
            Contribution(name, value, round(value_logit, 3)) for name, value, value_logit in parts
        )
        if explain
        else ()
    )
    return Score(confidence, contributions)


def rank(
    source: Track, candidates: Sequence[Track], explain: bool = False
) -> list[tuple[int, Score]]:
    """Candidate indices with their scores, best first (earlier candidates win ties)."""
    src = prepare(source)
    scored = [
        (index, score_prepared(src, prepare(candidate), explain))
        for index, candidate in enumerate(candidates)
    ]
    return sorted(scored, key=lambda item: -item[1].confidence)
