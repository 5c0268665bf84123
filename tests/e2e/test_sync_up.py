"""Sync through ``tunebridge up`` against the Spotify and Deezer emulators (with latency):
one-way and both-ways runs end in exactly the expected state, a dry run and a second run
write nothing, and a run whose service is killed at a random point and restarted by the
supervisor ends exactly where an undisturbed run would."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Started, descendants, ready_line
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.catalogues import Recording, shared_recordings
from tests.support.connections import connect_both
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
ENDED = ("planned", "completed", "failed", "cancelled")


@dataclass
class Up:
    """``tunebridge up`` with two connections, and the emulated services behind them."""

    process: subprocess.Popen[str]
    api: httpx.Client
    log: Path
    spotify: SpotifyState
    deezer: DeezerState
    spotify_connection: str
    deezer_connection: str

    def job(self, **fields: Any) -> str:
        body = {
            "name": "e2e",
            "a_connection_id": self.spotify_connection,
            "b_connection_id": self.deezer_connection,
            **fields,
        }
        answer = self.api.post("/api/v1/sync/jobs", json=body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["job_id"])

    def start(self, job_id: str, dry_run: bool = False) -> str:
        answer = self.api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={"dry_run": dry_run})
        assert answer.status_code == 202, answer.text
        return str(answer.json()["url"])

    def wait(self, url: str, within: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            view = self.api.get(url).json()
            if view.get("status") in ENDED:
                return dict(view)
            time.sleep(0.2)
        raise AssertionError(f"the run did not end: {view}\n{self.log.read_text()[-3000:]}")

    def run(self, job_id: str, dry_run: bool = False) -> dict[str, Any]:
        return self.wait(self.start(job_id, dry_run))


@pytest.fixture
def up(start_up: Callable[[dict[str, str]], Started]) -> Iterator[Up]:
    spotify, deezer = SpotifyState(), DeezerState()
    apps = {"spotify": spotify_app(spotify), "deezer": deezer_app(deezer)}
    with serving_in_thread(apps, latency_s=0.02) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
                "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
                "TUNEBRIDGE_DEEZER__CALLS_PER_5S": "2000",
                # A killed consumer's message comes back after this, not the default 2 min.
                "TUNEBRIDGE_BUS__ACK_WAIT_S": "8",
                "TUNEBRIDGE_SCHEDULER__SCHEDULE_TICK_S": "1",
            }
        )
        assert process.stdout is not None
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=20) as api:
            sign_in_sync(api)
            a, b = connect_both(api, spotify)
            yield Up(process, api, log, spotify, deezer, a, b)


def uris(recordings: list[Recording]) -> list[str]:
    return [r.spotify_uri for r in recordings]


def test_one_way_and_both_ways_end_exactly_right_and_then_hold_still(up: Up) -> None:
    songs = shared_recordings(up.spotify, up.deezer, 150)
    source = up.spotify.new_playlist("Everything", uris(songs[:120]))
    one_way = up.job(playlists=[{"a_playlist_id": source}])

    dry = up.run(one_way, dry_run=True)
    assert dry["status"] == "planned" and dry["counts"]["add_to_b"] == 120, dry
    assert up.deezer.playlists == {}

    first = up.run(one_way)
    assert first["status"] == "completed", first
    (copy_id,) = up.deezer.playlists
    assert up.deezer.playlists[copy_id] == [r.deezer_id for r in songs[:120]]
    second = up.run(one_way)
    assert second["status"] == "completed" and second["counts"]["add_to_b"] == 0, second
    assert up.deezer.playlists[copy_id] == [r.deezer_id for r in songs[:120]]

    ours = up.spotify.new_playlist("Shared", uris(songs[120:135]))
    theirs = up.deezer.new_playlist("Shared", [r.deezer_id for r in songs[130:150]])
    both = up.job(
        direction="both",
        playlists=[{"a_playlist_id": ours, "b_playlist_id": str(theirs)}],
    )
    merged = up.run(both)
    assert merged["status"] == "completed", merged
    assert sorted(up.spotify.playlists[ours]["items"]) == sorted(uris(songs[120:150]))
    assert sorted(up.deezer.playlists[theirs]) == sorted(r.deezer_id for r in songs[120:150])
    still = up.run(both)
    assert all(still["counts"][k] == 0 for k in ("add_to_a", "add_to_b", "remove_from_a"))
    assert len(up.spotify.playlists[ours]["items"]) == 30 and len(up.deezer.playlists[theirs]) == 30


def test_a_review_decision_survives_the_next_scheduled_run(up: Up) -> None:
    songs = shared_recordings(up.spotify, up.deezer, 3)
    # Deezer knows song 1 only under another ISRC and a longer edit: not sure enough.
    doubtful = next(t for t in up.deezer.catalogue if t["id"] == songs[1].deezer_id)
    doubtful.update(isrc="TBXOTHER0001", duration=doubtful["duration"] + 8)
    doubtful["title"] += " (Extended)"
    source = up.spotify.new_playlist("Doubt", uris(songs))
    job_id = up.job(playlists=[{"a_playlist_id": source}], options={"review_threshold": 0.01})
    first = up.run(job_id)
    (waiting,) = first["not_synced"]
    assert waiting["reason"] == "waiting for your review", first
    decided = up.api.post(
        f"/api/v1/reviews/{waiting['review_id']}/decision", json={"decision": "accept"}
    )
    assert decided.status_code == 200, decided.text
    schedule = up.api.post("/api/v1/schedules", json={"job_id": job_id, "cron": "* * * * *"})
    assert schedule.status_code == 201, schedule.text
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        runs = up.api.get(f"/api/v1/sync/jobs/{job_id}/runs").json()
        scheduled = [r for r in runs if r["trigger"] == "schedule" and r["status"] in ENDED]
        if scheduled:
            break
        time.sleep(1)
    assert scheduled and scheduled[-1]["status"] == "completed", runs
    (copy,) = up.deezer.playlists.values()
    assert copy == [songs[0].deezer_id, songs[2].deezer_id, songs[1].deezer_id]
    assert up.api.get("/api/v1/reviews").json() == []


def service_pid(root: int, service: str) -> int:
    for pid in descendants(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"services.{service}".encode() in command:
            return pid
    raise AssertionError(f"no {service} process")


@pytest.mark.parametrize("service", ["scheduler", "connectors", "matcher"])
def test_a_service_killed_at_a_random_point_changes_nothing_about_the_end(
    up: Up, service: str
) -> None:
    seed = int(os.environ.get("TUNEBRIDGE_TEST_SEED") or random.randrange(1_000_000))
    chance = random.Random(seed)
    phase = chance.choice(["reading", "matching", "applying"])
    print(f"kill {service} while {phase}; TUNEBRIDGE_TEST_SEED={seed} repeats it")
    songs = shared_recordings(up.spotify, up.deezer, 400)
    source = up.spotify.new_playlist("Big one", uris(songs))
    job_id = up.job(playlists=[{"a_playlist_id": source}])
    url = up.start(job_id)
    while (seen := up.api.get(url).json())["phase"] != phase:
        assert seen["status"] not in ENDED, f"the run ended before it was {phase}: {seen}"
        time.sleep(0.02)
    time.sleep(chance.uniform(0, 0.2))
    os.kill(service_pid(up.process.pid, service), signal.SIGKILL)
    ended = up.wait(url)
    assert ended["status"] == "completed", ended
    (copy_id,) = up.deezer.playlists
    assert up.deezer.playlists[copy_id] == [r.deezer_id for r in songs]  # each once, in order
    again = up.run(job_id)
    assert again["counts"]["add_to_b"] == 0, again
    assert up.deezer.playlists[copy_id] == [r.deezer_id for r in songs]
