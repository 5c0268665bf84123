"""``tunebridge up`` locks its transports and keeps NATS alive: credentials made once and
kept private, each service given only its own, and a killed nats-server brought back on
the same port and data while health says what is down and why."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import nats
import nats.errors
import pytest

from tests.e2e.conftest import Started, alive, descendants, ready_line
from tests.support.audio import make_audio
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SERVICES = ("gateway", "connectors", "matcher", "downloader", "scheduler")


def children(process: subprocess.Popen[str]) -> dict[str, int]:
    """The pid of each service under ``up``, and of its nats-server."""
    found = {}
    for pid in descendants(process.pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command[0].endswith(b"nats-server"):
            found["nats"] = pid
        for name in SERVICES:
            if f"services.{name}".encode() in command:
                found[name] = pid
    return found


def environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def refused_without_credentials(url: str) -> None:
    async def attempt() -> None:
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0)

    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        asyncio.run(attempt())


def missing_tracks_run(api: httpx.Client, music_dir: Path) -> dict[str, object]:
    response = api.post(
        "/api/v1/runs/missing-tracks",
        json={
            "folder": str(music_dir),
            "tracks": [
                {"title": "Hello", "artists": ["Adele"]},
                {"title": "Rolling in the Deep", "artists": ["Adele"]},
            ],
        },
    )
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 90  # the first run waits for every service's warm-up
    run: dict[str, object] = {}
    while time.monotonic() < deadline:
        run = api.get(response.json()["url"]).json()
        if run["status"] in ("completed", "failed"):
            break
        time.sleep(0.2)
    return run


def test_credentials_are_private_per_service_and_a_killed_nats_comes_back(
    start_up: Callable[[dict[str, str]], Started], music_dir: Path, tmp_path: Path
) -> None:
    make_audio(music_dir / "Adele" / "Hello.opus", seconds=3, title="Hello", artist="Adele")
    process, url, log = start_up({})
    assert "ready" in ready_line(process, log)
    data = tmp_path / "data"
    nats_url = re.findall(r"embedded NATS with JetStream on (\S+)", log.read_text())[0]

    # Kept private, and no way in without a name and password.
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "credentials.json").stat().st_mode & 0o777 == 0o600
    assert (data / "nats" / "nats-server.conf").stat().st_mode & 0o777 == 0o600
    refused_without_credentials(nats_url)

    # Each service has its own identity; only two hold the sealing key.
    pids = children(process)
    stored = json.loads((data / "credentials.json").read_text())
    for name in SERVICES:
        env = environment(pids[name])
        assert env["TUNEBRIDGE_TRANSPORT__NATS_USER"] == name
        assert env["TUNEBRIDGE_TRANSPORT__NATS_PASSWORD"] == stored["nats"][name]
        assert env["TUNEBRIDGE_TRANSPORT__GRPC_TOKEN"] == stored["grpc"][name]
        others = [stored["nats"][n] for n in SERVICES if n != name] + [stored["nats"]["admin"]]
        assert not any(secret in "\0".join(env.values()) for secret in others)
        assert ("TUNEBRIDGE_SECRETS__KEYS" in env) == (name in ("gateway", "connectors")), name

    api = httpx.Client(base_url=url, timeout=10)
    sign_in_sync(api)
    first = missing_tracks_run(api, music_dir)
    assert first["status"] == "completed", (first, log.read_text()[-3000:])

    # Kill NATS: health says it is down, and why, until it is back on the same port.
    killed_at = time.monotonic()
    os.kill(pids["nats"], signal.SIGKILL)
    down: dict[str, object] = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not down:
        answer = httpx.get(f"{url}/api/v1/health", timeout=5)
        if answer.status_code == 503 and not answer.json()["nats"]["ready"]:
            down = answer.json()
        time.sleep(0.05)
    assert down, log.read_text()[-3000:]
    assert "NATS" in str(down["nats"]["error"])  # type: ignore[index]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200:
            print(f"NATS killed; health 200 again after {time.monotonic() - killed_at:.1f}s")
            break
        time.sleep(0.25)
    else:
        raise AssertionError(log.read_text()[-3000:])
    text = log.read_text()
    assert "NATS killed by signal 9; restarting it on " + nats_url in text
    assert f"NATS is back on {nats_url}" in text
    assert children(process)["nats"] != pids["nats"]
    refused_without_credentials(nats_url)

    # The installation works as before, its data intact.
    run = missing_tracks_run(api, music_dir)
    assert run["status"] == "completed", run
    missing = [item["track"]["title"] for item in run["missing"]]  # type: ignore[attr-defined]
    assert missing == ["Rolling in the Deep"]

    # A restart of ``up`` reuses the credentials it made.
    family = descendants(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in family):
        time.sleep(0.1)
    again, url, log = start_up({})
    assert "ready" in ready_line(again, log)
    assert json.loads((data / "credentials.json").read_text()) == stored
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=30) == 0
