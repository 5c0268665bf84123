"""Composition root of the connectors."""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar

import grpc
import redis.asyncio as redis

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.cache import (
    InProcessLookupCache,
    LookupCache,
    RedisLookupCache,
)
from services.connectors.adapters.factory import ProviderFactory
from services.connectors.adapters.http import CallCounter
from services.connectors.adapters.provider import Provider
from services.connectors.adapters.ratelimit import (
    InProcessTokenBuckets,
    RedisTokenBuckets,
    TokenBuckets,
)
from services.connectors.adapters.spotify import SPEC as SPOTIFY
from services.connectors.api.provider_work import ProviderWork
from services.connectors.api.servicer import CatalogServicer, ConnectionsServicer
from services.connectors.api.subscribers import LibraryHandlers
from services.connectors.domain.providers import Capability
from services.connectors.registry import ACCOUNT_PROVIDERS, REGISTRY, SPECS, ProviderSettings
from services.connectors.settings import ConnectorsSettings
from services.kernel import grpcwire
from services.kernel.contracts import (
    AlbumHandoffRequested,
    CandidatesRequested,
    FolderScanRequested,
    MediaScanRequested,
    PlaylistImportRequested,
    ProviderReadRequested,
    ProviderWriteRequested,
)
from services.kernel.crypto import SecretBox
from services.kernel.library import LibrarySettings
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2_grpc
from services.kernel.runtime import ServiceContext

log = logging.getLogger("tunebridge.connectors")
#: How often the owner's warnings (a developer token's end nearing) are looked at again.
WARNING_EVERY_S = 6 * 3600.0


class ConnectorsApp:
    """Library and provider work on the bus, catalog questions over gRPC."""

    name: ClassVar[str] = "connectors"

    def __init__(
        self,
        settings: ConnectorsSettings,
        providers: ProviderSettings | None = None,
        library: LibrarySettings | None = None,
    ) -> None:
        self.settings = settings
        self.providers = providers or ProviderSettings()
        self.library = library or LibrarySettings()  # folders may be scanned only in these
        self._server: grpc.aio.Server | None = None
        self._redis: redis.Redis | None = None
        self._factory: ProviderFactory | None = None
        self._accounts: Accounts | None = None
        self._catalogs: dict[str, Provider] = {}
        self._warnings: asyncio.Task[None] | None = None

    def _limits(self, ctx: ServiceContext) -> tuple[TokenBuckets, LookupCache]:
        """Shared through Redis when configured, so replicas keep one allowance."""
        if ctx.bus_settings.redis_url:
            # A Redis that stops answering fails the call instead of holding it for ever.
            self._redis = redis.from_url(
                ctx.bus_settings.redis_url, socket_connect_timeout=2, socket_timeout=2
            )
            return RedisTokenBuckets(self._redis), RedisLookupCache(self._redis)
        return InProcessTokenBuckets(), InProcessLookupCache()

    def subscribe(self, ctx: ServiceContext) -> None:
        library = LibraryHandlers(ctx.bus, ctx.store, self.library.every_root())
        ctx.bus.consume(PlaylistImportRequested, library.import_playlist)
        ctx.bus.consume(FolderScanRequested, library.scan_folder)

        buckets, cache = self._limits(ctx)
        keys = list(self.providers.secrets.keys)
        box = SecretBox(keys) if keys else None
        spotify = self.providers.of(SPOTIFY)
        self._accounts = (
            Accounts(ctx.store, box, spotify.accounts_url, spotify.client_id) if box else None
        )
        self._factory = ProviderFactory(
            self._accounts,
            buckets,
            cache,
            CallCounter(ctx.registry),
            self.providers,
            self.settings.server_addresses,
        )
        self._catalogs = self._factory.catalogs()
        self._warn(ctx)
        hosted = [p for p in self.settings.providers if p in ACCOUNT_PROVIDERS]
        if not self._accounts:
            log.warning("no TUNEBRIDGE_SECRETS__KEYS: account work queues are not served")
            return
        work = ProviderWork(ctx.bus, ctx.store, self._accounts, self._factory)
        ctx.bus.consume(MediaScanRequested, work.media_scan, max_workers=4)
        for provider in hosted:
            ctx.bus.consume(ProviderReadRequested, work.read, qualifier=provider, max_workers=4)
            ctx.bus.consume(ProviderWriteRequested, work.write, qualifier=provider)
            ctx.bus.consume(CandidatesRequested, work.candidates, qualifier=provider, max_workers=4)
            if Capability.ADD_ALBUMS in REGISTRY[provider].info.capabilities:
                # Each is followed until imported (minutes): a few at once, as reads.
                ctx.bus.consume(
                    AlbumHandoffRequested, work.hand_album, qualifier=provider, max_workers=4
                )
        ctx.detail["providers"] = ",".join(hosted)

    def _warn(self, ctx: ServiceContext) -> None:
        """What the owner should hear about providers' own credentials, in the heartbeat
        (health shows it): ``warning.<provider>``."""
        for spec in SPECS:
            said = spec.warning(self.providers.of(spec)) if spec.warning else None
            if said:
                ctx.detail[f"warning.{spec.name}"] = said
            else:
                ctx.detail.pop(f"warning.{spec.name}", None)

    async def _warn_daily(self, ctx: ServiceContext) -> None:
        while True:  # a token's end comes nearer while the service runs
            await asyncio.sleep(WARNING_EVERY_S)
            self._warn(ctx)

    async def start(self, ctx: ServiceContext) -> None:
        self._warnings = asyncio.create_task(self._warn_daily(ctx))
        servicer = CatalogServicer(dict(self._catalogs), self._accounts, self._factory)
        connections = ConnectionsServicer(
            self._accounts,
            self._factory,
            self.providers,
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
            ctx.grpc_auth,
        )
        ctx.detail["grpc_port"] = str(port)

    async def stop(self) -> None:
        if self._warnings:
            self._warnings.cancel()
        if self._server:
            await self._server.stop(grace=5)
        if self._factory:
            await self._factory.close()
        if self._accounts:
            await self._accounts.close()
        if self._redis is not None:
            await self._redis.aclose()
