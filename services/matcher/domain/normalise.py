"""Text normalisation for comparing titles and names across providers and scripts."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from services.matcher.domain.credits import CREDIT_SPLIT, CREDIT_WORDS, split_nakaguro
from services.matcher.domain.scripts import anyascii, is_latin

__all__ = ["ascii_fold", "channel_artist", "fold", "is_latin", "split_credits"]

#: Apostrophes vanish ("Don't" = "Dont"); other punctuation separates words.
_APOSTROPHES = re.compile(r"['’`´ʼ]")
_PUNCTUATION = re.compile(r"[^\w\s]+|_", re.UNICODE)
_SPACES = re.compile(r"\s+")
_AMPERSAND = re.compile(r"\s*&\s*")


#: ASCII folding by table: letters lower-cased, apostrophes dropped, "&" read "and",
#: every other punctuation mark a space (the fast path of ``fold``).
_ASCII_FOLD = {
    code: (
        chr(code).lower()
        if chr(code).isalnum()
        else ("" if chr(code) in "'`" else (" and " if chr(code) == "&" else " "))
    )
    for code in range(128)
}


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """NFKC, case-folded, without diacritics or punctuation, single-spaced.

    Non-Latin scripts are kept as they are (only combining marks are dropped), so a
    Japanese or Hebrew title still compares equal to itself; see ``ascii_fold`` for
    comparing across scripts.
    """
    if text.isascii():
        return " ".join(text.translate(_ASCII_FOLD).split())
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _AMPERSAND.sub(" and ", text)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        # Kana keep their voicing marks ("が" is not "か"); other scripts lose accents.
        kept = []
        base = ""
        for ch in decomposed:
            if not unicodedata.combining(ch):
                base = ch
                kept.append(ch)
            elif "\u3040" <= base <= "\u30ff":
                kept.append(ch)
        text = unicodedata.normalize("NFC", "".join(kept))
    text = _PUNCTUATION.sub(" ", _APOSTROPHES.sub("", text))
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=200_000)
def ascii_fold(text: str) -> str:
    """``fold`` after transliterating to ASCII: "Кино" and "Kino" meet here."""
    if text.isascii():
        return fold(text)
    return fold(anyascii(unicodedata.normalize("NFKC", text)))


#: Channel names that are an artist in disguise: "Adele - Topic", "AdeleVEVO", "Adele Official".
_CHANNEL_SUFFIX = re.compile(
    r"(?:\s*-\s*topic|vevo|\s+official(?:\s+(?:channel|artist channel|music))?|\s+music)$",
    re.IGNORECASE,
)


#: ASCII letters of the word joiners (``credits.JOINERS``): an ASCII credit whose inner
#: words are none of these, and that has none of the symbols, is one artist (fast path).
_ASCII_JOINER_SYMBOLS = frozenset(",;/&+")
_ASCII_JOINER_WORDS = frozenset(
    w.casefold() for w in CREDIT_WORDS if w.isascii() for w in w.split()
)


def _one_artist(credit: str) -> bool:
    """Certainly no joiner in this ASCII credit (else ``CREDIT_SPLIT`` decides)."""
    if (
        not credit.isascii()
        or not _ASCII_JOINER_SYMBOLS.isdisjoint(credit)
        or credit != credit.strip()  # a joiner at either end may have spaces around it
    ):
        return False
    inner = credit.casefold().split()[1:-1]
    return _ASCII_JOINER_WORDS.isdisjoint(inner)


@lru_cache(maxsize=100_000)
def _split_one(credit: str) -> tuple[str, ...]:
    if _one_artist(credit):
        name = credit.strip(" -–—()[]")
        return (name,) if name else ()
    return tuple(split_credits_uncached([credit]))


def split_credits(credits: tuple[str, ...] | list[str]) -> list[str]:
    """Individual artists from credits such as "A & B feat. C" or "A und B" (every
    language of ``credits.JOINERS``), in order, without repeats."""
    if len(credits) == 1:
        return list(_split_one(credits[0]))
    names: list[str] = []
    seen: set[str] = set()
    for credit in credits:
        for name in _split_one(credit):
            folded = name.casefold()
            if folded not in seen:
                seen.add(folded)
                names.append(name)
    return names


def split_credits_uncached(credits: tuple[str, ...] | list[str]) -> list[str]:
    """``split_credits`` without the cache."""
    names: list[str] = []
    seen: set[str] = set()
    for credit in credits:
        for part in CREDIT_SPLIT.split(credit):
            for piece in split_nakaguro(part):
                name = piece.strip(" -–—()[]")
                if name and name.casefold() not in seen:
                    seen.add(name.casefold())
                    names.append(name)
    return names


#: How an ASCII channel name that ``_CHANNEL_SUFFIX`` can shorten ends (fast path).
_CHANNEL_ENDINGS = ("topic", "vevo", "official", "channel", "music")


@lru_cache(maxsize=100_000)
def channel_artist(channel: str) -> str:
    """The artist behind a YouTube channel name ("Adele - Topic" -> "Adele")."""
    stripped = channel.strip()
    if stripped.isascii() and not stripped.lower().endswith(_CHANNEL_ENDINGS):
        return stripped
    return _CHANNEL_SUFFIX.sub("", stripped).strip() or stripped


def is_artist_channel(channel: str) -> bool:
    """An artist's own channel by its name ("- Topic", "VEVO", "Official")."""
    return channel_artist(channel) != channel.strip()
