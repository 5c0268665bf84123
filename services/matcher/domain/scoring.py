"""Is this candidate the same recording as the source track? Scoring, explained, in batches.

Each feature adds a named contribution in log-odds (like beets' named distance penalties,
but additive), so every confidence can be explained feature by feature. Confidence is the
calibrated logistic of the sum. An equal ISRC from a catalog decides; from a user upload
(a video, whose ISRC came from its description) it is strong evidence, not a verdict.
Different ISRCs count against, but do not veto: the same recording carries different
ISRCs on different releases.

Speed: every case of a batch is scored at once. Each distinct string is read once
(cached title readings, credits and comparison keys); the string comparisons of all
pairs go to rapidfuzz's ``process.cpdist`` in C, the features are numpy columns, and
Python only touches the rare pairs that need more (scripts, typos, run-together credits,
featured artists).
"""

from __future__ import annotations

import gc
import math
import re
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import accumulate, chain, compress, repeat
from operator import attrgetter, is_, methodcaller, not_
from typing import Any, Literal, NamedTuple, TypeVar

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from services.kernel.contracts import Track, TrackDocument
from services.matcher.domain.normalise import (
    _ASCII_FOLD,
    _ASCII_JOINER_WORDS,
    _CHANNEL_ENDINGS,
    _one_artist,
    channel_artist,
    fold,
    is_artist_channel,
    is_latin,
    split_credits,
)
from services.matcher.domain.scripts import cross_script_similarity, romanise
from services.matcher.domain.titles import (
    _SPECIAL_CHARACTERS,
    _SPECIAL_WORDS,
    DIFFERENT_RECORDING,
    PLACEHOLDER,
    _needs_reading,
    _plain_base,
    parse_title,
    split_decorations,
)

Decision = Literal["auto", "review", "none"]
TrackLike = Track | TrackDocument

#: Log-odds weights. Tuned on the fitting part of the development set (tests/data/matcher).
BIAS = -1.0
TITLE_WEIGHT, TITLE_PIVOT = 16.0, 0.80
ARTIST_WEIGHT, ARTIST_PIVOT = 10.0, 0.70
UNKNOWN_ARTIST = -1.0
ALBUM_WEIGHT = 1.2
DURATION_AGREES = 0.3
VERSION_MISMATCH = -5.0
REMIXER_MISMATCH = -3.0
EDIT_MISMATCH = -0.5
EXPLICIT_MISMATCH = -4.5
ISRC_MISMATCH = -1.5
#: An equal ISRC on a user upload (read from its description): evidence, not proof.
ISRC_ON_UPLOAD = 2.0
VIDEO_KIND = -0.3
SONG_KIND = 0.2
POPULARITY_WEIGHT = 0.3
#: The artist's own release: a catalog song, a "- Topic"/"VEVO"/"Official" channel, or
#: an upload that says "official", when its artist is the source's.
OFFICIAL_UPLOAD = 0.8
#: A lyrics video from a channel that is not the artist's: a fan's copy at best.
FAN_LYRICS_UPLOAD = -2.0
#: The candidate's album is a compilation while the source names another album.
COMPILATION = -1.0
#: The source names a remaster year: the candidate's year agrees, or names another.
REMASTER_AGREES = 0.6
REMASTER_DIFFERS = -2.5
#: A title matched only once its kept brackets are dropped ("Hey (ah ah ah)" ~ "Hey")
#: counts as this much of a full match.
BARE_TITLE = 0.95
#: The version segments name another take, session or concert ("Take 8", "Live In Tokyo").
QUALIFIER_MISMATCH = -2.0
#: The candidate credits a featured artist the source does not have (another version).
EXTRA_ARTIST = -4.0
#: Platt scaling of the summed log-odds into a probability, fitted on the fitting part
#: of the development set by scripts/calibrate_matcher.py (slope 1, offset 0 = raw).
CALIBRATION_SLOPE = 3.031
CALIBRATION_OFFSET = -9.295

_NUMBERS = re.compile(r"\d+")
_COMPILATION = re.compile(
    r"\b(?:greatest hits|best of|the best of|hits of|now thats what i call|now \d+|"
    r"compilation|various artists|top \d+|\d+ (?:hits|songs|classics)|karaoke)\b"
)
_KINDS = {"song": 1, "video": 2}
_VERSION_BITS = {name: 1 << bit for bit, name in enumerate(sorted(DIFFERENT_RECORDING))}
_EDIT_BITS = {"radio_edit": 1 << 20, "extended": 1 << 21}
_DIFFERENT_MASK = sum(_VERSION_BITS.values())
_EDIT_MASK = sum(_EDIT_BITS.values())
_REMIX_BIT = _VERSION_BITS["remix"]


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


class Key(NamedTuple):
    """A text prepared for comparing: folded, its words sorted, its numbers."""

    original: str
    text: str
    words: tuple[str, ...]
    numbers: frozenset[str]
    #: Not in Latin letters: compare its readings too (``scripts.romanise``).
    latin: bool


def _one_key(original: str) -> Key:
    # ASCII (most texts) folds by table, without the cache of ``fold``.
    text = (
        " ".join(original.translate(_ASCII_FOLD).split()) if original.isascii() else fold(original)
    )
    return Key(
        original,
        text,
        tuple(sorted(text.split())),
        frozenset(_NUMBERS.findall(text)) if _DIGIT.search(text) else _NONE,
        text.isascii() or is_latin(text),
    )


_NONE: frozenset[str] = frozenset()
_DIGIT = re.compile(r"\d")
#: Distinct texts kept read between batches (then the caches start again).
_CACHED = 200_000
_keys: dict[str, Key] = {}


def key(text: str) -> Key:
    """The comparison key of a text, made once per distinct text."""
    found = _keys.get(text)
    if found is None:
        if len(_keys) >= _CACHED:
            _keys.clear()
        found = _keys[text] = _one_key(text)
    return found


#: ``_ASCII_FOLD`` as a byte table for a buffer of many texts joined by newlines: "&"
#: is replaced before (it grows), apostrophes are deleted, newlines kept.
_FOLD_BYTES = bytes(
    10 if code == 10 else (ord(_ASCII_FOLD[code]) if len(_ASCII_FOLD.get(code, "")) == 1 else 32)
    for code in range(256)
)


def _ascii_words(texts: list[str]) -> list[list[str]]:
    """``text.translate(_ASCII_FOLD).split()`` of each ASCII text without a newline: one
    translation of all of them joined (as bytes), then a split of each."""
    if not texts:
        return []
    joined = "\n".join(texts).replace("&", " and ").encode("ascii")
    return list(map(str.split, joined.translate(_FOLD_BYTES, b"'`").decode("ascii").split("\n")))


def _ascii_folds(texts: list[str]) -> list[str]:
    """``" ".join(text.translate(_ASCII_FOLD).split())`` of each ASCII text without a
    newline (``_ascii_words``)."""
    return list(map(" ".join, _ascii_words(texts)))


class Reading(NamedTuple):
    """One way to read a track: a title and the artists that go with it."""

    title: Key
    artists: frozenset[str]
    primary: str | None
    #: How much a title match through this reading counts (``BARE_TITLE``).
    weight: float = 1.0


_new_reading = partial(tuple.__new__, Reading)


class Prepared(NamedTuple):
    """A track read once for comparing many times: its text (title and credits, shared
    by every track with the same ones) and its own facts."""

    text: _Text
    album: Key | None
    compilation: bool
    duration_ms: int
    isrc: str | None
    #: -1 unknown, 0 clean, 1 explicit.
    explicit: int
    kind: int
    views: int
    official: bool


@lru_cache(maxsize=200_000)
def _artist_name(name: str) -> str:
    folded = fold(name)
    return folded[4:] if folded.startswith("the ") else folded


class _TitleFacts:
    """What a title string says, read once per distinct title."""

    __slots__ = (
        "bare",
        "explicit_hint",
        "featured",
        "featured_names",
        "halves",
        "lyrics",
        "mix",
        "official",
        "qualifiers",
        "remaster_year",
        "remixers",
        "shareable",
        "versions",
        "work",
    )

    def __init__(self, title: str) -> None:
        parsed = parse_title(title)
        #: Read from "\x00 (Live)": these facts hold for any plain title before "(Live)".
        self.shareable = (
            parsed.work == PLACEHOLDER
            and parsed.bare is None
            and parsed.halves is None
            and not any(PLACEHOLDER in name for name in (*parsed.featured, *parsed.remixers))
        )
        self.work = key(parsed.work)
        self.bare = key(parsed.bare) if parsed.bare else None
        self.halves = (
            (key(parsed.halves[0]), key(parsed.halves[1]), parsed.halves) if parsed.halves else None
        )
        (
            self.featured,
            self.versions,
            self.mix,
            self.remixers,
            self.remaster_year,
            self.qualifiers,
            self.lyrics,
            self.official,
            self.explicit_hint,
        ) = _version_facts(
            parsed.featured,
            parsed.versions,
            parsed.remixers,
            parsed.remaster_year,
            parsed.qualifiers,
            parsed.upload,
        )
        self.featured_names = tuple(_artist_name(name) for name in self.featured)


@lru_cache(maxsize=50_000)
def _version_facts(
    featured: tuple[str, ...],
    versions: frozenset[str],
    remixers: tuple[str, ...],
    remaster_year: int | None,
    qualifiers: frozenset[str],
    upload: frozenset[str],
) -> tuple[tuple[str, ...], int, str, frozenset[str], int, frozenset[str], bool, bool, bool | None]:
    """The comparable facts of a title's decorations, once per distinct decorations
    ("(Live)", "(feat. X)" and "- Remastered 2011" recur across titles)."""
    bits = 0
    for version in versions:
        bits |= _VERSION_BITS.get(version, 0) | _EDIT_BITS.get(version, 0)
    explicit = None
    if "clean" in versions:
        explicit = False
    if "explicit" in versions:
        explicit = True
    return (
        tuple(split_credits(list(featured))),
        bits,
        # "2025 Mix" vs "1995 Mix": another mix of the song, another recording.
        next((v for v in sorted(versions) if v.startswith("mix_")), ""),
        frozenset(fold(r) for r in split_credits(list(remixers))),
        remaster_year or 0,
        qualifiers,
        "lyrics" in upload,
        "official" in upload,
        explicit,
    )


def _title_facts(title: str) -> tuple[Key, _TitleFacts]:
    """What a title says: its work's key and its facts. A plain title, or a plain base
    before decorations seen on other titles ("(Live)"), is read without parsing it
    again: the facts are those of the decorations alone."""
    shared = split_decorations(title)
    if shared is not None and shared[0] != PLACEHOLDER:
        base, tail = shared
        template = _PLAIN if tail is None else _decorations(PLACEHOLDER + tail)
        if template.shareable:
            return key(base), template
    facts = _decorations(title)
    return facts.work, facts


@lru_cache(maxsize=50_000)
def _decorations(title: str) -> _TitleFacts:
    """``_TitleFacts`` once per distinct decorations ("\x00 (Live)") or unshared title."""
    return _TitleFacts(title)


_PLAIN = _TitleFacts(PLACEHOLDER)

TitleReading = tuple[Key, _TitleFacts]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
CreditReading = tuple[tuple[str, ...], tuple[str, ...], bool]


def _read_credits(artists: tuple[str, ...]) -> CreditReading:
    """Credited artists (channels read as their artist), their comparable names, and
    whether one is an artist's own channel."""
    plain = _plain_credits(artists)
    if plain is not None:
        credits, channel = tuple(plain), False
    else:
        credits = tuple(split_credits([channel_artist(a) for a in artists]))
        channel = any(is_artist_channel(a) for a in artists)
    return credits, tuple(_artist_name(name) for name in credits), channel


@lru_cache(maxsize=200_000)
def _names(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_artist_name(name) for name in names) - {""}


class _Text(NamedTuple):
    """The text of a track (title and credits) read for comparing, once per distinct
    (title, credits, is-a-video): many candidates repeat across cases. What the title
    alone says (versions, remixers, years...) is its ``facts``, shared by every title
    with the same decorations."""

    facts: _TitleFacts
    readings: tuple[Reading, ...]
    #: Who else the candidate credits beside its main artist: featured in the title,
    #: and the further credits of a catalog song (a video's artist field is its uploader).
    featured: frozenset[str]
    names: frozenset[str]
    official: bool
    lyrics: bool


_new_text = partial(tuple.__new__, _Text)


def _read_text(work: Key, facts: _TitleFacts, credits: CreditReading, video: bool) -> _Text:
    _, names, artist_channel = credits
    featured = facts.featured_names
    main = (names[0] if names else None) or None
    base = frozenset(names + featured) - _NO_NAME
    readings = [Reading(work, base, main)]
    if facts.bare:
        readings.append(Reading(facts.bare, base, main, BARE_TITLE))
    if facts.halves:
        first, second, (first_text, second_text) = facts.halves
        for part, other in ((second, first_text), (first, second_text)):
            extra = split_credits([other])
            primary = main or (_artist_name(extra[0]) if extra else None)
            readings.append(Reading(part, base | _names(tuple(extra)), primary or None))
    others = featured if video else featured + names[1:]
    return _Text(
        facts,
        tuple(readings),
        frozenset(others) - _NO_NAME if others else _NONE,
        base,
        artist_channel or facts.official,
        facts.lyrics and not artist_channel,
    )


def _plain_credits(artists: tuple[str, ...]) -> list[str] | None:
    """What ``_credits`` reads when every credit is plainly one ASCII artist (no joiner,
    no channel suffix), without its layers of regexes and caches; else None."""
    names: list[str] = []
    for artist in artists:
        stripped = artist.strip()
        if stripped.lower().endswith(_CHANNEL_ENDINGS) or not _one_artist(stripped):
            return None
        name = stripped.strip(" -()[]")
        if name:
            names.append(name)
    if len(names) > 1:
        names = _distinct_names(names)
    return names


def _distinct_names(names: list[str]) -> list[str]:
    seen: set[str] = set()
    return [n for n in names if not (n.casefold() in seen or seen.add(n.casefold()))]  # type: ignore[func-returns-value]


_NO_NAME = frozenset({""})

# -- reading many tracks at once ---------------------------------------------------------
#
# Each distinct title, credit list, album and text is read once and kept (until
# ``_CACHED`` of a kind are kept, then that kind starts again). The batch readers below
# give the same readings as the one-at-a-time ones, but take the common strings (ASCII,
# nothing to parse) in a few C passes over all of them: one regex tells a plain title or
# credit, and the folding of all their keys is one pass over a joined buffer.

_title_cache: dict[str, TitleReading] = {}
_credit_cache: dict[tuple[str, ...], CreditReading] = {}
_album_cache: dict[str, tuple[Key, bool]] = {}
_text_cache: dict[tuple[str, tuple[str, ...], bool], _Text] = {}


def _cached(cache: dict[K, V], wanted: list[K], read: Callable[[list[K]], dict[K, V]]) -> list[V]:
    """``cache[w]`` for each wanted item, the missing ones read together by ``read``."""
    found = list(map(cache.get, wanted))
    if None not in found:
        return found  # type: ignore[return-value]
    new = read(list(dict.fromkeys(compress(wanted, map(_IS_NONE, found)))))
    if len(cache) + len(new) > _CACHED:
        cache.clear()
    cache.update(new)
    # What was found, or else what was read (whatever the cache holds meanwhile).
    return list(map(new.get, wanted, found))  # type: ignore[arg-type]


_IS_NONE = partial(is_, None)


def _read_keys(texts: list[str]) -> dict[str, Key]:
    plain = [t for t in texts if t.isascii() and "\n" not in t]
    made = (
        {text: _one_key(text) for text in set(texts).difference(plain)}
        if len(plain) < len(texts)
        else {}
    )
    split = _ascii_words(plain)
    folded = list(map(" ".join, split))
    words = map(tuple, map(sorted, split))
    made.update(
        zip(
            plain,
            map(_new_key, zip(plain, folded, words, _numbers(folded), repeat(True))),
            strict=True,
        )
    )
    return made


def _numbers(texts: list[str]) -> list[frozenset[str]]:
    """The numbers of each text (without newlines), found in one search of all of them."""
    found: list[frozenset[str]] = [_NONE] * len(texts)
    joined = "\n".join(texts)
    if _DIGIT.search(joined) is None:
        return found
    starts = list(accumulate((len(text) + 1 for text in texts), initial=0))
    line, numbers = -1, set[str]()
    for match in _NUMBERS.finditer(joined):
        at = bisect_right(starts, match.start()) - 1
        if at != line:
            if numbers:
                found[line] = frozenset(numbers)
            line, numbers = at, set()
        numbers.add(match.group())
    if numbers:
        found[line] = frozenset(numbers)
    return found


_new_key = partial(tuple.__new__, Key)


def keys_of(texts: list[str]) -> list[Key]:
    """``key`` of each text."""
    return _cached(_keys, texts, _read_keys)


def _read_titles(titles: list[str]) -> dict[str, TitleReading]:
    """``_title_facts`` of each title; an ASCII title that is plain, or a plain base
    before decorations that can be shared, without ``split_decorations``' layers: where
    its decorations begin is found for all such titles at once (``_decorations_at``), and
    which of them (or of their bases) need a closer look (``_screened``)."""
    read: dict[str, TitleReading] = {}
    ascii_ = [t for t in titles if t.isascii() and PLACEHOLDER not in t and "\n" not in t]
    starts = _decorations_at(ascii_)
    # No special character: its own work, unless a word says otherwise.
    undecorated = [title for title, at in zip(ascii_, starts, strict=True) if at == -1]
    # The titles read here (the rest by ``_title_facts``), their works and templates.
    fast = [
        title
        for title, look in zip(undecorated, _screened(undecorated), strict=True)
        if not (look and _needs_reading(title))
    ]
    bases = [title.strip() or title for title in fast]
    templates = [_PLAIN] * len(fast)
    # A plain base before decorations: the decorations' facts, read once per distinct tail.
    decorated = [(title, at) for title, at in zip(ascii_, starts, strict=True) if at > 0]
    decorated_bases = [" ".join(title[:at].split()) for title, at in decorated]
    tails = _tail_templates
    tails_of = [title[at:] for title, at in decorated]
    for tail in dict.fromkeys(tails_of).keys() - tails.keys():
        if len(tails) >= _CACHED:
            tails.clear()
        tails[tail] = _decorations(PLACEHOLDER + tail)
    shared = list(map(tails.__getitem__, tails_of))
    flags = [
        bool(base) and template.shareable and not (look and not _plain_base(base))
        for base, look, template in zip(
            decorated_bases, _screened(decorated_bases), shared, strict=True
        )
    ]
    fast.extend(title for title, _ in compress(decorated, flags))
    bases.extend(compress(decorated_bases, flags))
    templates.extend(compress(shared, flags))
    for title in set(titles).difference(fast, read):
        read[title] = _title_facts(title)
    read.update(zip(fast, zip(keys_of(bases), templates, strict=True), strict=True))
    return read


#: Words that may make a title need reading (``titles._needs_reading``), or make a base
#: only a version word (``titles._VERSION_ONLY``: each of its phrases has one of these).
_SCREEN_WORDS = _SPECIAL_WORDS | {
    "nightcore",
    "karaoke",
    "sped",
    "slowed",
    "8d",
    "instrumental",
    "live",
}
#: What may be the rest of ``_needs_reading``'s and ``_plain_base``'s tests in lower-cased
#: ASCII texts (one a line): a special character, a last word like "1080p"
#: (``titles._RESOLUTION``), the stem of an upload word (``titles._UPLOAD_WORDS``).
_SCREEN_CHARACTERS = re.compile(
    "[" + re.escape("".join(sorted(c for c in _SPECIAL_CHARACTERS if c.isascii()))) + "]"
)
_SCREEN_RESOLUTION = re.compile(r"\dp[^\S\n]*$", re.MULTILINE)
_UPLOAD_STEMS = ("lyric", "letra", "testo", "paroles", "liryk", "offici", "ofici")


def _screened(texts: list[str]) -> list[bool]:
    """For ASCII texts without newlines: False where ``titles._needs_reading`` and
    ``titles._plain_base`` certainly find nothing to read (every test of theirs finds
    nothing), True where they may (then they decide), for all texts at once: one search
    over the texts joined, and one split for the words."""
    if not texts:
        return []
    lowered = "\n".join(texts).lower()
    found = [match.start() for match in _SCREEN_CHARACTERS.finditer(lowered)]
    found += [match.start() for match in _SCREEN_RESOLUTION.finditer(lowered)]
    for stem in _UPLOAD_STEMS:
        if stem in lowered:
            found += [match.start() for match in re.finditer(stem, lowered)]
    words = _SCREEN_WORDS.intersection(lowered.split())
    if words:
        alternatives = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
        found += [m.start() for m in re.finditer(rf"(?<!\S)(?:{alternatives})(?!\S)", lowered)]
    if not found:
        return [False] * len(texts)
    starts = np.zeros(len(texts), np.int64)
    np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts))[:-1] + 1, out=starts[1:])
    flags = np.zeros(len(texts), bool)
    flags[np.searchsorted(starts, found, "right") - 1] = True
    return flags.tolist()


_tail_templates: dict[str, _TitleFacts] = {}


def _byte_class(characters: str) -> np.ndarray:
    table = np.zeros(256, bool)
    table[[ord(c) for c in characters]] = True
    return table


#: ASCII white space as ``str.split`` and ``\s`` see it, but the newline (the separator).
_WHITE = _byte_class("".join(chr(c) for c in range(128) if chr(c).isspace() and c != 10))
_OPENING, _DASHES = _byte_class("([{"), _byte_class("-|")
#: What ``titles._needs_reading`` looks for first: a special character.
_SPECIAL = _byte_class("".join(c for c in _SPECIAL_CHARACTERS if c.isascii()))


def _decorations_at(titles: list[str]) -> list[int]:
    """For ASCII titles without newlines: where ``titles._DECORATIONS`` first matches
    in each (its start); -1 when a title has no special character at all (then only its
    words can make it need reading), -2 when it has one but no decoration.

    In numpy over all titles' bytes at once: a decoration begins at an opening bracket,
    or at "-", "|" or "//" with white space on both sides, and takes in the white space
    before it."""
    if not titles:
        return []
    data = np.frombuffer("\n".join(titles).encode("ascii"), np.uint8)
    size = len(data)
    starts = np.zeros(len(titles), np.int64)
    np.cumsum(np.fromiter(map(len, titles), np.int64, len(titles))[:-1] + 1, out=starts[1:])
    white = _WHITE[data]
    before = np.zeros(size, bool)
    before[1:] = white[:-1]
    after = np.zeros(size, bool)
    after[:-1] = white[1:]
    mark = _OPENING[data] | (_DASHES[data] & before & after)
    if size > 2:  # "//" at j: white space at j - 1 and j + 2
        mark[:-2] |= (data[:-2] == 47) & (data[1:-1] == 47) & before[:-2] & white[2:]
    found = np.full(len(titles), -1, np.int64)
    found[np.searchsorted(starts, np.flatnonzero(_SPECIAL[data]), "right") - 1] = -2
    marks = np.flatnonzero(mark)
    if len(marks):
        lines, first = np.unique(np.searchsorted(starts, marks, "right") - 1, return_index=True)
        at = marks[first]
        # The white space before a decoration is part of it: step back over it (a
        # character or two, for all decorations at once).
        begins = at.copy()
        while True:
            back = np.flatnonzero(begins > 0)
            back = back[white[begins[back] - 1]]
            if not len(back):
                break
            begins[back] -= 1
        found[lines] = begins - starts[lines]
    return found.tolist()


#: What keeps a credit from being plainly one artist (``_plain_credits``) by its
#: characters: not printable ASCII (tabs aside), or a joiner symbol.
_NOT_PLAIN_CHARACTER = re.compile(r"[^\t\n\x20-\x7e]|[,;/&+]")
#: A lower-cased credit (one a line) that ends like a channel name.
_CHANNEL_ENDING = re.compile(f"(?:{'|'.join(_CHANNEL_ENDINGS)})[\t ]*$", re.MULTILINE)
_NO_CREDITS: CreditReading = ((), (), False)


def _read_credit_lists(lists: list[tuple[str, ...]]) -> dict[tuple[str, ...], CreditReading]:
    """``_read_credits`` of each credit list. Lists whose every credit is plainly one
    ASCII artist (most) are read together: a few searches over all the credits joined
    tell them, and their names are folded in one pass (``_ascii_folds``); any other
    list is read by ``_read_credits``."""
    every = list(chain.from_iterable(lists))
    joined = "\n".join(every)
    if not every or joined.count("\n") != len(every) - 1:  # a credit holds a newline
        return {artists: _read_credits(artists) for artists in lists}
    found = [match.start() for match in _NOT_PLAIN_CHARACTER.finditer(joined)]
    # Lower-cased a letter for a letter ("İ" lowers into two): the offsets must hold.
    lowered = (joined if joined.isascii() else joined.encode("ascii", "replace").decode()).lower()
    found += [match.start() for match in _CHANNEL_ENDING.finditer(lowered)]
    # A joiner word anywhere in a credit (``_one_artist`` looks only at inner words: this
    # is stricter); first whether any credit has one at all, in one split.
    joiners = _ASCII_JOINER_WORDS.intersection(lowered.split())
    if joiners:
        words = "|".join(map(re.escape, sorted(joiners, key=len, reverse=True)))
        found += [match.start() for match in re.finditer(rf"(?<!\S)(?:{words})(?!\S)", lowered)]
    read: dict[tuple[str, ...], CreditReading] = {}
    plain = lists
    if found:
        starts = np.zeros(len(every), np.int64)
        np.cumsum(np.fromiter(map(len, every), np.int64, len(every))[:-1] + 1, out=starts[1:])
        sizes = np.fromiter(map(len, lists), np.int64, len(lists))
        other = np.zeros(len(lists), bool)
        other[
            np.repeat(np.arange(len(lists)), sizes)[np.searchsorted(starts, found, "right") - 1]
        ] = True
        flags = other.tolist()
        read.update((artists, _read_credits(artists)) for artists in compress(lists, flags))
        plain = list(compress(lists, map(not_, flags)))
    # One credit (most lists), two, and any other number.
    singles = [artists for artists in plain if len(artists) == 1]
    names, folded = _plain_names([artists[0] for artists in singles])
    read.update(
        zip(
            singles,
            [
                ((name,), (comparable,), False) if name else _NO_CREDITS
                for name, comparable in zip(names, folded, strict=True)
            ],
            strict=True,
        )
    )
    pairs = [artists for artists in plain if len(artists) == 2]
    names, folded = _plain_names(list(chain.from_iterable(pairs)))
    read.update(
        zip(
            pairs,
            [
                ((first, second), (first_folded, second_folded), False)
                if first and second and first.casefold() != second.casefold()
                else _plain_reading([first, second], [first_folded, second_folded])
                for first, second, first_folded, second_folded in zip(
                    names[::2], names[1::2], folded[::2], folded[1::2], strict=True
                )
            ],
            strict=True,
        )
    )
    more = [artists for artists in plain if len(artists) not in (1, 2)]
    names, folded = _plain_names(list(chain.from_iterable(more)))
    at = 0
    for artists in more:
        read[artists] = _plain_reading(
            names[at : at + len(artists)], folded[at : at + len(artists)]
        )
        at += len(artists)
    return read


def _plain_names(credits: list[str]) -> tuple[list[str], list[str]]:
    """What ``_plain_credits`` keeps of each plain credit (empty when nothing), and its
    ``_artist_name``, folded in one pass."""
    names = [credit.strip().strip(" -()[]") for credit in credits]
    return names, [text[4:] if text.startswith("the ") else text for text in _ascii_folds(names)]


def _plain_reading(names: list[str], folded: list[str]) -> CreditReading:
    """``_read_credits`` of plain credits from their ``_plain_names``: the non-empty
    names, the first of each spelling (case aside)."""
    seen: set[str] = set()
    kept = [
        (name, comparable)
        for name, comparable in zip(names, folded, strict=True)
        if name and not (name.casefold() in seen or seen.add(name.casefold()))  # type: ignore[func-returns-value]
    ]
    return tuple(name for name, _ in kept), tuple(comparable for _, comparable in kept), False


def _read_texts(
    triples: list[tuple[str, tuple[str, ...], bool]],
) -> dict[tuple[str, tuple[str, ...], bool], _Text]:
    titles = _cached(_title_cache, [title for title, _, _ in triples], _read_titles)
    credits = _cached(_credit_cache, [artists for _, artists, _ in triples], _read_credit_lists)
    read: dict[tuple[str, tuple[str, ...], bool], _Text] = {}
    # A title that adds nothing to its credits (no featured artist, one reading) reads
    # like any other of the same work and credits ("Song", "Song (Live)"): their
    # readings and artist sets are made once (all alive here, so ids are safe keys).
    shared: dict[tuple[int, int, bool], tuple[tuple[Reading, ...], frozenset[str], frozenset[str]]]
    shared = {}
    for triple, (work, facts), credit in zip(triples, titles, credits, strict=True):
        video = triple[2]
        if facts.bare is not None or facts.halves is not None or facts.featured_names:
            read[triple] = _read_text(work, facts, credit, video)
            continue
        parts = shared.get((id(work), id(credit), video))
        if parts is None:
            names = credit[1]
            base = frozenset(names) - _NO_NAME
            others = () if video else names[1:]
            parts = shared[(id(work), id(credit), video)] = (
                (_new_reading((work, base, (names[0] if names else None) or None, 1.0)),),
                frozenset(others) - _NO_NAME if others else _NONE,
                base,
            )
        channel = credit[2]
        read[triple] = _new_text(
            (facts, *parts, channel or facts.official, facts.lyrics and not channel)
        )
    return read


def _read_albums(albums: list[str]) -> dict[str, tuple[Key, bool]]:
    return {
        album: (found, bool(_COMPILATION.search(found.text)))
        for album, found in zip(albums, keys_of(albums), strict=True)
    }


def _credits(artists: tuple[str, ...]) -> CreditReading:
    """``_read_credits``, once per distinct credit list."""
    return _cached(_credit_cache, [artists], _read_credit_lists)[0]


def _text(title: str, artists: tuple[str, ...], video: bool) -> _Text:
    return _cached(_text_cache, [(title, artists, video)], _read_texts)[0]


def _album(album: str) -> tuple[Key, bool]:
    """An album's key, and whether it is a compilation."""
    return _cached(_album_cache, [album], _read_albums)[0]


def prepare(track: TrackLike) -> Prepared:
    """Read a track's title, credits and flags into comparable parts."""
    return prepare_many([track])[0]


_new_prepared = tuple.__new__


def prepare_many(tracks: Sequence[TrackLike]) -> list[Prepared]:
    """``prepare`` of each track, the strings of all of them read together (each
    distinct one once)."""
    return [_new_prepared(Prepared, row) for row in zip(*prepare_columns(tracks), strict=True)]


def prepare_columns(tracks: Sequence[TrackLike]) -> list[list[Any]]:
    """``prepare_many``, as ``Prepared``'s columns (what ``score_columns`` takes)."""
    credit_lists = [
        (raw,)
        if isinstance(raw, str)
        # Most lists have no empty credit to leave out: copied whole.
        else tuple(raw)
        if raw and "" not in raw
        else tuple(filter(None, raw or ()))
        for raw in map(_ARTISTS_OF, tracks)
    ]
    kinds = [_KINDS.get(kind or "", 0) for kind in map(_KIND_OF, tracks)] if tracks else []
    texts = _cached(
        _text_cache,
        list(zip(map(_TITLE_OF, tracks), credit_lists, [k == 2 for k in kinds], strict=True)),
        _read_texts,
    )
    named = [album for album in map(_ALBUM_OF, tracks) if album]
    found = iter(_cached(_album_cache, named, _read_albums))
    albums = [next(found) if album else _NO_ALBUM for album in map(_ALBUM_OF, tracks)]
    explicit = [
        (-1 if hint is None else int(hint)) if flag is None else int(flag)
        for flag, hint in zip(
            map(_EXPLICIT_OF, tracks), map(_HINT, map(_FACTS, texts)), strict=True
        )
    ]
    return [
        texts,
        [album for album, _ in albums],
        [compilation for _, compilation in albums],
        [int(duration or 0) for duration in map(_DURATION_OF, tracks)],
        [isrc.replace("-", "").upper() if isrc else None for isrc in map(_ISRC_OF, tracks)],
        explicit,
        kinds,
        [views or 0 for views in map(_VIEWS_OF, tracks)],
        [
            kind == 1 or official
            for kind, official in zip(kinds, map(_OFFICIAL, texts), strict=True)
        ],
    ]


_NO_ALBUM = (None, False)
_TITLE_OF, _ARTISTS_OF = attrgetter("title"), attrgetter("artists")
_KIND_OF, _ALBUM_OF = attrgetter("kind"), attrgetter("album")
_EXPLICIT_OF, _HINT = attrgetter("explicit"), attrgetter("explicit_hint")
_DURATION_OF, _ISRC_OF = attrgetter("duration_ms"), attrgetter("isrc")
_VIEWS_OF, _OFFICIAL = attrgetter("views"), attrgetter("official")


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is read and scored: it makes millions
    of small objects that are all alive until the batch ends, and the collector would
    only re-scan them (and the caches) over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- string similarity ---------------------------------------------------------------


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


def _text_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    similarity = 0.5 * fuzz.ratio(a, b) / 100 + 0.5 * _token_f1(a, b)
    if set(_NUMBERS.findall(a)) != set(_NUMBERS.findall(b)):
        similarity *= 0.6
    return similarity


def title_similarity(a: str, b: str) -> float:
    """0..1: characters and words must both agree; different numbers are different works.
    Text in another script is also compared by its Latin readings."""
    similarity = _text_similarity(a, b)
    if similarity < 1.0 and not (is_latin(a) and is_latin(b)):
        for left in romanise(a):
            for right in romanise(b):
                similarity = max(similarity, _text_similarity(left, right))
    return similarity


def _name_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    similarity = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100
    if similarity < 1.0 and not (is_latin(a) and is_latin(b)):
        similarity = max(similarity, cross_script_similarity(a, b))
    return similarity


def _name_similarities(left: Sequence[str], right: Sequence[str]) -> np.ndarray:
    """``_name_similarity`` of each pair, in C for names in Latin letters."""
    ratio = process.cpdist(left, right, scorer=fuzz.ratio, dtype=np.float32)
    ordered = process.cpdist(left, right, scorer=fuzz.token_sort_ratio, dtype=np.float32)
    result: np.ndarray = np.maximum(ratio, ordered).astype(np.float64) / 100
    for index in np.flatnonzero(result < 1.0).tolist():
        a, b = left[index], right[index]
        if not (a.isascii() and b.isascii()):
            result[index] = _name_similarity(a, b)
    return result


def _run_together(source: frozenset[str], candidate: frozenset[str]) -> frozenset[str]:
    """Credits run together without separators ("tainy anuel aa ozuna"): read as the
    source's artists when that one credit holds two or more of them, word for word."""
    for name in sorted(candidate):  # the first found: not as the set's hashes order it
        padded = f" {name} "
        inside = [s for s in source if s != name and f" {s} " in padded]
        if len(inside) >= 2:
            rest = padded
            for s in sorted(inside, key=len, reverse=True):
                rest = rest.replace(f" {s} ", " ")
            return (candidate - {name}) | frozenset(inside) | ({rest.strip()} - {""})
    return candidate


def artist_similarity(
    primary: str | None, source: frozenset[str], candidate: frozenset[str]
) -> float | None:
    """0..1, set-wise: the source's main artist must be among the candidate's artists;
    the other credited artists count for less."""
    if not source or not candidate or primary is None:
        return None
    if primary in candidate and source <= candidate:
        return 1.0
    if len(source) >= 2:
        candidate = _run_together(source, candidate)
        if primary in candidate and source <= candidate:
            return 1.0
    best = [
        1.0 if name in candidate else max(_name_similarity(name, other) for other in candidate)
        for name in source
    ]
    main = 1.0 if primary in candidate else max(_name_similarity(primary, o) for o in candidate)
    # Summed exactly (``fsum``): a set's order of iteration follows its strings' hashes,
    # which differ between processes (PYTHONHASHSEED), and a plain sum follows that order.
    similarity = 0.6 * main + 0.4 * math.fsum(best) / len(best)
    if len(candidate) >= 2 and len(candidate) < len(source):
        # Classical credits: the candidate names the orchestra and conductor, not the composer.
        names = [max(_name_similarity(name, other) for other in source) for name in candidate]
        similarity = max(similarity, math.fsum(names) / len(names))
    return similarity


_artist_cache: dict[tuple[str | None, frozenset[str], frozenset[str]], float | None] = {}


def _artists(source: Reading, candidate: Reading) -> float:
    """``artist_similarity`` of two readings, NaN when unknown; memoised."""
    cache_key = (source.primary, source.artists, candidate.artists)
    found = _artist_cache.get(cache_key, -1.0)
    if found == -1.0:
        if len(_artist_cache) > 200_000:
            _artist_cache.clear()
        found = artist_similarity(*cache_key)
        _artist_cache[cache_key] = found
    return math.nan if found is None else found


def _extra_artists(source: _Text, candidate: _Text) -> int:
    """How many artists the candidate features that the source does not credit at all."""
    known = source.names | source.featured
    return sum(
        1
        for name in candidate.featured - known
        if not known or max(_name_similarity(name, other) for other in known) < 0.85
    )


# -- batch scoring ---------------------------------------------------------------------


def _duration(delta_s: np.ndarray, known: np.ndarray) -> np.ndarray:
    """A few seconds are nothing; tens of seconds are a different edit (or a video intro)."""
    part = np.where(
        delta_s <= 3,
        DURATION_AGREES,
        np.where(
            delta_s <= 10, -0.15 * (delta_s - 3), np.maximum(-6.0, -1.05 - 0.12 * (delta_s - 10))
        ),
    )
    return np.where(known, part, 0.0)


#: Feature columns, in explanation order.
FEATURES = (
    "bias",
    "title",
    "artists",
    "album",
    "duration",
    "version",
    "remixer",
    "edit",
    "explicit",
    "isrc",
    "kind",
    "popularity",
    "uploader",
    "compilation",
    "remaster",
    "mix",
    "qualifier",
    "extra_artist",
)


class Batch:
    """Scores of many cases at once: a contribution per feature per candidate."""

    def __init__(
        self,
        logits: np.ndarray,
        confidence: np.ndarray,
        parts: np.ndarray,
        values: list[np.ndarray | list[object]] | None,
        applies: np.ndarray,
        decided: np.ndarray,
        bounds: list[int],
    ) -> None:
        self.logits = logits
        self.confidence = confidence
        self.parts = parts
        self.values = values
        self.applies = applies
        self.decided = decided
        self.bounds = bounds
        self._order: np.ndarray | None = None

    def ranking(self, case: int) -> tuple[np.ndarray, np.ndarray]:
        """Candidate indices of a case, best first (earlier ones win ties), and their
        confidences."""
        low, high = self.bounds[case], self.bounds[case + 1]
        order = self.order()[low:high] - low
        return order, self.confidence[low:high][order]

    def order(self) -> np.ndarray:
        """Every case's candidates best first (flat indices, case by case), sorted once
        for the whole batch."""
        if self._order is None:
            # By log-odds, not by the rounded confidence: near-certain candidates still
            # differ. A stable sort within each case: earlier candidates win ties.
            strength = np.where(self.decided, np.inf, self.logits)
            cases = np.repeat(np.arange(len(self.bounds) - 1), np.diff(self.bounds))
            self._order = np.lexsort((-strength, cases))
        return self._order

    def explain(self, case: int, index: int) -> tuple[Contribution, ...]:
        """The named contributions behind one candidate's confidence."""
        flat = self.bounds[case] + index
        if self.decided[flat]:
            return (Contribution("isrc", "equal", math.inf),)
        if self.values is None:
            raise ValueError("this batch was scored without explain=True")
        found = []
        for column, name in enumerate(FEATURES):
            if self.applies[flat, column]:
                value = self.values[column][flat]
                if isinstance(value, np.floating | np.integer):
                    value = round(float(value), 3)
                found.append(
                    Contribution(name, value, round(float(self.parts[flat, column]), 3))  # type: ignore[arg-type]
                )
        return tuple(found)

    def score(self, case: int, index: int, explain: bool = False) -> Score:
        """One candidate's ``Score``."""
        flat = self.bounds[case] + index
        return Score(float(self.confidence[flat]), self.explain(case, index) if explain else ())


Values = np.ndarray | list[object] | Callable[[], np.ndarray | list[object]]


_TEXT, _NUMBERS_OF, _LATIN = attrgetter("text"), attrgetter("numbers"), attrgetter("latin")
_SPACES_IN, _WORDS = methodcaller("count", " "), attrgetter("words")


class _Keys:
    """The distinct comparison keys of a batch (by folded text), numbered."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.keys: list[Key] = []
        self._numbers: dict[frozenset[str], int] = {_NONE: 0}
        self._columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = (
            None
        )

    def ids_of(self, found: Sequence[Key]) -> np.ndarray:
        """``id`` of each key, in one pass."""
        ids = self.ids
        texts = list(map(_TEXT, found))
        fresh = [text for text in dict.fromkeys(texts) if text not in ids]
        if fresh:
            ids.update(zip(fresh, range(len(ids), len(ids) + len(fresh)), strict=True))
            # Keys of one text are alike whatever text they were folded from.
            by_text = dict(zip(texts, found, strict=True))
            self.keys.extend(map(by_text.__getitem__, fresh))
        return np.fromiter(map(ids.__getitem__, texts), np.int64, len(texts))

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Texts, word tuples (object arrays), numbers' ids, in Latin letters, empty;
        made once, when every key of the batch is numbered."""
        if self._columns is not None and len(self._columns[0]) == len(self.keys):
            return self._columns
        keys = self.keys
        texts = np.fromiter(map(_TEXT, keys), dtype=object, count=len(keys))
        # Tuples as objects (np.array would make a 2-D array of words).
        words = np.fromiter(map(_WORDS, keys), dtype=object, count=len(keys))
        numbers = self._numbers
        # Numbered in order of first appearance; hashed once per distinct set (most
        # keys have none: they share ``_NONE``).
        found = list(map(_NUMBERS_OF, keys))
        for distinct in dict.fromkeys(found):
            numbers.setdefault(distinct, len(numbers))
        number_ids = np.fromiter(map(numbers.__getitem__, found), np.int64, len(found))
        latin = np.fromiter(map(_LATIN, keys), bool, len(keys))
        empty = texts == ""
        self._columns = texts, words, number_ids, latin, empty
        return self._columns


def _key_similarities(keys: _Keys, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``title_similarity`` of each pair of key ids (left[i], right[i]), in C for the
    common case; Python only for near titles (word typos) and other scripts."""
    result = np.ones(len(left))
    if not len(left):
        return result
    texts, words, numbers, latin, empty = keys.columns()
    result[empty[left]] = 0.0
    # Keys are distinct by text: equal ids are equal texts (1.0, or 0.0 when empty).
    todo = np.flatnonzero(left != right)
    if not len(todo):
        return result
    lefts, rights = left[todo], right[todo]
    ratio = process.cpdist(texts[lefts], texts[rights], scorer=fuzz.ratio, dtype=np.float32)
    shared = process.cpdist(
        words[lefts], words[rights], scorer=Indel.normalized_similarity, dtype=np.float32
    )
    part = 0.005 * ratio.astype(np.float64) + 0.5 * shared
    part[numbers[lefts] != numbers[rights]] *= 0.6
    blank = empty[lefts] | empty[rights]
    # Nothing in common (part 0) between Latin texts stays 0: no word can be a typo of
    # another without a shared letter.
    redo = ((shared < 1) & (ratio >= 60)) | ~(latin[lefts] & latin[rights])
    for offset in np.flatnonzero(redo & ~blank).tolist():
        part[offset] = title_similarity(texts[lefts[offset]], texts[rights[offset]])
    part[blank] = 0.0
    result[todo] = part
    return result


def _in_order(artists: frozenset[str]) -> tuple[str, ...]:
    """A set's names sorted: their sums and positions then do not depend on the set's
    order of iteration, which follows the strings' hashes (PYTHONHASHSEED)."""
    return tuple(sorted(artists))


class _Credits:
    """The distinct artist sets of a batch and their names, numbered."""

    def __init__(self) -> None:
        self.ids: dict[frozenset[str], int] = {}
        self.sets: list[frozenset[str]] = []
        self.orders: list[tuple[str, ...]] = []
        self.name_ids: dict[str, int] = {}
        self.names: list[str] = []
        self.name_array = np.zeros(0, dtype=object)
        self._columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = (
            None
        )

    def id(self, artists: frozenset[str]) -> int:
        number = self.ids.get(artists)
        if number is None:
            number = self.ids[artists] = len(self.sets)
            self.sets.append(artists)
            self.orders.append(_in_order(artists))
        return number

    def ids_of(self, found: Iterable[frozenset[str]]) -> list[int]:
        """``id`` of each set, in one pass: new sets numbered in order of first
        appearance (as one ``id`` call each would)."""
        ids = self.ids
        found = list(found)
        new = [artists for artists in dict.fromkeys(found) if artists not in ids]
        if new:
            ids.update(zip(new, range(len(ids), len(ids) + len(new)), strict=True))
            self.sets.extend(new)
            self.orders.extend(map(tuple, map(sorted, new)))  # ``_in_order`` of each
        return list(map(ids.__getitem__, found))

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per set: first name's offset in the flat name ids, size, all ASCII, fewest
        and most spaces in a name; and the flat name ids. Made once, when every set of
        the batch is numbered."""
        if self._columns is not None and len(self._columns[1]) == len(self.sets):
            return self._columns
        ids = self.name_ids
        every = list(chain.from_iterable(self.orders))
        fresh = [name for name in dict.fromkeys(every) if name not in ids]
        ids.update(zip(fresh, range(len(ids), len(ids) + len(fresh)), strict=True))
        self.names.extend(fresh)
        self.name_array = np.array(self.names, dtype=object)
        sizes = np.array(list(map(len, self.orders)), dtype=np.int64)
        offsets = np.zeros(len(sizes), np.int64)
        np.cumsum(sizes[:-1], out=offsets[1:])
        named = self.names
        flat_ids = np.fromiter(map(ids.__getitem__, every), np.int64, len(every))
        # Per name, then per set (a sentinel after the last name serves empty sets).
        ascii_ = np.array([*map(str.isascii, named), True], dtype=bool)
        spaces = np.array([*map(_SPACES_IN, named), 0], dtype=np.int64)
        ends = np.append(flat_ids, len(named))
        at = np.minimum(offsets, len(every))
        if len(sizes):
            all_ascii = np.logical_and.reduceat(ascii_[ends], at) | (sizes == 0)
            fewest = np.where(sizes > 0, np.minimum.reduceat(spaces[ends], at), 0)
            most = np.where(sizes > 0, np.maximum.reduceat(spaces[ends], at), 0)
        else:
            all_ascii = np.zeros(0, bool)
            fewest = most = np.zeros(0, np.int64)
        self._columns = offsets, sizes, all_ascii, np.stack([fewest, most]), flat_ids
        return self._columns


def _segments(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For segments of these sizes laid end to end: each element's segment, its place
    within it, and each segment's start."""
    starts = np.zeros(len(sizes), np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    owner = np.repeat(np.arange(len(sizes)), sizes)
    return owner, np.arange(len(owner)) - starts[owner], starts


def _best_of(
    credits: _Credits, left_sets: np.ndarray, right_sets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For rows of two non-empty sets of ASCII names: each left name's best
    ``_name_similarity`` among the right names (in one rapidfuzz call for all rows), and
    where each row's left names start."""
    offsets, sizes, _, _, names = credits.columns()
    ls, rs = sizes[left_sets], sizes[right_sets]
    owner, place, _ = _segments(ls * rs)
    across = rs[owner]
    text = credits.name_array
    a = text[names[offsets[left_sets][owner] + place // across]]
    b = text[names[offsets[right_sets][owner] + place % across]]
    similarity = (
        np.maximum(
            process.cpdist(a, b, scorer=fuzz.ratio, dtype=np.float64),
            process.cpdist(a, b, scorer=fuzz.token_sort_ratio, dtype=np.float64),
        )
        / 100
    )
    return np.maximum.reduceat(similarity, _segments(np.repeat(rs, ls))[2]), _segments(ls)[2]


def _artist_similarities(
    credits: _Credits,
    source_sets: np.ndarray,
    primaries: np.ndarray,
    candidate_sets: np.ndarray,
    fallback: Callable[[int], float],
) -> np.ndarray:
    """``artist_similarity`` of each row (source set, its primary's position, candidate
    set), NaN when unknown: set-wise in numpy over the name pairs of all rows at once;
    ``fallback(row)`` in Python for names in other scripts, credits that may run
    together and classical credits."""
    rows = len(source_sets)
    result = np.full(rows, np.nan)
    if not rows:
        return result
    offsets, sizes, ascii_, words, names = credits.columns()
    left_size, right_size = sizes[source_sets], sizes[candidate_sets]
    known = np.flatnonzero((left_size > 0) & (right_size > 0) & (primaries >= 0))
    for row in np.flatnonzero(primaries == -2).tolist():
        result[row] = fallback(row)
    if not len(known):
        return result
    ls, rs = left_size[known], right_size[known]
    # Every source name against every candidate name, row by row, source name major.
    owner, place, _ = _segments(ls * rs)
    across = rs[owner]
    left_names = names[offsets[source_sets[known]][owner] + place // across]
    right_names = names[offsets[candidate_sets[known]][owner] + place % across]
    equal = (left_names == right_names).astype(np.int8)
    pair_starts = _segments(ls * rs)[2]
    # Per (row, source name): whether the candidate has it.
    per_name = np.maximum.reduceat(equal, _segments(np.repeat(rs, ls))[2])
    name_starts = _segments(ls)[2]
    subset = np.minimum.reduceat(per_name, name_starts) > 0
    has_primary = per_name[name_starts + primaries[known]] > 0
    whole = subset & has_primary
    result[known[whole]] = 1.0
    single = ~whole & (ls == 1) & (rs == 1)
    if single.any():
        pairs = pair_starts[single]
        result[known[single]] = _name_similarities(
            credits.name_array[left_names[pairs]], credits.name_array[right_names[pairs]]
        )
    rest = ~whole & ~single
    plain = (
        rest
        & ascii_[source_sets[known]]
        & ascii_[candidate_sets[known]]
        # Run together: a candidate credit longer than a source name may hold several.
        & ((ls < 2) | (words[1][candidate_sets[known]] <= words[0][source_sets[known]]))
        # Classical credits are compared both ways.
        & ~((rs >= 2) & (rs < ls))
    )
    for row in np.flatnonzero(rest & ~plain).tolist():
        result[known[row]] = fallback(int(known[row]))
    if plain.any():
        chosen = known[plain]
        best, starts = _best_of(credits, source_sets[chosen], candidate_sets[chosen])
        main = best[starts + primaries[chosen]]
        total = np.add.reduceat(best, starts)
        result[chosen] = 0.6 * main + 0.4 * total / ls[plain]
    return result


def _extra_counts(
    credits: _Credits,
    featured: np.ndarray,
    known: np.ndarray,
    fallback: Callable[[int], int],
) -> np.ndarray:
    """``_extra_artists`` of each row (the candidate's featured set, all the source's
    artists): featured names with no close source name, counted in numpy;
    ``fallback(row)`` in Python for names in other scripts."""
    _, sizes, ascii_, _, _ = credits.columns()
    counts = np.where(sizes[known] == 0, sizes[featured], 0).astype(np.float64)
    plain = (sizes[known] > 0) & ascii_[featured] & ascii_[known]
    if plain.any():
        best, starts = _best_of(credits, featured[plain], known[plain])
        counts[plain] = np.add.reduceat((best < 0.85).astype(np.float64), starts)
    for row in np.flatnonzero((sizes[known] > 0) & ~plain).tolist():
        counts[row] = fallback(row)
    return counts


_READINGS, _TITLE, _WEIGHT = attrgetter("readings"), attrgetter("title"), attrgetter("weight")
_FACTS, _FEATURED, _LYRICS = attrgetter("facts"), attrgetter("featured"), attrgetter("lyrics")
_ARTISTS, _PRIMARY = attrgetter("artists"), attrgetter("primary")


def score_batch(
    cases: Sequence[tuple[Prepared, Sequence[Prepared]]], explain: bool = False
) -> Batch:
    """Score every candidate of every case (source, candidates), all at once; with
    ``explain``, also keep what each feature saw (for ``Batch.explain``).

    Each distinct text (title and credits), key and artist set of the batch is numbered
    once; the pairs are index arrays into them, so the string comparisons of all pairs
    go to rapidfuzz in a few calls and the features are numpy columns."""
    counts = [len(candidates) for _, candidates in cases]
    tracks = [source for source, _ in cases]
    for _, candidates in cases:
        tracks.extend(candidates)
    column: list[Sequence[Any]] = (
        list(zip(*tracks, strict=True)) if tracks else [[] for _ in Prepared._fields]
    )
    return score_columns(column, counts, explain)


def score_columns(
    column: Sequence[Sequence[Any]], counts: Sequence[int], explain: bool = False
) -> Batch:
    """``score_batch`` of tracks given as ``Prepared``'s columns (each a sequence over
    the tracks: the sources of the cases, then every case's candidates, case by case),
    with how many candidates each case has."""
    cases = range(len(counts))
    bounds = [0, *accumulate(counts)]
    total = bounds[-1]
    case_of = np.repeat(np.arange(len(cases), dtype=np.int64), counts)
    src = case_of  # a pair's source: the track at its case's number
    cand = np.arange(len(cases), len(cases) + total, dtype=np.int64)

    # Distinct texts, their readings, keys and artist sets, numbered.
    keys, credits = _Keys(), _Credits()
    isrcs: dict[str | None, int] = {None: 0}
    by_id = dict(zip(map(id, column[0]), column[0], strict=True))
    texts: list[_Text] = list(by_id.values())
    text_ids = dict(zip(by_id, range(len(texts)), strict=True))
    count = len(column[0])

    def ints(values: Iterable[object]) -> np.ndarray:
        return np.fromiter(values, np.int64, count)

    text_of = ints(map(text_ids.__getitem__, map(id, column[0])))
    albums = [album for album in column[1] if album is not None]
    album_of = np.full(count, -1, np.int64)
    if albums:
        album_of[[album is not None for album in column[1]]] = keys.ids_of(albums)
    compilation_of = np.fromiter(column[2], bool, count)
    duration = np.fromiter(column[3], np.float64, count)
    for isrc in dict.fromkeys(column[4]):  # numbered once each (most tracks have none)
        isrcs.setdefault(isrc, len(isrcs))
    isrc_of = ints(map(isrcs.__getitem__, column[4]))
    explicit_of, kind_of, views_of = ints(column[5]), ints(column[6]), ints(column[7])
    official_of = np.fromiter(column[8], bool, count)
    every_reading = [reading for text in texts for reading in text.readings]
    reading_count = list(map(len, map(_READINGS, texts)))
    titles = keys.ids_of(list(map(_TITLE, every_reading)))
    weights = np.fromiter(map(_WEIGHT, every_reading), np.float64, len(every_reading))
    set_ids = credits.ids_of(map(_ARTISTS, every_reading))
    orders = credits.orders
    sets = np.array(set_ids, dtype=np.int64)
    primaries = np.array(
        [
            -1 if primary is None else (order.index(primary) if primary in order else -2)
            for primary, order in zip(
                map(_PRIMARY, every_reading), [orders[i] for i in set_ids], strict=True
            )
        ],
        dtype=np.int64,
    )
    readings_of = np.array(reading_count, dtype=np.int64)
    first_reading = np.zeros(len(texts), np.int64)
    np.cumsum(readings_of[:-1], out=first_reading[1:])

    # Every reading of the source against every reading of the candidate; the best pair
    # (by title and artists) stands for the candidate.
    src_text, cand_text = text_of[src], text_of[cand]
    # Featured artists of candidates, and all the artists of their sources
    # (``_extra_artists``), numbered with the other sets before they are compared.
    featuring = np.fromiter(map(bool, map(_FEATURED, texts)), bool, len(texts))
    # What the titles alone say, once per distinct decorations.
    every_facts = list(map(_FACTS, texts))
    facts_ids = {id(facts): facts for facts in every_facts}
    facts = list(facts_ids.values())
    facts_number = dict(zip(facts_ids, range(len(facts)), strict=True))
    facts_of = np.fromiter(
        map(facts_number.__getitem__, map(id, every_facts)), np.int64, len(texts)
    )
    extra_rows = np.flatnonzero(featuring[cand_text])
    # Numbered in one pass each (in the order one ``credits.id`` call each would).
    featuring_texts = list(set(cand_text[extra_rows].tolist()))
    featured_set = dict(
        zip(
            featuring_texts,
            credits.ids_of([texts[t].featured for t in featuring_texts]),
            strict=True,
        )
    )
    source_texts = list(set(src_text[extra_rows].tolist()))
    known_set = dict(
        zip(
            source_texts,
            credits.ids_of([texts[t].names | texts[t].featured for t in source_texts]),
            strict=True,
        )
    )
    across = readings_of[cand_text]
    owner, place, starts = _segments(readings_of[src_text] * across)
    left = first_reading[src_text][owner] + place // across[owner]
    right = first_reading[cand_text][owner] + place % across[owner]
    title_all = _key_similarities(keys, titles[left], titles[right]) * (
        weights[left] * weights[right]
    )

    def fallback(row: int) -> float:
        return _artists(every_reading[int(left[row])], every_reading[int(right[row])])

    artist_all = _artist_similarities(credits, sets[left], primaries[left], sets[right], fallback)
    combined = TITLE_WEIGHT * title_all + ARTIST_WEIGHT * np.nan_to_num(artist_all, nan=0.0)
    best = starts.copy()
    if len(owner) > total:
        # The first best row of each pair.
        peak = np.maximum.reduceat(combined, starts)
        at_peak = np.flatnonzero(combined == peak[owner])
        _, first = np.unique(owner[at_peak], return_index=True)
        best = at_peak[first]
    title = title_all[best] if total else np.zeros(0)
    artist = artist_all[best] if total else np.zeros(0)

    parts = np.zeros((total, len(FEATURES)))
    applies = np.zeros((total, len(FEATURES)), dtype=bool)
    values: list[np.ndarray | list[object]] = [[] for _ in FEATURES]

    def put(name: str, part: np.ndarray, where: np.ndarray, value: Values) -> None:
        """One feature's column; its shown values are made only when explaining."""
        index = FEATURES.index(name)
        parts[:, index] = np.where(where, part, 0.0)
        applies[:, index] = where
        if explain:
            values[index] = value() if callable(value) else value

    everywhere = np.ones(total, dtype=bool)
    put("bias", np.full(total, BIAS), everywhere, [None] * total)
    put("title", TITLE_WEIGHT * (title - TITLE_PIVOT), everywhere, np.round(title, 3))
    known_artist = ~np.isnan(artist)
    put(
        "artists",
        np.where(
            known_artist, ARTIST_WEIGHT * (np.nan_to_num(artist) - ARTIST_PIVOT), UNKNOWN_ARTIST
        ),
        everywhere,
        lambda: [None if math.isnan(a) else round(a, 3) for a in artist.tolist()],
    )

    # Album: both named.
    src_album, cand_album = album_of[src], album_of[cand]
    has_album = (src_album >= 0) & (cand_album >= 0)
    album = np.zeros(total)
    album[has_album] = _key_similarities(keys, src_album[has_album], cand_album[has_album])
    put("album", ALBUM_WEIGHT * (album - 0.5), has_album, np.round(album, 3))

    src_duration, cand_duration = duration[src], duration[cand]
    known = (src_duration > 0) & (cand_duration > 0)
    delta = np.abs(src_duration - cand_duration) / 1000
    put("duration", _duration(delta, known), known, np.round(delta, 1))

    versions_of = np.fromiter((f.versions for f in facts), np.int64, len(facts))[facts_of][text_of]
    src_versions, cand_versions = versions_of[src], versions_of[cand]
    different = (src_versions ^ cand_versions) & _DIFFERENT_MASK
    mismatches = np.zeros(total)
    for bit in _VERSION_BITS.values():
        mismatches += (different & bit) > 0
    names = {bit: name for name, bit in _VERSION_BITS.items()}
    put(
        "version",
        np.maximum(-10.0, VERSION_MISMATCH * mismatches),
        mismatches > 0,
        lambda: [
            ",".join(sorted(n for bit, n in names.items() if d & bit)) if d else None
            for d in different.tolist()
        ],
    )
    remixer = np.zeros(total, dtype=bool)
    remixer_names: list[object] = [None] * total
    for i in np.flatnonzero((mismatches == 0) & ((src_versions & _REMIX_BIT) > 0)).tolist():
        src_remixers = texts[src_text[i]].facts.remixers
        cand_remixers = texts[cand_text[i]].facts.remixers
        if src_remixers and cand_remixers and not src_remixers & cand_remixers:
            remixer[i] = True
            remixer_names[i] = ",".join(sorted(cand_remixers))
    put("remixer", np.full(total, REMIXER_MISMATCH), remixer, remixer_names)
    edits = ((src_versions ^ cand_versions) & _EDIT_MASK) > 0
    put("edit", np.full(total, EDIT_MISMATCH), edits, ["radio_edit/extended"] * total)

    src_explicit, cand_explicit = explicit_of[src], explicit_of[cand]
    explicit = (src_explicit >= 0) & (cand_explicit >= 0) & (src_explicit != cand_explicit)
    put("explicit", np.full(total, EXPLICIT_MISMATCH), explicit, ["differs"] * total)

    kind = kind_of[cand]
    src_isrc, cand_isrc = isrc_of[src], isrc_of[cand]
    isrc_state = np.where(
        (src_isrc == 0) | (cand_isrc == 0), 0, np.where(src_isrc == cand_isrc, 2, 1)
    )
    decided = (isrc_state == 2) & (kind != 2)
    upload_isrc = (isrc_state == 2) & (kind == 2)
    put(
        "isrc",
        np.where(upload_isrc, ISRC_ON_UPLOAD, ISRC_MISMATCH),
        isrc_state > 0,
        lambda: ["equal, on an upload" if u else "differs" for u in upload_isrc.tolist()],
    )
    put(
        "kind",
        np.where(kind == 2, VIDEO_KIND, SONG_KIND),
        kind > 0,
        lambda: [{1: "song", 2: "video"}.get(k) for k in kind.tolist()],
    )
    views = views_of[cand].astype(np.float64)
    put(
        "popularity",
        POPULARITY_WEIGHT * np.minimum(1.0, np.log10(views + 1) / 9),
        views > 0,
        views.astype(np.int64),
    )

    # Equivalent uploads: whose copy is it?
    same_artist = np.nan_to_num(artist) >= 0.8
    official = official_of[cand] & same_artist
    lyrics = np.fromiter(map(_LYRICS, texts), bool, len(texts))[cand_text]
    put(
        "uploader",
        np.where(lyrics, FAN_LYRICS_UPLOAD, OFFICIAL_UPLOAD),
        official | lyrics,
        lambda: ["fan lyrics upload" if f else "official" for f in lyrics.tolist()],
    )
    compilation = (compilation_of[cand] & ~compilation_of[src] & has_album) & (album < 0.9)
    put("compilation", np.full(total, COMPILATION), compilation, ["compilation"] * total)
    year_of = np.fromiter((f.remaster_year for f in facts), np.float64, len(facts))[facts_of]
    src_year, cand_year = year_of[src_text], year_of[cand_text]
    remaster = (src_year > 0) & (cand_year > 0)
    put(
        "remaster",
        np.where(src_year == cand_year, REMASTER_AGREES, REMASTER_DIFFERS),
        remaster,
        cand_year.astype(np.int64),
    )
    mixes: dict[str, int] = {"": 0}
    mix_of = np.fromiter((mixes.setdefault(f.mix, len(mixes)) for f in facts), np.int64)[facts_of]
    src_mix, cand_mix = mix_of[src_text], mix_of[cand_text]
    mix = (src_mix > 0) & (cand_mix > 0) & (src_mix != cand_mix)
    put(
        "mix",
        np.full(total, VERSION_MISMATCH),
        mix,
        lambda: [texts[t].facts.mix[4:] for t in cand_text.tolist()],
    )
    qualifiers: dict[frozenset[str], int] = {}
    qualifiers_of = np.fromiter(
        (qualifiers.setdefault(f.qualifiers, len(qualifiers)) for f in facts), np.int64
    )[facts_of]
    qualifier = qualifiers_of[src_text] != qualifiers_of[cand_text]
    put(
        "qualifier",
        np.full(total, QUALIFIER_MISMATCH),
        qualifier,
        lambda: [" ".join(sorted(texts[t].facts.qualifiers)) or "none" for t in cand_text.tolist()],
    )
    extra = np.zeros(total)
    if len(extra_rows):
        extra[extra_rows] = _extra_counts(
            credits,
            np.array([featured_set[t] for t in cand_text[extra_rows].tolist()], np.int64),
            np.array([known_set[t] for t in src_text[extra_rows].tolist()], np.int64),
            lambda row: _extra_artists(
                texts[src_text[extra_rows[row]]], texts[cand_text[extra_rows[row]]]
            ),
        )
    put("extra_artist", EXTRA_ARTIST * np.minimum(extra, 2), extra > 0, extra.astype(np.int64))

    logits = parts.sum(axis=1)
    confidence = np.round(1 / (1 + np.exp(-(CALIBRATION_SLOPE * logits + CALIBRATION_OFFSET))), 4)
    confidence[decided] = 0.999
    return Batch(logits, confidence, parts, values if explain else None, applies, decided, bounds)


def rank_many(
    cases: Sequence[tuple[TrackLike, Sequence[TrackLike]]], explain: bool = False
) -> list[list[tuple[int, Score]]]:
    """``rank`` for many cases in one batch."""
    with gc_paused():
        prepared = iter(prepare_many([track for s, cs in cases for track in (s, *cs)]))
        batch = score_batch(
            [(next(prepared), [next(prepared) for _ in cs]) for _, cs in cases], explain=explain
        )
        rankings = []
        for case in range(len(cases)):
            order, _ = batch.ranking(case)
            rankings.append([(int(i), batch.score(case, int(i), explain)) for i in order])
        return rankings


def rank(
    source: TrackLike, candidates: Sequence[TrackLike], explain: bool = False
) -> list[tuple[int, Score]]:
    """Candidate indices with their scores, best first (earlier candidates win ties)."""
    return rank_many([(source, candidates)], explain)[0]


def score(source: TrackLike, candidate: TrackLike, explain: bool = False) -> Score:
    """Confidence in 0..1 that ``candidate`` is the same recording as ``source``."""
    return rank(source, [candidate], explain)[0][1]


def logit_of(score: Score) -> float:
    """The summed log-odds behind an explained score (inf when an ISRC decided)."""
    return sum(c.contribution for c in score.contributions)
