"""Composition root of the connectors."""

from __future__ import annotations

from typing import ClassVar

import grpc

from services.connectors.api.servicer import CatalogServicer
from services.connectors.api.subscribers import LibraryHandlers
from services.connectors.settings import ConnectorsSettings
from services.kernel import grpcwire
from services.kernel.contracts import FolderScanRequested, PlaylistImportRequested
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2_grpc
from services.kernel.runtime import ServiceContext


class ConnectorsApp:
    """Library work on the bus, catalog questions over gRPC."""

    name: ClassVar[str] = "connectors"

    def __init__(self, settings: ConnectorsSettings) -> None:
        self.settings = settings
        self._server: grpc.aio.Server | None = None

    def subscribe(self, ctx: ServiceContext) -> None:
        handlers = LibraryHandlers(ctx.bus, ctx.store)
        ctx.bus.consume(PlaylistImportRequested, handlers.import_playlist)
        ctx.bus.consume(FolderScanRequested, handlers.scan_folder)

    async def start(self, ctx: ServiceContext) -> None:
        servicer = CatalogServicer()
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
