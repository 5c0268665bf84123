"""Connecting Apple Music: the sign-in page is the only page whose policy lets Apple's
MusicKit JS load (every other keeps the strict one); its flow, as its script runs it,
against the Apple Music emulator: the developer token handed to the page is Apple's ES256
JWT, the Music-User-Token the emulator hands back (as MusicKit JS would) becomes a sealed
connection that reads the library. Apple's script itself cannot be fetched here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from services.connectors.adapters.applemusic import AppleMusicSettings
from services.connectors.registry import ProviderSettings
from services.gateway.api.headers import MUSICKIT_SCRIPT
from services.kernel.crypto import SecretsSettings, generate_key_spec
from tests.emulators.applemusic import KEY_ID, TEAM_ID, AppleState, applemusic_app, new_key
from tests.emulators.scripted import serving
from tests.support.installation import Installation, running_installation
from tests.support.users import ADMIN

pytestmark = pytest.mark.timeout(90)
APPLE = "js-cdn.music.apple.com"


@pytest.fixture
async def with_apple(
    nats_url: str, namespace: str
) -> AsyncIterator[tuple[Installation, AppleState]]:
    private, public = new_key()
    state = AppleState(public_key=public)
    async with serving(applemusic_app(state)) as url:
        settings = AppleMusicSettings(
            api_url=url, team_id=TEAM_ID, key_id=KEY_ID, private_key=private
        )
        async with running_installation(
            nats_url,
            namespace,
            providers=ProviderSettings(
                secrets=SecretsSettings(keys=(generate_key_spec("k1"),)), applemusic=settings
            ),
        ) as installation:
            yield installation, state


async def test_only_the_sign_in_page_may_load_apples_script_and_its_flow_connects(
    with_apple: tuple[Installation, AppleState],
) -> None:
    installation, apple = with_apple
    async with httpx.AsyncClient(base_url=installation.base_url) as browser:
        await browser.post("/api/v1/setup", json=ADMIN)
        logged = await browser.post("/api/v1/login", json=ADMIN)
        csrf = {"X-CSRF-Token": logged.json()["csrf_token"]}
        page = await browser.get("/connections/applemusic")
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        assert f"script-src 'self' https://{APPLE}" in policy
        assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
        assert f'<script src="{MUSICKIT_SCRIPT}" async></script>' in page.text
        assert '<script type="module" src="/ui/static/pages/musickit.js">' in page.text
        for path in ("/", "/connections", "/library", "/settings"):
            other = await browser.get(path)
            assert "apple.com" not in other.headers["content-security-policy"], path
            assert APPLE not in other.text, path
        connections = (await browser.get("/connections")).text
        form = connections.split('id="applemusic"', 1)[1].split("</form>", 1)[0]
        assert 'data-auth="musickit"' in form and "access_token" not in form

        # The page's script: the developer token from the connectors...
        started = await browser.post(
            "/api/v1/connections/consent", json={"provider": "applemusic"}, headers=csrf
        )
        assert started.status_code == 201, started.text
        body = started.json()
        assert body["authorize_url"] == "/connections/applemusic"
        claims = jwt.decode(body["developer_token"], apple.public_key, algorithms=["ES256"])
        assert claims["iss"] == TEAM_ID
        assert jwt.get_unverified_header(body["developer_token"])["kid"] == KEY_ID
        # ...then MusicKit JS's authorize() gives the person's token (here the emulator's),
        # which the page hands to the connectors.
        given = apple.user_token()
        made = await browser.post(
            "/api/v1/connections",
            json={"provider": "applemusic", "access_token": given},
            headers=csrf,
        )
        assert made.status_code == 201, made.text
        connection = made.json()
        assert given not in made.text and connection["provider"] == "applemusic"
        apple.new_playlist("From the iPhone")
        listed = await browser.get(f"/api/v1/connections/{connection['connection_id']}/playlists")
        assert listed.status_code == 200, listed.text
        assert "From the iPhone" in listed.text


async def test_without_the_owners_key_the_sign_in_says_what_to_configure(
    nats_url: str, namespace: str
) -> None:
    keys = SecretsSettings(keys=(generate_key_spec("k1"),))
    async with (
        running_installation(
            nats_url, namespace, providers=ProviderSettings(secrets=keys)
        ) as installation,
        httpx.AsyncClient(base_url=installation.base_url) as browser,
    ):
        await browser.post("/api/v1/setup", json=ADMIN)
        logged = await browser.post("/api/v1/login", json=ADMIN)
        refused = await browser.post(
            "/api/v1/connections/consent",
            json={"provider": "applemusic"},
            headers={"X-CSRF-Token": logged.json()["csrf_token"]},
        )
        assert refused.status_code == 400, refused.text
        assert "TUNEBRIDGE_APPLEMUSIC__TEAM_ID" in refused.text


async def test_health_warns_weeks_before_a_ready_made_developer_token_ends(
    nats_url: str, namespace: str
) -> None:
    private, _ = new_key()
    now = time.time()
    ready_made = jwt.encode(
        {"iss": TEAM_ID, "iat": int(now), "exp": int(now + 20 * 86400)},
        private,
        algorithm="ES256",
        headers={"kid": KEY_ID},
    )
    providers = ProviderSettings(applemusic=AppleMusicSettings(developer_token=ready_made))
    async with (
        running_installation(nats_url, namespace, providers=providers) as installation,
        httpx.AsyncClient(base_url=installation.base_url) as client,
    ):
        deadline = time.monotonic() + 20
        warnings: list[str] = []
        while time.monotonic() < deadline and not warnings:
            health = (await client.get("/api/v1/health")).json()
            warnings = health["services"]["connectors"].get("warnings", [])
            await asyncio.sleep(0.2)
        assert warnings == [
            "the Apple Music developer token expires in 20 days: make a new one, or give "
            "the MusicKit key so Tunebridge renews it"
        ]
        assert health["services"]["gateway"].get("warnings", []) == []
