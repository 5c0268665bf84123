"""Parsing playlist documents people already have: M3U/M3U8 and JSON track lists."""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath

import msgspec

from services.kernel.contracts import Track, TrackDocument

#: ``#EXTINF:<seconds>[ attributes],<Artist> - <Title>``
_EXTINF = re.compile(r"^#EXTINF:\s*(-?\d+(?:\.\d+)?)[^,]*,(.*)$")
#: File names like ``01 - Artist - Title`` or ``01. Title``.
_LEADING_NUMBER = re.compile(r"^\d{1,3}\s*[-.)_]?\s+")


class PlaylistError(ValueError):
    """The document is not a playlist we can read; the message says why."""


def _split_artist_title(text: str) -> tuple[tuple[str, ...], str]:
    artist, separator, title = text.partition(" - ")
    if separator and artist.strip() and title.strip():
        return (artist.strip(),), title.strip()
    return (), text.strip()


def _from_location(location: str) -> tuple[tuple[str, ...], str]:
    path = PureWindowsPath(location) if "\\" in location else PurePosixPath(location)
    stem = _LEADING_NUMBER.sub("", path.stem)
    return _split_artist_title(stem)


def parse_m3u(text: str) -> tuple[list[Track], int]:
    """Tracks of an M3U/M3U8 playlist, and how many entries could not be read.

    ``#EXTINF`` gives duration and "Artist - Title"; an entry without one is read from its
    file name. URLs and paths are kept as the track's ``provider_id``.
    """
    tracks: list[Track] = []
    skipped = 0
    pending: tuple[int | None, tuple[str, ...], str] | None = None
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            match = _EXTINF.match(line)
            if match:
                seconds = float(match.group(1))
                artists, title = _split_artist_title(match.group(2))
                pending = (int(seconds * 1000) if seconds > 0 else None, artists, title)
            continue
        duration, artists, title = pending if pending else (None, *_from_location(line))
        pending = None
        if not title:
            skipped += 1
            continue
        tracks.append(
            Track(
                title=title,
                artists=artists,
                duration_ms=duration,
                provider="m3u",
                provider_id=line,
            )
        )
    if not tracks and skipped == 0:
        raise PlaylistError("no entries found: an M3U playlist lists one file or URL per line")
    return tracks, skipped


def parse_json(data: bytes) -> list[Track]:
    """Tracks of a JSON playlist: a list of ``{"title", "artists", ...}`` objects, or an
    object with such a list under ``"tracks"``."""
    try:
        decoded = msgspec.json.decode(data)
        if isinstance(decoded, dict):
            decoded = decoded.get("tracks")
        entries = msgspec.convert(decoded, list[TrackDocument])
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise PlaylistError(f"not a JSON list of tracks: {error}") from None
    return [entry.to_track(provider="json") for entry in entries]
