"""Reading a title: the work's name, who is featured, which version it is, and noise.

"Hey Jude (Live at Wembley) [Remastered 2009]" is the work "Hey Jude", live, remastered in
2009; "Adele - Hello (Official Video) HD" is "Hello" by Adele. Versions are kept as
structured facts because a live or karaoke recording is not the studio one, however
alike the titles read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

#: Versions that make a different recording from the studio original.
DIFFERENT_RECORDING = frozenset(
    {
        "live",
        "remix",
        "acoustic",
        "instrumental",
        "sped_up",
        "slowed",
        "nightcore",
        "karaoke",
        "cover",
        "demo",
        "a_cappella",
        "orchestral",
    }
)
#: Versions that are the same recording, edited or re-issued (duration tells the rest).
SAME_RECORDING_EDITS = frozenset({"radio_edit", "extended", "remaster", "mono", "stereo"})

_VERSION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("karaoke", r"\bkaraoke\b|\bbacking track\b|\bin the style of\b|\bsing ?along\b"),
        ("nightcore", r"\bnightcore\b"),
        ("sped_up", r"\bsped[\s-]*up\b|\bspeed[\s-]*up\b|\bfaster\b"),
        ("slowed", r"\bslowed\b|\breverb(?:ed)?\b"),
        ("instrumental", r"\binstrumental\b|\bkaraoke instrumental\b|\boff vocal\b"),
        ("a_cappella", r"\ba ?cap+el+a\b|\bvocals? only\b"),
        (
            "acoustic",
            r"\bacoustic\b|\bunplugged\b|\bstripped\b|\bpiano version\b|\bac[uú]stic[oa]\b",
        ),
        ("live", r"\blive\b|\ben vivo\b|\bao vivo\b|\bin concert\b|\blive at\b|\bsession\b"),
        ("cover", r"\bcover\b|\btribute\b|\bas made famous by\b|\boriginally performed by\b"),
        ("demo", r"\bdemo\b"),
        ("orchestral", r"\borchestral\b|\bsymphonic\b"),
        (
            "radio_edit",
            r"\bradio (?:edit|version|mix|cut)\b|\bsingle (?:edit|version)\b|\bshort version\b",
        ),
        ("extended", r"\bextended\b|\bclub mix\b|\b12\s?(?:\"|inch)\b|\bfull length\b"),
        ("remaster", r"\bremaster(?:ed)?\b|\bre-?master(?:ed)?\b"),
        ("mono", r"\bmono\b"),
        ("stereo", r"\bstereo\b"),
        (
            "remix",
            r"\bre-?mix\b|\bmix\b|\brework\b|\bbootleg\b|\bflip\b|\bvip\b|\bedit\b|\bversion\b",
        ),
        ("clean", r"\bclean\b|\bcensored\b|\bradio safe\b|\bedited\b"),
        ("explicit", r"\bexplicit\b|\buncensored\b|\bdirty\b"),
    )
)
#: "X Remix" / "X's Remix" / "Remix by X": who remixed.
_REMIXER = re.compile(
    r"^(?P<before>.+?)(?:'s)?\s+(?:re-?mix|mix|rework|bootleg|flip|vip mix|edit)\b"
    r"|\b(?:re-?mix(?:ed)?|mix(?:ed)?) by\s+(?P<after>.+)$",
    re.IGNORECASE,
)
#: Mix names that are the original, not a remix.
_NOT_A_REMIXER = re.compile(
    r"^(?:original|radio|club|extended|album|single|main|dub|instrumental|clean|dirty|"
    r"explicit|short|long|full|official|new|\d{4})$",
    re.IGNORECASE,
)
_EDIT_NAMES = re.compile(
    r"\b(?:radio|single|album|club|extended|original|short|clean|explicit)\s+"
    r"(?:edit|version|mix|cut)\b",
    re.IGNORECASE,
)
_EXPLICIT_REMIX = re.compile(r"\bre-?mix\b|\brework\b|\bbootleg\b|\bflip\b", re.IGNORECASE)
_FEATURING = re.compile(
    r"^\s*(?:feat\.?|ft\.?|featuring|with|con|w/)\s+(?P<who>.+)$", re.IGNORECASE
)
_INLINE_FEATURING = re.compile(
    r"\s+(?:feat\.?|ft\.?|featuring)\s+(?P<who>[^()\[\]]+)$", re.IGNORECASE
)
_PRODUCED = re.compile(r"^\s*(?:prod\.?|produced)(?: by)?\s+", re.IGNORECASE)
#: Upload decorations that say nothing about the recording.
_NOISE = re.compile(
    r"^(?:official\s*)?(?:music\s*|lyrics?\s*|lyric\s*|hd\s*|hq\s*|4k\s*|audio\s*|video\s*|"
    r"visuali[sz]er\s*|mv\s*|m/v\s*|clip\s*|videoclip\s*|video ?oficial\s*|audio ?oficial\s*|"
    r"letra\s*|lyrics? video\s*|with lyrics\s*|color coded\s*|full\s*|high quality\s*|"
    r"official\s*|oficial\s*|clip officiel\s*|premiere\s*|out now\s*|free download\s*|"
    r"\d{3,4}p\s*)+$",
    re.IGNORECASE,
)
_SOUNDTRACK = re.compile(
    r"^(?:from|theme from|ost|original soundtrack|soundtrack)\b", re.IGNORECASE
)
#: A leading dashed part that is only a version word ("Nightcore - Title").
_VERSION_ONLY = re.compile(
    r"^(?:nightcore|karaoke|sped up|slowed(?: \+ reverb)?|8d audio|instrumental|live)$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
_BRACKETS = re.compile(r"\s*[(\[{（【「]([^()\[\]{}（）【】「」]*)[)\]}）】」]\s*")
_DASH_PARTS = re.compile(r"\s+[-–—|•]\s+|\s+//\s+")
_TRAILING_NOISE = re.compile(
    r"\s+(?:hd|hq|4k|\d{3,4}p|official video|official audio|official music video|lyrics?|mv)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedTitle:
    """What a title says.

    Attributes:
        work: The title without versions, featured artists or upload noise.
        featured: Artists named in the title ("feat. X").
        versions: Version facts ("live", "remix", "remaster"...).
        remixers: Who remixed, when the title says.
        remaster_year: The year of a remaster, when given.
        halves: The two sides of a dashed title ("Artist - Title", or "Title - Artist" as
            some uploaders write it); which side is the artist is for the scorer to find.
    """

    work: str
    featured: tuple[str, ...] = ()
    versions: frozenset[str] = field(default_factory=frozenset)
    remixers: tuple[str, ...] = ()
    remaster_year: int | None = None
    halves: tuple[str, str] | None = None


def _classify(segment: str) -> tuple[str, set[str], list[str], list[str], int | None]:
    """One bracketed or dashed segment: ("keep"|"drop", versions, featured, remixers, year)."""
    text = segment.strip()
    if not text:
        return "drop", set(), [], [], None
    featuring = _FEATURING.match(text)
    if featuring:
        return "drop", set(), [featuring.group("who")], [], None
    if _PRODUCED.match(text) or _SOUNDTRACK.match(text) or _NOISE.match(text):
        return "drop", set(), [], [], None
    versions = {name for name, pattern in _VERSION_PATTERNS if pattern.search(text)}
    if not versions:
        return "keep", set(), [], [], None
    remixers: list[str] = []
    if "remix" in versions:
        # "Avicii Radio Edit" is an edit of the original, not Avicii's remix of it.
        unedited = _EDIT_NAMES.sub("", text).strip()
        found = _REMIXER.search(unedited) if unedited else None
        who = (found.group("before") or found.group("after") or "").strip() if found else ""
        if who and not _NOT_A_REMIXER.match(who):
            remixers.append(who)
        elif not _EXPLICIT_REMIX.search(unedited):
            versions.discard("remix")  # "Original Mix", "Album Version", "Radio Edit"
    year_match = _YEAR.search(text)
    year = int(year_match.group(1)) if year_match and "remaster" in versions else None
    return "drop", versions, [], remixers, year


@lru_cache(maxsize=200_000)
def parse_title(title: str) -> ParsedTitle:
    """Read versions, featured artists and noise out of a title (see module docstring)."""
    versions: set[str] = set()
    featured: list[str] = []
    remixers: list[str] = []
    year: int | None = None

    def absorb(segment: str) -> bool:
        nonlocal year
        verdict, found, feat, remixed, remaster_year = _classify(segment)
        versions.update(found)
        featured.extend(feat)
        remixers.extend(remixed)
        year = year or remaster_year
        return verdict == "drop"

    def strip_brackets(text: str) -> str:
        kept: list[str] = []
        position = 0
        for match in _BRACKETS.finditer(text):
            kept.append(text[position : match.start()])
            kept.append(" " if absorb(match.group(1)) else f" ({match.group(1)}) ")
            position = match.end()
        kept.append(text[position:])
        return " ".join("".join(kept).split())

    text = strip_brackets(title)
    parts = [part.strip() for part in _DASH_PARTS.split(text) if part.strip()]
    halves = None
    if parts and len(parts) > 1 and _VERSION_ONLY.match(parts[0]):
        absorb(parts[0])  # "Nightcore - Angel With A Shotgun"
        parts = parts[1:]
    if parts:
        kept = [parts[0], *(part for part in parts[1:] if not absorb(part))]
        work = " - ".join(kept)
        if len(kept) >= 2:
            halves = (kept[0], " - ".join(kept[1:]))
    else:
        work = text
    inline = _INLINE_FEATURING.search(work)
    if inline:
        featured.append(inline.group("who"))
        work = work[: inline.start()]
        if halves:
            halves = (halves[0], _INLINE_FEATURING.sub("", halves[1]))
    work = _clean(work) or title.strip()
    if halves:
        halves = (_clean(halves[0]), _clean(halves[1]))
    return ParsedTitle(
        work=work,
        featured=tuple(featured),
        versions=frozenset(versions),
        remixers=tuple(remixers),
        remaster_year=year,
        halves=halves if halves and all(halves) else None,
    )


def _clean(text: str) -> str:
    return _TRAILING_NOISE.sub("", text.strip()).strip(" -–—|\"'“”")
