"""Text normalisation for comparing titles and names across providers and scripts."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

#: Apostrophes vanish ("Don't" = "Dont"); other punctuation separates words.
_APOSTROPHES = re.compile(r"['’`´ʼ]")
_PUNCTUATION = re.compile(r"[^\w\s]+|_", re.UNICODE)
_SPACES = re.compile(r"\s+")
_AMPERSAND = re.compile(r"\s*&\s*")


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """NFKC, case-folded, without diacritics or punctuation, single-spaced.

    Non-Latin scripts are kept as they are (only combining marks are dropped), so a
    Japanese or Hebrew title still compares equal to itself; see ``ascii_fold`` for
    comparing across scripts.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _AMPERSAND.sub(" and ", text)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = _PUNCTUATION.sub(" ", _APOSTROPHES.sub("", text))
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=200_000)
def ascii_fold(text: str) -> str:
    """``fold`` after transliterating to ASCII: "Кино" and "Kino" meet here."""
    if text.isascii():
        return fold(text)
    return fold(anyascii(unicodedata.normalize("NFKC", text)))


def is_latin(text: str) -> bool:
    """True when every letter is Latin (so transliteration adds nothing)."""
    return text.isascii() or all(ord(ch) < 0x250 or not ch.isalpha() for ch in text)


#: Separators between credited artists. "x" and "with" only between spaces, so that
#: "Xzibit" and "Without Me" stay whole.
_CREDIT_SPLIT = re.compile(
    r"\s*(?:,|;|/|&|\+|\band\b|\bx\b|\bvs\.?\b|\bwith\b|"
    r"\bfeat\.?|\bft\.?|\bfeaturing\b|\bprod\. by\b)\s*",
    re.IGNORECASE,
)
#: Channel names that are an artist in disguise: "Adele - Topic", "AdeleVEVO", "Adele Official".
_CHANNEL_SUFFIX = re.compile(
    r"(?:\s*-\s*topic|vevo|\s+official(?:\s+(?:channel|artist channel|music))?|\s+music)$",
    re.IGNORECASE,
)


def split_credits(credits: tuple[str, ...] | list[str]) -> list[str]:
    """Individual artists from credits such as "A & B feat. C", in order, without repeats."""
    names: list[str] = []
    for credit in credits:
        for part in _CREDIT_SPLIT.split(credit):
            name = part.strip(" -–—()[]")
            if name and name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
    return names


def channel_artist(channel: str) -> str:
    """The artist behind a YouTube channel name ("Adele - Topic" -> "Adele")."""
    return _CHANNEL_SUFFIX.sub("", channel.strip()).strip() or channel.strip()
