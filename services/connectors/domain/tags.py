"""Turning an audio file's tags into a track."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePath

from services.kernel.contracts import Track

_NUMBER = re.compile(r"^\s*(\d+)")
#: Extensions we read as audio; everything else in a music folder is ignored.
AUDIO_EXTENSIONS = frozenset(
    {
        ".mp3",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".m4a",
        ".mp4",
        ".aac",
        ".wav",
        ".aif",
        ".aiff",
        ".wma",
        ".ape",
        ".wv",
        ".mpc",
    }
)


def _first(tags: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = tags.get(name) or ()
    for value in values:
        if value and value.strip():
            return value.strip()
    return None


def _number(value: str | None) -> int | None:
    match = _NUMBER.match(value or "")
    return int(match.group(1)) if match else None


def _split_credits(values: Sequence[str]) -> tuple[str, ...]:
    """Multi-valued tags as they are; a single value split on the usual separators."""
    cleaned = [value.strip() for value in values if value and value.strip()]
    if len(cleaned) == 1:
        cleaned = [part.strip() for part in re.split(r"\s*;\s*|\s+/\s+", cleaned[0]) if part]
    return tuple(cleaned)


def track_from_tags(
    tags: Mapping[str, Sequence[str]], path: PurePath, duration_s: float | None
) -> Track:
    """A track from easy-style tags (lower-case names, lists of values).

    A file with no title tag is still a track: its name stands in (``Artist - Title``
    when it looks like that), so untagged files are not invisible to the matcher.
    """
    title = _first(tags, "title")
    artists = _split_credits(tags.get("artist") or ())
    if not title:
        stem = re.sub(r"^\d{1,3}\s*[-.)_]?\s+", "", path.stem)
        artist_part, separator, title_part = stem.partition(" - ")
        if separator and not artists:
            artists = (artist_part.strip(),)
        title = (title_part if separator else stem).strip() or path.name
    return Track(
        title=title,
        artists=artists,
        album=_first(tags, "album"),
        album_artists=_split_credits(tags.get("albumartist") or ()),
        track_number=_number(_first(tags, "tracknumber")),
        disc_number=_number(_first(tags, "discnumber")),
        duration_ms=int(duration_s * 1000) if duration_s else None,
        isrc=(_first(tags, "isrc") or "").replace("-", "").upper() or None,
        release_date=_first(tags, "date"),
        provider="folder",
        provider_id=str(path),
    )
