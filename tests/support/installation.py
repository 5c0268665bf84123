"""All five services in this process, against a real NATS: no stand-ins for our own parts.

Each service runs through the same ``Runtime`` its ``__main__`` uses, with its own tracer
provider, so one in-memory exporter can see a trace cross every service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
from faststream.nats import NatsBroker
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from services.connectors.adapters.deezer import DeezerSettings
from services.connectors.app import ConnectorsApp
from services.connectors.registry import ProviderSettings
from services.connectors.settings import ConnectorsSettings
from services.downloader.adapters.search import AudioSearch
from services.downloader.app import DownloaderApp
from services.downloader.settings import DownloaderSettings
from services.gateway.app import GatewayApp
from services.gateway.settings import GatewaySettings
from services.kernel import grpcwire
from services.kernel.bus import Bus, BusSettings, jetstream
from services.kernel.library import LibrarySettings
from services.kernel.runtime import Runtime
from services.kernel.settings import TransportSettings
from services.kernel.store import Store
from services.kernel.subjects import Topology
from services.matcher.app import MatcherApp
from services.matcher.settings import MatcherSettings
from services.scheduler.app import SchedulerApp
from services.scheduler.settings import SchedulerSettings
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.scripted import serving
from tests.support.nats_auth import identities_for
from tests.support.users import sign_in

log = logging.getLogger("tests.installation")
#: A service stopping slower than this is worth a line in the test's log.
SLOW_STOP_S = 5.0


@dataclass
class Hands:
    """The test's own bus and store on the installation's NATS, as ``admin``: what a test
    publishes or looks at directly. (A service's own bus may publish only its own events,
    and its store holds only its own buckets.)"""

    bus: Bus
    store: Store


@dataclass
class Installation:
    """A running installation: its HTTP base URL, each service's runtime, and the signed-in
    admin (its user id, and the API token its clients carry)."""

    base_url: str
    runtimes: dict[str, Runtime]
    bus_settings: BusSettings
    user_id: str = ""
    token: str = ""
    #: Each service's own credentials, for a test that starts another replica of one.
    transports: dict[str, TransportSettings] = field(default_factory=dict)
    admin: Hands | None = None
    #: Every instance of each service, first the one in ``runtimes`` (more than one when
    #: started with ``instances``: replicas sharing the work).
    replicas: dict[str, list[Runtime]] = field(default_factory=dict)
    #: Start one more instance of a service, as its others were started (a replica
    #: coming back after a crash); it is stopped with the installation.
    spawn: Callable[[str], Awaitable[Runtime]] | None = None

    def dial(self, service: str, caller: str = "gateway") -> grpc.aio.Channel:
        """A gRPC channel to ``service`` whose calls carry ``caller``'s own token."""
        address = f"127.0.0.1:{self.runtimes[service].context.detail['grpc_port']}"
        token = self.transports[caller].grpc_token
        return grpcwire.channel(address, TracerProvider(), grpcwire.GrpcAuth(token))

    @property
    def bus(self) -> Bus:
        """The test's bus: publishes any event (as ``admin``)."""
        assert self.admin is not None
        return self.admin.bus

    @property
    def store(self) -> Store:
        """The test's store: every bucket of the installation (as ``admin``)."""
        assert self.admin is not None
        return self.admin.store

    def client(self, **options: Any) -> httpx.AsyncClient:
        """An HTTP client of the API, acting as the signed-in admin."""
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            **options,
        )


def fast_bus_settings(
    nats_url: str,
    namespace: str,
    redis_url: str | None = None,
    replicas: int = 1,
    ack_wait_s: float = 30,
    production_retries: bool = False,
) -> BusSettings:
    """Delivery settings with short back-off, so retry paths run in test time; with
    ``production_retries``, the shipped redelivery policy (what rides out a NATS node's
    failover, seconds long, which the short one gives up on)."""
    shipped = BusSettings()
    return BusSettings(
        nats_url=nats_url,
        redis_url=redis_url,
        namespace=namespace,
        max_deliver=shipped.max_deliver if production_retries else 3,
        retry_backoff_s=shipped.retry_backoff_s if production_retries else (0.1, 0.2),
        ack_wait_s=ack_wait_s,
        replicas=replicas,
    )


@contextlib.asynccontextmanager
async def running_installation(
    nats_url: str,
    namespace: str,
    span_processors: Sequence[SpanProcessor] = (),
    redis_url: str | None = None,
    providers: ProviderSettings | None = None,
    search: AudioSearch | None = None,
    library_dir: Path | None = None,
    allowed_server_hosts: Sequence[str] = ("127.0.0.1",),
    library_roots: LibrarySettings | None = None,
    instances: int = 1,
    bus_replicas: int = 1,
    ack_wait_s: float = 30,
    downloader_options: dict[str, Any] | None = None,
    production_retries: bool = False,
) -> AsyncIterator[Installation]:
    """Start the five services (gateway last, on a free port) and stop them afterwards.

    ``allowed_server_hosts``: the emulators run on loopback, which a user-given server URL
    may reach only when an administrator allows it; ``()`` leaves the default refusal.
    ``library_roots``: the library roots (by default the temporary directory, where tests
    keep their music folders). ``instances``: how many of each service (replicas sharing
    the work; gRPC clients are given every matcher and connectors address).
    ``bus_replicas``: copies of each stream and bucket (3 on a three-node cluster).
    ``downloader_options``: more ``DownloaderSettings`` fields (its sources, say).
    ``production_retries``: the shipped redelivery policy instead of the short one."""
    roots = library_roots or LibrarySettings(roots=(tempfile.gettempdir(),))
    delivery = (bus_replicas, ack_wait_s, production_retries)
    bus = fast_bus_settings(nats_url, namespace, redis_url, *delivery)
    runtimes: dict[str, Runtime] = {}
    replicas: dict[str, list[Runtime]] = {}
    identities = contextlib.AsyncExitStack()
    service_url, transports = identities.enter_context(identities_for(nats_url, namespace))
    # Each service connects as itself, held to its own permissions (as under ``up``).
    service_bus = fast_bus_settings(service_url, namespace, redis_url, *delivery)

    factories: dict[str, Callable[[], object]] = {}

    async def spawn(name: str) -> Runtime:
        made = Runtime(
            factories[name](),  # type: ignore[arg-type]
            service_bus,
            span_processors=span_processors,
            transport=transports[name],
        )
        runtimes.setdefault(name, made)
        replicas.setdefault(name, []).append(made)
        await made.start()
        return made

    async def start(name: str, make: Callable[[], object]) -> None:
        factories[name] = make
        for _ in range(instances):
            await spawn(name)

    def addresses(name: str) -> str:
        """Every instance's gRPC address; with more than one, a list the channel picks a
        live one from (as a Kubernetes Service would)."""
        ports = [made.context.detail["grpc_port"] for made in replicas[name]]
        if len(ports) == 1:
            return f"127.0.0.1:{ports[0]}"
        return "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports)

    try:
        await start(
            "connectors",
            lambda: ConnectorsApp(
                ConnectorsSettings(grpc_port=0, allowed_server_hosts=tuple(allowed_server_hosts)),
                providers or ProviderSettings(),
                roots,
            ),
        )
        await start("matcher", lambda: MatcherApp(MatcherSettings(grpc_port=0)))
        matcher = addresses("matcher")
        library = library_dir or Path(tempfile.mkdtemp(prefix="library-")) / "Music"
        downloads = DownloaderSettings(
            library_dir=str(library),
            downloads_dir=str(library.parent / "Downloads"),
            matcher_address=matcher,
            grpc_port=0,
            **(downloader_options or {}),
        )
        await start("downloader", lambda: DownloaderApp(downloads, search))
        await start("scheduler", lambda: SchedulerApp(SchedulerSettings(schedule_tick_s=0.2)))
        await start(
            "gateway",
            lambda: GatewayApp(
                GatewaySettings(
                    port=0,
                    matcher_address=matcher,
                    catalog_address=addresses("connectors"),
                    downloader_address=addresses("downloader"),
                ),
                (providers or ProviderSettings()).secrets,
                roots,
            ),
        )
        base_url = f"http://127.0.0.1:{runtimes['gateway'].app.port}"  # type: ignore[attr-defined]
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as api:
            user_id = await sign_in(api)
            token = api.headers["Authorization"].removeprefix("Bearer ")
        admin = NatsBroker(bus.servers)
        await admin.connect()
        hands = Hands(
            Bus(admin, Topology(namespace), "tests", bus),
            Store(jetstream(admin), Topology(namespace), bus_replicas),
        )

        async def stop_admin() -> None:
            # A cluster node just killed: the test's connection may be reconnecting, and
            # nats-py refuses to drain then; nothing of the test's is left to drain.
            with contextlib.suppress(Exception):
                await admin.stop()

        identities.push_async_callback(stop_admin)
        await hands.store.open()
        yield Installation(
            base_url, runtimes, bus, user_id, token, transports, hands, replicas, spawn
        )
    finally:
        # Service after service, the gateway first; a service's replicas side by side, as
        # pods stop (each may wait out its handlers in hand and its connection's drain).
        for every in reversed(list(replicas.values())):
            began = time.monotonic()
            await asyncio.gather(*(made.stop() for made in every))
            if (took := time.monotonic() - began) > SLOW_STOP_S:
                log.warning("stopping the %s took %.1f s", every[0].app.name, took)
        await identities.aclose()


@contextlib.asynccontextmanager
async def installation_with_deezer(
    nats_url: str,
    namespace: str,
    state: DeezerState | None = None,
    search: AudioSearch | None = None,
    library_dir: Path | None = None,
) -> AsyncIterator[Installation]:
    """A running installation whose Deezer catalog is the emulator serving ``state``."""
    async with (
        serving(deezer_app(state or DeezerState())) as deezer_url,
        running_installation(
            nats_url,
            namespace,
            providers=ProviderSettings(deezer=DeezerSettings(api_url=deezer_url)),
            search=search,
            library_dir=library_dir,
        ) as installation,
    ):
        yield installation
