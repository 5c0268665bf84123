"""A Spotify playlist synced into a real Subsonic server (Supysonic) through the running
services and the HTTP API: only the songs the server has, in order; the rest reported as
not in the library; once they are scanned in, the next run adds them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.connectors.adapters.spotify import SpotifySettings
from services.connectors.registry import ProviderSettings
from services.kernel.crypto import SecretsSettings, generate_key_spec
from tests.emulators.scripted import serving
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.catalogues import Recording, shared_recordings
from tests.support.installation import running_installation
from tests.support.runs import run_sync_job, wait_for_run
from tests.support.supysonic_server import Supysonic, songs_from_spotify, supysonic_server
from tests.support.sync_world import connect

pytestmark = pytest.mark.timeout(240)
KEY = generate_key_spec("k1")


@dataclass
class MediaWorld:
    spotify: SpotifyState
    server: Supysonic
    api: httpx.AsyncClient
    spotify_connection: str


@pytest.fixture
async def world(nats_url: str, namespace: str, tmp_path: Path) -> AsyncIterator[MediaWorld]:
    spotify = SpotifyState()
    with supysonic_server(tmp_path / "supysonic") as server:
        async with serving(spotify_app(spotify)) as s_url:
            providers = ProviderSettings(
                spotify=SpotifySettings(
                    api_url=s_url, accounts_url=s_url, client_id=spotify.client_id
                ),
                secrets=SecretsSettings(keys=(KEY,)),
            )
            async with (
                running_installation(nats_url, namespace, providers=providers) as running,
                running.client(timeout=20) as api,
            ):
                access, refresh = spotify.grant()
                connection = await connect(
                    api,
                    provider="spotify",
                    access_token=access,
                    refresh_token=refresh,
                    expires_in_s=3600,
                    client_id=spotify.client_id,
                )
                yield MediaWorld(spotify, server, api, connection)


async def connect_subsonic(world: MediaWorld, password: str) -> httpx.Response:
    return await world.api.post(
        "/api/v1/connections",
        json={
            "provider": "subsonic",
            "server_url": world.server.url,
            "username": world.server.username,
            "password": password,
        },
    )


async def test_a_spotify_playlist_lands_on_the_server_with_what_it_has_in_order(
    world: MediaWorld,
) -> None:
    refused = await connect_subsonic(world, "not the password")
    assert refused.status_code == 400 and "not the password" not in refused.text

    answer = await connect_subsonic(world, world.server.password)
    assert answer.status_code == 201, answer.text
    assert world.server.password not in answer.text
    made = answer.json()
    assert (made["provider"], made["account_id"]) == ("subsonic", "alice")

    recordings = shared_recordings(world.spotify, None, 20)
    songs = songs_from_spotify(world.spotify, recordings)
    owned = [r for n, r in enumerate(recordings) if n % 4 != 3]
    missing: list[Recording] = [r for n, r in enumerate(recordings) if n % 4 == 3]
    world.server.add_songs([s for n, s in enumerate(songs) if n % 4 != 3])
    world.server.scan()
    source = world.spotify.new_playlist("Road trip", [r.spotify_uri for r in recordings])

    job = await world.api.post(
        "/api/v1/sync/jobs",
        json={
            "name": "Spotify to Navidrome",
            "a_connection_id": world.spotify_connection,
            "b_connection_id": made["connection_id"],
            "playlists": [{"a_playlist_id": source}],
        },
    )
    assert job.status_code == 201, job.text
    job_id = job.json()["job_id"]

    done = await run_sync_job(world.api, job_id)
    assert done["status"] == "completed", done["error"]
    assert world.server.playlists() == {"Road trip": [r.title for r in owned]}
    assert [line["title"] for line in done["not_synced"]] == [r.title for r in missing]
    assert {line["reason"] for line in done["not_synced"]} == {"not in your library"}

    again = await run_sync_job(world.api, job_id)
    assert again["status"] == "completed" and again["counts"]["add_to_b"] == 0, again
    assert world.server.playlists() == {"Road trip": [r.title for r in owned]}

    # The missing songs arrive (downloaded, say) and are scanned in: the next run adds them.
    world.server.add_songs([s for n, s in enumerate(songs) if n % 4 == 3])
    world.server.scan()
    later = await run_sync_job(world.api, job_id)
    assert later["status"] == "completed", later
    assert later["not_synced"] == []
    assert sorted(world.server.playlists()["Road trip"]) == sorted(r.title for r in recordings)


async def test_the_server_is_a_library_for_the_missing_tracks_check_and_a_sync_source(
    world: MediaWorld,
) -> None:
    made = (await connect_subsonic(world, world.server.password)).json()
    recordings = shared_recordings(world.spotify, None, 8)
    songs = songs_from_spotify(world.spotify, recordings)
    world.server.add_songs(songs[:5])
    world.server.scan()

    # What is missing from my Subsonic library?
    tracks = [{"title": r.title, "artists": [r.artist], "duration_ms": 20_000} for r in recordings]
    answer = await world.api.post(
        "/api/v1/runs/missing-tracks",
        json={"library_connection_id": made["connection_id"], "tracks": tracks},
    )
    assert answer.status_code == 202, answer.text
    run = await wait_for_run(world.api, answer.json()["run_id"], 60)
    assert run["status"] == "completed", run
    assert {i["track"]["title"] for i in run["present"]} == {r.title for r in recordings[:5]}
    assert {i["track"]["title"] for i in run["missing"]} == {r.title for r in recordings[5:]}

    # A playlist made on the server syncs out to Spotify, in its order.
    order = [recordings[n].title for n in (4, 0, 2)]
    world.server.new_playlist("Made on the server", order)
    listed = await world.api.get(f"/api/v1/connections/{made['connection_id']}/playlists")
    assert listed.status_code == 200, listed.text
    (playlist,) = [p for p in listed.json() if p["name"] == "Made on the server"]
    job = await world.api.post(
        "/api/v1/sync/jobs",
        json={
            "name": "Navidrome to Spotify",
            "a_connection_id": made["connection_id"],
            "b_connection_id": world.spotify_connection,
            "playlists": [{"a_playlist_id": playlist["playlist_id"]}],
        },
    )
    assert job.status_code == 201, job.text
    done = await run_sync_job(world.api, job.json()["job_id"])
    assert done["status"] == "completed", done["error"]
    (copy,) = [p for p in world.spotify.playlists.values() if p["name"] == "Made on the server"]
    assert copy["items"] == [recordings[n].spotify_uri for n in (4, 0, 2)]
