"""The Apple Music provider against the Apple Music emulator: the developer token signed
with the owner's key (and made again before it ends), the Music-User-Token, Apple's
string-typed errors, append-only playlists, ISRCs in batches in the user's storefront."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.applemusic import (
    AppleMusicProvider,
    AppleMusicSettings,
    DeveloperTokens,
    classify_apple,
)
from services.connectors.adapters.http import (
    CallCounter,
    ProviderHttp,
    RetryPolicy,
    Unauthorized,
)
from services.connectors.adapters.provider import NotSupported, WriteLimits
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.adapters.spotify import NeedsReauthorisation
from services.kernel.contracts import Track
from tests.emulators.applemusic import KEY_ID, TEAM_ID, AppleState, applemusic_app, new_key
from tests.emulators.scripted import serving

pytestmark = pytest.mark.timeout(60)
DATA = Path(__file__).parents[1] / "data" / "providers" / "applemusic"
Made = tuple[AppleMusicProvider, AppleState, CallCounter]


@pytest.fixture
async def apple(tmp_path: Path) -> AsyncIterator[Made]:
    private, public = new_key()
    key_file = tmp_path / "AuthKey.p8"
    key_file.write_text(private)
    state = AppleState(public_key=public)
    async with serving(applemusic_app(state)) as url:
        settings = AppleMusicSettings(
            api_url=url, team_id=TEAM_ID, key_id=KEY_ID, private_key_file=str(key_file)
        )
        counter = CallCounter(CollectorRegistry())
        http = ProviderHttp(
            "applemusic",
            url,
            classify_apple,
            InProcessTokenBuckets(),
            counter,
            RetryPolicy(attempts=3, base_s=0.01),
        )
        provider = AppleMusicProvider(
            http, DeveloperTokens(settings), state.user_token(), [], settings
        )
        yield provider, state, counter
        await http.close()


def songs(state: AppleState, count: int) -> list[str]:
    return [state.add_song(f"Song {n}", f"Artist {n % 3}", f"TBX26{n:07d}") for n in range(count)]


async def test_a_refused_page_size_is_halved_and_remembered(apple: Made) -> None:
    # The page size is an assumption: this Apple Music gives at most 25 items a page.
    provider, state, counter = apple
    provider.limits = WriteLimits()
    state.page_limit = 25
    ids = songs(state, 60)
    mine = state.new_playlist("Small pages", ids)
    assert [t.provider_id async for t in provider.playlist_items(mine)] == ids
    # 100 and 50 refused, then 25, 25 and 10.
    assert counter.value("applemusic", "playlist_items", "client_error") == 2
    assert counter.value("applemusic", "playlist_items", "ok") == 3
    assert [t.provider_id async for t in provider.playlist_items(mine)] == ids
    assert counter.value("applemusic", "playlist_items", "client_error") == 2  # learned
    assert counter.value("applemusic", "playlist_items", "ok") == 6


async def test_library_playlists_are_read_in_pages_by_catalog_id_and_only_ever_grow(
    apple: Made,
) -> None:
    provider, state, counter = apple
    ids = songs(state, 230)
    mine = state.new_playlist("Old favourites", ids[:150])
    tracks = [t async for t in provider.playlist_items(mine)]
    assert [t.provider_id for t in tracks] == ids[:150]  # catalog ids, as written
    assert tracks[0].isrc == "TBX260000000" and tracks[0].artists == ("Artist 0",)
    assert counter.value("applemusic", "playlist_items", "ok") == 2  # pages of 100

    made = await provider.create_playlist("From Tunebridge")
    await provider.add_items(made.playlist_id, ids[:230])
    assert state.playlists[made.playlist_id]["tracks"] == ids[:230]
    assert counter.value("applemusic", "playlist_add", "ok") == math.ceil(230 / 100)
    assert {p.name async for p in provider.playlists()} == {"Old favourites", "From Tunebridge"}

    with pytest.raises(NotSupported, match="remove items"):
        await provider.remove_items(made.playlist_id, ids[:1])
    with pytest.raises(NotSupported, match="reorder items"):
        await provider.reorder(made.playlist_id, list(reversed(ids[:230])))
    assert state.refused_writes == 0  # never even asked


async def test_isrcs_are_looked_up_many_at_a_time_in_the_users_storefront(apple: Made) -> None:
    provider, state, counter = apple
    ids = songs(state, 60)
    await provider.prefetch_isrcs([f"TBX26{n:07d}" for n in range(60)] + ["TBX269999999"])
    assert counter.value("applemusic", "isrc", "ok") == math.ceil(61 / 25)
    for n in (0, 31, 59):
        (found,) = await provider.lookup_isrc(f"TBX26-{n:07d}")
        assert found.provider_id == ids[n]
    assert await provider.lookup_isrc("TBX269999999") == []
    assert counter.value("applemusic", "isrc", "ok") == 3  # answered from the batch
    assert counter.value("applemusic", "storefront", "ok") == 1
    hits = await provider.search(Track(title="Song 7", artists=("Artist 1",)))
    assert hits[0].provider_id == ids[7] and hits[0].artists == ("Artist 1",)


async def test_likes_add_to_the_library_and_rate_and_the_library_reads_back(
    apple: Made,
) -> None:
    provider, state, _ = apple
    ids = songs(state, 5)
    await provider.like(ids[:3])
    assert state.library == ids[:3] and state.ratings == {i: 1 for i in ids[:3]}
    assert [t.provider_id async for t in provider.liked_tracks()] == ids[:3]
    state.recent = ids[::-1]
    assert [t.provider_id async for t in provider.recently_played()] == ids[::-1]


async def test_library_albums_are_added_read_by_catalog_id_and_found_by_upc(
    apple: Made,
) -> None:
    provider, state, _ = apple
    for n in range(3):
        state.albums[str(1_500_000_000 + n)] = {
            "title": f"Album {n}",
            "artist": f"Artist {n}",
            "upc": f"42{n:011d}",
            "tracks": 10 + n,
            "released": "2001-03-07",
        }
    (by_upc,) = await provider.lookup_upc("4200000000001")
    assert (by_upc.provider_id, by_upc.upc, by_upc.track_total) == ("1500000001", by_upc.upc, 11)
    (found,) = await provider.search_albums(Track(title="Album 2", artists=("Artist 2",)))
    assert found.provider_id == "1500000002" and found.entity == "album"
    await provider.save_albums(["1500000001", "1500000002"])
    saved = [a async for a in provider.saved_albums()]
    # Read back by catalog id (the library's own "l." ids are never what is matched).
    assert [a.album_id for a in saved] == ["1500000001", "1500000002"]
    assert saved[0].upc == "4200000000001" and saved[0].artists == ("Artist 1",)


async def test_a_refused_user_token_asks_for_sign_in_again(apple: Made) -> None:
    provider, state, _ = apple
    state.users.clear()  # the Music-User-Token expired
    with pytest.raises(NeedsReauthorisation, match="sign in with Apple again"):
        [p async for p in provider.playlists()]


def test_the_developer_token_is_apples_es256_jwt_and_is_made_again_before_it_ends(
    tmp_path: Path,
) -> None:
    private, public = new_key()
    now = [time.time()]
    settings = AppleMusicSettings(team_id=TEAM_ID, key_id=KEY_ID, private_key=private)
    tokens = DeveloperTokens(settings, clock=lambda: now[0])
    first = tokens.token()
    claims = jwt.decode(first, public, algorithms=["ES256"], options={"verify_exp": False})
    assert jwt.get_unverified_header(first)["kid"] == KEY_ID
    assert claims["iss"] == TEAM_ID and claims["exp"] - claims["iat"] <= 15_777_000
    now[0] += 30 * 86400
    assert tokens.token() == first  # still months to go
    now[0] = claims["exp"] - 6 * 86400  # within the renewal margin (7 days)
    second = tokens.token()
    renewed = jwt.decode(second, public, algorithms=["ES256"], options={"verify_iat": False})
    assert renewed["exp"] > claims["exp"]
    assert tokens.warning() is None  # renewed here: nothing for the owner to do


def test_a_ready_made_developer_token_warns_weeks_before_it_ends() -> None:
    private, _ = new_key()
    now = time.time()
    made = jwt.encode(
        {"iss": TEAM_ID, "iat": int(now), "exp": int(now + 20 * 86400)},
        private,
        algorithm="ES256",
        headers={"kid": KEY_ID},
    )
    warning = DeveloperTokens(AppleMusicSettings(developer_token=made)).warning()
    assert warning is not None and "expires in 20 days" in warning
    later = jwt.encode(
        {"iss": TEAM_ID, "iat": int(now), "exp": int(now + 90 * 86400)}, private, algorithm="ES256"
    )
    assert DeveloperTokens(AppleMusicSettings(developer_token=later)).warning() is None


def test_apples_string_typed_errors_are_read() -> None:
    recorded = json.loads((DATA / "error_400_invalid_parameter.json").read_text())
    verdict = classify_apple(400, {}, recorded)
    assert verdict.outcome == "client_error"
    assert recorded["errors"][0]["status"] == "400"  # a string, as Apple sends it
    rating = json.loads((DATA / "rating_song_put_response.json").read_text())
    assert rating["data"][0]["attributes"]["value"] == 1
    assert classify_apple(429, {"retry-after": "2"}, {"errors": [{"status": "429"}]}).outcome == (
        "rate_limited"
    )


async def test_a_refused_developer_token_is_made_again_once_for_calls_refused_together(
    apple: Made,
) -> None:
    """The 401 loop is the base's (``Provider._authorised``): calls refused with the same
    token share one new token, and each is sent again once."""
    provider, state, _ = apple
    ids = songs(state, 3)
    await provider.like(ids)
    other, _ = new_key()  # a token Apple does not accept: signed with another key
    provider.developer._token = jwt.encode(
        {"iss": TEAM_ID, "iat": int(time.time()), "exp": int(time.time()) + 3600},
        other,
        algorithm="ES256",
        headers={"kid": KEY_ID},
    )
    provider.developer._expires = time.time() + 3600
    refused = provider.developer._token

    async def liked() -> list[str | None]:
        return [t.provider_id async for t in provider.liked_tracks()]

    read = await asyncio.gather(*(liked() for _ in range(4)))
    assert read == [ids] * 4
    assert provider.developer._token != refused
    assert len(state.developer_tokens_seen) == 2  # the first one, then one made again


async def test_a_refused_ready_made_developer_token_is_not_sent_again() -> None:
    _, public = new_key()
    state = AppleState(public_key=public)
    other, _ = new_key()
    ready = jwt.encode(
        {"iss": TEAM_ID, "iat": int(time.time()), "exp": int(time.time()) + 3600},
        other,
        algorithm="ES256",
        headers={"kid": KEY_ID},
    )
    async with serving(applemusic_app(state)) as url:
        settings = AppleMusicSettings(api_url=url, developer_token=ready)
        http = ProviderHttp(
            "applemusic",
            url,
            classify_apple,
            InProcessTokenBuckets(),
            CallCounter(CollectorRegistry()),
            RetryPolicy(attempts=3, base_s=0.01),
        )
        provider = AppleMusicProvider(http, DeveloperTokens(settings), None, [], settings)
        try:
            with pytest.raises(Unauthorized):
                await provider.search(Track(title="Song 1"), 5)
        finally:
            await http.close()
    assert sum(state.calls.values()) == 1  # nothing to make a new one with: once only
