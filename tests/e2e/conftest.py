"""Running ``tunebridge up`` for real, and looking at the processes it leaves (or not)."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.cli.up import free_port
from tests.support.youtube import youtube  # noqa: F401  (a fixture for the tests here)

Started = tuple[subprocess.Popen[str], str, Path]


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, grandchildren...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def ready_line(process: subprocess.Popen[str], log: Path, within: float = 90.0) -> str:
    """The line ``tunebridge up`` prints once ready; fails with its log if none comes in
    time (a service that cannot start keeps ``up`` waiting, not exiting)."""
    assert process.stdout is not None
    chosen = selectors.DefaultSelector()
    chosen.register(process.stdout, selectors.EVENT_READ)
    if not chosen.select(timeout=within):
        raise AssertionError(f"not ready in {within:.0f}s:\n{log.read_text()[-3000:]}")
    return process.stdout.readline()


@pytest.fixture
def start_up(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Started]]:
    """Starts ``tunebridge up`` with extra settings; kills it at the end if still running."""
    started: list[subprocess.Popen[str]] = []
    logs = []

    def start(extra_env: dict[str, str]) -> Started:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "REDIS_URL")}
        # The tests' music folders are under the temporary directory: the library root.
        env["TUNEBRIDGE_LIBRARY__ROOTS"] = str(tmp_path)
        env.update(extra_env)
        log = (tmp_path / "up.log").open("w")
        logs.append(log)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.cli",
                "up",
                "--data-dir",
                str(tmp_path / "data"),
                "--port",
                str(port),
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )
        started.append(process)
        return process, f"http://127.0.0.1:{port}", tmp_path / "up.log"

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
    for log in logs:
        log.close()


@pytest.fixture
def tunebridge_up(start_up: Callable[[dict[str, str]], Started]) -> Started:
    return start_up({})
