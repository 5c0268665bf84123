"""Composition root of the downloader."""

from __future__ import annotations

from typing import ClassVar

from services.downloader.api.subscribers import PlanHandler
from services.downloader.settings import DownloaderSettings
from services.kernel.contracts import DownloadPlanRequested
from services.kernel.runtime import ServiceContext


class DownloaderApp:
    """Download planning on the bus (fetching, tagging and filing come with downloads)."""

    name: ClassVar[str] = "downloader"

    def __init__(self, settings: DownloaderSettings) -> None:
        self.settings = settings

    def subscribe(self, ctx: ServiceContext) -> None:
        ctx.bus.consume(DownloadPlanRequested, PlanHandler(ctx.bus, self.settings.audio_format))

    async def start(self, ctx: ServiceContext) -> None:
        ctx.detail["audio_format"] = self.settings.audio_format

    async def stop(self) -> None:
        return None
