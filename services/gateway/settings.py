"""The gateway's settings (section ``GATEWAY``)."""

from __future__ import annotations

import msgspec


class GatewaySettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    host: Interface the HTTP API listens on (127.0.0.1: only this machine by default).
    port: Its port.
    matcher_address: ``host:port`` of the matcher's gRPC API.
    catalog_address: ``host:port`` of the connectors' gRPC API.
    secure_cookies: Mark session cookies ``Secure`` even when the request came over plain
        HTTP (behind a TLS-terminating proxy); over HTTPS they always are.
    max_playlist_bytes: Largest playlist document accepted.
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    """

    host: str = "127.0.0.1"
    port: int = 8080
    matcher_address: str = "127.0.0.1:50051"
    catalog_address: str = "127.0.0.1:50052"
    secure_cookies: bool = False
    max_playlist_bytes: int = 5_000_000
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090
