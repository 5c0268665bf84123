"""An M3U8 for a playlist, in its owner's folder under ``Playlists/``, with paths relative
to it: each user's playlists apart, so two users' "Party" are two files."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from services.downloader.domain.paths import safe_component

PLAYLIST_FOLDER = "Playlists"


@dataclass(frozen=True)
class PlaylistEntry:
    """One filed track of a playlist."""

    path: str  # relative to the library
    title: str
    artist: str
    duration_ms: int | None = None


def playlist_path(name: str, owner: str) -> str:
    """Where ``owner``'s playlist ``name`` goes, relative to the library."""
    return str(
        PurePosixPath(PLAYLIST_FOLDER) / safe_component(owner) / f"{safe_component(name)}.m3u8"
    )


def library_relative(path: str) -> str | None:
    """A track's file as a media server or a download names it, relative to the library,
    if it can only be inside it: no ``..``, no root, no control characters (None
    otherwise); backslashes are separators, as on the Windows servers that send them."""
    if any(unicodedata.category(ch).startswith("C") for ch in path):
        return None
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p != "."]
    if not parts or parts[0] == "/" or ".." in parts or ":" in parts[0]:
        return None
    return str(PurePosixPath(*parts))


def render_m3u8(entries: Sequence[PlaylistEntry]) -> str:
    """Extended M3U, UTF-8; paths relative to the playlist's folder (two levels below the
    library: ``Playlists/<owner>/``) so the library can move."""
    lines = ["#EXTM3U"]
    for entry in entries:
        seconds = round(entry.duration_ms / 1000) if entry.duration_ms else -1
        label = f"{entry.artist} - {entry.title}" if entry.artist else entry.title
        lines.append(f"#EXTINF:{seconds},{' '.join(label.splitlines())}")
        lines.append(str(PurePosixPath("..", "..") / entry.path))
    return "\n".join(lines) + "\n"
