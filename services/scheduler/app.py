"""Composition root of the scheduler."""

from __future__ import annotations

from typing import ClassVar

from services.kernel.contracts import (
    DownloadPlanned,
    FolderScanned,
    MatchBatchCompleted,
    MissingTracksCheckRequested,
    PlaylistImported,
    ProviderRead,
)
from services.kernel.runtime import ServiceContext
from services.scheduler.api.subscribers import RunHandlers
from services.scheduler.settings import SchedulerSettings


class SchedulerApp:
    """Runs, driven by the bus."""

    name: ClassVar[str] = "scheduler"

    def __init__(self, settings: SchedulerSettings) -> None:
        self.settings = settings

    def subscribe(self, ctx: ServiceContext) -> None:
        handlers = RunHandlers(ctx.bus, ctx.store, self.settings.present_threshold)
        ctx.bus.consume(MissingTracksCheckRequested, handlers.check_requested)
        ctx.bus.consume(PlaylistImported, handlers.playlist_imported)
        ctx.bus.consume(FolderScanned, handlers.folder_scanned)
        ctx.bus.consume(ProviderRead, handlers.provider_read)
        # Batches of one run come back in any order; several at once keep a run moving.
        ctx.bus.consume(MatchBatchCompleted, handlers.batch_matched, max_workers=4)
        ctx.bus.consume(DownloadPlanned, handlers.download_planned, max_workers=4)
        ctx.bus.consume_dead_letters(handlers.message_dead)

    async def start(self, ctx: ServiceContext) -> None:
        return None

    async def stop(self) -> None:
        return None
