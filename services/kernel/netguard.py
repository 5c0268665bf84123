"""Reaching a server whose address a user gave, without server-side request forgery.

``GuardedTransport`` is an httpx transport that resolves the name itself, checks every
address against an ``AddressPolicy`` (public addresses, plus what an administrator allowed)
and connects to the checked address, not the name: a name that resolves to a private
address, or whose answer changes between a check and the connection (DNS rebinding), gets
nowhere; every connection is checked, each hop of a redirect included. TLS still verifies
the certificate against the name. It lives in the kernel so that every service fetching a
user-influenced address (the connectors' provider calls, the downloader's cover art) uses
the same one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from services.kernel.addresses import AddressPolicy, IpAddress


class BlockedAddress(Exception):
    """The server's name resolved to no address the policy allows."""


async def _resolve(host: str, port: int) -> list[IpAddress]:
    """Every address ``host`` resolves to (a literal address is itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise httpcore.ConnectError(f"cannot resolve {host}") from error
    # The scope of a link-local IPv6 address ("fe80::1%eth0") is not part of the address.
    return list(
        dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found)
    )


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, then connects to the checked address itself (not the name)."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        allowed = [a for a in await _resolve(host, port) if self.policy.permits(host, a)]
        if not allowed:
            raise BlockedAddress(host)
        failure: Exception | None = None
        for address in allowed:
            try:
                # TLS still checks the certificate against the name: httpcore passes the
                # origin's host as the server name, not this address.
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress(path)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An HTTP transport that connects only where ``policy`` allows, checked on the
    resolved address of every connection it makes (each hop of a redirect included)."""

    def __init__(self, policy: AddressPolicy, **options: Any) -> None:
        # No proxy from the environment: a proxy would resolve the name, past our check.
        super().__init__(trust_env=False, **options)
        # httpx takes no network backend, but its pool does; set before any connection.
        pool: Any = self._pool
        if not hasattr(pool, "_network_backend"):
            raise RuntimeError("this httpcore has no network backend to guard")
        pool._network_backend = _GuardedBackend(policy)


def guarded_client(policy: AddressPolicy, base_url: str, timeout_s: float) -> httpx.AsyncClient:
    """A client for a user-given server: guarded transport, redirects not followed."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout_s,
        follow_redirects=False,
        transport=GuardedTransport(policy),
        trust_env=False,
    )
