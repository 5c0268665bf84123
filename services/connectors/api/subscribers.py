"""Bus edge of the connectors: import uploaded playlists, scan music folders."""

from __future__ import annotations

import asyncio

from services.connectors.adapters.folder import FolderError, scan_folder
from services.connectors.domain.playlists import PlaylistError, parse_json, parse_m3u
from services.kernel.bus import Bus
from services.kernel.contracts import (
    Collection,
    FolderScanned,
    FolderScanRequested,
    PlaylistImported,
    PlaylistImportRequested,
)
from services.kernel.store import Store, save_collection


class LibraryHandlers:
    """Turns documents and folders into stored snapshots, and says so on the bus.

    A problem the user can fix (a missing folder, a malformed playlist) is reported in the
    reply for the run to show; only infrastructure faults are retried.
    """

    def __init__(self, bus: Bus, store: Store) -> None:
        self.bus = bus
        self.store = store

    async def import_playlist(self, request: PlaylistImportRequested) -> None:
        reply_id = f"{request.event_id}.done"
        data = await self.store.get_object("uploads", request.upload_id)
        if data is None:
            await self.bus.publish(
                PlaylistImported(
                    user_id=request.user_id,
                    event_id=reply_id,
                    run_id=request.run_id,
                    error="the uploaded playlist has expired; upload it again",
                )
            )
            return
        try:
            if request.playlist_format == "m3u":
                tracks, skipped = parse_m3u(data.decode("utf-8", errors="replace"))
            else:
                tracks, skipped = parse_json(data), 0
        except PlaylistError as error:
            await self.bus.publish(
                PlaylistImported(
                    user_id=request.user_id,
                    event_id=reply_id,
                    run_id=request.run_id,
                    error=str(error),
                )
            )
            return
        collection = Collection(
            user_id=request.user_id,
            kind="playlist",
            tracks=tuple(tracks),
            source=request.playlist_format,
        )
        snapshot = await save_collection(self.store, request.user_id, collection)
        await self.bus.publish(
            PlaylistImported(
                user_id=request.user_id,
                event_id=reply_id,
                run_id=request.run_id,
                snapshot=snapshot,
                skipped_entries=skipped,
            )
        )

    async def scan_folder(self, request: FolderScanRequested) -> None:
        reply_id = f"{request.event_id}.done"
        try:
            # mutagen is blocking file I/O; keep the event loop (and heartbeats) free.
            tracks, unreadable = await asyncio.to_thread(scan_folder, request.folder)
        except FolderError as error:
            await self.bus.publish(
                FolderScanned(
                    user_id=request.user_id,
                    event_id=reply_id,
                    run_id=request.run_id,
                    error=str(error),
                )
            )
            return
        collection = Collection(
            user_id=request.user_id, kind="library", tracks=tuple(tracks), source="folder"
        )
        snapshot = await save_collection(self.store, request.user_id, collection)
        await self.bus.publish(
            FolderScanned(
                user_id=request.user_id,
                event_id=reply_id,
                run_id=request.run_id,
                snapshot=snapshot,
                unreadable_files=unreadable,
            )
        )
