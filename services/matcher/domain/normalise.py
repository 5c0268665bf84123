"""Text normalisation for comparing titles and names across providers."""

from __future__ import annotations

import re
import unicodedata

_PUNCTUATION = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """NFKC, case-folded, without diacritics or punctuation, single-spaced.

    Non-Latin scripts are kept as they are (only combining marks are dropped), so a
    Japanese or Hebrew title still compares equal to itself.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _PUNCTUATION.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def artists_key(artists: tuple[str, ...] | list[str]) -> str:
    """Artists as one comparable string, order-independent."""
    return " ".join(sorted(fold(artist) for artist in artists if artist))
