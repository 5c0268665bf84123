"""The gateway's settings (section ``GATEWAY``)."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import msgspec

Positive = Annotated[int, msgspec.Meta(ge=1)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]


class GatewaySettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    host: Interface the HTTP API listens on (127.0.0.1: only this machine by default).
    port: Its port.
    matcher_address: ``host:port`` of the matcher's gRPC API.
    catalog_address: ``host:port`` of the connectors' gRPC API.
    downloader_address: ``host:port`` of the downloader's gRPC API (a person's audio search).
    secure_cookies: Mark session cookies ``Secure`` even when the request came over plain
        HTTP (behind a TLS-terminating proxy); over HTTPS they always are.
    max_playlist_bytes: Largest playlist document accepted.
    trusted_proxies: Addresses (or networks, ``10.0.0.0/8``) of reverse proxies whose
        ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed; none by default, so a
        client cannot pick the address its log-in attempts are counted under.
    login_workers: Password hashes computed at once (each takes 32 MiB for a moment), in
        worker threads beside the event loop.
    login_queue: Log-ins that may wait for a worker; beyond that, 429 at once.
    request_timeout_s: Time a client has to send a whole request (headers and body) once
        it has begun; a slower one is disconnected.
    keep_alive_s: How long an idle kept-alive connection stays open.
    metrics_token: When set, ``GET /metrics`` needs ``Authorization: Bearer <token>`` (set
        it when the gateway is reachable from outside).
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    """

    host: str = "127.0.0.1"
    port: int = 8080
    matcher_address: str = "127.0.0.1:50051"
    catalog_address: str = "127.0.0.1:50052"
    downloader_address: str = "127.0.0.1:50053"
    secure_cookies: bool = False
    max_playlist_bytes: int = 5_000_000
    trusted_proxies: tuple[str, ...] = ()
    login_workers: Positive = 2
    login_queue: Positive = 16
    request_timeout_s: Seconds = 30.0
    keep_alive_s: Seconds = 5.0
    metrics_token: str | None = None
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090

    def __post_init__(self) -> None:
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {proxy!r} is not an address or a network"
                ) from None
