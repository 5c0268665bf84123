"""Composition root of the connectors."""

from __future__ import annotations

from typing import ClassVar

import grpc
import redis.asyncio as redis

from services.connectors.adapters.cache import (
    InProcessLookupCache,
    LookupCache,
    RedisLookupCache,
)
from services.connectors.adapters.deezer import DeezerProvider
from services.connectors.adapters.http import CallCounter, ProviderHttp
from services.connectors.adapters.provider import Provider
from services.connectors.adapters.ratelimit import (
    InProcessTokenBuckets,
    RedisTokenBuckets,
    TokenBuckets,
)
from services.connectors.api.servicer import CatalogServicer
from services.connectors.api.subscribers import LibraryHandlers
from services.connectors.domain.limits import Bucket, classify_deezer
from services.connectors.settings import ConnectorsSettings, DeezerSettings
from services.kernel import grpcwire
from services.kernel.contracts import FolderScanRequested, PlaylistImportRequested
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2_grpc
from services.kernel.runtime import ServiceContext


class ConnectorsApp:
    """Library work on the bus, catalog questions over gRPC."""

    name: ClassVar[str] = "connectors"

    def __init__(self, settings: ConnectorsSettings, deezer: DeezerSettings | None = None) -> None:
        self.settings = settings
        self.deezer = deezer or DeezerSettings()
        self._server: grpc.aio.Server | None = None
        self._closing: list[ProviderHttp] = []
        self._redis: redis.Redis | None = None

    def subscribe(self, ctx: ServiceContext) -> None:
        handlers = LibraryHandlers(ctx.bus, ctx.store)
        ctx.bus.consume(PlaylistImportRequested, handlers.import_playlist)
        ctx.bus.consume(FolderScanRequested, handlers.scan_folder)

    def _limits(self, ctx: ServiceContext) -> tuple[TokenBuckets, LookupCache]:
        """Shared through Redis when configured, so replicas keep one allowance."""
        if ctx.bus_settings.redis_url:
            self._redis = redis.from_url(ctx.bus_settings.redis_url)
            return RedisTokenBuckets(self._redis), RedisLookupCache(self._redis)
        return InProcessTokenBuckets(), InProcessLookupCache()

    def _catalogs(self, ctx: ServiceContext) -> dict[str, Provider]:
        buckets, cache = self._limits(ctx)
        counter = CallCounter(ctx.registry)
        deezer_http = ProviderHttp("deezer", self.deezer.api_url, classify_deezer, buckets, counter)
        self._closing.append(deezer_http)
        allowance = float(self.deezer.calls_per_5s)
        bucket = Bucket("deezer:ip", capacity=allowance, per_second=allowance / 5)
        return {"deezer": DeezerProvider(deezer_http, cache, bucket=bucket)}

    async def start(self, ctx: ServiceContext) -> None:
        servicer = CatalogServicer(self._catalogs(ctx))
        self._server, port = await grpcwire.start_server(
            self.settings.grpc_host,
            self.settings.grpc_port,
            ctx.tracer_provider,
            lambda server: catalog_pb2_grpc.add_CatalogServiceServicer_to_server(servicer, server),
            ["tunebridge.catalog.v1.CatalogService"],
        )
        ctx.detail["grpc_port"] = str(port)

    async def stop(self) -> None:
        if self._server:
            await self._server.stop(grace=5)
        for http in self._closing:
            await http.close()
        if self._redis is not None:
            await self._redis.aclose()
