"""Bus edge of the downloader: what others ask of its downloads.

The downloader alone writes the ``downloads`` bucket. The gateway asks it, by command, to
take a download (recorded queued at once, before a worker is free to take its request
from the work queue), to try one again or to cancel one; each is checked here against the
record, and safe to redeliver.
"""

from __future__ import annotations

import msgspec

from services.kernel.bus import Bus
from services.kernel.contracts import (
    DownloadCancelRequested,
    DownloadQueued,
    DownloadQueueRequested,
    DownloadRequested,
    DownloadRetryRequested,
    utcnow,
)
from services.kernel.records import DownloadRecord, download_key
from services.kernel.store import Store

#: A download that ended without its file can be tried again.
RETRYABLE = ("review", "failed", "cancelled")


def retry_id(download_id: str, attempt: int) -> str:
    """The request id of a download's ``attempt``: each try is put in the queue once."""
    return f"{download_id}.try{attempt}"


def record_of(request: DownloadRequested, handoff: str | None = None) -> DownloadRecord:
    """A download asked for, as recorded before anything is done: queued, with what was
    asked (so it can be tried again)."""
    return DownloadRecord(
        download_id=request.download_id,
        user_id=request.user_id,
        title=request.item.track.title,
        target_path=request.item.target_path,
        item=request.item,
        audio_format=request.audio_format,
        plain=request.plain,
        profile=request.profile,
        album_folder=request.album_folder,
        handoff=handoff,
        pick=request.pick,
    )


class DownloadRequests:
    """Handles ``downloads.queue_requested``, ``retry_requested`` and ``cancel_requested``."""

    def __init__(self, bus: Bus, store: Store) -> None:
        self.bus = bus
        self.store = store

    async def queue_requested(self, command: DownloadQueueRequested) -> None:
        request = command.request
        if request.user_id != command.user_id:
            return  # a request names its own user: never another's
        created = await self.store.create(
            "downloads",
            download_key(request.user_id, request.download_id),
            record_of(request, command.handoff),
        )
        if created:
            await self._queued(request.user_id, request.download_id)
        if command.handoff is None:  # its id makes a repeat stored once
            await self.bus.publish(request)

    async def retry_requested(self, command: DownloadRetryRequested) -> None:
        key = download_key(command.user_id, command.download_id)

        def again(current: DownloadRecord) -> DownloadRecord | None:
            if current.status not in RETRYABLE or current.item is None:
                return None
            if current.attempts != command.attempt - 1:
                return None  # made already (a redelivery), or asked of an older state
            return msgspec.structs.replace(
                current,
                status="queued",
                cancel_requested=False,
                percent=None,
                path=None,
                reason=None,
                miss=None,
                query=command.query,
                profile=command.profile or current.profile,
                attempts=command.attempt,
                updated_at=utcnow(),
            )

        record = await self.store.update("downloads", key, DownloadRecord, again)
        if record is None or record.attempts != command.attempt or record.item is None:
            return  # not this try's to put in the queue
        if record.status != "queued":
            return  # its request was put in the queue and taken
        await self._queued(record.user_id, record.download_id)
        # Again on a redelivery (the last one may have stopped before): stored once.
        await self.bus.publish(
            DownloadRequested(
                user_id=record.user_id,
                event_id=retry_id(record.download_id, record.attempts),
                download_id=record.download_id,
                item=record.item,
                audio_format=record.audio_format,
                plain=record.plain,
                profile=record.profile,
                query=record.query,
                album_folder=record.album_folder,
                # The result picked, fetched again; a search written for this try instead.
                pick=None if record.query else record.pick,
            )
        )

    async def cancel_requested(self, command: DownloadCancelRequested) -> None:
        """Marked to be cancelled: on its way, it stops; waiting, it ends cancelled when
        its turn comes."""
        await self.store.update(
            "downloads",
            download_key(command.user_id, command.download_id),
            DownloadRecord,
            lambda r: (
                None
                if r.cancel_requested
                else msgspec.structs.replace(r, cancel_requested=True, updated_at=utcnow())
            ),
        )

    async def _queued(self, user_id: str, download_id: str) -> None:
        await self.bus.publish(DownloadQueued(user_id=user_id, download_id=download_id))
