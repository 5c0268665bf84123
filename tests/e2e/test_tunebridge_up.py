"""``tunebridge up`` for real: a subprocess, real audio files, HTTP, then SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import alive, descendants, ready_line
from tests.support.audio import make_audio
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def test_up_runs_the_thin_flow_and_sigterm_leaves_nothing_running(
    tunebridge_up: tuple[subprocess.Popen[str], str, Path], music_dir: Path
) -> None:
    process, url, log = tunebridge_up
    make_audio(
        music_dir / "Daft Punk" / "Get Lucky.m4a",
        seconds=3,
        title="Get Lucky",
        artist=["Daft Punk", "Pharrell Williams"],
        album="Random Access Memories",
    )
    make_audio(music_dir / "Adele" / "Hello.opus", seconds=3, title="Hello", artist="Adele")

    started = time.monotonic()
    assert process.stdout is not None
    line = ready_line(process, log)
    ready_after = time.monotonic() - started
    assert line.strip() == f"Tunebridge is ready at {url}", log.read_text()[-3000:]
    assert ready_after < 30, f"ready after {ready_after:.1f}s"

    health = httpx.get(f"{url}/api/v1/health", timeout=5)
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert set(body["services"]) == {"gateway", "connectors", "matcher", "downloader", "scheduler"}
    assert all(service["ready"] for service in body["services"].values())
    assert body["nats"]["ready"] is True
    # API answers and Swagger carry the pages' headers; Swagger's scripts are the gateway's.
    assert "script-src 'self'" in health.headers["content-security-policy"]
    swagger = httpx.get(f"{url}/schema/swagger", timeout=5)
    assert swagger.headers["x-frame-options"] == "DENY" and "cdn." not in swagger.text
    assert "<script src='/ui/static/swagger/swagger-ui-bundle.js'>" in swagger.text

    # Nothing but health answers before someone signs in.
    refused = httpx.post(f"{url}/api/v1/runs/missing-tracks", json={}, timeout=5)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    api = httpx.Client(base_url=url, timeout=10)
    sign_in_sync(api)
    response = api.post(
        "/api/v1/runs/missing-tracks",
        json={
            "folder": str(music_dir),
            "tracks": [
                {
                    "title": "Get Lucky",
                    "artists": ["Daft Punk", "Pharrell Williams"],
                    "duration_ms": 3000,
                },
                {"title": "Rolling in the Deep", "artists": ["Adele"]},
                {"title": "Hello", "artists": ["Adele"]},
            ],
        },
    )
    assert response.status_code == 202
    run_url = response.json()["url"]
    deadline = time.monotonic() + 30
    run = {}
    while time.monotonic() < deadline:
        run = api.get(run_url).json()
        if run["status"] in ("completed", "failed"):
            break
        time.sleep(0.2)
    assert run["status"] == "completed", run
    assert sorted(item["track"]["title"] for item in run["present"]) == ["Get Lucky", "Hello"]
    assert [item["track"]["title"] for item in run["missing"]] == ["Rolling in the Deep"]
    assert run["next_cursor"] is None  # one page holds it all

    family = descendants(process.pid)
    assert len(family) >= 6  # nats-server and five services
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in family):
        time.sleep(0.1)
    assert not [pid for pid in family if alive(pid)], "processes left behind"
    assert "Traceback" not in log.read_text()


def test_a_killed_service_is_reported_and_restarted(
    tunebridge_up: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, url, log = tunebridge_up
    assert process.stdout is not None
    assert "ready" in ready_line(process, log)
    matcher = next(
        pid
        for pid in descendants(process.pid)
        if b"services.matcher" in Path(f"/proc/{pid}/cmdline").read_bytes()
    )
    os.kill(matcher, signal.SIGKILL)
    deadline = time.monotonic() + 30
    restarted = False
    while time.monotonic() < deadline:
        pids = [
            pid
            for pid in descendants(process.pid)
            if alive(pid) and b"services.matcher" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        if pids and pids != [matcher]:
            health = httpx.get(f"{url}/api/v1/health", timeout=5).json()
            if health["services"]["matcher"]["ready"]:
                restarted = True
                break
        time.sleep(0.2)
    assert restarted, log.read_text()[-3000:]
    assert "matcher exited with status -9; restarting" in log.read_text()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
