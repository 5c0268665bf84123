"""Bus edge of the connectors: import uploaded playlists, scan music folders."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

import msgspec

from services.connectors.adapters.folder import FolderError, scan_folder
from services.connectors.domain.imports import PlaylistRead, read_playlist
from services.connectors.domain.playlists import PlaylistError
from services.connectors.domain.scan import ScanIndex, report_skips
from services.kernel.bus import Bus
from services.kernel.contracts import (
    Collection,
    FolderScanned,
    FolderScanRequested,
    PlaylistImported,
    PlaylistImportRequested,
    reply_to,
)
from services.kernel.store import Store, save_collection


class LibraryHandlers:
    """Turns documents and folders into stored snapshots, and says so on the bus.

    A problem the user can fix (a missing folder, a malformed playlist) is reported in the
    reply for the run to show; only infrastructure faults are retried.
    """

    def __init__(self, bus: Bus, store: Store, roots: Sequence[str] | None = None) -> None:
        """``roots``: the library roots a scanned folder must lie in (None: any folder)."""
        self.bus = bus
        self.store = store
        self.roots = roots

    async def _read_playlist(self, request: PlaylistImportRequested) -> PlaylistRead:
        data = await self.store.get_object("uploads", request.upload_id)
        if data is None:
            raise PlaylistError("the uploaded playlist has expired; upload it again")
        return read_playlist(request.playlist_format, data)

    async def import_playlist(self, request: PlaylistImportRequested) -> None:
        try:
            read = await self._read_playlist(request)
        except PlaylistError as error:
            reply = PlaylistImported(**reply_to(request), run_id=request.run_id, error=str(error))
        else:
            collection = Collection(
                user_id=request.user_id,
                kind="playlist",
                tracks=tuple(read.tracks),
                source=request.playlist_format,
            )
            reply = PlaylistImported(
                **reply_to(request),
                run_id=request.run_id,
                snapshot=await save_collection(self.store, request.user_id, collection),
                skipped_entries=read.skipped,
                skipped_reasons=read.reasons,
            )
        await self.bus.publish(reply)

    async def scan_folder(self, request: FolderScanRequested) -> None:
        index_name = _index_name(request.user_id, request.folder)
        stored = await self.store.get_object("snapshots", index_name)
        previous = msgspec.msgpack.decode(stored, type=ScanIndex) if stored else None
        try:
            # mutagen is blocking file I/O; keep the event loop (and heartbeats) free.
            tracks, index, stats = await asyncio.to_thread(
                scan_folder, request.folder, previous, self.roots
            )
        except FolderError as error:
            reply = FolderScanned(**reply_to(request), run_id=request.run_id, error=str(error))
        else:
            await self.store.put_object("snapshots", index_name, msgspec.msgpack.encode(index))
            collection = Collection(
                user_id=request.user_id, kind="library", tracks=tuple(tracks), source="folder"
            )
            reply = FolderScanned(
                **reply_to(request),
                run_id=request.run_id,
                snapshot=await save_collection(self.store, request.user_id, collection),
                unreadable_files=stats.skipped,
                skipped=tuple(report_skips(index)),
                read_files=stats.read,
                unchanged_files=stats.unchanged,
            )
        await self.bus.publish(reply)


def _index_name(user_id: str, folder: str) -> str:
    """Where a folder's scan index is kept (the folder path hashed: it may hold anything)."""
    return f"{user_id}.scan.{hashlib.sha256(folder.encode()).hexdigest()[:32]}"
