"""``tunebridge up``: the embedded default, everything on one machine with one command.

Starts a private ``nats-server`` with JetStream under the data directory (unless
``NATS_URL`` names one), then each service as its own child process, waits until the
gateway's health says all are ready, and prints the URL. A child that dies is reported
and restarted with back-off; so is the NATS server, on the same port and the same data,
and the services reconnect to it. SIGINT/SIGTERM stop everything; children are also tied
to this process's life (``PR_SET_PDEATHSIG``), so even a killed supervisor leaves nothing.

Nothing inside trusts a stranger: on first start each service gets its own NATS user
(held to the subjects and buckets ``subjects.ACCESS`` gives it) and its own gRPC token,
kept in ``credentials.json`` (0600, in the 0700 data directory) and reused on restart.
Each child is handed only its own credentials, and only the gateway and the connectors the
sealing key.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats

from services.kernel.bus import BusSettings, declare_streams, patiently
from services.kernel.crypto import generate_key_spec
from services.kernel.grpcwire import token_digest
from services.kernel.natsserver import (
    NatsServer,
    NatsUser,
    authorization,
    server_config,
    write_private,
)
from services.kernel.runtime import SERVICE_NAMES
from services.kernel.settings import TransportSettings, load_or_exit
from services.kernel.store import Store
from services.kernel.subjects import ADMIN, Topology, nats_permissions

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
MAX_BACKOFF_S = 30.0
#: A child that ran this long without dying has its back-off reset.
STABLE_AFTER_S = 60.0
#: The services that seal and open stored secrets (provider tokens, webhook and TOTP
#: secrets); no other is given the key.
SEALING_SERVICES = frozenset({"gateway", "connectors"})


def default_data_dir() -> Path:
    """``$TUNEBRIDGE_DATA_DIR``, else the XDG data directory."""
    if os.environ.get("TUNEBRIDGE_DATA_DIR"):
        return Path(os.environ["TUNEBRIDGE_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tunebridge"


def _die_with_parent() -> None:
    """In the child before exec: receive SIGTERM when the supervisor dies, however it dies."""
    # Not Linux: no libc.so.6, and the signal handlers still stop children on a clean exit.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _say(message: str) -> None:
    print(f"tunebridge: {message}", file=sys.stderr, flush=True)


async def declare_as_admin(
    servers: list[str], user: str, password: str, topology: Topology, replicas: int = 1
) -> None:
    """Every stream and bucket made, or brought to this version's config, by the admin
    identity before any service starts: a service may make what is missing, never change
    a stream. A server not up yet is waited for (a minute), as the services wait."""
    connection = await nats.connect(
        servers,
        user=user,
        password=password,
        # A refused identity fails at once; a server not listening yet is tried again.
        allow_reconnect=False,
        max_reconnect_attempts=30,
        reconnect_time_wait=2,
        error_cb=_not_yet,
    )
    try:
        js = connection.jetstream()
        await patiently(
            "declaring streams", lambda: declare_streams(js, topology, replicas, update=True)
        )
        await patiently("declaring buckets", lambda: Store(js, topology, replicas).open())
    finally:
        await connection.close()


async def _not_yet(error: Exception) -> None:
    _say(f"NATS is not answering yet ({type(error).__name__}); trying again")


def run_declare() -> int:
    """``tunebridge declare``: what ``tunebridge up`` does before its services start, for
    compose and Helm (run before the services, and after each upgrade), from the same
    settings as the services (``NATS_URL``, ``TUNEBRIDGE_BUS__*``) and the admin's
    credentials (``TUNEBRIDGE_TRANSPORT__FILE``: the ``admin.json`` that ``tunebridge
    credentials`` writes)."""
    bus = load_or_exit(BusSettings, "bus")
    transport = load_or_exit(TransportSettings, "transport")
    if transport.nats_user != ADMIN:
        _say(f"declare runs as the {ADMIN} identity (admin.json); a service may not")
        return 2
    topology = Topology(bus.namespace)
    try:
        asyncio.run(
            declare_as_admin(
                bus.servers, transport.nats_user, transport.nats_password, topology, bus.replicas
            )
        )
    except (OSError, nats.errors.Error) as error:
        _say(f"could not declare the streams and buckets: {type(error).__name__}: {error}")
        return 1
    _say(f"streams and buckets declared{f' for {bus.namespace}' if bus.namespace else ''}")
    return 0


def secret_keys(data_dir: Path) -> str:
    """``TUNEBRIDGE_SECRETS__KEYS`` from the environment, else a key kept in the data dir."""
    if os.environ.get("TUNEBRIDGE_SECRETS__KEYS"):
        return os.environ["TUNEBRIDGE_SECRETS__KEYS"]
    key_file = data_dir / "secret.keys"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(generate_key_spec() + "\n")
    key_file.chmod(0o600)  # as credentials.json: whatever its mode became meanwhile
    return key_file.read_text().strip()


@dataclass(frozen=True)
class Credentials:
    """Every identity's NATS password and every service's gRPC token."""

    nats: dict[str, str]
    grpc: dict[str, str]

    @classmethod
    def load_or_make(cls, data_dir: Path) -> Credentials:
        """The installation's credentials, made on first start and kept (0600)."""
        path = data_dir / "credentials.json"
        if path.exists():
            stored = json.loads(path.read_text())
            made = cls(nats=dict(stored["nats"]), grpc=dict(stored["grpc"]))
        else:
            made = cls(nats={}, grpc={})
        missing = [n for n in (*SERVICE_NAMES, ADMIN) if n not in made.nats]
        missing += [n for n in SERVICE_NAMES if n not in made.grpc]
        for name in (*SERVICE_NAMES, ADMIN):
            made.nats.setdefault(name, secrets.token_urlsafe(32))
        for name in SERVICE_NAMES:
            made.grpc.setdefault(name, secrets.token_urlsafe(32))
        if missing or not path.exists():
            fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump({"nats": made.nats, "grpc": made.grpc}, handle, indent=2)
            os.replace(path.with_suffix(".tmp"), path)
        path.chmod(0o600)
        return made

    def nats_users(self, topology: Topology) -> list[NatsUser]:
        return [
            NatsUser(name, self.nats[name], nats_permissions(name, topology))
            for name in (*SERVICE_NAMES, ADMIN)
        ]

    def settings(self, service: str) -> dict[str, object]:
        """``service``'s ``TransportSettings`` as the JSON of its credentials file."""
        return {
            "nats_user": service,
            "nats_password": self.nats[service],
            "grpc_token": self.grpc[service],
            "grpc_peers": [f"{n}=sha256:{token_digest(t)}" for n, t in sorted(self.grpc.items())],
        }

    def environment(self, service: str, with_nats: bool) -> dict[str, str]:
        """``service``'s own credentials as its settings (no one else's)."""
        peers = ",".join(f"{n}=sha256:{token_digest(t)}" for n, t in sorted(self.grpc.items()))
        env = {"TUNEBRIDGE_TRANSPORT__GRPC_TOKEN": self.grpc[service]}
        env["TUNEBRIDGE_TRANSPORT__GRPC_PEERS"] = peers
        if with_nats:
            env["TUNEBRIDGE_TRANSPORT__NATS_USER"] = service
            env["TUNEBRIDGE_TRANSPORT__NATS_PASSWORD"] = self.nats[service]
        return env


@dataclass
class Child:
    """One supervised service process."""

    name: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0
    backoff: float = field(default=1.0)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            # Out of the terminal's process group: Ctrl-C reaches only the supervisor,
            # which then stops the services before NATS, so they can drain.
            start_new_session=True,
        )
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    """Starts, watches and stops the embedded installation."""

    def __init__(self, data_dir: Path, host: str, port: int, nats_url: str = "") -> None:
        self.data_dir = data_dir
        #: A NATS of the operator's (one server, or a cluster's comma-separated list).
        self.nats_url = nats_url
        self.host = host
        self.port = port
        self.nats: NatsServer | None = None
        self.children: list[Child] = []
        self.stopping = False
        self.nats_backoff = 1.0
        self.nats_next_start = 0.0
        self.nats_started_at = 0.0

    def _environment(self, nats_url: str) -> dict[str, str]:
        matcher_port, catalog_port, downloader_port = free_port(), free_port(), free_port()
        env = dict(os.environ)
        env.update(
            {
                "NATS_URL": nats_url,
                "TUNEBRIDGE_GATEWAY__HOST": self.host,
                "TUNEBRIDGE_GATEWAY__PORT": str(self.port),
                "TUNEBRIDGE_GATEWAY__MATCHER_ADDRESS": f"127.0.0.1:{matcher_port}",
                "TUNEBRIDGE_GATEWAY__CATALOG_ADDRESS": f"127.0.0.1:{catalog_port}",
                "TUNEBRIDGE_MATCHER__GRPC_PORT": str(matcher_port),
                "TUNEBRIDGE_DOWNLOADER__MATCHER_ADDRESS": f"127.0.0.1:{matcher_port}",
                "TUNEBRIDGE_CONNECTORS__GRPC_PORT": str(catalog_port),
                "TUNEBRIDGE_GATEWAY__DOWNLOADER_ADDRESS": f"127.0.0.1:{downloader_port}",
                "TUNEBRIDGE_DOWNLOADER__GRPC_PORT": str(downloader_port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        # One machine, five services: ops ports are picked freely rather than all on 9090.
        for name in SERVICE_NAMES:
            env.setdefault(f"TUNEBRIDGE_{name.upper()}__OPS_PORT", "0")
        return env

    def _child_environment(
        self, env: dict[str, str], name: str, credentials: Credentials
    ) -> dict[str, str]:
        """The shared settings, this service's own credentials, and the sealing key only
        where it is used."""
        own = dict(env)
        own.pop("TUNEBRIDGE_SECRETS__KEYS", None)
        if name in SEALING_SERVICES:
            own["TUNEBRIDGE_SECRETS__KEYS"] = secret_keys(self.data_dir)
        own.update(credentials.environment(name, with_nats=self.nats is not None))
        return own

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)  # keys, credentials and the NATS store are ours alone
        credentials = Credentials.load_or_make(self.data_dir)
        with socket.socket() as probe:
            try:
                probe.bind((self.host, self.port))
            except OSError as error:
                raise SystemExit(
                    f"tunebridge: port {self.port} on {self.host} is taken ({error.strerror}); "
                    "choose another with --port"
                ) from None
        nats_url = self.nats_url or os.environ.get("NATS_URL", "")
        if not nats_url:
            topology = Topology(os.environ.get("TUNEBRIDGE_BUS__NAMESPACE", ""))
            self.nats = NatsServer(self.data_dir / "nats", credentials.nats_users(topology))
            nats_url = self.nats.start(preexec_fn=_die_with_parent)
            self.nats_started_at = time.monotonic()
            _say(f"embedded NATS with JetStream on {nats_url}")
            asyncio.run(declare_as_admin([nats_url], ADMIN, credentials.nats[ADMIN], topology))
        env = self._environment(nats_url)
        self.children = [
            Child(name, self._child_environment(env, name, credentials)) for name in SERVICE_NAMES
        ]
        for child in self.children:
            child.start()
        return f"http://{self.host}:{self.port}"

    def wait_ready(self, url: str) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and not self.stopping:
            self.watch()
            with contextlib.suppress(httpx.HTTPError):  # not listening yet
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    return True
            time.sleep(0.25)
        return False

    def watch_nats(self) -> None:
        """Report a dead NATS server and start it again, on the same port and data, after
        its back-off; the services reconnect by themselves."""
        nats = self.nats
        if nats is None or self.stopping:
            return
        now = time.monotonic()
        if nats.alive():
            if now - self.nats_started_at > STABLE_AFTER_S:
                self.nats_backoff = 1.0
            return
        if nats.process is not None:
            code = nats.process.returncode
            why = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
            _say(f"NATS {why}; restarting it on {nats.url} in {self.nats_backoff:.0f}s")
            nats.process = None
            self.nats_next_start = now + self.nats_backoff
            self.nats_backoff = min(self.nats_backoff * 2, MAX_BACKOFF_S)
        elif now >= self.nats_next_start:
            try:
                nats.start(preexec_fn=_die_with_parent)
            except (RuntimeError, TimeoutError, OSError) as error:
                _say(f"NATS did not start again ({error}); retrying in {self.nats_backoff:.0f}s")
                self.nats_next_start = now + self.nats_backoff
                self.nats_backoff = min(self.nats_backoff * 2, MAX_BACKOFF_S)
                return
            self.nats_started_at = time.monotonic()
            _say(f"NATS is back on {nats.url}")

    def watch(self) -> None:
        """Report dead children (and NATS) and restart them after their back-off."""
        self.watch_nats()
        now = time.monotonic()
        for child in self.children:
            if child.alive():
                if now - child.started_at > STABLE_AFTER_S:
                    child.backoff = 1.0
                continue
            if child.process is not None:
                code = child.process.returncode
                _say(f"{child.name} exited with status {code}; restarting in {child.backoff:.0f}s")
                child.process = None
                child.next_start = now + child.backoff
                child.backoff = min(child.backoff * 2, MAX_BACKOFF_S)
            elif now >= child.next_start and not self.stopping:
                child.restarts += 1
                child.start()

    def stop(self) -> None:
        """SIGTERM every child, wait, SIGKILL stragglers, then stop NATS."""
        self.stopping = True
        for child in self.children:
            if child.alive():
                assert child.process is not None
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _say(f"{child.name} did not stop in time; killing it")
                child.process.kill()
                child.process.wait()
        if self.nats:
            self.nats.stop()


def write_credentials(out: Path, namespace: str = "") -> list[Path]:
    """Credentials for a deployment (compose secrets, a Kubernetes Secret): one file per
    service with only its own, and the NATS server's config with every user's permissions.
    Kept in ``out`` (0700, files 0600); run again, it keeps what it made and rewrites the
    configs (so new permissions reach the server)."""
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)
    credentials = Credentials.load_or_make(out)
    users = credentials.nats_users(Topology(namespace))
    written = [out / "nats-server.conf", out / "nats-auth.conf"]
    write_private(written[0], server_config("0.0.0.0:4222", "/data", users))
    write_private(written[1], authorization(users))
    for name in SERVICE_NAMES:
        path = out / f"{name}.json"
        write_private(path, json.dumps(credentials.settings(name), indent=2) + "\n")
        written.append(path)
    # For ``tunebridge declare`` alone: no service is given it.
    admin = {"nats_user": ADMIN, "nats_password": credentials.nats[ADMIN]}
    written.append(out / f"{ADMIN}.json")
    write_private(written[-1], json.dumps(admin, indent=2) + "\n")
    return written


def run_up(data_dir: Path | None, host: str, port: int, nats_url: str = "") -> int:
    """Run until SIGINT or SIGTERM; returns the exit status."""
    supervisor = Supervisor(data_dir or default_data_dir(), host, port, nats_url)

    def request_stop(signum: int, frame: object) -> None:
        supervisor.stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        url = supervisor.start()
        if supervisor.wait_ready(url):
            print(f"Tunebridge is ready at {url}", flush=True)
        elif not supervisor.stopping:
            _say(
                f"not every service became ready in {READY_TIMEOUT_S:.0f}s; see {url}/api/v1/health"
            )
        while not supervisor.stopping:
            supervisor.watch()
            time.sleep(0.5)
        _say("stopping")
        return 0
    finally:
        supervisor.stop()
