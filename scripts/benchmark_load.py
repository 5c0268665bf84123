"""Load benchmark: ``python scripts/benchmark_load.py [--users 50] [--jobs 2] [--tracks 500]
[--missing 20]``.

Many people at once on one ``tunebridge up``: ``--users`` accounts (added by the admin),
each with ``--jobs`` sync jobs copying its own playlist of ``--tracks`` tracks from the
Spotify emulator to the Deezer emulator, and ``--missing`` missing-tracks runs (a playlist
of ``--tracks`` tracks, half of them in a music folder of real tagged files), all started at
the same moment. While they run, ``/api/v1/health`` and a web page (``/``) are fetched every
0.2 s. Prints the time to drain (every run ended), the p95 of both, each service's peak
memory, and tracks per second; then the same again with new users and ``--extra`` more
replicas of the connectors and the matcher (started beside ``up``'s own with the same
environment, sharing its work queues), so the throughput from one to two replicas is
measured. Asserts nothing; checks every copy exact and every missing-tracks report right.

Figures depend on the machine: on a shared 2-core machine two replicas compete for the
same cores as everything else, so read the growth with that in mind (the load average is
printed beside each round).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import mutagen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.benchmark_sync import peak_rss_mib
from services.cli.up import free_port
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.audio import make_audio
from tests.support.catalogues import Recording, shared_recordings
from tests.support.connections import connect_both
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

SCALED = ("connectors", "matcher")
#: One person: their token, their sync jobs (each with the Deezer ids it should write) and,
#: for some, a missing-tracks playlist (each track, and whether the folder has it).
Person = tuple[str, list[tuple[str, list[int]]], list[tuple[dict[str, Any], bool]]]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def child_environment(root: int, service: str) -> dict[str, str]:
    """The environment ``up`` gave its ``service`` child (its own credentials included)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if f"PPid:\t{root}\n" not in (entry / "status").read_text():
                continue
            if f"services.{service}".encode() in (entry / "cmdline").read_bytes():
                raw = (entry / "environ").read_bytes().split(b"\0")
                return dict(item.decode().split("=", 1) for item in raw if b"=" in item)
    raise LookupError(f"no {service} child of {root}")


@contextlib.contextmanager
def extra_replicas(root: int, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` more of each scaled service, as ``up`` starts its own (another gRPC and
    ops port each); they take work from the same durable consumers."""
    started = []
    for service in SCALED:
        env = child_environment(root, service)
        for _ in range(count):
            env[f"TUNEBRIDGE_{service.upper()}__GRPC_PORT"] = str(free_port())
            env[f"TUNEBRIDGE_{service.upper()}__OPS_PORT"] = "0"
            started.append(
                subprocess.Popen(
                    [sys.executable, "-m", f"services.{service}"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    time.sleep(5 if started else 0)  # connected and pulling
    try:
        yield started
        print(
            "peak RSS of the extra replicas: "
            + ", ".join(f"{k} {v:.0f} MiB" for k, v in sorted(peak_rss_mib(os.getpid()).items()))
        )
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(30)


def sample(url: str, stop: threading.Event, into: list[float]) -> None:
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            with contextlib.suppress(httpx.HTTPError):
                client.get(url)
                into.append(time.perf_counter() - started)
            stop.wait(0.2)


def music_folder(root: Path, songs: list[Recording]) -> None:
    """Real tagged files of ``songs`` in ``root``: one short Opus file, copied and tagged."""
    template = make_audio(root / "template.opus", seconds=1)
    for number, song in enumerate(songs):
        path = root / song.artist / f"{number:05d} {song.title}.opus"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)
        audio = mutagen.File(path, easy=True)
        audio["title"], audio["artist"] = [song.title], [song.artist]
        audio.save()
    template.unlink()


def round_of(base: str, people: list[Person], folder: Path, label: str) -> float:
    """Start every job and missing-tracks run at once, wait for all to end; prints the
    figures; tracks/s."""
    health: list[float] = []
    page: list[float] = []
    stop = threading.Event()
    samplers = [
        threading.Thread(target=sample, args=(f"{base}/api/v1/health", stop, health)),
        threading.Thread(target=sample, args=(f"{base}/", stop, page)),
    ]
    for thread in samplers:
        thread.start()
    started = time.perf_counter()

    def follow(api: httpx.Client, url: str) -> dict[str, Any]:
        while True:
            view: dict[str, Any] = api.get(url).json()
            if view["status"] in ("completed", "failed", "cancelled"):
                return view
            time.sleep(0.5)

    def sync(token: str, job_id: str) -> str:
        with httpx.Client(base_url=base, timeout=60, headers={"Authorization": token}) as api:
            url = api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={}).json()["url"]
            return str(follow(api, url)["status"])

    def missing(token: str, playlist: list[tuple[dict[str, Any], bool]]) -> str:
        """The run's status, or "wrong" when its report is not what the folder holds."""
        with httpx.Client(base_url=base, timeout=60, headers={"Authorization": token}) as api:
            url = api.post(
                "/api/v1/runs/missing-tracks",
                json={"folder": str(folder), "tracks": [track for track, _ in playlist]},
            ).json()["url"]
            view = follow(api, f"{url}?limit=2000")
            absent = {track["title"] for track, present in playlist if not present}
            reported = {item["track"]["title"] for item in view.get("missing", [])}
            if view["status"] == "completed" and reported != absent:
                return "wrong"
            return str(view["status"])

    syncs = [(token, job_id) for token, owned, _ in people for job_id, _ in owned]
    checks = [(token, playlist) for token, _, playlist in people if playlist]
    ended: dict[str, float] = {}
    with ThreadPoolExecutor(len(syncs) + len(checks)) as pool:

        def timed(kind: str, call: Any, *args: Any) -> str:
            status = str(call(*args))
            ended[kind] = time.perf_counter() - started  # the last one of each kind stays
            return status

        sync_runs = [pool.submit(timed, "sync", sync, *job) for job in syncs]
        missing_runs = [pool.submit(timed, "missing", missing, *check) for check in checks]
        sync_statuses = [run.result() for run in sync_runs]
        missing_statuses = [run.result() for run in missing_runs]
    drained = time.perf_counter() - started
    stop.set()
    for thread in samplers:
        thread.join()
    load = os.getloadavg()
    tracks = sum(len(ids) for _, owned, _ in people for _, ids in owned)
    checked = sum(len(playlist) for _, _, playlist in people)
    print(
        f"{label}: {len(syncs)} sync runs ({tracks} tracks) and {len(checks)} missing-tracks "
        f"runs ({checked} tracks) drained in {drained:.1f} s (syncs {ended.get('sync', 0):.1f} s, "
        f"{tracks / ended.get('sync', drained):.0f} tracks/s; missing-tracks runs "
        f"{ended.get('missing', 0):.1f} s); completed: {sync_statuses.count('completed')} syncs, "
        f"{missing_statuses.count('completed')} missing-tracks runs (reports right); "
        f"p95 health {p95(health) * 1000:.0f} ms ({len(health)} samples), "
        f"p95 page {p95(page) * 1000:.0f} ms ({len(page)} samples); "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (2 cores)",
        flush=True,
    )
    return tracks / ended.get("sync", drained)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2, help="sync jobs per user")
    parser.add_argument("--tracks", type=int, default=500, help="tracks per playlist")
    parser.add_argument("--missing", type=int, default=20, help="missing-tracks runs")
    parser.add_argument("--extra", type=int, default=1, help="more connectors and matchers")
    options = parser.parse_args()
    spotify, deezer = SpotifyState(), DeezerState()
    songs = shared_recordings(spotify, deezer, options.tracks * 4)
    apps = {"spotify": spotify_app(spotify), "deezer": deezer_app(deezer)}
    with serving_in_thread(apps, 0.0) as urls, tempfile.TemporaryDirectory() as data:
        # The missing-tracks playlists: every other track of the first ``--tracks`` songs
        # is in the folder.
        folder = Path(data) / "Music"
        playlist = [
            ({"title": s.title, "artists": [s.artist]}, n % 2 == 0)
            for n, s in enumerate(songs[: options.tracks])
        ]
        music_folder(folder, songs[: options.tracks : 2])
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "REDIS_URL")}
        env |= {
            "TUNEBRIDGE_LIBRARY__ROOTS": str(folder),
            "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
            "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
            "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
            "TUNEBRIDGE_DEEZER__CALLS_PER_5S": "100000",
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
        base = f"http://127.0.0.1:{port}"
        try:
            assert up.stdout is not None and "ready" in up.stdout.readline()
            with httpx.Client(base_url=base, timeout=60) as admin:
                sign_in_sync(admin)

                def person(number: int, playlists: int, checks: bool) -> Person:
                    credentials = {"username": f"user{number}", "password": f"pass-{number}-x" * 2}
                    admin.post("/api/v1/users", json=credentials)
                    with httpx.Client(base_url=base, timeout=60) as api:
                        sign_in_sync(api, credentials)
                        a, b = connect_both(api, spotify)
                        owned = []
                        for j in range(playlists):
                            start = (number + j) % 4 * options.tracks
                            chosen = songs[start : start + options.tracks]
                            source = spotify.new_playlist(
                                f"u{number} j{j}", [s.spotify_uri for s in chosen]
                            )
                            job = api.post(
                                "/api/v1/sync/jobs",
                                json={
                                    "name": f"u{number} j{j}",
                                    "a_connection_id": a,
                                    "b_connection_id": b,
                                    "playlists": [{"a_playlist_id": source}],
                                },
                            ).json()["job_id"]
                            owned.append((job, [s.deezer_id for s in chosen]))
                        token = str(api.headers["Authorization"])
                        return token, owned, playlist if checks else []

                # New people for the second round, so it copies new playlists (nothing
                # matched before for them), as many as the first.
                users = options.users
                rounds = [range(users), range(users, 2 * users)][: 2 if options.extra else 1]
                people = [
                    [person(n, options.jobs, n - r.start < options.missing) for n in r]
                    for r in rounds
                ]
                print(f"set up {len(rounds) * users} users; load average {os.getloadavg()[0]:.1f}")
                one = round_of(base, people[0], folder, "one replica each")
                if options.extra:
                    with extra_replicas(up.pid, options.extra):
                        label = f"{1 + options.extra} connectors and matchers"
                        two = round_of(base, people[1], folder, label)
                    print(
                        f"sync throughput from one to {1 + options.extra} replicas: "
                        f"x{two / one:.2f}"
                    )
                exact = all(
                    ids in deezer.playlists.values()
                    for group in people
                    for _, owned, _ in group
                    for _, ids in owned
                )
                print(f"every copy exact (each track once, in order): {exact}")
                print(
                    "peak RSS: "
                    + ", ".join(f"{k} {v:.0f} MiB" for k, v in sorted(peak_rss_mib(up.pid).items()))
                )
        finally:
            up.terminate()
            up.wait(30)


if __name__ == "__main__":
    main()
