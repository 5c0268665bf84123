"""Apple Music and TIDAL through ``tunebridge up`` (real NATS, every service) against their
emulators: a 1,000-track Spotify playlist lands exactly in Apple Music and a 1,000-track
Deezer playlist in TIDAL (in order, once each), a second run writes nothing; a both-ways
job with Apple Music says before the run which removals it cannot make, repeats it in the
report and loses nothing; a TIDAL write whose answer is lost lands once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Started, ready_line
from tests.emulators.applemusic import KEY_ID, TEAM_ID, AppleState, applemusic_app, new_key
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.emulators.tidal import TidalState, tidal_app
from tests.support.catalogues import Recording, shared_recordings
from tests.support.connections import connect_both
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
ENDED = ("planned", "completed", "partial", "failed", "cancelled")
APPLE_CANNOT = "Apple Music cannot remove tracks from a playlist"


@dataclass
class Up:
    api: httpx.Client
    log: Path
    spotify: SpotifyState
    deezer: DeezerState
    apple: AppleState
    tidal: TidalState
    connections: dict[str, str]

    def job(self, a: str, b: str, **fields: Any) -> str:
        body = {
            "name": f"{a} to {b}",
            "a_connection_id": self.connections[a],
            "b_connection_id": self.connections[b],
            **fields,
        }
        answer = self.api.post("/api/v1/sync/jobs", json=body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["job_id"])

    def run(self, job_id: str, dry_run: bool = False, within: float = 300) -> dict[str, Any]:
        answer = self.api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={"dry_run": dry_run})
        assert answer.status_code == 202, answer.text
        url = answer.json()["url"]
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            view = self.api.get(url).json()
            if view.get("status") in ENDED:
                return dict(view)
            time.sleep(0.3)
        raise AssertionError(f"the run did not end: {view}\n{self.log.read_text()[-3000:]}")


def seconds(spotify: SpotifyState, recording: Recording) -> int:
    return int(spotify.catalogue[recording.spotify_uri]["duration_ms"]) // 1000


@pytest.fixture
def up(start_up: Callable[[dict[str, str]], Started], tmp_path: Path) -> Iterator[Up]:
    private, public = new_key()
    key_file = tmp_path / "AuthKey_TBKEY56789.p8"
    key_file.write_text(private)
    spotify, deezer = SpotifyState(), DeezerState()
    apple, tidal = AppleState(public_key=public), TidalState()
    apps = {
        "spotify": spotify_app(spotify),
        "deezer": deezer_app(deezer),
        "apple": applemusic_app(apple),
        "tidal": tidal_app(tidal),
    }
    with serving_in_thread(apps, latency_s=0.01) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
                "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
                "TUNEBRIDGE_DEEZER__CALLS_PER_5S": "5000",
                "TUNEBRIDGE_APPLEMUSIC__API_URL": urls["apple"],
                "TUNEBRIDGE_APPLEMUSIC__TEAM_ID": TEAM_ID,
                "TUNEBRIDGE_APPLEMUSIC__KEY_ID": KEY_ID,
                "TUNEBRIDGE_APPLEMUSIC__PRIVATE_KEY_FILE": str(key_file),
                "TUNEBRIDGE_APPLEMUSIC__CALLS_PER_S": "1000",
                "TUNEBRIDGE_TIDAL__API_URL": urls["tidal"],
                "TUNEBRIDGE_TIDAL__AUTH_URL": urls["tidal"],
                "TUNEBRIDGE_TIDAL__CALLS_PER_S": "1000",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=20) as api:
            sign_in_sync(api)
            made: dict[str, str] = {}
            made["spotify"], made["deezer"] = connect_both(api, spotify)
            access, refresh = tidal.grant()
            for provider, tokens in (
                ("applemusic", {"access_token": apple.user_token()}),
                (
                    "tidal",
                    {
                        "access_token": access,
                        "refresh_token": refresh,
                        "expires_in_s": 3600,
                        "client_id": "my-own-tidal-client",
                    },
                ),
            ):
                answer = api.post("/api/v1/connections", json={"provider": provider, **tokens})
                assert answer.status_code == 201, answer.text
                made[provider] = str(answer.json()["connection_id"])
            yield Up(api, log, spotify, deezer, apple, tidal, made)


def on_apple(up: Up, songs: list[Recording]) -> list[str]:
    return [
        up.apple.add_song(r.title, r.artist, r.isrc, seconds(up.spotify, r), f"17{r.deezer_id}")
        for r in songs
    ]


def on_tidal(up: Up, songs: list[Recording]) -> list[str]:
    return [
        up.tidal.add_track(r.title, r.artist, r.isrc, seconds(up.spotify, r), f"9{r.deezer_id}")
        for r in songs
    ]


def test_a_thousand_spotify_tracks_land_exactly_in_apple_music(up: Up) -> None:
    songs = shared_recordings(up.spotify, None, 1000)
    expected = on_apple(up, songs)
    source = up.spotify.new_playlist("Thousand", [r.spotify_uri for r in songs])
    job = up.job("spotify", "applemusic", playlists=[{"a_playlist_id": source}])
    first = up.run(job)
    assert first["status"] == "completed", first
    assert first["counts"]["add_to_b"] == 1000 and first["not_synced_total"] == 0
    (copy,) = up.apple.playlists
    assert up.apple.playlists[copy]["tracks"] == expected  # in order, once each
    # Look-ups went many ISRCs a call, never one by one.
    assert up.apple.calls["isrc"] <= 1000 / 8
    again = up.run(job)
    assert again["status"] == "completed" and again["counts"]["add_to_b"] == 0, again
    assert up.apple.playlists[copy]["tracks"] == expected


def test_a_thousand_deezer_tracks_land_exactly_in_tidal_and_a_lost_answer_lands_once(
    up: Up,
) -> None:
    songs = shared_recordings(up.spotify, up.deezer, 1000)
    expected = on_tidal(up, songs)
    source = up.deezer.new_playlist("Thousand", [r.deezer_id for r in songs])
    job = up.job("deezer", "tidal", playlists=[{"a_playlist_id": str(source)}])
    up.tidal.lose_answers = 3  # three writes land but their answers never arrive
    first = up.run(job)
    assert first["status"] == "completed", first
    assert first["counts"]["add_to_b"] == 1000 and first["not_synced_total"] == 0
    (copy,) = up.tidal.playlists
    assert up.tidal.items_of(copy) == expected  # once each: sent again with their keys
    assert up.tidal.replays >= 3
    again = up.run(job)
    assert again["status"] == "completed" and again["counts"]["add_to_b"] == 0, again
    assert up.tidal.items_of(copy) == expected


def test_both_ways_with_apple_music_says_what_it_cannot_remove_and_loses_nothing(
    up: Up,
) -> None:
    songs = shared_recordings(up.spotify, None, 12)
    apple_ids = on_apple(up, songs)
    ours = up.spotify.new_playlist("Shared", [r.spotify_uri for r in songs[:10]])
    theirs = up.apple.new_playlist("Shared", apple_ids[8:12])
    job = up.job(
        "spotify",
        "applemusic",
        direction="both",
        playlists=[{"a_playlist_id": ours, "b_playlist_id": theirs}],
    )
    merged = up.run(job)
    assert merged["status"] == "completed", merged
    assert sorted(up.apple.playlists[theirs]["tracks"]) == sorted(apple_ids)
    assert sorted(up.spotify.playlists[ours]["items"]) == sorted(r.spotify_uri for r in songs)

    # Three removed on Spotify: Apple Music cannot follow, and says so before the run.
    kept = [r.spotify_uri for r in songs[3:]]
    up.spotify.playlists[ours]["items"] = kept
    preview = up.run(job, dry_run=True)
    assert preview["status"] == "planned", preview
    assert f"{APPLE_CANNOT}: 3 removals not made" in preview["notes"], preview
    applied = up.run(job)
    assert applied["status"] == "completed", applied  # never a failed run
    assert f"{APPLE_CANNOT}: 3 removals not made" in applied["notes"], applied
    assert any(n["reason"] == f"not made: {APPLE_CANNOT}" for n in applied["not_synced"])
    assert sorted(up.apple.playlists[theirs]["tracks"]) == sorted(apple_ids)  # nothing lost
    assert up.spotify.playlists[ours]["items"] == kept  # and nothing brought back
    assert up.apple.refused_writes == 0  # no removal was even tried
