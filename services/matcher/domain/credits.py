"""How credits are written in each language the providers localise into: one table.

YouTube Music and the stores translate a credit line into the listener's language: "A & B"
reads "A und B" in German, "Title (feat. C)" reads "Title (mit C)". Every way of joining
two artists or of featuring one is listed here, per language, and the patterns that split
credits (``normalise.split_credits``) and read featured artists out of titles
(``titles.parse_title``) are built from this table only.

Two kinds of words:

- joiners sit between two credited artists in an artist field or channel name
  ("A und B", "A、B"); the short ones ("e", "y", "i", "en") only split a credit field,
  never a title, where they are ordinary words;
- featuring words open a featured credit, inside brackets in a title ("(mit C)",
  "(avec C)") or after the title ("Title feat. C"); the localised ones count only inside
  brackets, since "Bailando con lobos" is a title.
"""

from __future__ import annotations

import re

#: Words that join two artists, by language (ISO 639-1). Symbols are language-neutral.
JOINERS: dict[str, tuple[str, ...]] = {
    "symbols": (",", ";", "/", "&", "+", "＆", "、", "，", "×", "x", "vs", "vs."),
    "en": ("and", "with", "feat", "feat.", "ft", "ft.", "featuring", "prod. by"),
    "de": ("und", "mit"),
    "fr": ("et", "avec"),
    "es": ("y", "con"),
    "it": ("e", "con"),
    "pt": ("e", "com"),
    "nl": ("en", "met"),
    "pl": ("i", "oraz"),
    "sv": ("och", "med"),
    "da": ("og", "med"),
    "tr": ("ve", "ile"),
    "ru": ("и", "при участии"),
    "ja": ("と",),
    "ko": ("와", "과"),
}

#: Words that open a featured credit, by language.
FEATURING: dict[str, tuple[str, ...]] = {
    "en": ("feat", "feat.", "ft", "ft.", "featuring", "with", "w/"),
    "de": ("mit",),
    "fr": ("avec",),
    "es": ("con",),
    "it": ("con",),
    "pt": ("com", "part.", "participação de"),
    "nl": ("met",),
    "pl": ("oraz", "gościnnie"),
    "sv": ("med",),
    "tr": ("ile",),
    "ru": ("при участии", "уч."),
    "ja": ("フィーチャリング",),
}

#: Featuring words that are safe outside brackets ("Title feat. C"): the English ones.
INLINE_FEATURING = ("feat", "feat.", "ft", "ft.", "featuring")


def _alternatives(words: set[str]) -> str:
    """A regex alternation, longest first (so "feat." wins over "feat")."""
    return "|".join(re.escape(word) for word in sorted(words, key=lambda w: (-len(w), w)))


def _word(words: set[str]) -> str:
    # Letters need word boundaries ("x" must not split "Xzibit"); symbols do not.
    letters = {w for w in words if w[0].isalpha()}
    symbols = words - letters
    parts = []
    if letters:
        parts.append(rf"(?<!\w)(?:{_alternatives(letters)})(?!\w)")
    if symbols:
        parts.append(f"(?:{_alternatives(symbols)})")
    return "|".join(parts)


_ALL_JOINERS = {word for words in JOINERS.values() for word in words}
#: The joiners that are words (they split a credit only with spaces around them).
CREDIT_WORDS = frozenset(w for w in _ALL_JOINERS if w[0].isalpha())
_ALL_FEATURING = {word for words in FEATURING.values() for word in words}

#: Splits an artist field or channel name into artists. Word joiners need spaces around
#: them ("A x B", not "Xzibit"); symbols do not ("A&B", "A、B").
CREDIT_SPLIT = re.compile(
    rf"\s*(?:{_word({w for w in _ALL_JOINERS if not w[0].isalpha()})})\s*"
    rf"|\s+(?:{_word({w for w in _ALL_JOINERS if w[0].isalpha()})})\s+",
    re.IGNORECASE,
)
#: A bracketed title segment that is a featured credit: "(mit A & B)", "[feat. C]".
BRACKET_FEATURING = re.compile(rf"^\s*(?:{_word(_ALL_FEATURING)})\.?\s+(?P<who>.+)$", re.IGNORECASE)
#: A featured credit after the title: "Title feat. C" (English words only).
INLINE_FEATURING_PATTERN = re.compile(
    rf"\s+(?:{_word(set(INLINE_FEATURING))})\s+(?P<who>[^()\[\]]+)$", re.IGNORECASE
)
#: "・" joins artists in Japanese credits, but also the halves of a foreign name written
#: in katakana ("ジャスティン・ビーバー"): it splits only when a side is not all katakana.
_NAKAGURO = "・"
_KATAKANA = re.compile(r"^[\u30a0-\u30ff\u31f0-\u31ffー]+$")


def split_nakaguro(name: str) -> list[str]:
    """ "A・B" as two artists unless it is one katakana name."""
    if _NAKAGURO not in name:
        return [name]
    parts = [part.strip() for part in name.split(_NAKAGURO)]
    if all(_KATAKANA.match(part) for part in parts if part):
        return [name]
    return [part for part in parts if part]
