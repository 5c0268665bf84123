"""An M3U8 for a playlist, beside the library's folders, with paths relative to it."""

from __future__ import annotations

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


def playlist_path(name: str) -> str:
    """Where a playlist's M3U8 goes, relative to the library."""
    return str(PurePosixPath(PLAYLIST_FOLDER) / f"{safe_component(name)}.m3u8")


def render_m3u8(entries: Sequence[PlaylistEntry]) -> str:
    """Extended M3U, UTF-8; paths relative to the playlist's folder so the library can move."""
    lines = ["#EXTM3U"]
    for entry in entries:
        seconds = round(entry.duration_ms / 1000) if entry.duration_ms else -1
        label = f"{entry.artist} - {entry.title}" if entry.artist else entry.title
        lines.append(f"#EXTINF:{seconds},{' '.join(label.splitlines())}")
        lines.append(str(PurePosixPath("..") / entry.path))
    return "\n".join(lines) + "\n"
