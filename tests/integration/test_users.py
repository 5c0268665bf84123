"""Users, sessions, API tokens, and one user's things kept from another: through the real
gateway, with everything else running behind it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pyotp
import pytest

from services.gateway.domain.webhooks import signature
from services.kernel.contracts import Track
from services.kernel.records import DownloadRecord, ReviewRecord
from services.scheduler.mappings import save_mapping
from tests.emulators.deezer import TOKEN as DEEZER_TOKEN
from tests.support.catalogues import shared_recordings
from tests.support.sync_world import World, connect, sync_world
from tests.support.users import ADMIN, sign_in

pytestmark = pytest.mark.timeout(120)
BOB = {"username": "bob", "password": "bob's long passphrase"}


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    async with sync_world(nats_url, namespace) as made:
        yield made


async def test_set_up_happens_once_and_log_in_is_guarded(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.installation.base_url) as anonymous:
        again = await anonymous.post("/api/v1/setup", json=BOB)
        assert again.status_code == 409
        nobody = await anonymous.get("/api/v1/sync/jobs")
        assert nobody.status_code == 401 and nobody.json()["title"] == "Unauthorized"
        forged = await anonymous.get(
            "/api/v1/sync/jobs", headers={"Authorization": "Bearer tb_not-a-token"}
        )
        assert forged.status_code == 401
        assert (await anonymous.get("/api/v1/health")).status_code in (200, 503)
        metrics = await anonymous.get("/metrics")  # for Prometheus, as the ops ports are
        assert metrics.status_code == 200 and "# TYPE" in metrics.text
        wrong = {**ADMIN, "password": "not the right one"}
        answers = [
            (await anonymous.post("/api/v1/login", json=wrong)).status_code for _ in range(6)
        ]
        assert answers == [401] * 5 + [429]
        short = await anonymous.post("/api/v1/login", json={"username": "x", "password": "short"})
        assert short.status_code == 400 and short.json()["errors"][0]["field"] == "password"


async def test_an_e_mail_address_is_a_name_like_any_other(world: World) -> None:
    carol = {"username": "Carol@Example.org", "password": "carol's long passphrase"}
    made = await world.api.post("/api/v1/users", json=carol)
    assert made.status_code == 201, made.text
    taken = await world.api.post("/api/v1/users", json={**carol, "username": "carol@example.ORG"})
    assert taken.status_code == 409, taken.text  # names are unique whatever their case
    async with httpx.AsyncClient(base_url=world.installation.base_url) as browser:
        assert await sign_in(browser, {**carol, "username": "carol@example.org"})


async def test_a_browser_session_needs_its_csrf_token_to_change_anything(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.installation.base_url) as browser:
        logged = await browser.post("/api/v1/login", json=ADMIN)
        assert logged.status_code == 200
        cookie = logged.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
        assert (await browser.get("/api/v1/me")).json()["username"] == "admin"
        body = {"name": "from a page", "scopes": ["read"]}
        forged = await browser.post("/api/v1/tokens", json=body)
        assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["detail"]
        csrf = {"X-CSRF-Token": logged.json()["csrf_token"]}
        made = await browser.post("/api/v1/tokens", json=body, headers=csrf)
        assert made.status_code == 201
        assert (await browser.post("/api/v1/logout", headers=csrf)).status_code == 204
        assert (await browser.get("/api/v1/me")).status_code == 401


async def test_tokens_are_shown_once_scoped_and_revocable(world: World) -> None:
    api = world.api
    made = (await api.post("/api/v1/tokens", json={"name": "reader", "scopes": ["read"]})).json()
    listed = (await api.get("/api/v1/tokens")).json()
    assert made["token"] not in str(listed) and "reader" in str(listed)
    reader = {"Authorization": f"Bearer {made['token']}"}
    assert (await api.get("/api/v1/sync/jobs", headers=reader)).status_code == 200
    refused = await api.post("/api/v1/sync/jobs", json={}, headers=reader)
    assert refused.status_code == 403 and refused.json()["detail"] == "this token may only read"
    assert (await api.delete(f"/api/v1/tokens/{made['token_id']}")).status_code == 204
    assert (await api.get("/api/v1/sync/jobs", headers=reader)).status_code == 401
    # A token has three scopes to give: a longer list is refused, and makes no token.
    flood = await api.post("/api/v1/tokens", json={"name": "many", "scopes": ["read"] * 50_000})
    assert flood.status_code == 400 and "scopes" in flood.text
    assert "many" not in str((await api.get("/api/v1/tokens")).json())


async def test_one_user_can_neither_see_nor_change_anothers_things(world: World) -> None:
    admin = world.api
    songs = shared_recordings(world.spotify, world.deezer, 2)
    source = world.spotify.new_playlist("Mine", [s.spotify_uri for s in songs])
    job = (
        await admin.post(
            "/api/v1/sync/jobs",
            json={
                "name": "Mine",
                "a_connection_id": world.spotify_connection,
                "b_connection_id": world.deezer_connection,
                "playlists": [{"a_playlist_id": source}],
            },
        )
    ).json()
    run = (await admin.post(f"/api/v1/sync/jobs/{job['job_id']}/runs", json={})).json()
    download = (await admin.post("/api/v1/downloads", json={"track": {"title": "x"}})).json()
    schedule = (
        await admin.post("/api/v1/schedules", json={"job_id": job["job_id"], "every_s": 3600})
    ).json()
    hook = (
        await admin.post("/api/v1/webhooks", json={"kind": "generic", "job_ids": [job["job_id"]]})
    ).json()["webhook"]
    review = ReviewRecord(
        review_id="e" * 32,
        user_id=world.installation.user_id,
        job_id=job["job_id"],
        run_id=run["run_id"],
        from_provider="spotify",
        to_provider="deezer",
        source=Track(title="Mine", provider_id=songs[0].spotify_id),
    )
    store = world.installation.store
    await store.put("reviews", f"{review.user_id}.{review.review_id}", review)
    added = await admin.post("/api/v1/users", json=BOB)
    assert added.status_code == 201 and added.json()["is_admin"] is False

    async with httpx.AsyncClient(base_url=world.installation.base_url) as bob:
        bob_id = await sign_in(bob, BOB)
        assert (await bob.get("/api/v1/connections")).json() == []
        assert (await bob.get("/api/v1/sync/jobs")).json() == []
        assert (await bob.get("/api/v1/downloads")).json() == []
        theirs = [
            ("GET", f"/api/v1/connections/{world.spotify_connection}"),
            ("GET", f"/api/v1/connections/{world.spotify_connection}/playlists"),
            ("DELETE", f"/api/v1/connections/{world.deezer_connection}"),
            ("GET", f"/api/v1/sync/jobs/{job['job_id']}"),
            ("POST", f"/api/v1/sync/jobs/{job['job_id']}/runs"),
            ("DELETE", f"/api/v1/sync/jobs/{job['job_id']}"),
            ("GET", f"/api/v1/sync/runs/{run['run_id']}"),
            ("POST", f"/api/v1/sync/runs/{run['run_id']}/cancel"),
            ("GET", f"/api/v1/downloads/{download['download_id']}"),
            ("POST", f"/api/v1/downloads/{download['download_id']}/cancel"),
            ("POST", f"/api/v1/downloads/{download['download_id']}/retry"),
            ("GET", f"/api/v1/reviews/{review.review_id}"),
            ("POST", f"/api/v1/reviews/{review.review_id}/decision"),
            ("GET", f"/api/v1/schedules/{schedule['schedule_id']}"),
            ("POST", f"/api/v1/schedules/{schedule['schedule_id']}/pause"),
            ("DELETE", f"/api/v1/schedules/{schedule['schedule_id']}"),
            ("POST", f"/api/v1/webhooks/{hook['webhook_id']}/rotate"),
            ("DELETE", f"/api/v1/webhooks/{hook['webhook_id']}"),
        ]
        for method, path in theirs:
            body = {"decision": "skip"} if path.endswith("/decision") else {}
            answer = await bob.request(method, path, json=body if method == "POST" else None)
            assert answer.status_code == 404, (method, path, answer.text)
        assert (await bob.get("/api/v1/reviews")).json() == []
        assert (await bob.get("/api/v1/schedules")).json() == []
        assert (await bob.get("/api/v1/webhooks")).json() == []
        borrowed = await bob.post(
            "/api/v1/sync/jobs",
            json={
                "name": "Theirs",
                "a_connection_id": world.spotify_connection,
                "b_connection_id": world.deezer_connection,
                "liked": True,
            },
        )
        assert borrowed.status_code == 400
        assert (await bob.get("/api/v1/users")).status_code == 403
        stronger = await bob.post("/api/v1/tokens", json={"name": "x", "scopes": ["admin"]})
        assert stronger.status_code == 403

        # Nothing of the admin's changed, and the admin still sees it all.
        assert (await admin.get(f"/api/v1/sync/jobs/{job['job_id']}")).status_code == 200
        assert len((await admin.get("/api/v1/connections")).json()) == 2
        assert (await admin.delete(f"/api/v1/users/{bob_id}")).status_code == 204
        assert (await bob.get("/api/v1/me")).status_code == 401


async def test_an_account_is_connected_through_the_providers_consent_page(world: World) -> None:
    admin = world.api
    started = await admin.post("/api/v1/connections/consent", json={"provider": "spotify"})
    assert started.status_code == 201, started.text
    url, state = started.json()["authorize_url"], started.json()["state"]
    assert "code_challenge=" in url and "%2Fapi%2Fv1%2Fconnections%2Fconsent%2Fcallback" in url
    code = world.spotify.consent(url)  # the person says yes on Spotify's page
    callback = "/api/v1/connections/consent/callback"

    await admin.post("/api/v1/users", json=BOB)
    async with httpx.AsyncClient(base_url=world.installation.base_url) as bob:
        await sign_in(bob, BOB)
        stolen = await bob.get(callback, params={"state": state, "code": code})
        assert stolen.status_code == 404  # another user's consent is not theirs to finish
    refused = await admin.get(callback, params={"state": state, "error": "access_denied"})
    assert refused.status_code == 400 and "access_denied" in refused.json()["detail"]

    done = await admin.get(callback, params={"state": state, "code": code})
    assert done.status_code == 200, done.text
    assert done.json()["provider"] == "spotify" and done.json()["status"] == "connected"
    again = await admin.get(callback, params={"state": state, "code": code})
    assert again.status_code == 404  # a consent link works once
    assert len((await admin.get("/api/v1/connections")).json()) == 3
    unknown = await admin.post("/api/v1/connections/consent", json={"provider": "plex"})
    assert unknown.status_code == 400


async def test_a_second_factor_guards_log_in_once_it_is_confirmed(world: World) -> None:
    admin = world.api
    enrolled = await admin.post("/api/v1/me/totp")
    assert enrolled.status_code == 201, enrolled.text
    app = pyotp.TOTP(enrolled.json()["secret"])  # the person's authenticator app
    assert enrolled.json()["otpauth_uri"].startswith("otpauth://totp/Tunebridge:admin?")
    wrong = await admin.post("/api/v1/me/totp/confirm", json={"code": "000000"})
    assert wrong.status_code == 400 or app.now() == "000000"
    confirmed = await admin.post("/api/v1/me/totp/confirm", json={"code": app.now()})
    assert confirmed.status_code == 200 and confirmed.json()["totp_enabled"] is True
    assert enrolled.json()["secret"] not in (await admin.get("/api/v1/me")).text

    async with httpx.AsyncClient(base_url=world.installation.base_url) as browser:
        without = await browser.post("/api/v1/login", json=ADMIN)
        assert without.status_code == 401 and "one-time code" in without.json()["detail"]
        with_code = await browser.post("/api/v1/login", json={**ADMIN, "totp": app.now()})
        assert with_code.status_code == 200
    off = await admin.post("/api/v1/me/totp/disable", json={"code": app.now()})
    assert off.status_code == 200 and off.json()["totp_enabled"] is False


async def test_removing_a_user_ends_their_webhooks_schedules_and_downloads(world: World) -> None:
    admin, installation = world.api, world.installation
    store = installation.store
    assert (await admin.post("/api/v1/users", json=BOB)).status_code == 201
    async with httpx.AsyncClient(base_url=installation.base_url, timeout=20) as bob:
        bob_id = await sign_in(bob, BOB)
        access, refresh = world.spotify.grant()
        spotify = await connect(
            bob,
            provider="spotify",
            access_token=access,
            refresh_token=refresh,
            expires_in_s=3600,
            client_id=world.spotify.client_id,
        )
        deezer = await connect(bob, provider="deezer", access_token=DEEZER_TOKEN)
        job = {"name": "Bob's", "a_connection_id": spotify, "b_connection_id": deezer}
        made = await bob.post("/api/v1/sync/jobs", json={**job, "liked": True})
        job_id = made.json()["job_id"]
        schedule = await bob.post("/api/v1/schedules", json={"job_id": job_id, "every_s": 3600})
        schedule_id = schedule.json()["schedule_id"]
        for _ in range(100):  # the scheduler takes it up: it keeps where its firing stands
            if await store.keys("schedule_fires", f"{bob_id}.{schedule_id}"):
                break
            await asyncio.sleep(0.1)
        hook = (
            await bob.post("/api/v1/webhooks", json={"kind": "generic", "job_ids": [job_id]})
        ).json()
        download = (await bob.post("/api/v1/downloads", json={"track": {"title": "x"}})).json()
        await save_mapping(store, bob_id, "spotify", "sp1", "deezer", "dz1", "review")

        assert (await admin.delete(f"/api/v1/users/{bob_id}")).status_code == 204

        # The webhook is gone with its owner: a genuine, signed delivery starts nothing.
        body, stamp = b"{}", str(int(time.time()))
        delivered = await bob.post(
            hook["webhook"]["url"],
            content=body,
            headers={
                "X-Tunebridge-Timestamp": stamp,
                "X-Tunebridge-Signature": signature(hook["secret"], stamp, body),
                "X-Tunebridge-Delivery": "after-removal",
            },
        )
        assert delivered.status_code == 404, delivered.text
        assert await store.keys("schedules", f"{bob_id}.>") == []
        assert await store.keys("jobs", f"{bob_id}.>") == []
        # The scheduler hears of it on the bus and erases what it keeps of bob, where his
        # schedule's firing stood included.
        for _ in range(100):
            left = await store.keys("mappings", f"{bob_id}.>")
            left += await store.keys("schedule_fires", f"{bob_id}.>")
            if not left:
                break
            await asyncio.sleep(0.1)
        assert left == []
        await asyncio.sleep(1.5)  # the scheduler ticks every 0.2 s here
        assert await store.keys("sync_runs", f"{bob_id}.>") == []
        # The download is cancelled (kept until it has stopped) or, finished, deleted.
        for _ in range(100):
            record = await store.get(
                "downloads", f"{bob_id}.{download['download_id']}", DownloadRecord
            )
            if record is None or record.cancel_requested:
                break
            await asyncio.sleep(0.1)
        assert record is None or record.cancel_requested
