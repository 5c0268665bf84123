"""``tunebridge up``: the embedded default, everything on one machine with one command.

Starts a private ``nats-server`` with JetStream under the data directory (unless
``NATS_URL`` names one), then each service as its own child process, waits until the
gateway's health says all are ready, and prints the URL. A child that dies is reported
and restarted with back-off. SIGINT/SIGTERM stop everything; children are also tied to
this process's life (``PR_SET_PDEATHSIG``), so even a killed supervisor leaves nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.kernel.crypto import generate_key_spec
from services.kernel.natsserver import NatsServer
from services.kernel.runtime import SERVICE_NAMES

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
MAX_BACKOFF_S = 30.0
#: A child that ran this long without dying has its back-off reset.
STABLE_AFTER_S = 60.0


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


def secret_keys(data_dir: Path) -> str:
    """``TUNEBRIDGE_SECRETS__KEYS`` from the environment, else a key kept in the data dir."""
    if os.environ.get("TUNEBRIDGE_SECRETS__KEYS"):
        return os.environ["TUNEBRIDGE_SECRETS__KEYS"]
    key_file = data_dir / "secret.keys"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(generate_key_spec() + "\n")
    return key_file.read_text().strip()


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

    def __init__(self, data_dir: Path, host: str, port: int) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.nats: NatsServer | None = None
        self.children: list[Child] = []
        self.stopping = False

    def _environment(self, nats_url: str) -> dict[str, str]:
        matcher_port, catalog_port = free_port(), free_port()
        env = dict(os.environ)
        env.update(
            {
                "NATS_URL": nats_url,
                "TUNEBRIDGE_SECRETS__KEYS": secret_keys(self.data_dir),
                "TUNEBRIDGE_GATEWAY__HOST": self.host,
                "TUNEBRIDGE_GATEWAY__PORT": str(self.port),
                "TUNEBRIDGE_GATEWAY__MATCHER_ADDRESS": f"127.0.0.1:{matcher_port}",
                "TUNEBRIDGE_GATEWAY__CATALOG_ADDRESS": f"127.0.0.1:{catalog_port}",
                "TUNEBRIDGE_MATCHER__GRPC_PORT": str(matcher_port),
                "TUNEBRIDGE_DOWNLOADER__MATCHER_ADDRESS": f"127.0.0.1:{matcher_port}",
                "TUNEBRIDGE_CONNECTORS__GRPC_PORT": str(catalog_port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        # One machine, five services: ops ports are picked freely rather than all on 9090.
        for name in SERVICE_NAMES:
            env.setdefault(f"TUNEBRIDGE_{name.upper()}__OPS_PORT", "0")
        return env

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            try:
                probe.bind((self.host, self.port))
            except OSError as error:
                raise SystemExit(
                    f"tunebridge: port {self.port} on {self.host} is taken ({error.strerror}); "
                    "choose another with --port"
                ) from None
        nats_url = os.environ.get("NATS_URL", "")
        if not nats_url:
            self.nats = NatsServer(self.data_dir / "nats")
            nats_url = self.nats.start(preexec_fn=_die_with_parent)
            _say(f"embedded NATS with JetStream on {nats_url}")
        env = self._environment(nats_url)
        self.children = [Child(name, env) for name in SERVICE_NAMES]
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

    def watch(self) -> None:
        """Report dead children and restart them after their back-off."""
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


def run_up(data_dir: Path | None, host: str, port: int) -> int:
    """Run until SIGINT or SIGTERM; returns the exit status."""
    supervisor = Supervisor(data_dir or default_data_dir(), host, port)

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
