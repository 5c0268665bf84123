"""gRPC edge of the connectors: the catalog questions asked interactively."""

from __future__ import annotations

import grpc

from services.connectors.domain.providers import PROVIDERS
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2, catalog_pb2_grpc


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    """Implements ``tunebridge.catalog.v1.CatalogService``."""

    async def ListProviders(
        self, request: catalog_pb2.ListProvidersRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ListProvidersResponse:
        return catalog_pb2.ListProvidersResponse(
            providers=[
                catalog_pb2.Provider(
                    name=provider.name,
                    display_name=provider.display_name,
                    capabilities=[c.value for c in provider.capabilities],
                )
                for provider in sorted(PROVIDERS, key=lambda p: p.name)
            ]
        )
