"""Composition root of the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

from services.kernel.contracts import (
    CandidatesFound,
    DeadLettered,
    DownloadPlanned,
    FolderScanned,
    MatchBatchCompleted,
    MissingTracksCheckRequested,
    PlaylistImported,
    ProviderRead,
    ProviderWritten,
    Ranked,
    SyncRunRequested,
)
from services.kernel.runtime import ServiceContext
from services.scheduler.api.metrics import SyncMetrics
from services.scheduler.api.schedules import ScheduleTicker
from services.scheduler.api.subscribers import RunHandlers
from services.scheduler.api.sync import SyncHandlers
from services.scheduler.settings import SchedulerSettings


class SchedulerApp:
    """Runs, driven by the bus."""

    name: ClassVar[str] = "scheduler"

    def __init__(self, settings: SchedulerSettings) -> None:
        self.settings = settings
        self._ticking: asyncio.Task[None] | None = None

    def subscribe(self, ctx: ServiceContext) -> None:
        handlers = RunHandlers(ctx.bus, ctx.store, self.settings.present_threshold)
        syncs = SyncHandlers(ctx.bus, ctx.store, SyncMetrics(ctx.registry))
        ctx.bus.consume(MissingTracksCheckRequested, handlers.check_requested)
        ctx.bus.consume(PlaylistImported, handlers.playlist_imported)
        ctx.bus.consume(FolderScanned, handlers.folder_scanned)

        async def provider_read(event: ProviderRead) -> None:
            if not await syncs.provider_read(event):
                await handlers.provider_read(event)

        async def message_dead(letter: DeadLettered) -> None:
            if not await syncs.message_dead(letter):
                await handlers.message_dead(letter)

        # Replies of one run come back in any order; several at once keep runs moving.
        ctx.bus.consume(ProviderRead, provider_read, max_workers=4)
        ctx.bus.consume(MatchBatchCompleted, handlers.batch_matched, max_workers=4)
        ctx.bus.consume(DownloadPlanned, handlers.download_planned, max_workers=4)
        ctx.bus.consume(SyncRunRequested, syncs.run_requested, max_workers=4)
        ctx.bus.consume(CandidatesFound, syncs.candidates_found, max_workers=4)
        ctx.bus.consume(Ranked, syncs.ranked, max_workers=4)
        ctx.bus.consume(ProviderWritten, syncs.written, max_workers=4)
        ctx.bus.consume_dead_letters(message_dead)

    async def start(self, ctx: ServiceContext) -> None:
        ticker = ScheduleTicker(ctx.bus, ctx.store, self.settings.schedule_tick_s)
        self._ticking = asyncio.create_task(ticker.run_forever())

    async def stop(self) -> None:
        if self._ticking:
            self._ticking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticking
