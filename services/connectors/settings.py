"""The connectors' settings (section ``CONNECTORS``, and one section per provider)."""

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


class DeezerSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``DEEZER``.

    Attributes:
        api_url: Deezer's API (an emulator's in tests).
        calls_per_5s: Deezer's allowance per 5 seconds (50, as documented by users).
    """

    api_url: str = "https://api.deezer.com"
    calls_per_5s: int = 50
