"""A Spotify playlist synced into Jellyfin (its emulator) through the running services and
the HTTP API: only the songs the server has, in order; the rest reported as not in the
library; a song that arrives later is added by the next run, in its place."""

from __future__ import annotations

import msgspec
import pytest

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.spotify import SpotifySettings
from services.connectors.registry import ProviderSettings
from services.kernel.crypto import SecretBox, SecretsSettings, generate_key_spec
from services.kernel.records import ConnectionRecord
from tests.emulators.jellyfin import (
    PASSWORD,
    TOKEN,
    USER_ID,
    USER_NAME,
    JellyfinState,
    jellyfin_app,
)
from tests.emulators.scripted import serving
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.catalogues import Recording, shared_recordings
from tests.support.installation import running_installation
from tests.support.runs import run_sync_job
from tests.support.sync_world import connect

pytestmark = pytest.mark.timeout(180)
KEY = generate_key_spec("k1")


def stock(jellyfin: JellyfinState, spotify: SpotifyState, recording: Recording) -> str:
    """The song in the Jellyfin library, tagged as Spotify knows it."""
    item = spotify.catalogue[recording.spotify_uri]
    album = str((item.get("album") or {}).get("name") or "")
    return jellyfin.add_track(
        recording.title, recording.artist, album, seconds=int(item["duration_ms"]) // 1000
    )


async def test_a_spotify_playlist_lands_in_jellyfin_with_what_it_has_in_order(
    nats_url: str, namespace: str
) -> None:
    spotify, jellyfin = SpotifyState(), JellyfinState()
    recordings = shared_recordings(spotify, None, 20)
    owned = [n for n in range(20) if n % 4 != 3]
    ids = {n: stock(jellyfin, spotify, recordings[n]) for n in owned}
    source = spotify.new_playlist("Road trip", [r.spotify_uri for r in recordings])
    async with serving(spotify_app(spotify)) as s_url, serving(jellyfin_app(jellyfin)) as j_url:
        providers = ProviderSettings(
            spotify=SpotifySettings(api_url=s_url, accounts_url=s_url, client_id=spotify.client_id),
            secrets=SecretsSettings(keys=(KEY,)),
        )
        async with (
            running_installation(nats_url, namespace, providers=providers) as running,
            running.client(timeout=20) as api,
        ):
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
                },
            )
            assert job.status_code == 201, job.text
            job_id = job.json()["job_id"]

            done = await run_sync_job(api, job_id)
            assert done["status"] == "completed", done["error"]
            assert jellyfin.titles() == {"Road trip": [recordings[n].title for n in owned]}
            missing = [recordings[n].title for n in range(20) if n % 4 == 3]
            assert [line["title"] for line in done["not_synced"]] == missing
            assert {line["reason"] for line in done["not_synced"]} == {"not in your library"}
            assert jellyfin.legacy_auth == 0

            again = await run_sync_job(api, job_id)
            assert again["status"] == "completed" and again["counts"]["add_to_b"] == 0
            (playlist,) = jellyfin.playlists
            assert jellyfin.items_of(playlist) == [ids[n] for n in owned]

            # One missing song arrives in the library: the next run adds it.
            stock(jellyfin, spotify, recordings[3])
            later = await run_sync_job(api, job_id)
            assert later["status"] == "completed", later["error"]
            assert recordings[3].title in jellyfin.titles()["Road trip"]
            assert len(later["not_synced"]) == len(missing) - 1


async def test_a_user_log_in_is_traded_for_a_token_and_the_password_is_not_kept(
    nats_url: str, namespace: str
) -> None:
    jellyfin = JellyfinState()
    jellyfin.add_track("Only song", "Artist")
    jellyfin.playlists["p1"] = {"name": "Mine", "entries": []}
    providers = ProviderSettings(secrets=SecretsSettings(keys=(KEY,)))
    async with (
        serving(jellyfin_app(jellyfin)) as url,
        running_installation(nats_url, namespace, providers=providers) as running,
        running.client(timeout=20) as api,
    ):
        login = {"provider": "jellyfin", "server_url": url, "username": USER_NAME}
        wrong = await api.post("/api/v1/connections", json={**login, "password": "nope"})
        assert wrong.status_code == 400 and "refused this user name and password" in wrong.text
        made = await api.post("/api/v1/connections", json={**login, "password": PASSWORD})
        assert made.status_code == 201, made.text
        assert PASSWORD not in made.text and made.json()["account_id"] == USER_ID
        (session,) = jellyfin.sessions  # one log-in
        listed = await api.get(f"/api/v1/connections/{made.json()['connection_id']}/playlists")
        assert [p["name"] for p in listed.json()] == ["Mine"]
        # What is sealed is the session's token; the password is nowhere in the record.
        store = running.runtimes["connectors"].context.store
        (record,) = await store.values("connections", ">", ConnectionRecord)
        assert PASSWORD not in msgspec.json.encode(record).decode()
        accounts = Accounts(store, SecretBox([KEY]), "http://127.0.0.1:9")
        assert accounts.tokens(record).access_token == session
        await accounts.close()
