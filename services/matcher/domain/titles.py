"""Reading a title: the work's name, who is featured, which version it is, and noise.

"Hey Jude (Live at Wembley) [Remastered 2009]" is the work "Hey Jude", live, remastered in
2009; "Adele - Hello (Official Video) HD" is "Hello" by Adele. Versions are kept as
structured facts because a live or karaoke recording is not the studio one, however
alike the titles read.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from services.matcher.domain.credits import BRACKET_FEATURING, INLINE_FEATURING_PATTERN

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
_FEATURING = BRACKET_FEATURING
_INLINE_FEATURING = INLINE_FEATURING_PATTERN
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
#: Noise that says who uploaded: a fan's lyrics video, or the artist's own release.
_LYRICS = re.compile(r"\blyrics?\b|\bletra\b|\btesto\b|\bparoles\b|\bliryk|\b歌詞", re.IGNORECASE)
_OFFICIAL = re.compile(r"\bofficial\b|\boficial\b|\bofficiel\b|\bofficiell?\b", re.IGNORECASE)
_UPLOAD_WORDS = re.compile(f"{_LYRICS.pattern}|{_OFFICIAL.pattern}", re.IGNORECASE)
_SOUNDTRACK = re.compile(
    r"^(?:from|theme from|ost|original soundtrack|soundtrack)\b", re.IGNORECASE
)
#: A leading dashed part that is only a version word ("Nightcore - Title").
_VERSION_ONLY = re.compile(
    r"^(?:nightcore|karaoke|sped up|slowed(?: \+ reverb)?|8d audio|instrumental|live)$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
_DATED_MIX = re.compile(r"\b(?:19|20)\d\d\s+(?:mix|version|stereo mix|mono mix)\b", re.IGNORECASE)
_BRACKETS = re.compile(r"\s*[(\[{（【「]([^()\[\]{}（）【】「」]*)[)\]}）】」]\s*")
_DASH_PARTS = re.compile(r"\s+[-–—|•]\s+|\s+//\s+")
_TRAILING_NOISE = re.compile(
    r"\s+(?:hd|hq|4k|\d{3,4}p|official video|official audio|official music video|lyrics?|mv)$",
    re.IGNORECASE,
)


class ParsedTitle(NamedTuple):
    """What a title says.

    Attributes:
        work: The title without versions, featured artists or upload noise.
        featured: Artists named in the title ("feat. X").
        versions: Version facts ("live", "remix", "remaster"...).
        remixers: Who remixed, when the title says.
        remaster_year: The year of a remaster, when given.
        halves: The two sides of a dashed title ("Artist - Title", or "Title - Artist" as
            some uploaders write it); which side is the artist is for the scorer to find.
        upload: What the upload's noise says about who made it: "lyrics" (a lyrics
            video, usually a fan's), "official" (the artist's or label's own).
        qualifiers: Words of version segments beyond the versions ("take", "8" of
            "(Take 8 - Remastered)"): which take, session or concert.
        bare: The work without the brackets it kept ("Hey (ah ah ah)" -> "Hey"), when
            it kept any: some services show a hook in brackets, others do not.
    """

    work: str
    featured: tuple[str, ...] = ()
    versions: frozenset[str] = frozenset()
    remixers: tuple[str, ...] = ()
    remaster_year: int | None = None
    halves: tuple[str, str] | None = None
    upload: frozenset[str] = frozenset()
    qualifiers: frozenset[str] = frozenset()
    bare: str | None = None


#: Anything that makes a title more than its work: brackets, dashed parts, featuring,
#: trailing upload noise. A title without any of these is its own work (the fast path).
_SPECIAL_CHARACTERS = frozenset("([{（【「-–—|•/\"'“”")
_SPECIAL_WORDS = frozenset(
    {"feat", "feat.", "ft", "ft.", "featuring", "nightcore", "karaoke", "hd", "hq", "4k"}
    | {"official", "lyric", "lyrics", "mv"}
)
_RESOLUTION = re.compile(r"\d{3,4}p$")


def _needs_reading(title: str) -> bool:
    if not _SPECIAL_CHARACTERS.isdisjoint(title):
        return True
    words = title.casefold().split()
    return bool(words) and (
        not _SPECIAL_WORDS.isdisjoint(words) or bool(_RESOLUTION.match(words[-1]))
    )


@lru_cache(maxsize=50_000)
def _classify(
    segment: str,
) -> tuple[str, frozenset[str], tuple[str, ...], tuple[str, ...], int | None]:
    """``_read_segment``, once per distinct segment ("Live", "Official Video" recur)."""
    verdict, versions, featured, remixers, year = _read_segment(segment)
    return verdict, frozenset(versions), tuple(featured), tuple(remixers), year


def _read_segment(segment: str) -> tuple[str, set[str], list[str], list[str], int | None]:
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
    # The year of a master or mix ("Remastered 2011", "2025 Mix"): another year is
    # another master of the same recording.
    # A dated mix ("2025 Mix") is another mix: a different recording, kept as a version.
    year_match = _YEAR.search(text)
    mix = _DATED_MIX.search(text)
    if mix and year_match:
        versions.add(f"mix_{year_match.group(1)}")
    year = int(year_match.group(1)) if year_match and "remaster" in versions and not mix else None
    return "drop", versions, [], remixers, year


#: Words of a version segment that say nothing beyond the version itself.
_PLAIN_VERSION_WORDS = frozenset(
    [
        "remaster",
        "remastered",
        "remasterd",
        "version",
        "ver",
        "edit",
        "mix",
        "remix",
        "mono",
        "stereo",
        "single",
        "album",
        "original",
        "radio",
        "digital",
        "deluxe",
        "edition",
        "bonus",
        "track",
        "live",
        "acoustic",
        "instrumental",
        "demo",
        "explicit",
        "clean",
        "extended",
        "cut",
        "short",
        "long",
        "the",
        "a",
        "an",
        "of",
        "from",
        "at",
        "in",
        "on",
        "and",
        "by",
        "with",
        "feat",
        "sped",
        "up",
        "slowed",
        "reverb",
        "karaoke",
        "cover",
        "orchestral",
        "session",
        "sessions",
        "unplugged",
        "stripped",
        "version",
        "edited",
        "censored",
        "dirty",
        "uncensored",
        "12",
        "inch",
        "club",
        "vip",
        "rework",
        "bootleg",
        "flip",
        "in",
        "concert",
        "en",
        "vivo",
        "ao",
        "vivo",
        "piano",
        "a",
        "cappella",
        "acapella",
        "backing",
    ]
)
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=50_000)
def _qualifiers(segment: str, remixers: tuple[str, ...]) -> frozenset[str]:
    """What a version segment says beyond its versions: "Take 8", "Studio Jam", "Live In
    Tokyo" (another take or another concert is another recording)."""
    text = segment.casefold()
    for who in remixers:
        text = text.replace(who.casefold(), " ")
    words = {w for w in _WORDS.findall(text) if w not in _PLAIN_VERSION_WORDS}
    return frozenset(w for w in words if not _YEAR.fullmatch(w))


#: Where a title's decorations begin: its first bracket or dashed part.
_DECORATIONS = re.compile(r"\s*[(\[{（【「]|\s+[-–—|•]\s|\s+//\s")
PLACEHOLDER = "\x00"


@lru_cache(maxsize=200_000)
def parse_title(title: str) -> ParsedTitle:
    """Read versions, featured artists and noise out of a title (see module docstring).

    "Some Song (Live)" and "Other Song (Live)" share their decorations: a plain title
    before the first bracket or dash is set aside, the decorations are read once per
    distinct tail (``_read_title`` on "\x00 (Live)"), and the title is put back.
    """
    shared = split_decorations(title)
    if shared is None:
        return _read_title(title)
    base, tail = shared
    if tail is None:
        return ParsedTitle(work=base)
    return _put_back(_read_title(PLACEHOLDER + tail), base)


def split_decorations(title: str) -> tuple[str, str | None] | None:
    """(work, None) for a plain title; (plain base, decorations) when the decorations
    can be read apart from the base (``PLACEHOLDER`` + decorations stands for the title,
    the base put back); None when the title must be read whole."""
    if not _needs_reading(title):
        return title.strip() or title, None
    found = _DECORATIONS.search(title)
    if found and found.start() > 0:
        base = " ".join(title[: found.start()].split())
        if _plain_base(base):
            return base, title[found.start() :]
    return None


@lru_cache(maxsize=100_000)
def _plain_base(base: str) -> bool:
    """A title's base that its decorations can be read apart from; once per distinct
    base ("Song" of "Song (Live)", "Song (Official Video)"...)."""
    return bool(base) and not (
        _needs_reading(base) or _VERSION_ONLY.match(base) or _UPLOAD_WORDS.search(base)
    )


def _put_back(template: ParsedTitle, base: str) -> ParsedTitle:
    def fill(text: str) -> str:
        return text.replace(PLACEHOLDER, base)

    work, featured, versions, remixers, year, halves, upload, qualifiers, bare = template
    return ParsedTitle(
        fill(work),
        tuple(map(fill, featured)) if featured else featured,
        versions,
        tuple(map(fill, remixers)) if remixers else remixers,
        year,
        (fill(halves[0]), fill(halves[1])) if halves else None,
        upload,
        qualifiers,
        fill(bare) if bare else None,
    )


@lru_cache(maxsize=50_000)
def _read_title(title: str) -> ParsedTitle:
    """``parse_title`` without the shared-decorations shortcut."""
    upload: set[str] = set()
    if _LYRICS.search(title):
        upload.add("lyrics")
    if _OFFICIAL.search(title):
        upload.add("official")
    versions: set[str] = set()
    featured: list[str] = []
    remixers: list[str] = []
    year: int | None = None
    qualifiers: set[str] = set()

    def absorb(segment: str) -> bool:
        nonlocal year
        verdict, found, feat, remixed, remaster_year = _classify(segment)
        if found and verdict == "drop":
            qualifiers.update(_qualifiers(segment, remixed))
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
    bare = _clean(" ".join(_BRACKETS.sub(" ", work).split())) if "(" in work else None
    if halves:
        halves = (_clean(halves[0]), _clean(halves[1]))
    return ParsedTitle(
        work=work,
        featured=tuple(featured),
        versions=frozenset(versions),
        remixers=tuple(remixers),
        remaster_year=year,
        halves=halves if halves and all(halves) else None,
        upload=frozenset(upload),
        qualifiers=frozenset(qualifiers),
        bare=bare if bare and bare != work else None,
    )


def _clean(text: str) -> str:
    return _TRAILING_NOISE.sub("", text.strip()).strip(" -–—|\"'“”")
