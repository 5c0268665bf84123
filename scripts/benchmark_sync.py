"""Sync benchmark: ``python scripts/benchmark_sync.py [--tracks 10000] [--latency 0.05]``.

Copies a playlist from the Spotify emulator to the Deezer emulator through a real
``tunebridge up`` (every answer delayed by ``--latency``, a distant provider), then runs
the job again. Prints the wall time of each phase, the provider calls per track against the
fewest the providers' APIs allow, and each service's peak memory. Asserts nothing.

Deezer's public allowance is 50 calls per 5 s; the emulator does not enforce it and the
benchmark lifts ours (``--deezer-calls-per-5s``), so the time shown is what Tunebridge
itself takes; the allowance's own floor is printed beside it.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.cli.up import free_port
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.catalogues import shared_recordings
from tests.support.connections import connect_both
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

SERVICES = ("gateway", "connectors", "matcher", "downloader", "scheduler")


def peak_rss_mib(root: int) -> dict[str, float]:
    """Each service's peak resident memory (VmHWM), found among ``root``'s children."""
    found: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if f"PPid:\t{root}\n" not in status:
            continue
        for service in SERVICES:
            if f"services.{service}".encode() in command:
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        found[service] = int(line.split()[1]) / 1024
    return found


def timed_run(api: httpx.Client, job_id: str) -> tuple[dict[str, Any], dict[str, float]]:
    """Run the job; its final view and the seconds spent in each phase."""
    url = api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={}).json()["url"]
    phases: dict[str, float] = {}
    last, since = "pending", time.perf_counter()
    while True:
        view = api.get(url).json()
        phase = view["phase"] if view["status"] != "pending" else "pending"
        now = time.perf_counter()
        if phase != last:
            phases[last] = phases.get(last, 0.0) + now - since
            last, since = phase, now
        if view["status"] in ("completed", "failed", "cancelled"):
            return view, phases
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--deezer-calls-per-5s", type=int, default=100_000)
    options = parser.parse_args()
    spotify, deezer = SpotifyState(), DeezerState()
    songs = shared_recordings(spotify, deezer, options.tracks)
    source = spotify.new_playlist("Benchmark", [s.spotify_uri for s in songs])
    apps = {"spotify": spotify_app(spotify), "deezer": deezer_app(deezer)}
    with serving_in_thread(apps, options.latency) as urls, tempfile.TemporaryDirectory() as data:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "REDIS_URL")}
        env |= {
            "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
            "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
            "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
            "TUNEBRIDGE_DEEZER__CALLS_PER_5S": str(options.deezer_calls_per_5s),
            "TUNEBRIDGE_SPOTIFY__CALLS_PER_30S": "100000",
            "TUNEBRIDGE_LOG_LEVEL": "WARNING",
        }
        up = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up", "--data-dir", data, "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            assert up.stdout is not None and "ready" in up.stdout.readline()
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:
                sign_in_sync(api)
                a, b = connect_both(api, spotify)
                job_id = api.post(
                    "/api/v1/sync/jobs",
                    json={
                        "name": "benchmark",
                        "a_connection_id": a,
                        "b_connection_id": b,
                        "playlists": [{"a_playlist_id": source}],
                    },
                ).json()["job_id"]
                for label in ("first run", "second run"):
                    calls = spotify.calls, deezer.calls
                    started = time.perf_counter()
                    view, phases = timed_run(api, job_id)
                    took = time.perf_counter() - started
                    s_calls, d_calls = spotify.calls - calls[0], deezer.calls - calls[1]
                    n = options.tracks
                    # Fewest calls: list + pages of 50 on Spotify; list + pages of 100 on
                    # Deezer (the copy, second run), plus, the first time, one look-up per
                    # track (Deezer has no batch look-up), a create and appends of 100.
                    s_min = 1 + math.ceil(n / 50)
                    d_min = 1 + (
                        n + 1 + math.ceil(n / 100) if label == "first run" else math.ceil(n / 100)
                    )
                    print(
                        f"{label}: {view['status']} in {took:.1f} s "
                        f"({n / took:.0f} tracks/s); phases "
                        + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
                    )
                    print(
                        f"  Spotify {s_calls} calls ({s_calls / n:.3f}/track, minimum "
                        f"{s_min / n:.3f}); Deezer {d_calls} calls ({d_calls / n:.3f}/track, "
                        f"minimum {d_min / n:.3f}); Deezer's 50 per 5 s alone would take "
                        f"{d_calls / 10:.0f} s"
                    )
                copied = next(iter(deezer.playlists.values()))
                exact = copied == [s.deezer_id for s in songs]
                print(f"copy exact (every track once, in order): {exact}")
                print(
                    "peak RSS: "
                    + ", ".join(f"{k} {v:.0f} MiB" for k, v in sorted(peak_rss_mib(up.pid).items()))
                )
        finally:
            up.terminate()
            up.wait(30)


if __name__ == "__main__":
    main()
