"""The HTTP server under the API: uvicorn, with what it lacks against abusive clients.

uvicorn closes idle kept-alive connections, but it gives a client that has begun a
request all the time in the world to finish it (a "slowloris" holds a connection, and its
buffers, by sending a byte now and then) and lets request headers grow without bound. The
protocol below gives every request a deadline from its first byte to its last, and caps
its headers; and ``X-Forwarded-For`` is believed only from the proxies an operator names
(uvicorn's default believes it from loopback, so anything on the host could choose the
address its log-in attempts are counted under).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from services.gateway.settings import GatewaySettings

#: Request line and headers together may not be larger than this (nginx's default buffers
#: hold 8 KiB per header line; browsers send a few KiB in all).
MAX_HEADER_BYTES = 64 * 1024


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline per request and bounded headers."""

    request_timeout_s = 30.0  # set per server by ``server_config``

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._header_bytes = 0

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()  # nothing is owed to a client that never finished asking

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        self._header_bytes = 0
        self._arm()
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            self._disarm()
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"content-length: 0\r\nconnection: close\r\n\r\n"
            )
            self.transport.close()
            raise ValueError("request headers too large")  # stops the parser

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()


def server_config(app: Any, settings: GatewaySettings) -> uvicorn.Config:
    """uvicorn's configuration for the gateway's app."""
    protocol = type(
        "GatewayHttpProtocol",
        (GuardedHttpProtocol,),
        {"request_timeout_s": settings.request_timeout_s},
    )
    return uvicorn.Config(
        app,
        http=protocol,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_keep_alive=max(1, round(settings.keep_alive_s)),
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        server_header=False,
    )
