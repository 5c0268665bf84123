"""The life of one service process: connect, declare, subscribe, serve, beat, stop cleanly.

A service supplies a ``ServiceApp``: what to subscribe to, what to serve, how to stop. The
runtime does the rest the same way for all five: the broker with tracing and metrics
middleware, idempotent declaration of streams and buckets, a heartbeat in the ``services``
bucket (what the gateway's health reads), and an ops HTTP port with ``/livez``, ``/readyz``
and ``/metrics`` for probes and Prometheus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, Protocol

from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.nats.prometheus import NatsPrometheusMiddleware
from faststream.security import SASLPlaintext
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from services.kernel import telemetry
from services.kernel.aio import cancelled
from services.kernel.bus import (
    NOT_YET,
    Bus,
    BusSettings,
    declare_streams,
    jetstream,
    patiently,
)
from services.kernel.contracts import utcnow
from services.kernel.grpcwire import GrpcAuth
from services.kernel.records import ServiceStatus
from services.kernel.settings import TransportSettings
from services.kernel.store import Store
from services.kernel.subjects import Topology, buckets_of, inbox_prefix

log = logging.getLogger("tunebridge.runtime")

HEARTBEAT_SECONDS = 5.0

#: The five services, in the order ``tunebridge up`` starts them.
SERVICE_NAMES = ("connectors", "matcher", "downloader", "scheduler", "gateway")


@dataclass
class ServiceContext:
    """What the runtime hands to a service: its bus, its store and its telemetry."""

    name: str
    bus: Bus
    store: Store
    topology: Topology
    bus_settings: BusSettings
    tracer_provider: TracerProvider
    registry: CollectorRegistry
    detail: dict[str, str] = field(default_factory=dict)
    #: This service's gRPC token and its peers: what its channels and servers use.
    grpc_auth: GrpcAuth = field(default_factory=GrpcAuth)


class ServiceApp(Protocol):
    """One service's own parts; everything common is the runtime's."""

    name: ClassVar[str]

    def subscribe(self, ctx: ServiceContext) -> None:
        """Register bus consumers (before the broker starts)."""

    async def start(self, ctx: ServiceContext) -> None:
        """Start servers (gRPC, HTTP) once the bus and store are up."""

    async def stop(self) -> None:
        """Stop accepting work and finish what is in hand."""


async def _start_consuming(broker: NatsBroker) -> None:
    """Start the broker's consumers; if JetStream fails one, stop those already started,
    so that the next try starts each once (FastStream's start is not made to be repeated)."""
    try:
        await broker.start()
    except NOT_YET:
        for subscriber in broker.subscribers:
            with contextlib.suppress(Exception):
                await subscriber.stop()
        raise


#: How long a stopping service waits for the work in hand (seconds).
STOP_GRACE_S = 30.0


class Runtime:
    """Runs one ``ServiceApp`` against NATS until stopped."""

    def __init__(
        self,
        app: ServiceApp,
        bus_settings: BusSettings,
        *,
        ops_host: str = "127.0.0.1",
        ops_port: int | None = None,
        span_processors: Sequence[SpanProcessor] = (),
        transport: TransportSettings | None = None,
    ) -> None:
        self.app = app
        self.bus_settings = bus_settings
        self.transport = transport or TransportSettings()
        self.ops_address = (ops_host, ops_port)
        self.instance = f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self.ready = False
        self._span_processors = span_processors
        self._heartbeat: asyncio.Task[None] | None = None
        self._ops: ThreadingHTTPServer | None = None
        self._ctx: ServiceContext | None = None
        self._started_at = utcnow()

    @property
    def context(self) -> ServiceContext:
        """The running service's context."""
        assert self._ctx is not None, "runtime not started"
        return self._ctx

    async def start(self) -> None:
        """Connect, declare, subscribe, start the service, then report ready."""
        name = self.app.name
        topology = Topology(self.bus_settings.namespace)
        provider = telemetry.tracer_provider(name, self._span_processors)
        registry = CollectorRegistry()
        bus_logger = logging.getLogger(f"tunebridge.{name}.bus")
        transport = self.transport
        identity = transport.nats_user or name
        credentials: dict[str, object] = {}
        if transport.nats_user:
            credentials = {
                "security": SASLPlaintext(
                    username=transport.nats_user, password=transport.nats_password
                ),
                # Replies to this identity arrive where only it may subscribe.
                "inbox_prefix": inbox_prefix(transport.nats_user),
            }
        broker = NatsBroker(
            self.bus_settings.servers,  # one server, or any of a cluster's
            name=f"tunebridge-{name}",
            # A restarted NATS comes back on the same address: wait for it however long.
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            **credentials,  # type: ignore[arg-type]
            middlewares=[
                NatsTelemetryMiddleware(tracer_provider=provider),
                NatsPrometheusMiddleware(registry=registry, app_name=name),
            ],
            logger=bus_logger,
            log_level=logging.DEBUG,  # one line per message is debugging detail
            graceful_timeout=10.0,
        )
        await broker.connect()
        replicas = self.bus_settings.replicas
        # A replica (re)started while its cluster recovers from a lost node meets seconds
        # of silence from JetStream: each step below waits it out instead of failing.
        await patiently(
            "declaring streams", lambda: declare_streams(jetstream(broker), topology, replicas)
        )
        store = Store(jetstream(broker), topology, replicas)
        names = buckets_of(identity) if transport.nats_user else None
        await patiently("opening its buckets", lambda: store.open(names))
        ctx = ServiceContext(
            name=name,
            bus=Bus(
                broker,
                topology,
                name,
                self.bus_settings,
                inbox=inbox_prefix(transport.nats_user) if transport.nats_user else "_INBOX",
            ),
            store=store,
            topology=topology,
            bus_settings=self.bus_settings,
            tracer_provider=provider,
            registry=registry,
            grpc_auth=GrpcAuth.parse(transport.grpc_token, transport.grpc_peers),
        )
        self._ctx = ctx
        self.app.subscribe(ctx)
        await ctx.bus.declare_consumers()
        await patiently("starting its consumers", lambda: _start_consuming(broker))
        await self.app.start(ctx)
        if self.ops_address[1] is not None:
            self._start_ops_server()
        self.ready = True
        await patiently("writing its first heartbeat", self._beat)
        self._heartbeat = asyncio.create_task(self._beat_forever())
        log.info("service ready", extra={"instance": self.instance, **ctx.detail})

    async def stop(self) -> None:
        """Stop beating, stop the service, drain the broker; safe to call twice."""
        self.ready = False
        if self._heartbeat:
            await cancelled(self._heartbeat)  # a beat's store write may lose one cancel
            self._heartbeat = None
        if self._ops:
            self._ops.shutdown()
            self._ops.server_close()
            self._ops = None
        if self._ctx is None:
            return
        ctx, self._ctx = self._ctx, None
        await self.app.stop()
        with contextlib.suppress(Exception):
            await ctx.store.delete("services", self._heartbeat_key)
        try:
            # Handlers in hand get a while to finish; one that does not (a download stuck on
            # its source) must not hold the stop for ever: its message, never acknowledged,
            # is simply delivered again to whoever runs next.
            await asyncio.wait_for(ctx.bus.broker.stop(), STOP_GRACE_S)
        except TimeoutError:
            log.warning(
                "work in hand did not finish within %.0f s of stopping; it will be done again",
                STOP_GRACE_S,
            )
            connection = getattr(ctx.bus.broker, "_connection", None)
            with contextlib.suppress(Exception):
                if connection is not None:
                    await connection.close()
        except Exception as error:  # NATS already gone: nothing left to drain
            log.warning("bus did not drain", extra={"error": repr(error)})
        ctx.tracer_provider.shutdown()
        log.info("service stopped", extra={"instance": self.instance})

    async def serve_forever(self) -> None:
        """Start, run until SIGINT or SIGTERM, then stop gracefully."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            await stop.wait()
        finally:
            await self.stop()

    @property
    def _heartbeat_key(self) -> str:
        return f"{self.app.name}.{self.instance.replace('.', '_')}"

    async def _beat(self) -> None:
        ctx = self.context
        status = ServiceStatus(
            service=self.app.name,
            instance=self.instance,
            ready=self.ready and ctx.bus.broker.config.connection_state.connection.is_connected,
            pid=os.getpid(),
            started_at=self._started_at,
            at=utcnow(),
            detail=ctx.detail,
        )
        await ctx.store.put("services", self._heartbeat_key, status)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self._beat()
            except Exception:  # a missed beat must not kill the service; health will show it
                log.warning("heartbeat failed", exc_info=True)

    def _start_ops_server(self) -> None:
        runtime = self

        class OpsHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/livez":
                    self._reply(200, b"ok\n", "text/plain")
                elif self.path == "/readyz":
                    ok = runtime.ready
                    self._reply(
                        200 if ok else 503, b"ready\n" if ok else b"not ready\n", "text/plain"
                    )
                elif self.path == "/metrics":
                    body = generate_latest(runtime.context.registry)
                    self._reply(200, body, CONTENT_TYPE_LATEST)
                else:
                    self._reply(404, b"not found\n", "text/plain")

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # probes every few seconds would drown the logs

        host, port = self.ops_address
        try:
            self._ops = ThreadingHTTPServer((host, port or 0), OpsHandler)
        except OSError as error:
            # Two services started alone on one machine both default to 9090: the second
            # takes a free port rather than failing, and says which.
            log.warning(
                "ops port taken, using a free one", extra={"port": port, "error": error.strerror}
            )
            self._ops = ThreadingHTTPServer((host, 0), OpsHandler)
        self.context.detail["ops_port"] = str(self._ops.server_address[1])
        threading.Thread(target=self._ops.serve_forever, name="ops", daemon=True).start()
