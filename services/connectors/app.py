"""Composition root of the connectors."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import ClassVar

import grpc
import redis.asyncio as redis

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.cache import (
    InProcessLookupCache,
    LookupCache,
    RedisLookupCache,
)
from services.connectors.adapters.deezer import DeezerProvider
from services.connectors.adapters.factory import ProviderFactory
from services.connectors.adapters.http import CallCounter
from services.connectors.adapters.ratelimit import (
    InProcessTokenBuckets,
    RedisTokenBuckets,
    TokenBuckets,
)
from services.connectors.api.provider_work import ProviderWork
from services.connectors.api.servicer import CatalogServicer, ConnectionsServicer
from services.connectors.api.subscribers import LibraryHandlers
from services.connectors.domain.limits import Bucket
from services.connectors.settings import (
    ConnectorsSettings,
    DeezerSettings,
    PlexSettings,
    SpotifySettings,
)
from services.kernel import grpcwire
from services.kernel.contracts import (
    CandidatesRequested,
    FolderScanRequested,
    PlaylistImportRequested,
    ProviderReadRequested,
    ProviderWriteRequested,
)
from services.kernel.crypto import SecretBox, SecretsSettings
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2_grpc
from services.kernel.runtime import ServiceContext

log = logging.getLogger("tunebridge.connectors")

#: Providers with an account-level work queue.
ACCOUNT_PROVIDERS = ("spotify", "deezer", "plex")


@dataclass(frozen=True)
class ProviderSettings:
    """Every provider's settings, and the keys that encrypt their tokens."""

    spotify: SpotifySettings = field(default_factory=SpotifySettings)
    deezer: DeezerSettings = field(default_factory=DeezerSettings)
    plex: PlexSettings = field(default_factory=PlexSettings)
    secrets: SecretsSettings = field(default_factory=SecretsSettings)


class ConnectorsApp:
    """Library and provider work on the bus, catalog questions over gRPC."""

    name: ClassVar[str] = "connectors"

    def __init__(
        self, settings: ConnectorsSettings, providers: ProviderSettings | None = None
    ) -> None:
        self.settings = settings
        self.providers = providers or ProviderSettings()
        self._server: grpc.aio.Server | None = None
        self._redis: redis.Redis | None = None
        self._factory: ProviderFactory | None = None
        self._accounts: Accounts | None = None
        self._catalogs: dict[str, DeezerProvider] = {}

    def _limits(self, ctx: ServiceContext) -> tuple[TokenBuckets, LookupCache]:
        """Shared through Redis when configured, so replicas keep one allowance."""
        if ctx.bus_settings.redis_url:
            self._redis = redis.from_url(ctx.bus_settings.redis_url)
            return RedisTokenBuckets(self._redis), RedisLookupCache(self._redis)
        return InProcessTokenBuckets(), InProcessLookupCache()

    def subscribe(self, ctx: ServiceContext) -> None:
        library = LibraryHandlers(ctx.bus, ctx.store)
        ctx.bus.consume(PlaylistImportRequested, library.import_playlist)
        ctx.bus.consume(FolderScanRequested, library.scan_folder)

        buckets, cache = self._limits(ctx)
        keys = list(self.providers.secrets.keys)
        box = SecretBox(keys) if keys else None
        spotify = self.providers.spotify
        self._accounts = (
            Accounts(ctx.store, box, spotify.accounts_url, spotify.client_id) if box else None
        )
        self._factory = ProviderFactory(
            self._accounts,
            buckets,
            cache,
            CallCounter(ctx.registry),
            spotify,
            self.providers.deezer,
            self.providers.plex,
        )
        deezer = self.providers.deezer
        allowance = float(deezer.calls_per_5s)
        self._catalogs = {
            "deezer": DeezerProvider(
                self._factory.http("deezer", deezer.api_url),
                cache,
                None,
                Bucket("deezer:ip", capacity=allowance, per_second=allowance / 5),
            )
        }
        hosted = [p for p in self.settings.providers if p in ACCOUNT_PROVIDERS]
        if not self._accounts:
            log.warning("no TUNEBRIDGE_SECRETS__KEYS: account work queues are not served")
            return
        work = ProviderWork(ctx.bus, ctx.store, self._accounts, self._factory)
        for provider in hosted:
            ctx.bus.consume(ProviderReadRequested, work.read, qualifier=provider, max_workers=4)
            ctx.bus.consume(ProviderWriteRequested, work.write, qualifier=provider)
            ctx.bus.consume(CandidatesRequested, work.candidates, qualifier=provider, max_workers=4)
        ctx.detail["providers"] = ",".join(hosted)

    async def start(self, ctx: ServiceContext) -> None:
        servicer = CatalogServicer(dict(self._catalogs), self._accounts, self._factory)
        connections = ConnectionsServicer(
            self._accounts,
            self._factory,
            ACCOUNT_PROVIDERS,
            self.providers.deezer.connect_url,
        )

        def add_servicers(server: grpc.aio.Server) -> None:
            catalog_pb2_grpc.add_CatalogServiceServicer_to_server(servicer, server)
            catalog_pb2_grpc.add_ConnectionsServiceServicer_to_server(connections, server)

        self._server, port = await grpcwire.start_server(
            self.settings.grpc_host,
            self.settings.grpc_port,
            ctx.tracer_provider,
            add_servicers,
            ["tunebridge.catalog.v1.CatalogService", "tunebridge.catalog.v1.ConnectionsService"],
        )
        ctx.detail["grpc_port"] = str(port)

    async def stop(self) -> None:
        if self._server:
            await self._server.stop(grace=5)
        if self._factory:
            await self._factory.close()
        if self._accounts:
            await self._accounts.close()
        if self._redis is not None:
            await self._redis.aclose()
