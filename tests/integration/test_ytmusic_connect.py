"""Connecting YouTube Music through the gateway: pasted browser headers and Google's
device-code sign-in, against the InnerTube emulator, and the failures people meet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import msgspec
import pytest

from services.connectors.adapters.ytmusic import (
    CONSENT_WITHDRAWN,
    EXPIRED_HEADERS,
    OAUTH_INVALID_ARGUMENT,
    YtCredentials,
    YtMusicSettings,
)
from services.connectors.registry import ProviderSettings
from services.kernel.crypto import SecretBox, SecretsSettings, generate_key_spec
from services.kernel.records import ConnectionRecord
from tests.emulators.scripted import serving
from tests.emulators.ytmusic import (
    CLIENT_ID,
    CLIENT_SECRET,
    COOKIE,
    YtMusicState,
    example_headers,
    sample_state,
    ytmusic_app,
)
from tests.support.installation import Installation, running_installation
from tests.support.runs import run_sync_job

pytestmark = pytest.mark.timeout(120)
KEY = generate_key_spec("k1")


@dataclass
class World:
    installation: Installation
    api: httpx.AsyncClient
    state: YtMusicState


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    state = sample_state(30)
    async with serving(ytmusic_app(state)) as url:
        settings = ProviderSettings(
            ytmusic=YtMusicSettings(api_url=url, oauth_url=url),
            secrets=SecretsSettings(keys=(KEY,)),
        )
        async with (
            running_installation(nats_url, namespace, providers=settings) as installation,
            installation.client(timeout=20) as api,
        ):
            yield World(installation, api, state)


async def _stored(world: World, connection_id: str) -> ConnectionRecord:
    found = await world.installation.store.values("connections", ">", ConnectionRecord)
    return next(r for r in found if r.connection_id == connection_id)


async def test_pasted_headers_connect_and_only_the_sign_in_is_kept_sealed(world: World) -> None:
    api = world.api
    made = await api.post(
        "/api/v1/connections", json={"provider": "ytmusic", "headers": example_headers()}
    )
    assert made.status_code == 201, made.text
    view = made.json()
    assert (view["provider"], view["display_name"], view["status"]) == (
        "ytmusic",
        "Emulated Listener",
        "connected",
    )
    assert COOKIE not in made.text
    record = await _stored(world, view["connection_id"])
    assert record.tokens and COOKIE not in record.tokens
    sealed = SecretBox([KEY]).decrypt(record.tokens, context=record.connection_id)
    kept = YtCredentials.decode(msgspec.json.decode(sealed)["access_token"]).headers
    assert kept["cookie"] == COOKIE and "authorization" not in kept
    assert "referer" not in kept and "accept-language" not in kept  # nothing else pasted
    playlists = await api.get(f"/api/v1/connections/{view['connection_id']}/playlists")
    assert [p["name"] for p in playlists.json()] == ["Emulated playlist"]
    # The headers expire: the person is told what to do, and the connection says so.
    world.state.headers_expired = 403
    refused = await api.get(f"/api/v1/connections/{view['connection_id']}/playlists")
    assert refused.status_code == 409 and refused.json()["detail"] == EXPIRED_HEADERS
    listed = (await api.get(f"/api/v1/connections/{view['connection_id']}")).json()
    assert (listed["status"], listed["message"]) == ("needs_reauthorisation", EXPIRED_HEADERS)


async def test_headers_that_cannot_sign_in_are_refused_in_plain_words(world: World) -> None:
    api = world.api
    for pasted, says in (
        ("Accept: */*\nReferer: https://music.youtube.com/", "X-Goog-AuthUser"),
        (example_headers(cookie="SID=signed-out"), "__Secure-3PAPISID"),
    ):
        answer = await api.post(
            "/api/v1/connections", json={"provider": "ytmusic", "headers": pasted}
        )
        assert answer.status_code == 400 and says in answer.text, answer.text
    world.state.sapisid = "another-session"  # signed out in that browser since
    answer = await api.post(
        "/api/v1/connections", json={"provider": "ytmusic", "headers": example_headers()}
    )
    assert answer.status_code == 400 and "fresh headers" in answer.text
    assert (await api.get("/api/v1/connections")).json() == []


async def test_device_code_sign_in_is_polled_until_given_or_refused(world: World) -> None:
    api, state = world.api, world.state
    body = {"provider": "ytmusic", "client_id": CLIENT_ID, "app_secret": CLIENT_SECRET}
    started = await api.post("/api/v1/connections/consent", json=body)
    assert started.status_code == 201, started.text
    shown = started.json()
    assert shown["authorize_url"] == "https://www.google.com/device"
    assert shown["user_code"] and shown["interval_s"] == 1 and shown["expires_in_s"] <= 600
    poll = {"state": shown["state"]}
    waiting = await api.post("/api/v1/connections/consent/poll", json=poll)
    assert waiting.status_code == 202 and waiting.json()["status"] == "pending"
    state.approve(shown["user_code"])
    given = await api.post("/api/v1/connections/consent/poll", json=poll)
    assert given.status_code == 201, given.text
    assert given.json()["display_name"] == "Emulated Listener"
    again = await api.post("/api/v1/connections/consent/poll", json=poll)
    assert again.status_code in (400, 404)  # single use

    declined = (await api.post("/api/v1/connections/consent", json=body)).json()
    state.approve(declined["user_code"], allow=False)
    answer = await api.post("/api/v1/connections/consent/poll", json={"state": declined["state"]})
    assert answer.status_code == 400 and "declined" in answer.json()["detail"]

    wrong = {**body, "app_secret": "not-the-secret"}
    started = (await api.post("/api/v1/connections/consent", json=wrong)).json()
    state.approve(started["user_code"])
    answer = await api.post("/api/v1/connections/consent/poll", json={"state": started["state"]})
    assert answer.status_code == 400 and "client id or secret" in answer.json()["detail"]

    # Many accounts met "400 invalid argument" with this sign-in in 2026: said plainly.
    state.oauth_invalid_argument = True
    started = (await api.post("/api/v1/connections/consent", json=body)).json()
    state.approve(started["user_code"])
    answer = await api.post("/api/v1/connections/consent/poll", json={"state": started["state"]})
    assert answer.status_code == 400 and answer.json()["detail"] == OAUTH_INVALID_ARGUMENT
    connected = (await api.get("/api/v1/connections")).json()
    assert len(connected) == 1


async def test_a_device_sign_in_needs_the_persons_own_client(world: World) -> None:
    answer = await world.api.post("/api/v1/connections/consent", json={"provider": "ytmusic"})
    assert answer.status_code == 400 and "client" in answer.json()["detail"]


async def test_fresh_headers_re_authorise_the_same_connection(world: World) -> None:
    api, state = world.api, world.state
    made = (
        await api.post(
            "/api/v1/connections", json={"provider": "ytmusic", "headers": example_headers()}
        )
    ).json()
    connection = made["connection_id"]
    state.headers_expired = 401
    await api.get(f"/api/v1/connections/{connection}/playlists")
    assert (await api.get(f"/api/v1/connections/{connection}")).json()["status"] == (
        "needs_reauthorisation"
    )
    # Signed in again in the browser: a new session cookie, pasted into the same connection.
    state.headers_expired, state.sapisid = 0, "new-session"
    fresh = example_headers(cookie="SID=new; __Secure-3PAPISID=new-session")
    stale = await api.post(
        "/api/v1/connections",
        json={"provider": "ytmusic", "headers": example_headers(), "connection_id": connection},
    )
    assert stale.status_code == 400 and "fresh headers" in stale.json()["detail"]
    again = await api.post(
        "/api/v1/connections",
        json={"provider": "ytmusic", "headers": fresh, "connection_id": connection},
    )
    assert again.status_code == 201, again.text
    assert (again.json()["connection_id"], again.json()["status"]) == (connection, "connected")
    playlists = await api.get(f"/api/v1/connections/{connection}/playlists")
    assert playlists.status_code == 200 and len(playlists.json()) == 1
    assert len((await api.get("/api/v1/connections")).json()) == 1
    unknown = await api.post(
        "/api/v1/connections",
        json={"provider": "ytmusic", "headers": fresh, "connection_id": "0" * 32},
    )
    assert unknown.status_code == 404


async def test_youtube_music_is_a_catalog_searched_without_an_account(world: World) -> None:
    world.state.add_song("Nobody Else", "Abstrakt", album=("Nobody Else", "MPREb_x"))
    found = await world.api.post(
        "/api/v1/match/artists/search", json={"query": "Abstrakt", "catalog": "ytmusic"}
    )
    assert found.status_code == 200, found.text
    assert "Abstrakt" in [s["name"] for s in found.json()]
    assert world.state.anonymous_calls >= 1  # no cookie sent for the public catalog


async def _signed_in_with_google(
    api: httpx.AsyncClient, state: YtMusicState, **fields: str
) -> httpx.Response:
    """A device-code sign-in with the person's own client, approved on Google's page."""
    body = {"provider": "ytmusic", "client_id": CLIENT_ID, "app_secret": CLIENT_SECRET, **fields}
    started = await api.post("/api/v1/connections/consent", json=body)
    assert started.status_code == 201, started.text
    state.approve(started.json()["user_code"])
    return await api.post(
        "/api/v1/connections/consent/poll", json={"state": started.json()["state"]}
    )


async def test_a_google_sign_in_withdrawn_is_signed_in_again_into_the_same_connection(
    world: World,
) -> None:
    api, state = world.api, world.state
    given = await _signed_in_with_google(api, state)
    assert given.status_code == 201, given.text
    connection = given.json()["connection_id"]
    headers = await api.post(
        "/api/v1/connections", json={"provider": "ytmusic", "headers": example_headers()}
    )
    job = await api.post(
        "/api/v1/sync/jobs",
        json={
            "name": "likes",
            "a_connection_id": connection,
            "b_connection_id": headers.json()["connection_id"],
            "liked": True,
        },
    )
    assert job.status_code == 201, job.text
    job_id = job.json()["job_id"]
    assert (await run_sync_job(api, job_id))["status"] == "completed"

    # The person removed the app from their Google account (or its sign-in expired).
    state.revoke()
    refused = await api.get(f"/api/v1/connections/{connection}/playlists")
    assert refused.status_code == 409 and refused.json()["detail"] == CONSENT_WITHDRAWN
    view = (await api.get(f"/api/v1/connections/{connection}")).json()
    assert (view["status"], view["message"]) == ("needs_reauthorisation", CONSENT_WITHDRAWN)
    assert (await run_sync_job(api, job_id))["status"] == "failed"

    # Signing in again names the connection; one that is not theirs is refused at once.
    unknown = await api.post(
        "/api/v1/connections/consent",
        json={
            "provider": "ytmusic",
            "client_id": CLIENT_ID,
            "app_secret": CLIENT_SECRET,
            "connection_id": "0" * 32,
        },
    )
    assert unknown.status_code == 400 and "no such connection" in unknown.json()["detail"]
    # A sign-in Google then refuses to serve ("400 invalid argument") changes nothing.
    state.oauth_invalid_argument = True
    answer = await _signed_in_with_google(api, state, connection_id=connection)
    assert answer.status_code == 400 and answer.json()["detail"] == OAUTH_INVALID_ARGUMENT
    still = (await api.get(f"/api/v1/connections/{connection}")).json()
    assert (still["status"], still["message"]) == ("needs_reauthorisation", CONSENT_WITHDRAWN)

    state.oauth_invalid_argument = False
    again = await _signed_in_with_google(api, state, connection_id=connection)
    assert again.status_code == 201, again.text
    assert (again.json()["connection_id"], again.json()["status"]) == (connection, "connected")
    assert again.json()["message"] is None
    listed = (await api.get("/api/v1/connections")).json()
    assert sorted(c["connection_id"] for c in listed) == sorted(
        [connection, headers.json()["connection_id"]]
    )
    playlists = await api.get(f"/api/v1/connections/{connection}/playlists")
    assert playlists.status_code == 200 and len(playlists.json()) == 1
    # The same job, untouched, works again with the same connection.
    assert (await api.get(f"/api/v1/sync/jobs/{job_id}")).json()["a_connection_id"] == connection
    assert (await run_sync_job(api, job_id))["status"] == "completed"
