"""Bus edge of the downloader: the download queue.

JetStream holds the queue, so it survives restarts; the record in the ``downloads`` bucket
says where each download stands and is where a cancel is asked for. A download already
finished is not done again on redelivery: its end is announced again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

from services.downloader.adapters.fetcher import Cancelled, Progress
from services.downloader.adapters.pipeline import Rank, Search, download_one
from services.downloader.domain.paths import DEFAULT_LAYOUT, Layout
from services.downloader.domain.planning import plan
from services.kernel.bus import Bus
from services.kernel.contracts import (
    DownloadFinished,
    DownloadProgressed,
    DownloadRequested,
    reply_to,
    utcnow,
)
from services.kernel.records import DownloadRecord, download_key
from services.kernel.store import Store

FINISHED = ("done", "already_there", "review", "failed", "cancelled")
#: Progress events at most this often (seconds), so a fast download is not a flood.
PROGRESS_EVERY_S = 1.0
CANCEL_POLL_S = 0.25


class DownloadQueue:
    """Handles ``downloads.requested``."""

    def __init__(
        self,
        bus: Bus,
        store: Store,
        library: Path,
        search: Search,
        rank: Rank,
        threshold: float,
        cover: Callable[[DownloadRequested], Awaitable[bytes | None]] | None = None,
        layout: Layout = DEFAULT_LAYOUT,
        audio_format: str = "opus",
        downloads: Path | None = None,
        on_finished: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        self.on_finished = on_finished  # (user id, run id): a playlist file may want it
        self.downloads = downloads or library.parent / "Downloads"
        self.layout = layout
        self.audio_format = audio_format
        self.bus = bus
        self.store = store
        self.library = library
        self.search = search
        self.rank = rank
        self.threshold = threshold
        self.cover = cover

    async def _set(self, request: DownloadRequested, **changes: Any) -> DownloadRecord | None:
        def change(record: DownloadRecord) -> DownloadRecord:
            return msgspec.structs.replace(record, updated_at=utcnow(), **changes)

        return await self.store.update(
            "downloads", download_key(request.user_id, request.download_id), DownloadRecord, change
        )

    def _planned(self, request: DownloadRequested) -> DownloadRequested:
        """A request for a track not planned yet (a single track asked for directly) gets
        its search and its place in the library here, where the layout lives."""
        if request.item.target_path:
            return request
        (item,) = plan(
            (request.item.track,),
            (request.item.position,),
            request.audio_format or self.audio_format,
            self.layout,
        )
        return msgspec.structs.replace(request, item=item)

    async def __call__(self, request: DownloadRequested) -> None:
        request = self._planned(request)
        key = download_key(request.user_id, request.download_id)
        await self.store.create(
            "downloads",
            key,
            DownloadRecord(
                download_id=request.download_id,
                user_id=request.user_id,
                title=request.item.track.title,
                target_path=request.item.target_path,
            ),
        )
        record = await self.store.get("downloads", key, DownloadRecord)
        if record is not None and record.status in FINISHED:
            await self._announce(request, record)  # a redelivery: say it again, do nothing
            return
        if record is not None and record.cancel_requested:
            await self._finish(
                request,
                DownloadFinished(
                    **reply_to(request), download_id=request.download_id, status="cancelled"
                ),
            )
            return
        # An earlier delivery began this download (and stopped before saying how it ended).
        resumed = record is not None and record.status != "queued"
        # The gateway may have recorded it as queued before it was planned.
        await self._set(request, status="searching", target_path=request.item.target_path)
        await self._progress(request, "searching", None)
        cancel = threading.Event()
        watcher = asyncio.create_task(self._watch_cancel(key, cancel))
        loop = asyncio.get_running_loop()
        last = [0.0]

        def on_progress(progress: Progress) -> None:
            # Called from the download thread: hop to the loop, and not too often.
            if time.monotonic() - last[0] >= PROGRESS_EVERY_S:
                last[0] = time.monotonic()
                asyncio.run_coroutine_threadsafe(
                    self._progress(request, "downloading", progress), loop
                )

        try:
            outcome = await download_one(
                request.item,
                self.library,
                self.search,
                self.rank,
                self.threshold,
                cover=await self.cover(request) if self.cover and not request.plain else None,
                audio_format=request.audio_format,
                on_progress=on_progress,
                cancel=cancel,
                plain_into=self.downloads if request.plain else None,
            )
            root = self.downloads if request.plain else self.library
            # What an earlier delivery of this very download filed was not "already there".
            status = "done" if resumed and outcome.status == "already_there" else outcome.status
            finished = DownloadFinished(
                **reply_to(request),
                download_id=request.download_id,
                status=status,
                path=str(outcome.path.relative_to(root)) if outcome.path else None,
                place="downloads" if request.plain else "library",
                source_url=outcome.source_url,
                confidence=outcome.confidence,
                reason=outcome.reason,
                candidates=outcome.candidates,
            )
        except Cancelled:
            finished = DownloadFinished(
                **reply_to(request), download_id=request.download_id, status="cancelled"
            )
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await self._finish(request, finished)

    async def _watch_cancel(self, key: str, cancel: threading.Event) -> None:
        while not cancel.is_set():
            record = await self.store.get("downloads", key, DownloadRecord)
            if record is not None and record.cancel_requested:
                cancel.set()
            await asyncio.sleep(CANCEL_POLL_S)

    async def _progress(
        self, request: DownloadRequested, phase: str, progress: Progress | None
    ) -> None:
        percent = progress.percent if progress else None
        if progress:
            await self._set(request, status="downloading", percent=percent)
        await self.bus.publish(
            DownloadProgressed(
                user_id=request.user_id,
                download_id=request.download_id,
                phase=phase,  # type: ignore[arg-type]
                percent=percent,
                downloaded_bytes=progress.downloaded_bytes if progress else 0,
                speed_bps=progress.speed_bps if progress else None,
            )
        )

    async def _finish(self, request: DownloadRequested, finished: DownloadFinished) -> None:
        await self._set(
            request,
            status=finished.status,
            path=finished.path,
            place=finished.place,
            source_url=finished.source_url,
            reason=finished.reason,
            percent=100.0 if finished.status == "done" else None,
        )
        await self.bus.publish(finished)
        if self.on_finished:
            await self.on_finished(request.user_id, request.download_id.rsplit("-", 1)[0])

    async def _announce(self, request: DownloadRequested, record: DownloadRecord) -> None:
        await self.bus.publish(
            DownloadFinished(
                **reply_to(request),
                download_id=request.download_id,
                status=record.status,  # type: ignore[arg-type]
                path=record.path,
                place=record.place,
                source_url=record.source_url,
                reason=record.reason,
            )
        )
