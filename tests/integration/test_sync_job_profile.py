"""A sync job picks one of its owner's quality profiles for the downloads its runs offer:
stored on the job, shown with it, changed with it; a profile the person has not made is a
400 that stores nothing; the downloads of what a run found not in the media server's
library are held to it. Through the real services, the emulators behind them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.connectors.adapters.spotify import SpotifySettings
from services.connectors.registry import ProviderSettings
from services.downloader.domain.sources import Source
from services.kernel.crypto import SecretsSettings, generate_key_spec
from tests.emulators.jellyfin import TOKEN, JellyfinState, jellyfin_app
from tests.emulators.scripted import serving
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.catalogues import shared_recordings
from tests.support.installation import running_installation
from tests.support.runs import run_sync_job
from tests.support.sync_world import World, connect, sync_world

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    async with sync_world(nats_url, namespace) as made:
        yield made


async def test_a_job_keeps_the_quality_profile_it_picked(world: World) -> None:
    api = world.api
    for name in ("FLAC, else MP3 320", "Anything"):
        saved = await api.put("/api/v1/quality-profiles", json={"name": name, "targets": ["flac"]})
        assert saved.status_code == 200, saved.text
    job = {
        "name": "Liked to Deezer",
        "a_connection_id": world.spotify_connection,
        "b_connection_id": world.deezer_connection,
        "liked": True,
    }
    unknown = await api.post("/api/v1/sync/jobs", json={**job, "quality_profile": "Nope"})
    assert unknown.status_code == 400 and "Nope" in unknown.text, unknown.text
    assert (await api.get("/api/v1/sync/jobs")).json() == []

    made = await api.post(
        "/api/v1/sync/jobs", json={**job, "quality_profile": "FLAC, else MP3 320"}
    )
    assert made.status_code == 201, made.text
    job_id = made.json()["job_id"]
    shown = (await api.get(f"/api/v1/sync/jobs/{job_id}")).json()
    assert shown["quality_profile"] == "FLAC, else MP3 320"

    changed = await api.put(
        f"/api/v1/sync/jobs/{job_id}", json={**job, "quality_profile": "Anything"}
    )
    assert changed.status_code == 200, changed.text
    refused = await api.put(f"/api/v1/sync/jobs/{job_id}", json={**job, "quality_profile": ""})
    assert refused.status_code == 400
    (listed,) = (await api.get("/api/v1/sync/jobs")).json()
    assert listed["quality_profile"] == "Anything"
    cleared = await api.put(f"/api/v1/sync/jobs/{job_id}", json=job)
    assert cleared.json()["quality_profile"] is None


async def _no_audio(query: str) -> list[Source]:
    return []  # nothing to download: what is checked is what the downloads are held to


async def test_a_sync_runs_downloads_are_held_to_its_jobs_profile(
    nats_url: str, namespace: str
) -> None:
    spotify, jellyfin = SpotifyState(), JellyfinState()
    recordings = shared_recordings(spotify, None, 4)
    for recording in recordings[:2]:  # the server has two of the four
        item = spotify.catalogue[recording.spotify_uri]
        album = str((item.get("album") or {}).get("name") or "")
        jellyfin.add_track(
            recording.title, recording.artist, album, int(item["duration_ms"]) // 1000
        )
    source = spotify.new_playlist("Road trip", [r.spotify_uri for r in recordings])
    async with serving(spotify_app(spotify)) as s_url, serving(jellyfin_app(jellyfin)) as j_url:
        providers = ProviderSettings(
            spotify=SpotifySettings(api_url=s_url, accounts_url=s_url, client_id=spotify.client_id),
            secrets=SecretsSettings(keys=(generate_key_spec("k1"),)),
        )
        async with (
            running_installation(nats_url, namespace, providers=providers, search=_no_audio) as up,
            up.client(timeout=20) as api,
        ):
            saved = await api.put(
                "/api/v1/quality-profiles", json={"name": "FLAC only", "targets": ["flac"]}
            )
            assert saved.status_code == 200, saved.text
            access, refresh = spotify.grant()
            a = await connect(
                api,
                provider="spotify",
                access_token=access,
                refresh_token=refresh,
                expires_in_s=3600,
                client_id=spotify.client_id,
            )
            b = await connect(api, provider="jellyfin", server_url=j_url, access_token=TOKEN)
            job = await api.post(
                "/api/v1/sync/jobs",
                json={
                    "name": "Spotify to Jellyfin",
                    "a_connection_id": a,
                    "b_connection_id": b,
                    "playlists": [{"a_playlist_id": source}],
                    "quality_profile": "FLAC only",
                },
            )
            assert job.status_code == 201, job.text
            done = await run_sync_job(api, job.json()["job_id"])
            assert len(done["not_synced"]) == 2, done
            queued = await api.post(f"/api/v1/sync/runs/{done['run_id']}/downloads")
            assert queued.status_code == 202, queued.text
            listed = (await api.get("/api/v1/downloads")).json()
            assert len(listed) == 2
            assert {d["profile"] for d in listed} == {"FLAC only"}, listed
