"""Gateway abuse benchmark: ``python scripts/benchmark_gateway_abuse.py [--tracks 200000]``.

Through a real ``tunebridge up``: the median latency of ``GET /api/v1/health`` alone and
while 200 bogus log-ins arrive at once (and what those log-ins were answered), then the
gateway's memory while six clients read a 200,000-track missing-tracks report (page by
page where the API pages, whole where it does not). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.cli.up import free_port
from tests.support.users import sign_in_sync


def gateway_pid(root: int) -> int:
    """The gateway's process id, among ``root``'s children."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        if f"PPid:\t{root}\n" in status and b"services.gateway" in command:
            return int(entry.name)
    raise RuntimeError("no gateway process")


def memory_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler(threading.Thread):
    """The highest resident memory of ``pid`` seen while it runs (every 20 ms)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, memory_mib(self.pid, "VmRSS"))
            time.sleep(0.02)


async def health_latencies(base_url: str, count: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        found = []
        for _ in range(count):
            started = time.perf_counter()
            await client.get("/api/v1/health")
            found.append(time.perf_counter() - started)
        return found


async def flood(base_url: str, logins: int) -> tuple[list[float], collections.Counter[int], float]:
    """Health latencies while ``logins`` bogus log-ins arrive at once; their answers, and
    how long until the last was answered."""
    limits = httpx.Limits(max_connections=logins + 10, max_keepalive_connections=logins + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:

        async def bogus() -> int:
            body = {"username": f"nobody{uuid.uuid4().hex[:8]}", "password": "not the password"}
            try:
                return (await client.post("/api/v1/login", json=body)).status_code
            except httpx.HTTPError:
                return 0  # no answer at all

        started = time.perf_counter()
        tasks = [asyncio.create_task(bogus()) for _ in range(logins)]
        latencies = []
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as probe:
            while not all(t.done() for t in tasks):
                before = time.perf_counter()
                await probe.get("/api/v1/health")
                latencies.append(time.perf_counter() - before)
        answers = collections.Counter([await t for t in tasks])
        return latencies, answers, time.perf_counter() - started


def read_report(base_url: str, token: str, run_id: str) -> tuple[int, int]:
    """One client reading the whole report: pages followed by ``next_cursor`` (one GET when
    the API sends it whole); the tracks read and the bytes received."""
    headers = {"Authorization": f"Bearer {token}"}
    tracks = size = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
        cursor: str | None = None
        while True:
            params = {"cursor": cursor} if cursor else {}
            answer = client.get(f"/api/v1/runs/{run_id}", params=params)
            size += len(answer.content)
            body = answer.json()
            tracks += len(body["present"]) + len(body["missing"])
            cursor = body.get("next_cursor")
            if not cursor:
                return tracks, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=200_000)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--readers", type=int, default=6)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        music = Path(data) / "music"
        music.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "REDIS_URL")}
        env |= {
            "TUNEBRIDGE_LOG_LEVEL": "WARNING",
            "TUNEBRIDGE_GATEWAY__MAX_PLAYLIST_BYTES": str(300 * options.tracks),
            "TUNEBRIDGE_LIBRARY__ROOTS": str(music),
            "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR": str(Path(data) / "library"),
        }
        up = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up", "--data-dir", data, "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            assert up.stdout is not None and "ready" in up.stdout.readline()
            with httpx.Client(base_url=base_url, timeout=600) as api:
                sign_in_sync(api)
                token = api.headers["Authorization"].removeprefix("Bearer ")
                quiet = asyncio.run(health_latencies(base_url, 30))
                print(f"health alone: median {statistics.median(quiet) * 1000:.1f} ms")
                latencies, answers, took = asyncio.run(flood(base_url, options.logins))
                print(
                    f"health during {options.logins} concurrent bogus log-ins: median "
                    f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.0f}"
                    f" ms over {len(latencies)} probes; log-ins answered {dict(answers)} "
                    f"(0 = no answer) in {took:.1f} s"
                )
                tracks = [
                    {"title": f"Song number {i}", "artists": ["Nobody Known"]}
                    for i in range(options.tracks)
                ]
                started = time.perf_counter()
                accepted = api.post(
                    "/api/v1/runs/missing-tracks", json={"folder": str(music), "tracks": tracks}
                )
                assert accepted.status_code == 202, accepted.text
                run_id = accepted.json()["run_id"]
                while True:
                    time.sleep(5)
                    view: dict[str, Any] = api.get(
                        f"/api/v1/runs/{run_id}", params={"limit": 1}
                    ).json()
                    if view["status"] in ("completed", "failed"):
                        break
                took = time.perf_counter() - started
                print(
                    f"{options.tracks}-track run {view['status']} in {took:.0f} s: "
                    f"{view['summary']} {view['error'] or ''}"
                )
            pid = gateway_pid(up.pid)
            before = memory_mib(pid, "VmRSS")
            sampler = RssSampler(pid)
            sampler.start()
            started = time.perf_counter()
            results: list[tuple[int, int]] = []
            readers = [
                threading.Thread(
                    target=lambda: results.append(read_report(base_url, token, run_id))
                )
                for _ in range(options.readers)
            ]
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join()
            sampler.stop.set()
            sampler.join()
            each = results[0] if results else (0, 0)
            print(
                f"{options.readers} clients reading the report: each got {each[0]} tracks in "
                f"{each[1] / 1e6:.1f} MB, in {time.perf_counter() - started:.1f} s; gateway RSS "
                f"{before:.0f} MiB before, peak {sampler.peak:.0f} MiB while reading "
                f"(lifetime peak {memory_mib(pid, 'VmHWM'):.0f} MiB)"
            )
        finally:
            up.terminate()
            up.wait(timeout=30)


if __name__ == "__main__":
    main()
