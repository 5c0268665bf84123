"""Connections: consent with PKCE, tokens encrypted at rest, rotation, re-authorisation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.http import CallCounter, ProviderHttp, RetryPolicy
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.adapters.spotify import NeedsReauthorisation, SpotifyProvider
from services.connectors.domain.limits import Bucket, classify_spotify
from services.connectors.domain.oauth import OAuthError
from services.kernel.crypto import SecretBox, generate_key_spec
from services.kernel.store import Store
from tests.emulators.deezer import APP_ID as DEEZER_APP
from tests.emulators.deezer import APP_SECRET as DEEZER_SECRET
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.scripted import serving
from tests.emulators.spotify import SpotifyState, spotify_app

pytestmark = pytest.mark.timeout(60)
REDIRECT = "http://127.0.0.1:8901/callback"
KEY = generate_key_spec("k1")


@pytest.fixture
async def spotify() -> AsyncIterator[tuple[str, SpotifyState]]:
    state = SpotifyState()
    async with serving(spotify_app(state)) as url:
        yield url, state


async def connect(accounts: Accounts, state: SpotifyState) -> tuple[str, ...]:
    url, oauth_state = await accounts.start_consent("u1", REDIRECT)
    code = state.consent(url)
    record = await accounts.complete_consent(oauth_state, code)
    return record.connection_id, oauth_state, code


async def test_consent_with_pkce_gives_a_connection_whose_state_is_single_use(
    store: Store, spotify: tuple[str, SpotifyState]
) -> None:
    url, state = spotify
    accounts = Accounts(store, SecretBox([KEY]), url, spotify_client_id=state.client_id)
    consent_url, oauth_state = await accounts.start_consent("u1", REDIRECT)
    query = parse_qs(urlsplit(consent_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] == [oauth_state]
    assert query["redirect_uri"] == [REDIRECT]
    code = state.consent(consent_url)
    record = await accounts.complete_consent(oauth_state, code)
    assert (record.user_id, record.provider, record.status) == ("u1", "spotify", "connected")
    assert accounts.tokens(record).access_token in state.access_tokens
    with pytest.raises(OAuthError, match="unknown, used or expired"):
        await accounts.complete_consent(oauth_state, code)
    assert [r.connection_id for r in await accounts.list("u1")] == [record.connection_id]
    assert await accounts.list("someone-else") == []
    await accounts.close()


@pytest.mark.parametrize(
    ("redirect", "reason"),
    [
        ("http://localhost:8901/cb", "not localhost"),
        ("http://example.org/cb", "https"),
        ("ftp://127.0.0.1:21/", "https"),
    ],
)
async def test_redirects_a_provider_would_refuse_are_refused_first(
    store: Store, redirect: str, reason: str
) -> None:
    accounts = Accounts(store, SecretBox([KEY]), "http://127.0.0.1:1", spotify_client_id="c")
    with pytest.raises(OAuthError, match=reason):
        await accounts.start_consent("u1", redirect)
    assert await store.keys("oauth_states") == []
    await accounts.close()


async def test_each_user_may_bring_their_own_app(
    store: Store, spotify: tuple[str, SpotifyState]
) -> None:
    url, state = spotify
    accounts = Accounts(store, SecretBox([KEY]), url, spotify_client_id=None)
    with pytest.raises(OAuthError, match="no Spotify app"):
        await accounts.start_consent("u1", REDIRECT)
    consent_url, oauth_state = await accounts.start_consent("u1", REDIRECT, state.client_id)
    record = await accounts.complete_consent(oauth_state, state.consent(consent_url))
    assert record.client_id == state.client_id
    await accounts.close()


async def test_no_plaintext_token_reaches_the_store_the_nats_directory_or_the_logs(
    store: Store,
    spotify: tuple[str, SpotifyState],
    nats_server: tuple[str, Path | None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, state = spotify
    caplog.set_level(logging.DEBUG)
    accounts = Accounts(store, SecretBox([KEY]), url, spotify_client_id=state.client_id)
    connection_id, *_ = await connect(accounts, state)
    record = await accounts.get("u1", connection_id)
    assert record is not None
    tokens = accounts.tokens(record)
    # Use the connection, through a refresh, so rotated tokens are stored too.
    state.access_tokens[tokens.access_token] = 0
    http = ProviderHttp(
        "spotify",
        url,
        classify_spotify,
        InProcessTokenBuckets(),
        CallCounter(CollectorRegistry()),
        RetryPolicy(attempts=2, base_s=0.01),
    )
    auth = accounts.spotify_auth(record)
    await SpotifyProvider(http, auth, [Bucket("b", 100, 100)]).profile()
    rotated = await accounts.get("u1", connection_id)
    assert rotated is not None
    new_tokens = accounts.tokens(rotated)
    assert new_tokens.refresh_token != tokens.refresh_token
    secrets = [
        tokens.access_token,
        tokens.refresh_token,
        new_tokens.access_token,
        new_tokens.refresh_token,
    ]
    raw = (await store._kv["connections"].get(f"u1.{connection_id}")).value or b""
    assert not any(s and s.encode() in raw for s in secrets)
    assert not any(s and s in caplog.text for s in secrets)
    _, directory = nats_server
    if directory is None:
        pytest.skip("the NATS data directory is not ours to read (--nats-url)")
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(s and s.encode() in data for s in secrets), path
    await http.close()
    await auth.close()
    await accounts.close()


async def test_an_expired_consent_marks_the_connection_for_reauthorisation(
    store: Store, spotify: tuple[str, SpotifyState]
) -> None:
    url, state = spotify
    accounts = Accounts(store, SecretBox([KEY]), url, spotify_client_id=state.client_id)
    connection_id, *_ = await connect(accounts, state)
    record = await accounts.get("u1", connection_id)
    assert record is not None
    state.access_tokens[accounts.tokens(record).access_token] = 0
    state.consent_expired = True
    http = ProviderHttp(
        "spotify",
        url,
        classify_spotify,
        InProcessTokenBuckets(),
        CallCounter(CollectorRegistry()),
        RetryPolicy(attempts=2, base_s=0.01),
    )
    auth = accounts.spotify_auth(record)
    with pytest.raises(NeedsReauthorisation) as refused:
        await SpotifyProvider(http, auth, [Bucket("b", 100, 100)]).profile()
    await accounts.needs_reauthorisation("u1", connection_id, str(refused.value))
    marked = await accounts.get("u1", connection_id)
    assert marked is not None and marked.status == "needs_reauthorisation"
    assert marked.message and "connect the account again" in marked.message

    # Re-authorising keeps the connection (and so every job using it), with new tokens.
    state.consent_expired = False
    consent_url, oauth_state = await accounts.start_consent(
        "u1", REDIRECT, connection_id=connection_id
    )
    again = await accounts.complete_consent(oauth_state, state.consent(consent_url))
    assert again.connection_id == connection_id and again.status == "connected"
    assert [r.connection_id for r in await accounts.list("u1")] == [connection_id]
    assert accounts.tokens(again).access_token in state.access_tokens
    with pytest.raises(OAuthError, match="no Spotify connection"):
        await accounts.start_consent("u2", REDIRECT, connection_id=connection_id)
    await accounts.disconnect("u1", connection_id)
    assert await accounts.get("u1", connection_id) is None
    await http.close()
    await auth.close()
    await accounts.close()


async def test_tokens_from_elsewhere_and_key_rotation(store: Store) -> None:
    old = SecretBox([KEY])
    accounts = Accounts(store, old, "http://127.0.0.1:1", spotify_client_id="c")
    record = await accounts.add_from_tokens("u1", "deezer", "dz-token", None, 0, None)
    assert record.tokens and record.tokens.startswith("tb1.k1.")
    rotated = Accounts(store, SecretBox([generate_key_spec("k2"), KEY]), "http://127.0.0.1:1")
    assert rotated.tokens(record).access_token == "dz-token"  # old key still decrypts
    assert await rotated.rotate_keys() == 1
    moved = await rotated.get("u1", record.connection_id)
    assert moved is not None and moved.tokens and moved.tokens.startswith("tb1.k2.")
    assert rotated.tokens(moved).access_token == "dz-token"
    assert await rotated.rotate_keys() == 0
    await accounts.close()
    await rotated.close()


async def test_deezer_consent_for_users_who_still_have_an_app(store: Store) -> None:
    state = DeezerState()
    async with serving(deezer_app(state)) as url:
        accounts = Accounts(store, SecretBox([KEY]), "http://127.0.0.1:1")
        consent_url, oauth_state = await accounts.start_deezer_consent(
            "u1", REDIRECT, DEEZER_APP, DEEZER_SECRET, url
        )
        query = parse_qs(urlsplit(consent_url).query)
        assert "manage_library" in query["perms"][0] and query["state"] == [oauth_state]
        raw = (await store._kv["oauth_states"].get(oauth_state)).value or b""
        assert DEEZER_SECRET.encode() not in raw  # the app secret is kept encrypted
        # Typed per strategy: an app-secret consent, not a secret posing as a verifier.
        kept = msgspec.json.decode(raw)["consent"]
        assert kept["type"] == "app_secret" and kept["app_id"] == DEEZER_APP
        assert "code_verifier" not in msgspec.json.decode(raw)
        record = await accounts.complete_consent(oauth_state, state.consent(consent_url))
        assert record.provider == "deezer" and accounts.tokens(record).access_token in state.tokens
        with pytest.raises(OAuthError):
            await accounts.complete_consent(oauth_state, "code1")
        bad_url, bad_state = await accounts.start_deezer_consent(
            "u1", REDIRECT, DEEZER_APP, "wrong-secret", url
        )
        with pytest.raises(OAuthError, match="Deezer refused"):
            await accounts.complete_consent(bad_state, state.consent(bad_url))
        # A state stored before consents were typed (its secret in code_verifier) is
        # taken as expired: the person starts again, and nothing is traded.
        legacy = msgspec.json.decode(raw)
        legacy.pop("consent")
        legacy["code_verifier"] = "tb1.sealed"
        await store._kv["oauth_states"].put("legacy-state", msgspec.json.encode(legacy))
        with pytest.raises(OAuthError, match="start again"):
            await accounts.complete_consent("legacy-state", "code1")
        await accounts.close()
