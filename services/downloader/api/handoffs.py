"""Albums handed to Lidarr, recorded on the downloads they stand for: searching while
Lidarr looks, then done once it has imported the album, or failed with its reason (a
retry then downloads the track as any other); each end announced as a download's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from services.downloader.api.downloads import FINISHED
from services.kernel.bus import Bus
from services.kernel.contracts import (
    AlbumHandoffProgressed,
    DownloadFinished,
    DownloadProgressed,
    MissKind,
    utcnow,
)
from services.kernel.records import DownloadRecord, download_key
from services.kernel.store import Store

_MISS: dict[str, MissKind] = {"not_found": "not_found", "failed": "refused", "timed_out": "network"}


def source_of(event: AlbumHandoffProgressed) -> str:
    """Where a handed track comes from, as a download's source shows it."""
    return (
        f"{event.provider}://album/{event.album_id}" if event.album_id else f"{event.provider}://"
    )


def run_of(event: AlbumHandoffProgressed) -> str:
    """The run whose album was handed over: its correlation's (UPGRADE FALLBACK, for a
    hand-off asked before correlations: its downloads' ids name it)."""
    if event.correlation is not None and event.correlation.flow == "album":
        return event.correlation.run_id
    return event.download_ids[0].rsplit("-", 1)[0]


class AlbumHandoffs:
    """Handles ``downloads.album_handoff_progressed``."""

    def __init__(
        self,
        bus: Bus,
        store: Store,
        on_finished: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        self.bus = bus
        self.store = store
        self.on_finished = on_finished

    async def progressed(self, event: AlbumHandoffProgressed) -> None:
        shown = event.provider.capitalize()
        ended = event.status != "searching"
        status = "done" if event.status == "imported" else "failed" if ended else "searching"
        reason = None if status != "failed" else f"{shown}: {event.reason or event.status}"

        def change(record: DownloadRecord) -> DownloadRecord | None:
            if record.status in FINISHED or record.handoff != event.request_id:
                return None  # it ended already (a late report), or it was retried since
            return msgspec.structs.replace(
                record,
                status=status,
                source_url=source_of(event),
                reason=reason,
                miss=_MISS.get(event.status),
                percent=100.0 if status == "done" else None,
                updated_at=utcnow(),
            )

        unrecorded = 0
        for download_id in event.download_ids:
            key = download_key(event.user_id, download_id)
            record = await self.store.update("downloads", key, DownloadRecord, change)
            if record is None:
                unrecorded += 1  # its queuing not taken yet (a restart): see below
                continue
            if record.status != status:
                continue
            if not ended:  # for the live views: it is on its way, from there
                await self.bus.publish(
                    DownloadProgressed(
                        user_id=event.user_id,
                        download_id=download_id,
                        phase="searching",
                        source=record.source,
                        source_url=record.source_url,
                    )
                )
                continue
            await self.bus.publish(
                DownloadFinished(
                    user_id=event.user_id,
                    event_id=f"{download_id}.{event.request_id}.done",
                    download_id=download_id,
                    status="done" if status == "done" else "failed",
                    source_url=record.source_url,
                    reason=record.reason,
                    miss=record.miss,
                )
            )
        if unrecorded:  # tried again, with back-off, once their queuing is recorded
            raise LookupError(f"{unrecorded} downloads of an album hand-off not recorded yet")
        if ended and self.on_finished and event.download_ids:
            await self.on_finished(event.user_id, run_of(event))
