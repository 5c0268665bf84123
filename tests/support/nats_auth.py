"""The test suite's NATS, with authentication on, as an installation has it.

One server serves the whole session; each test isolates itself by a namespace, and the
names of its buckets carry that namespace. NATS permissions name buckets exactly, so each
running installation registers its namespace: the server's users are rewritten with the
permissions of every namespace in use and the config reloaded (in about 10 ms, without
dropping a connection). The ``admin`` identity may do everything: it is what tests that
use the bus or the store directly connect as (its credentials ride in ``nats_url``).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import nats
from nats.aio.client import Client

from services.kernel.grpcwire import token_digest
from services.kernel.natsserver import NatsUser
from services.kernel.runtime import SERVICE_NAMES
from services.kernel.settings import TransportSettings
from services.kernel.subjects import ADMIN, Topology, inbox_prefix, nats_permissions


def with_credentials(url: str, user: str, password: str) -> str:
    """``url`` (or each of a comma-separated list) carrying ``user:password``."""
    if "," in url:
        return ",".join(with_credentials(one, user, password) for one in url.split(","))
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.hostname}:{parts.port}"))


def without_credentials(url: str) -> str:
    """``url`` (or each of a comma-separated list) with any user and password taken out."""
    if "," in url:
        return ",".join(without_credentials(one) for one in url.split(","))
    parts = urlsplit(url)
    if parts.hostname is None or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{parts.port}"))


class Server(Protocol):
    """One ``NatsServer``, or a ``NatsCluster`` of them (tests/support/cluster.py)."""

    users: list[NatsUser]

    @property
    def url(self) -> str: ...

    def start(self) -> str: ...

    def alive(self) -> bool: ...

    def reload(self, users: Sequence[NatsUser]) -> None: ...


@dataclass
class Identities:
    """Every identity's password and gRPC token (one set per test session)."""

    passwords: dict[str, str] = field(
        default_factory=lambda: {n: secrets.token_urlsafe(24) for n in (*SERVICE_NAMES, ADMIN)}
    )
    grpc_tokens: dict[str, str] = field(
        default_factory=lambda: {n: secrets.token_urlsafe(24) for n in SERVICE_NAMES}
    )

    def transport(self, service: str, nats: bool = True) -> TransportSettings:
        """``service``'s own credentials (without its NATS ones when ``nats`` is False:
        a server of someone else's, given by ``--nats-url``)."""
        peers = tuple(f"{n}=sha256:{token_digest(t)}" for n, t in self.grpc_tokens.items())
        return TransportSettings(
            nats_user=service if nats else "",
            nats_password=self.passwords[service] if nats else "",
            grpc_token=self.grpc_tokens[service],
            grpc_peers=peers,
        )


class AuthenticatedNats:
    """The session's server, its identities, and the namespaces its users may reach."""

    def __init__(self, server: Server, identities: Identities) -> None:
        self.server = server
        self.identities = identities
        self.namespaces: dict[str, int] = {}

    def users(self) -> list[NatsUser]:
        found = [
            NatsUser(ADMIN, self.identities.passwords[ADMIN], nats_permissions(ADMIN, Topology()))
        ]
        for service in SERVICE_NAMES:
            publish: set[str] = set()
            subscribe: set[str] = set()
            for namespace in self.namespaces or {"": 1}:
                granted = nats_permissions(service, Topology(namespace))
                publish |= set(granted["publish"]["allow"])
                subscribe |= set(granted["subscribe"]["allow"])
            permissions = {
                "publish": {"allow": sorted(publish)},
                "subscribe": {"allow": sorted(subscribe)},
            }
            found.append(NatsUser(service, self.identities.passwords[service], permissions))
        return found

    @property
    def admin_url(self) -> str:
        return with_credentials(self.server.url, ADMIN, self.identities.passwords[ADMIN])

    @contextlib.contextmanager
    def serving(self, namespace: str) -> Iterator[None]:
        """Let the services' identities reach ``namespace``'s subjects and buckets."""
        self.namespaces[namespace] = self.namespaces.get(namespace, 0) + 1
        self.server.reload(self.users())
        try:
            yield
        finally:
            self.namespaces[namespace] -= 1
            if not self.namespaces[namespace]:
                del self.namespaces[namespace]
                if self.server.alive():
                    self.server.reload(self.users())


#: The servers this session started, by the URL (admin credentials in it) tests are given.
_SERVERS: dict[str, AuthenticatedNats] = {}


def start(server: Server) -> AuthenticatedNats:
    """Start ``server`` with every identity; remember it for ``identities_for``."""
    identities = Identities()
    started = AuthenticatedNats(server, identities)
    server.users = started.users()
    server.start()
    _SERVERS[started.admin_url] = started
    return started


@contextlib.contextmanager
def identities_for(
    nats_url: str, namespace: str
) -> Iterator[tuple[str, dict[str, TransportSettings]]]:
    """The URL services dial and each service's own credentials, for an installation in
    ``namespace`` on the server at ``nats_url``. A server this session did not start is
    used as given (its URL's credentials, if any, are everyone's)."""
    known = _SERVERS.get(nats_url)
    if known is None:
        identities = Identities()
        yield nats_url, {s: identities.transport(s, nats=False) for s in SERVICE_NAMES}
        return
    with known.serving(namespace):
        transports = {s: known.identities.transport(s) for s in SERVICE_NAMES}
        yield without_credentials(nats_url), transports


async def connect_as(url: str, transport: TransportSettings) -> Client:
    """A connection as the service ``transport`` names, with its own inbox, that gives up
    at once when refused."""
    return await nats.connect(
        url,
        user=transport.nats_user,
        password=transport.nats_password,
        inbox_prefix=inbox_prefix(transport.nats_user),
        allow_reconnect=False,
        max_reconnect_attempts=0,
    )
