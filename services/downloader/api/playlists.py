"""Bus edge of the playlist files: an M3U8 per playlist, kept as its downloads land."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.downloader.adapters.filing import write_playlist
from services.downloader.domain.playlists import (
    PlaylistEntry,
    library_relative,
    playlist_path,
    render_m3u8,
)
from services.kernel.contracts import PlaylistFileRequested
from services.kernel.library import OutsideLibrary, within
from services.kernel.records import DownloadRecord, download_key
from services.kernel.store import Store

#: Download states whose file is in the library.
FILED = ("done", "already_there")


def _key(user_id: str, run_id: str, part: str = "") -> str:
    return f"{user_id}.{run_id}.{part}" if part else f"{user_id}.{run_id}"


def _in_library(library: Path, path: str, spec: PlaylistFileRequested) -> str | None:
    """``path`` as its M3U8 lists it: relative to the library if the file is in it. A
    missing-tracks run's folder may lie outside the library: its files keep their full
    paths; a sync run's come from a media server, and count only inside the library."""
    if Path(path).is_absolute():
        try:
            path = str(Path(path).relative_to(library))
        except ValueError:
            return None if spec.part else path
    relative = library_relative(path)
    if relative is None:
        return None
    try:
        return relative if within(library, relative).is_file() else None
    except OutsideLibrary:  # a symlink out of it
        return None


class PlaylistFiles:
    """Handles ``downloads.playlist_requested``, and rewrites a playlist's M3U8 when one
    of its downloads finishes."""

    def __init__(self, store: Store, library: Path) -> None:
        self.store = store
        self.library = library
        self._writing = asyncio.Lock()  # one rewrite at a time: the last sees every file

    async def requested(self, request: PlaylistFileRequested) -> None:
        key = _key(request.user_id, request.run_id, request.part)
        await self.store.put("playlist_files", key, request)
        await self._write(request)

    async def refresh(self, user_id: str, run_id: str) -> None:
        """Write the playlists of ``run_id``, if any were asked for, with every track whose
        file is in the library by now, in the playlist's order."""
        spec = await self.store.get("playlist_files", _key(user_id, run_id), PlaylistFileRequested)
        parts = await self.store.values(
            "playlist_files", f"{_key(user_id, run_id)}.*", PlaylistFileRequested
        )
        for each in ([spec] if spec else []) + parts:
            await self._write(each)

    async def _write(self, spec: PlaylistFileRequested) -> None:
        user_id = spec.user_id
        async with self._writing:
            entries = []
            for item in sorted(spec.items, key=lambda i: i.position):
                path = item.path
                if path is None and item.download_id:
                    record = await self.store.get(
                        "downloads", download_key(user_id, item.download_id), DownloadRecord
                    )
                    filed = record and record.status in FILED and record.place == "library"
                    path = record.path if record and filed else None
                path = path and await asyncio.to_thread(_in_library, self.library, path, spec)
                if path:
                    entries.append(
                        PlaylistEntry(
                            path=path,
                            title=item.title,
                            artist=", ".join(item.artists),
                            duration_ms=item.duration_ms,
                        )
                    )
            where = playlist_path(spec.name, spec.owner or user_id)
            await asyncio.to_thread(write_playlist, self.library, where, render_m3u8(entries))
