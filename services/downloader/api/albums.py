"""Album mode's choices kept in the downloader's ``album_folders`` bucket: the folder an
album's first track came from holds its other tracks after a restart, and across
replicas (the first to pin an album wins, by compare-and-set)."""

from __future__ import annotations

from services.downloader.adapters.pipeline import album_key
from services.downloader.records import AlbumFoldersRecord, album_folders_key
from services.kernel.contracts import Track
from services.kernel.store import Store

BUCKET = "album_folders"
#: Albums remembered per run (a run's playlist has at most this many albums in practice).
LIMIT = 2000


def _name(track: Track) -> str:
    return "\n".join(album_key(track))


class StoredAlbumFolders:
    """One run's album-mode choices, in the store (an ``AlbumChoice``)."""

    def __init__(self, store: Store, user_id: str, run_id: str) -> None:
        self.store = store
        self.user_id = user_id
        self.run_id = run_id
        self.key = album_folders_key(user_id, run_id)

    async def folder(self, track: Track) -> str | None:
        record = await self.store.get(BUCKET, self.key, AlbumFoldersRecord)
        return record.folders.get(_name(track)) if record else None

    async def pin(self, track: Track, folder: str | None) -> None:
        if folder is None or not track.album:
            return
        name = _name(track)
        await self.store.create(
            BUCKET, self.key, AlbumFoldersRecord(user_id=self.user_id, run_id=self.run_id)
        )

        def pinned(record: AlbumFoldersRecord) -> AlbumFoldersRecord | None:
            if name in record.folders or len(record.folders) >= LIMIT:
                return None  # another track (or replica) pinned it first: keep to that
            return AlbumFoldersRecord(
                user_id=record.user_id,
                run_id=record.run_id,
                folders={**record.folders, name: folder},
            )

        await self.store.update(BUCKET, self.key, AlbumFoldersRecord, pinned)
