"""Finding playlist tracks in a library without comparing every pair in Python.

rapidfuzz's ``cdist`` compares a whole batch of sources with the whole library in C and
shortlists a few candidates per source; only those get the full score.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz, process

from services.kernel.contracts import Track
from services.matcher.domain.normalise import artists_key, fold
from services.matcher.domain.scoring import score

SHORTLIST = 5


def _key(track: Track) -> str:
    return f"{artists_key(track.artists)} {fold(track.title)}".strip()


class LibraryIndex:
    """A library prepared for repeated look-ups."""

    def __init__(self, tracks: tuple[Track, ...] | list[Track]) -> None:
        self.tracks = list(tracks)
        self._keys = [_key(track) for track in self.tracks]

    def best_matches(self, sources: list[Track]) -> list[tuple[Track | None, float]]:
        """For each source, the library track most likely to be it, and the confidence."""
        if not self.tracks or not sources:
            return [(None, 0.0) for _ in sources]
        # ISRCs decide outright, so look them up before any fuzzy work.
        by_isrc = {t.isrc.upper(): t for t in self.tracks if t.isrc}
        similarity = process.cdist(
            [_key(source) for source in sources],
            self._keys,
            scorer=fuzz.token_set_ratio,
            dtype=np.uint8,
            workers=1,
        )
        results: list[tuple[Track | None, float]] = []
        for row, source in enumerate(sources):
            if source.isrc and source.isrc.upper() in by_isrc:
                results.append((by_isrc[source.isrc.upper()], 1.0))
                continue
            top = np.argsort(-similarity[row], kind="stable")[:SHORTLIST]
            best: Track | None = None
            best_score = 0.0
            for column in top:
                candidate = self.tracks[int(column)]
                value = score(source, candidate)
                if value > best_score:
                    best, best_score = candidate, value
            results.append((best, best_score))
        return results
