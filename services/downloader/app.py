"""Composition root of the downloader."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from services.downloader.adapters.ranking import MatcherRanking
from services.downloader.adapters.search import AudioSearch, YtDlpSearch
from services.downloader.api.downloads import DownloadQueue
from services.downloader.api.playlists import PlaylistFiles
from services.downloader.api.subscribers import PlanHandler
from services.downloader.domain.paths import Layout
from services.downloader.settings import DownloaderSettings
from services.kernel.contracts import (
    DownloadPlanRequested,
    DownloadRequested,
    PlaylistFileRequested,
)
from services.kernel.runtime import ServiceContext


class DownloaderApp:
    """Download planning and the download queue, on the bus."""

    name: ClassVar[str] = "downloader"

    def __init__(self, settings: DownloaderSettings, search: AudioSearch | None = None) -> None:
        self.settings = settings
        # YouTube is reached through yt-dlp; tests give a stand-in for its search.
        self.search = search or YtDlpSearch(settings.search_urls)
        self.library = Path(settings.library_dir).expanduser()
        self.downloads = Path(settings.downloads_dir).expanduser()
        self._ranking: MatcherRanking | None = None

    def subscribe(self, ctx: ServiceContext) -> None:
        layout = Layout(self.settings.album_template, self.settings.single_template)
        ctx.bus.consume(
            DownloadPlanRequested, PlanHandler(ctx.bus, self.settings.audio_format, layout)
        )
        self._ranking = MatcherRanking(self.settings.matcher_address, ctx.tracer_provider)
        playlists = PlaylistFiles(ctx.store, self.library)
        ctx.bus.consume(PlaylistFileRequested, playlists.requested)
        queue = DownloadQueue(
            ctx.bus,
            ctx.store,
            Path(self.settings.library_dir).expanduser(),
            self.search,
            self._ranking,
            self.settings.threshold,
            layout=layout,
            audio_format=self.settings.audio_format,
            downloads=self.downloads,
            on_finished=playlists.refresh,
        )
        # The queue's bound: JetStream hands out no more than this many at once.
        ctx.bus.consume(DownloadRequested, queue, max_workers=self.settings.concurrency)

    async def start(self, ctx: ServiceContext) -> None:
        ctx.detail["audio_format"] = self.settings.audio_format
        ctx.detail["library"] = str(self.library)
        ctx.detail["downloads"] = str(self.downloads)

    async def stop(self) -> None:
        if self._ranking:
            await self._ranking.close()
