"""The connectors' settings (section ``CONNECTORS``)."""

from __future__ import annotations

import msgspec


class ConnectorsSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    grpc_host: Interface the gRPC ``CatalogService`` listens on.
    grpc_port: Its port (0 picks a free one).
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    """

    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50052
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090
