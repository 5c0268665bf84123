"""Composition root of the downloader."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import grpc

from services.downloader.adapters.artwork import CoverArt
from services.downloader.adapters.ranking import MatcherRanking
from services.downloader.adapters.search import AudioSearch, YtDlpSearch
from services.downloader.adapters.slskd import SlskdSource
from services.downloader.adapters.sources import AudioSource, YtDlpSource
from services.downloader.api.downloads import DownloadQueue
from services.downloader.api.handoffs import AlbumHandoffs
from services.downloader.api.playlists import PlaylistFiles
from services.downloader.api.requests import DownloadRequests
from services.downloader.api.search import AudioSearchServicer
from services.downloader.api.subscribers import PlanHandler
from services.downloader.api.users import UserRemovals
from services.downloader.domain.paths import Layout
from services.downloader.settings import DownloaderSettings
from services.kernel import grpcwire
from services.kernel.addresses import AddressPolicy
from services.kernel.contracts import (
    AlbumHandoffProgressed,
    DownloadCancelRequested,
    DownloadPlanRequested,
    DownloadQueueRequested,
    DownloadRequested,
    DownloadRetryRequested,
    PlaylistFileRequested,
    UserRemoved,
)
from services.kernel.rpc.tunebridge.downloader.v1 import downloader_pb2_grpc
from services.kernel.runtime import ServiceContext

#: How long a person's search waits for the slowest source beyond its own collection time.
SEARCH_GRACE_S = 5.0


class DownloaderApp:
    """Download planning and the download queue, on the bus."""

    name: ClassVar[str] = "downloader"

    def __init__(
        self,
        settings: DownloaderSettings,
        search: AudioSearch | None = None,
        shared_roots: Sequence[str] | None = None,
    ) -> None:
        self.settings = settings
        self.shared_roots = shared_roots  # downloads land only inside these (None: unchecked)
        # YouTube is reached through yt-dlp; tests give a stand-in for its search.
        self.search = search or YtDlpSearch(settings.search_urls)
        self.library = Path(settings.library_dir).expanduser()
        self.downloads = Path(settings.downloads_dir).expanduser()
        self._ranking: MatcherRanking | None = None
        self.cover_art = CoverArt(settings.cover_max_bytes, addresses=settings.artwork_addresses)
        self._slskd: SlskdSource | None = None
        self._server: grpc.aio.Server | None = None
        self.sources: list[AudioSource] = []
        for name in settings.sources:  # in the order the administrator listed them
            if name == "youtube":
                self.sources.append(YtDlpSource(self.search))
            elif self._slskd is None:
                self._slskd = SlskdSource(
                    settings.slskd_url,
                    settings.slskd_api_key,
                    str(Path(settings.slskd_downloads_dir).expanduser()),
                    AddressPolicy.from_entries(settings.allowed_slskd_hosts),
                    search_timeout_s=settings.slskd_search_s,
                    transfer_timeout_s=settings.slskd_transfer_s,
                )
                self.sources.append(self._slskd)

    def subscribe(self, ctx: ServiceContext) -> None:
        layout = Layout(self.settings.album_template, self.settings.single_template)
        ctx.bus.consume(
            DownloadPlanRequested, PlanHandler(ctx.bus, self.settings.audio_format, layout)
        )
        self._ranking = MatcherRanking(
            self.settings.matcher_address, ctx.tracer_provider, ctx.grpc_auth
        )
        playlists = PlaylistFiles(ctx.store, self.library)
        ctx.bus.consume(PlaylistFileRequested, playlists.requested)
        ctx.bus.consume(UserRemoved, UserRemovals(ctx.store).removed)
        handoffs = AlbumHandoffs(ctx.bus, ctx.store, on_finished=playlists.refresh)
        ctx.bus.consume(AlbumHandoffProgressed, handoffs.progressed)
        queue = DownloadQueue(
            ctx.bus,
            ctx.store,
            self.library,
            self.search,
            self._ranking,
            self.settings.threshold,
            cover=self.cover_art,
            layout=layout,
            audio_format=self.settings.audio_format,
            downloads=self.downloads,
            on_finished=playlists.refresh,
            shared_roots=self.shared_roots,
            sources=self.sources,
            profile=self.settings.profile,
            copies=Path(self.settings.lossy_copies_dir).expanduser(),
        )
        requests = DownloadRequests(ctx.bus, ctx.store)
        # One at a time: the work queue keeps the order the downloads were asked in.
        ctx.bus.consume(DownloadQueueRequested, requests.queue_requested)
        ctx.bus.consume(DownloadRetryRequested, requests.retry_requested, max_workers=4)
        ctx.bus.consume(DownloadCancelRequested, requests.cancel_requested, max_workers=4)
        # The queue's bound: JetStream hands out no more than this many at once.
        ctx.bus.consume(DownloadRequested, queue, max_workers=self.settings.concurrency)
        ctx.bus.consume_dead_letters(queue.message_dead)

    async def start(self, ctx: ServiceContext) -> None:
        sources = self.sources or [YtDlpSource(self.search)]
        servicer = AudioSearchServicer(
            ctx.store, sources, self.settings.slskd_search_s + SEARCH_GRACE_S
        )
        self._server, port = await grpcwire.start_server(
            self.settings.grpc_host,
            self.settings.grpc_port,
            ctx.tracer_provider,
            lambda server: downloader_pb2_grpc.add_DownloaderServiceServicer_to_server(
                servicer, server
            ),
            ["tunebridge.downloader.v1.DownloaderService"],
            ctx.grpc_auth,
        )
        ctx.detail["grpc_port"] = str(port)
        ctx.detail["audio_format"] = self.settings.audio_format
        ctx.detail["library"] = str(self.library)
        ctx.detail["downloads"] = str(self.downloads)
        ctx.detail["sources"] = ",".join(s.name for s in self.sources)

    async def stop(self) -> None:
        if self._server:
            await self._server.stop(grace=5)
        await self.cover_art.close()
        if self._slskd:
            await self._slskd.close()
        if self._ranking:
            await self._ranking.close()
