"""Composition root of the scheduler."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import ClassVar

from services.kernel.aio import cancelled
from services.kernel.contracts import (
    CandidatesFound,
    DownloadFinished,
    DownloadPlanned,
    FolderScanned,
    MatchBatchCompleted,
    MediaScanned,
    MissingTracksCheckRequested,
    PlaylistImported,
    ProviderRead,
    ProviderWritten,
    Ranked,
    ReviewDecided,
    SyncDownloadsQueued,
    SyncJobDeleted,
    SyncRunCancelRequested,
    SyncRunRequested,
    UserRemoved,
)
from services.kernel.runtime import ServiceContext
from services.scheduler.api.commands import Commands
from services.scheduler.api.flows import FlowRouter
from services.scheduler.api.metrics import SyncMetrics
from services.scheduler.api.scans import LibraryScans
from services.scheduler.api.schedules import ScheduleTicker
from services.scheduler.api.subscribers import RunHandlers
from services.scheduler.api.sync import SyncHandlers
from services.scheduler.api.users import UserRemovals
from services.scheduler.domain.scans import Debounce
from services.scheduler.settings import SchedulerSettings


class SchedulerApp:
    """Runs, driven by the bus."""

    name: ClassVar[str] = "scheduler"

    def __init__(self, settings: SchedulerSettings) -> None:
        self.settings = settings
        self._ticking: list[asyncio.Task[None]] = []
        self._scans: LibraryScans | None = None

    def subscribe(self, ctx: ServiceContext) -> None:
        handlers = RunHandlers(ctx.bus, ctx.store, self.settings.present_threshold)
        debounce = Debounce(
            quiet=timedelta(seconds=self.settings.scan_quiet_s),
            max_wait=timedelta(seconds=self.settings.scan_max_wait_s),
        )
        scans = LibraryScans(ctx.bus, ctx.store, debounce, self.settings.scan_tick_s)
        syncs = SyncHandlers(ctx.bus, ctx.store, SyncMetrics(ctx.registry), library=scans)
        scans.resume = syncs.resume_after_scan
        self._scans = scans
        ctx.bus.consume(DownloadFinished, scans.download_finished)
        ctx.bus.consume(SyncDownloadsQueued, scans.downloads_queued)
        ctx.bus.consume(MediaScanned, scans.media_scanned)
        ctx.bus.consume(MissingTracksCheckRequested, handlers.check_requested)
        ctx.bus.consume(PlaylistImported, handlers.playlist_imported)
        ctx.bus.consume(FolderScanned, handlers.folder_scanned)

        # What several flows share goes to the flow its correlation names.
        router = FlowRouter(sync=syncs, missing=handlers)
        # Replies of one run come back in any order; several at once keep runs moving.
        ctx.bus.consume(ProviderRead, router.provider_read, max_workers=4)
        ctx.bus.consume(MatchBatchCompleted, handlers.batch_matched, max_workers=4)
        ctx.bus.consume(DownloadPlanned, handlers.download_planned, max_workers=4)
        ctx.bus.consume(SyncRunRequested, syncs.run_requested, max_workers=4)
        ctx.bus.consume(CandidatesFound, syncs.candidates_found, max_workers=4)
        ctx.bus.consume(Ranked, syncs.ranked, max_workers=4)
        ctx.bus.consume(ProviderWritten, syncs.written, max_workers=4)
        ctx.bus.consume(UserRemoved, UserRemovals(ctx.store).removed)
        commands = Commands(ctx.store)
        ctx.bus.consume(ReviewDecided, commands.review_decided)
        ctx.bus.consume(SyncJobDeleted, commands.job_deleted)
        ctx.bus.consume(SyncRunCancelRequested, commands.run_cancel_requested)
        ctx.bus.consume_dead_letters(router.message_dead)

    async def start(self, ctx: ServiceContext) -> None:
        ticker = ScheduleTicker(ctx.bus, ctx.store, self.settings.schedule_tick_s)
        self._ticking = [asyncio.create_task(ticker.run_forever())]
        if self._scans is not None:
            self._ticking.append(asyncio.create_task(self._scans.run_forever()))

    async def stop(self) -> None:
        for task in self._ticking:
            await cancelled(task)
