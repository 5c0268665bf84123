"""Names across scripts: a Latin reading of a name or title, made per script family.

Character-by-character transliteration does not bring "米津玄師" and "Kenshi Yonezu"
together, nor "להקת הנח"ל" and "Lahakat HaNahal". So each script family gets what
serves it best:

- Japanese (kana, or kanji next to kana): readings from a dictionary, with ``cutlet``
  and ``unidic-lite`` (MeCab); loaded on first use only;
- Chinese (Han without kana): Hanyu Pinyin without tones, with ``pypinyin``; a Han-only
  name may be Japanese too, so it gets both readings;
- Hebrew and Arabic (abjads: vowels are mostly not written): ``anyascii``, compared by
  consonant skeleton (``skeleton``), since the Latin side spells vowels the other lacks;
- Korean, Cyrillic, Greek and the rest: ``anyascii`` (Revised Romanisation for Hangul,
  scholarly-ish for Cyrillic and Greek), good enough with fuzzy comparison.

Romanised Japanese is also folded for the spellings that differ between systems and
between dictionary and usage (long vowels "ou"/"oo"/"ō", voicing that dictionaries get
wrong in names: "Yonetsu"/"Yonezu"); see ``phonetic``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ABJAD = re.compile(r"[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f]")
_VOWELS = re.compile(r"[aeiouyvw']")
_SKELETON = (
    (re.compile(r"sh|tz|ts|sch"), "s"),
    (re.compile(r"kh|ch"), "h"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"[qc]"), "k"),
)
_NOT_LETTERS = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
#: Long vowels and voicing folded, so that romanisation systems and readings agree.
_PHONETIC = (
    (re.compile(r"ou|oo|oh(?![aeiou])"), "o"),
    (re.compile(r"uu"), "u"),
    (re.compile(r"ei"), "e"),
    (re.compile(r"aa"), "a"),
    (re.compile(r"ii"), "i"),
    (re.compile(r"tsu|dzu|zu"), "su"),
    (re.compile(r"shi|ji"), "si"),
    (re.compile(r"chi"), "ti"),
    (re.compile(r"[gk]"), "k"),
    (re.compile(r"[zs]"), "s"),
    (re.compile(r"[dt]"), "t"),
    (re.compile(r"[bhpf]"), "h"),
    (re.compile(r"n(?=[^aeiou]|$)|m(?=[bmp])"), "n"),
)

_cutlet: Any = None


def _japanese(text: str) -> list[str]:
    """Two readings: as spoken ("za biitoruzu"), and with katakana loanwords in their
    original spelling ("the beatles"), since names are often written that way."""
    global _cutlet
    if _cutlet is None:
        import cutlet  # loaded on first Japanese text: it reads a dictionary

        _cutlet = cutlet.Cutlet()
    readings = []
    for foreign in (False, True):
        _cutlet.use_foreign_spelling = foreign
        readings.append(str(_cutlet.romaji(text)))
    return readings


def _chinese(text: str) -> str:
    from pypinyin import lazy_pinyin  # loaded on first Chinese text

    return " ".join(part.strip() for part in lazy_pinyin(text) if part.strip())


def _tidy(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _NOT_LETTERS.sub(" ", text)).strip()


def is_latin(text: str) -> bool:
    """True when every letter is Latin (so transliteration adds nothing)."""
    return text.isascii() or all(ord(ch) < 0x250 or not ch.isalpha() for ch in text)


def anyascii(text: str) -> str:
    """``anyascii.anyascii``, imported at its first use: its import (with
    ``importlib.resources``) took 5 ms of every start-up of ``match rank``, and only
    text in other scripts needs it."""
    from anyascii import anyascii as transliterate

    return transliterate(text)


@lru_cache(maxsize=100_000)
def romanise(text: str) -> tuple[str, ...]:
    """Latin readings of ``text``, folded (lower case, ASCII letters, digits, spaces).

    One reading for most scripts; two for Han-only text (Japanese and Chinese). Latin
    text is only folded.
    """
    if is_latin(text):
        return (_tidy(text),)
    readings: list[str] = []
    if _KANA.search(text):
        readings.extend(_japanese(text))
    elif _HAN.search(text):
        readings.extend((_chinese(text), *_japanese(text)))
    else:
        readings.append(anyascii(text))
    return tuple(dict.fromkeys(tidy for tidy in map(_tidy, readings) if tidy))


def is_abjad(text: str) -> bool:
    """Hebrew or Arabic letters: vowels mostly unwritten."""
    return bool(_ABJAD.search(text))


@lru_cache(maxsize=100_000)
def skeleton(latin: str) -> str:
    """Consonants only ("lahakat hanahal" -> "lhkt hnhl"), for comparing with an abjad."""
    for pattern, replacement in _SKELETON:
        latin = pattern.sub(replacement, latin)
    words = (re.sub(r"(.)\1+", r"\1", _VOWELS.sub("", word)) for word in latin.split())
    return " ".join(word for word in words if word)


@lru_cache(maxsize=100_000)
def phonetic(latin: str) -> str:
    """Romanisation differences folded away ("yonetsu genshi" ~ "yonezu kenshi")."""
    for pattern, replacement in _PHONETIC:
        latin = pattern.sub(replacement, latin)
    return latin


def _without_article(text: str) -> str:
    return text[4:] if text.startswith("the ") else text


def cross_script_similarity(a: str, b: str) -> float:
    """0..1 between two names or titles in (possibly) different scripts, word order
    ignored (romaji puts the given name first, kanji the family name)."""
    best = 0.0
    abjad = is_abjad(a) or is_abjad(b)
    for left in map(_without_article, romanise(a)):
        for right in map(_without_article, romanise(b)):
            best = max(
                best,
                fuzz.token_sort_ratio(left, right),
                fuzz.token_sort_ratio(phonetic(left), phonetic(right)),
                fuzz.ratio(left.replace(" ", ""), right.replace(" ", "")),
            )
            if abjad:
                best = max(best, fuzz.token_sort_ratio(skeleton(left), skeleton(right)))
    return best / 100
