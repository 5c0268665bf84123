"""Bus edge of the playlist files: an M3U8 per playlist, kept as its downloads land."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.downloader.adapters.filing import write_playlist
from services.downloader.domain.playlists import PlaylistEntry, playlist_path, render_m3u8
from services.kernel.contracts import PlaylistFileRequested
from services.kernel.records import DownloadRecord, download_key
from services.kernel.store import Store

#: Download states whose file is in the library.
FILED = ("done", "already_there")


def _key(user_id: str, run_id: str) -> str:
    return f"{user_id}.{run_id}"


class PlaylistFiles:
    """Handles ``downloads.playlist_requested``, and rewrites a playlist's M3U8 when one
    of its downloads finishes."""

    def __init__(self, store: Store, library: Path) -> None:
        self.store = store
        self.library = library
        self._writing = asyncio.Lock()  # one rewrite at a time: the last sees every file

    async def requested(self, request: PlaylistFileRequested) -> None:
        await self.store.put("playlist_files", _key(request.user_id, request.run_id), request)
        await self.refresh(request.user_id, request.run_id)

    async def refresh(self, user_id: str, run_id: str) -> None:
        """Write the playlist of ``run_id``, if one was asked for, with every track whose
        file is in the library by now, in the playlist's order."""
        spec = await self.store.get("playlist_files", _key(user_id, run_id), PlaylistFileRequested)
        if spec is None:
            return
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
                if path:
                    entries.append(
                        PlaylistEntry(
                            path=path,
                            title=item.title,
                            artist=", ".join(item.artists),
                            duration_ms=item.duration_ms,
                        )
                    )
            await asyncio.to_thread(
                write_playlist, self.library, playlist_path(spec.name), render_m3u8(entries)
            )
