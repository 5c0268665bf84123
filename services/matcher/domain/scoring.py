"""Scoring one source track against candidates, and the decision it leads to.

A deliberately plain first scorer: equal ISRCs decide; otherwise title and artist
similarity (rapidfuzz) weighed together, with a penalty for durations that differ by more
than a few seconds. Confidence is in 0..1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from services.kernel.contracts import Track
from services.matcher.domain.normalise import artists_key, fold

Decision = Literal["auto", "review", "none"]

#: Durations closer than this are the same edit; the penalty grows linearly after it.
DURATION_SLACK_MS = 5_000
#: Past slack, each further second costs this much confidence.
DURATION_PENALTY_PER_S = 0.02


@dataclass(frozen=True)
class Thresholds:
    """Where confidence turns into a decision.

    Attributes:
        auto: At or above: safe to act on without asking.
        review: At or above (and below ``auto``): a person should look.
    """

    auto: float = 0.85
    review: float = 0.6

    def decide(self, confidence: float) -> Decision:
        """The decision for a confidence."""
        if confidence >= self.auto:
            return "auto"
        if confidence >= self.review:
            return "review"
        return "none"


def duration_factor(source_ms: int | None, candidate_ms: int | None) -> float:
    """1.0 when durations agree (or one is unknown), falling as they drift apart."""
    if not source_ms or not candidate_ms:
        return 1.0
    excess_s = max(0, abs(source_ms - candidate_ms) - DURATION_SLACK_MS) / 1000
    return max(0.0, 1.0 - DURATION_PENALTY_PER_S * excess_s)


_NUMBERS = re.compile(r"\d+")


def title_similarity(source_title: str, candidate_title: str) -> float:
    """Title similarity in 0..1; different numbers ("Part 2", "No. 5") mean different works."""
    source, candidate = fold(source_title), fold(candidate_title)
    similarity = fuzz.token_sort_ratio(source, candidate) / 100
    if set(_NUMBERS.findall(source)) != set(_NUMBERS.findall(candidate)):
        similarity *= 0.5
    return similarity


def text_similarity(source: Track, candidate: Track) -> float:
    """Title and artist similarity in 0..1 (titles weigh more)."""
    title = title_similarity(source.title, candidate.title)
    if source.artists and candidate.artists:
        artists = (
            fuzz.token_set_ratio(artists_key(source.artists), artists_key(candidate.artists)) / 100
        )
        return 0.6 * title + 0.4 * artists
    return title * 0.9  # without artists on both sides, a title alone is never certain


def score(source: Track, candidate: Track) -> float:
    """Confidence in 0..1 that ``candidate`` is the same recording as ``source``."""
    if source.isrc and candidate.isrc and source.isrc.upper() == candidate.isrc.upper():
        return 1.0
    confidence = text_similarity(source, candidate)
    return round(confidence * duration_factor(source.duration_ms, candidate.duration_ms), 4)


def rank(source: Track, candidates: list[Track]) -> list[tuple[int, float]]:
    """Candidate indices with their confidence, best first (stable on ties)."""
    scored = [(index, score(source, candidate)) for index, candidate in enumerate(candidates)]
    return sorted(scored, key=lambda item: -item[1])
