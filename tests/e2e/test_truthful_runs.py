"""Runs that never claim what did not happen, through ``tunebridge up`` (real NATS), on
emulators whose limits are not ours: a Deezer that takes at most 50 tracks per write
("Items limit exceeded" above that) and a Spotify that pages 25 tracks at a time.

A 1,000-track copy lands exactly (in order, once each); a copy deleted on Deezer is made
again and filled; a followed playlist (unreadable for development-mode apps) is skipped
with its reason while the rest of its job syncs, in the preview as in the run; no run
speaks of internal steps."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Started, ready_line
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.catalogues import Recording, shared_recordings
from tests.support.connections import connect_both
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]
ENDED = ("planned", "completed", "partial", "failed", "cancelled")
#: Internal step names a person must never see: "0.b", "side b", "write step".
STEP_NAMES = re.compile(r"\b\d+\.[ab]\b|\bside [ab]\b|\b(list|read|match|write) step\b")


@dataclass
class Up:
    api: httpx.Client
    log: Path
    spotify: SpotifyState
    deezer: DeezerState
    spotify_connection: str
    deezer_connection: str

    def job(self, **fields: Any) -> str:
        body = {
            "name": "truthful",
            "a_connection_id": self.spotify_connection,
            "b_connection_id": self.deezer_connection,
            **fields,
        }
        answer = self.api.post("/api/v1/sync/jobs", json=body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["job_id"])

    def run(self, job_id: str, dry_run: bool = False, within: float = 240) -> dict[str, Any]:
        answer = self.api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={"dry_run": dry_run})
        assert answer.status_code == 202, answer.text
        url = answer.json()["url"]
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            view = self.api.get(url).json()
            if view.get("status") in ENDED:
                said = json.dumps([view["notes"], view["error"], view["not_synced"]])
                assert not STEP_NAMES.search(said), said
                return dict(view)
            time.sleep(0.3)
        raise AssertionError(f"the run did not end: {view}\n{self.log.read_text()[-3000:]}")


@pytest.fixture
def up(start_up: Callable[[dict[str, str]], Started]) -> Iterator[Up]:
    spotify = SpotifyState(page_limit=25)
    deezer = DeezerState(max_write=50)
    apps = {"spotify": spotify_app(spotify), "deezer": deezer_app(deezer)}
    with serving_in_thread(apps, latency_s=0.01) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
                "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
                "TUNEBRIDGE_DEEZER__CALLS_PER_5S": "5000",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=20) as api:
            sign_in_sync(api)
            a, b = connect_both(api, spotify)
            yield Up(api, log, spotify, deezer, a, b)


def uris(recordings: list[Recording]) -> list[str]:
    return [r.spotify_uri for r in recordings]


def test_other_limits_a_deleted_copy_and_a_followed_playlist_are_told_truthfully(up: Up) -> None:
    songs = shared_recordings(up.spotify, up.deezer, 1030)
    thousand = up.spotify.new_playlist("Thousand", uris(songs[:1000]))
    copy_job = up.job(playlists=[{"a_playlist_id": thousand}])

    first = up.run(copy_job)
    assert first["status"] == "completed", first
    assert first["counts"]["add_to_b"] == 1000 and first["not_synced_total"] == 0
    (copy_id,) = up.deezer.playlists
    expected = [r.deezer_id for r in songs[:1000]]
    assert up.deezer.playlists[copy_id] == expected  # exactly, in order, once each
    assert "Deezer refused 100 tracks per request; sent 50 at a time" in first["notes"], first
    assert up.deezer.refused_writes == 1  # refused once, then remembered

    # The copy is deleted on Deezer: the next run makes it again and fills it.
    del up.deezer.playlists[copy_id], up.deezer.titles[copy_id]
    remade = up.run(copy_job)
    assert remade["status"] == "completed", remade
    assert any("was deleted on Deezer" in n and "made again" in n for n in remade["notes"])
    (new_copy,) = up.deezer.playlists
    assert new_copy != copy_id and up.deezer.playlists[new_copy] == expected
    assert up.deezer.refused_writes == 1  # the learned size was used from the start
    still = up.run(copy_job)
    assert still["status"] == "completed" and still["counts"]["add_to_b"] == 0, still
    assert list(up.deezer.playlists) == [new_copy] and up.deezer.playlists[new_copy] == expected

    # The editor shows the current partner; a second "Thousand" on Deezer is a choice.
    shown = up.api.get(f"/api/v1/sync/jobs/{copy_job}").json()
    partners = [(p["a_playlist_id"], p["b_playlist_id"]) for p in shown["partners"]]
    assert partners == [(thousand, str(new_copy))]
    body = {
        "name": "again",
        "a_connection_id": up.spotify_connection,
        "b_connection_id": up.deezer_connection,
        "playlists": [{"a_playlist_id": thousand}],
    }
    refused = up.api.post("/api/v1/sync/jobs", json=body)
    assert refused.status_code == 409, refused.text
    assert "Deezer already has a playlist called “Thousand”" in refused.json()["detail"]
    body["playlists"] = [{"a_playlist_id": thousand, "new_copy": True}]
    assert up.api.post("/api/v1/sync/jobs", json=body).status_code == 201

    # A playlist the user follows cannot be read by the app: skipped, with its reason;
    # the job's other playlist syncs, in the preview and in the run.
    followed = up.spotify.new_playlist("Their mix", uris(songs[1000:1010]), owner="someone")
    small = up.spotify.new_playlist("Small", uris(songs[1010:1030]))
    mixed = up.job(playlists=[{"a_playlist_id": followed}, {"a_playlist_id": small}])
    reason = "this playlist belongs to someone else, and Spotify does not let this app read it"
    preview = up.run(mixed, dry_run=True)
    assert preview["status"] == "planned" and preview["counts"]["add_to_b"] == 20, preview
    assert [(n["pair"], n["reason"]) for n in preview["not_synced"]] == [("Their mix", reason)]
    partial = up.run(mixed)
    assert partial["status"] == "partial", partial
    assert "1 playlist was skipped" in (partial["error"] or "")
    assert [(n["pair"], n["reason"]) for n in partial["not_synced"]] == [("Their mix", reason)]
    made = [p for p, t in up.deezer.titles.items() if t == "Small"]
    assert len(made) == 1 and up.deezer.playlists[made[0]] == [r.deezer_id for r in songs[1010:]]
    assert "Their mix" not in up.deezer.titles.values()
