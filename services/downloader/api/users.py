"""A removed user's downloads, ended: finished ones are deleted; one queued or going is
cancelled (it stops at its next chunk, leaving nothing partial) and its record kept until
it has, so a request still in the queue finds it cancelled instead of starting."""

from __future__ import annotations

import msgspec

from services.downloader.api.downloads import FINISHED
from services.kernel.contracts import UserRemoved, utcnow
from services.kernel.erasure import erase_or_stop, erase_user_keys
from services.kernel.records import DownloadRecord
from services.kernel.store import Store


def _cancel(record: DownloadRecord) -> DownloadRecord | None:
    if record.status in FINISHED:
        return None
    return msgspec.structs.replace(record, cancel_requested=True, updated_at=utcnow())


class UserRemovals:
    """Handles ``UserRemoved`` for the downloader's buckets."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def removed(self, event: UserRemoved) -> None:
        await erase_or_stop(self.store, event.user_id, "downloads", DownloadRecord, _cancel)
        await erase_user_keys(
            self.store, event.user_id, ("playlist_files", "album_folders", "audio_searches")
        )
