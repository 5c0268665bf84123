"""Through ``tunebridge up``: a 200-track Spotify playlist, 150 of whose songs are in a
media server's library, syncs into it as a 150-track playlist in order; the 50 others are
reported "not in your library"; a second run writes nothing. Against a real Subsonic
server (Supysonic) and against the Jellyfin emulator."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Started, ready_line
from tests.emulators.jellyfin import TOKEN, JellyfinState, jellyfin_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.catalogues import Recording, shared_recordings
from tests.support.runs import run_job, spotify_to_server_job
from tests.support.supysonic_server import songs_from_spotify, supysonic_server
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
OWNED = [n for n in range(200) if n % 4 != 3]  # 150 in the library, 50 not


@dataclass
class Server:
    """A media server holding the owned songs: how to connect it, how to read it back."""

    connection: dict[str, str]
    playlists: Callable[[], dict[str, list[str]]]
    secret: str


@contextlib.contextmanager
def subsonic(spotify: SpotifyState, recordings: list[Recording], root: Path) -> Iterator[Server]:
    songs = songs_from_spotify(spotify, recordings)
    with supysonic_server(root, [songs[n] for n in OWNED]) as server:
        body = {
            "provider": "subsonic",
            "server_url": server.url,
            "username": server.username,
            "password": server.password,
        }
        yield Server(body, server.playlists, server.password)


@contextlib.contextmanager
def jellyfin(spotify: SpotifyState, recordings: list[Recording], root: Path) -> Iterator[Server]:
    state = JellyfinState()
    for n in OWNED:
        item = spotify.catalogue[recordings[n].spotify_uri]
        album = str((item.get("album") or {}).get("name") or "")
        seconds = int(item["duration_ms"]) // 1000
        state.add_track(recordings[n].title, recordings[n].artist, album, seconds)
    with serving_in_thread({"jellyfin": jellyfin_app(state)}, latency_s=0.005) as urls:
        body = {"provider": "jellyfin", "server_url": urls["jellyfin"], "access_token": TOKEN}
        yield Server(body, state.titles, TOKEN)
        assert state.legacy_auth == 0


@pytest.mark.parametrize("media_server", [subsonic, jellyfin], ids=["subsonic", "jellyfin"])
def test_a_spotify_playlist_syncs_into_the_media_server_with_what_it_has(
    start_up: Callable[[dict[str, str]], Started],
    tmp_path: Path,
    media_server: Callable[
        [SpotifyState, list[Recording], Path], contextlib.AbstractContextManager[Server]
    ],
) -> None:
    spotify = SpotifyState()
    recordings = shared_recordings(spotify, None, 200)
    with (
        media_server(spotify, recordings, tmp_path / "server") as server,
        serving_in_thread({"spotify": spotify_app(spotify)}, latency_s=0.01) as urls,
    ):
        process, url, log = start_up(
            {
                "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
                # The server is on loopback, as a home server on the LAN would be refused.
                "TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS": "127.0.0.1",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=30) as api:
            sign_in_sync(api)
            job_id, target = spotify_to_server_job(
                api, spotify, server.connection, [r.spotify_uri for r in recordings]
            )
            assert server.secret not in target.text

            done = run_job(api, job_id, log)
            assert done["status"] == "completed", done.get("error")
            expected = [recordings[n].title for n in OWNED]
            assert server.playlists() == {"Two hundred": expected}
            assert done["not_synced_total"] == 50
            lines = done["not_synced"]
            assert [line["title"] for line in lines] == [
                recordings[n].title for n in range(200) if n % 4 == 3
            ]
            assert {line["reason"] for line in lines} == {"not in your library"}

            again = run_job(api, job_id, log)
            assert again["status"] == "completed" and again["counts"]["add_to_b"] == 0
            assert server.playlists() == {"Two hundred": expected}
        assert server.secret not in log.read_text()
