"""Library paths from templates, safe against whatever metadata providers send.

Defaults follow the collector's layout users asked for (seed S2):
``{albumartist}/{albumartist} - {album}/{track:02} {title}.{ext}`` for album tracks and
``{artist}/{artist} - {title}/{title}.{ext}`` for singles.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from services.kernel.contracts import Track

ALBUM_TEMPLATE = "{albumartist}/{albumartist} - {album}/{track:02} {title}.{ext}"
SINGLE_TEMPLATE = "{artist}/{artist} - {title}/{title}.{ext}"

#: Most filesystems allow 255 bytes per name; leave room for suffixes like " (2)".
MAX_COMPONENT_BYTES = 180
#: Characters that are separators or forbidden on Windows/SMB shares, where libraries often live.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
UNKNOWN = "Unknown"


def _truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore").rstrip()


def safe_component(value: str, limit: int = MAX_COMPONENT_BYTES) -> str:
    """One path component from untrusted text: no separators, control characters,
    traversal, reserved device names or over-long names; never empty."""
    text = unicodedata.normalize("NFC", value)
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    text = _FORBIDDEN.sub("_", text)
    text = _SPACES.sub(" ", text).strip()
    text = _truncate_utf8(text, limit).strip(" .")
    if not text or set(text) <= {"."}:
        return UNKNOWN
    if _RESERVED.match(text):
        text = f"_{text}"
    return text


def render(template: str, track: Track, ext: str) -> str:
    """A relative library path for ``track``: each field sanitised, the template's own
    slashes kept as the only separators."""
    artist = track.artists[0] if track.artists else UNKNOWN
    fields = {
        "artist": safe_component(artist),
        "albumartist": safe_component(track.album_artists[0] if track.album_artists else artist),
        "album": safe_component(track.album or UNKNOWN),
        "title": safe_component(track.title),
        "ext": safe_component(ext, 16),
    }
    parts = []
    for part in template.split("/"):
        rendered = part.format(track=track.track_number or 0, disc=track.disc_number or 1, **fields)
        parts.append(safe_component(rendered))
    return str(PurePosixPath(*parts))


def target_path(track: Track, ext: str) -> str:
    """The default layout: album tracks by album, everything else as a single."""
    template = ALBUM_TEMPLATE if track.album and track.track_number else SINGLE_TEMPLATE
    return render(template, track, ext)
