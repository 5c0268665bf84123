"""The TIDAL provider against the TIDAL emulator (JSON:API documents, cursors, the spec's
item limits, idempotency keys, expiring tokens), and the emulator against TIDAL's own
OpenAPI document."""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.http import CallCounter, ProviderHttp, RetryPolicy
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.adapters.spotify import SpotifyAuth, SpotifyToken
from services.connectors.adapters.tidal import (
    TOKEN_PATH,
    ClientCredentials,
    TidalProvider,
    TidalSettings,
    consent,
    duration_ms,
)
from services.connectors.domain.limits import classify_tidal
from services.connectors.domain.oauth import OAuthError
from services.kernel.contracts import Track
from services.kernel.crypto import SecretBox, generate_key_spec
from services.kernel.store import Store
from tests.emulators.scripted import serving
from tests.emulators.tidal import CLIENT_ID, CLIENT_SECRET, TidalState, tidal_app

pytestmark = pytest.mark.timeout(60)
SPEC = Path(__file__).parents[1] / "data" / "providers" / "tidal" / "tidal-api-oas.json"

Made = tuple[TidalProvider, TidalState, CallCounter, list[SpotifyToken]]


@pytest.fixture
async def tidal() -> AsyncIterator[Made]:
    state = TidalState()
    async with serving(tidal_app(state)) as url:
        counter = CallCounter(CollectorRegistry())
        http = ProviderHttp(
            "tidal",
            url,
            classify_tidal,
            InProcessTokenBuckets(),
            counter,
            RetryPolicy(attempts=4, base_s=0.01),
        )
        access, refresh = state.grant()
        rotated: list[SpotifyToken] = []

        async def keep(token: SpotifyToken) -> None:
            rotated.append(token)

        auth = SpotifyAuth(
            url,
            "my-own-client",
            SpotifyToken(access, refresh, time.time() + 3600),
            keep,
            token_path=TOKEN_PATH,
            shown="TIDAL",
        )
        yield TidalProvider(http, auth, [], TidalSettings()), state, counter, rotated
        await http.close()
        await auth.close()


def songs(state: TidalState, count: int) -> list[str]:
    return [
        state.add_track(f"Song {n}", f"Artist {n % 4}", f"TBX26{n:07d}", 150 + n % 90)
        for n in range(count)
    ]


async def test_playlists_and_their_items_are_read_through_cursors_with_artists_included(
    tidal: Made,
) -> None:
    provider, state, counter, _ = tidal
    ids = songs(state, 45)
    mine = state.new_playlist("Road trip", ids)
    state.new_playlist("Empty")
    found = [p async for p in provider.playlists()]
    assert {p.name for p in found} == {"Road trip", "Empty"}
    tracks = [t async for t in provider.playlist_items(mine)]
    assert [t.provider_id for t in tracks] == ids
    first = tracks[0]
    assert (first.title, first.artists, first.isrc, first.duration_ms) == (
        "Song 0",
        ("Artist 0",),
        "TBX260000000",
        150_000,
    )
    # 45 entries: three pages of 20, then three /tracks calls of 20 ids.
    assert counter.value("tidal", "playlist_items", "ok") == 3
    assert counter.value("tidal", "tracks", "ok") == math.ceil(45 / 20)


async def test_writes_go_in_the_specs_batches_and_moves_put_the_playlist_in_order(
    tidal: Made,
) -> None:
    provider, state, counter, _ = tidal
    ids = songs(state, 130)
    made = await provider.create_playlist("From Tunebridge")
    await provider.add_items(made.playlist_id, ids[:120])
    assert state.items_of(made.playlist_id) == ids[:120]
    assert counter.value("tidal", "playlist_add", "ok") == 3  # 50 + 50 + 20

    await provider.remove_items(made.playlist_id, ids[:60])
    assert state.items_of(made.playlist_id) == ids[60:120]
    assert counter.value("tidal", "playlist_remove", "ok") == 2  # by item id, 50 a call

    order = ids[90:120] + ids[60:90]  # 30 tracks move to the front: two calls of 20 and 10
    await provider.reorder(made.playlist_id, order)
    assert state.items_of(made.playlist_id) == order
    assert counter.value("tidal", "playlist_reorder", "ok") == 2

    await provider.like(ids[:55])
    assert [t.provider_id async for t in provider.liked_tracks()] == ids[:55]
    await provider.unlike(ids[:5])
    assert state.favourites == ids[5:55]


async def test_a_tidal_taking_fewer_items_per_write_gets_smaller_batches(tidal: Made) -> None:
    """Found by an audit: TIDAL's 400 for too many items in ``data`` was not taken for
    a write too large, so a TIDAL taking 20 refused every track of the run."""
    provider, state, _, _ = tidal
    state.write_max = 20
    ids = songs(state, 60)
    made = await provider.create_playlist("Smaller")
    await provider.add_items(made.playlist_id, ids)
    assert state.items_of(made.playlist_id) == ids  # each once, in order
    await provider.like(ids[:30])
    await provider.remove_items(made.playlist_id, ids[:30])
    assert state.favourites == ids[:30] and state.items_of(made.playlist_id) == ids[30:]
    # Each kind of write learned on its own (adds and likes halved twice, 30 removals once).
    assert provider.notes == [
        "TIDAL refused 25 tracks per request; sent 12 at a time",
        "TIDAL refused 30 tracks per request; sent 15 at a time",
    ]


async def test_a_write_whose_answer_was_lost_is_sent_again_with_its_key_and_lands_once(
    tidal: Made,
) -> None:
    provider, state, _, _ = tidal
    ids = songs(state, 60)
    made = await provider.create_playlist("Lossy")
    state.lose_answers = 2  # the first batch lands, and its answer is lost twice
    await provider.add_items(made.playlist_id, ids)
    assert state.items_of(made.playlist_id) == ids  # each track once
    assert state.replays == 2


async def test_one_isrc_gives_every_track_tidal_has_for_it_and_search_finds_by_words(
    tidal: Made,
) -> None:
    provider, state, _, _ = tidal
    first = state.add_track("Glass River", "Aurora Lane", "TBX260000777")
    again = state.add_track("Glass River", "Aurora Lane", "TBX260000777")  # a re-release
    found = await provider.lookup_isrc("TBX26-0000777")
    assert sorted(t.provider_id or "" for t in found) == sorted([first, again])
    assert await provider.lookup_isrc("not an isrc") == []
    hits = await provider.search(Track(title="Glass River", artists=("Aurora Lane",)))
    assert {t.provider_id for t in hits} == {first, again}
    assert hits[0].artists == ("Aurora Lane",)


async def test_an_expired_token_is_refreshed_once_and_a_rate_limit_waited_out(
    tidal: Made,
) -> None:
    provider, state, counter, rotated = tidal
    songs(state, 3)
    state.access.clear()  # every access token has expired
    state.throttle = 1
    assert (await provider.profile()).account_id
    assert len(rotated) == 1 and rotated[0].access_token in state.access
    assert counter.value("tidal", "me", "rate_limited") == 1


async def test_the_catalog_answers_with_the_installations_client_credentials() -> None:
    state = TidalState()
    state.add_track("Ember North", "Kofi Mensah", "TBX260000042")
    async with serving(tidal_app(state)) as url:
        http = ProviderHttp(
            "tidal",
            url,
            classify_tidal,
            InProcessTokenBuckets(),
            CallCounter(CollectorRegistry()),
        )
        catalog = TidalProvider(
            http, ClientCredentials(url, CLIENT_ID, CLIENT_SECRET), [], TidalSettings()
        )
        (found,) = await catalog.lookup_isrc("TBX260000042")
        assert found.title == "Ember North"
        await http.close()


def test_the_emulators_paths_and_write_limits_are_tidals_own() -> None:
    spec = json.loads(SPEC.read_text())
    paths = spec["paths"]
    for path, method in (
        ("/playlists", "get"),
        ("/playlists", "post"),
        ("/playlists/{id}/relationships/items", "post"),
        ("/playlists/{id}/relationships/items", "delete"),
        ("/playlists/{id}/relationships/items", "patch"),
        ("/userCollectionTracks/{id}/relationships/items", "post"),
        ("/tracks", "get"),
        ("/searchResults/{id}/relationships/tracks", "get"),
    ):
        assert method in paths[path], (path, method)
    schemas = spec["components"]["schemas"]
    settings = TidalSettings()
    add = schemas["PlaylistsItemsRelationshipAddOperation_Payload"]["properties"]["data"]
    move = schemas["PlaylistsItemsRelationshipUpdateOperation_Payload"]["properties"]["data"]
    assert (add["maxItems"], move["maxItems"]) == (settings.add_batch, settings.move_batch)


async def test_a_person_connects_tidal_with_pkce_and_their_own_client_id(
    store: Store,
) -> None:
    state = TidalState()
    async with serving(tidal_app(state)) as url:
        settings = TidalSettings(api_url=url, auth_url=url, login_url=url)
        # Spotify's accounts service is elsewhere: TIDAL's consent shares only the code.
        accounts = Accounts(store, SecretBox([generate_key_spec("k1")]), "http://127.0.0.1:9")
        oauth = consent(settings)
        with pytest.raises(OAuthError, match="no TIDAL app"):
            await accounts.start_consent("u1", "http://127.0.0.1:8901/cb", oauth=oauth)
        page, oauth_state = await accounts.start_consent(
            "u1", "http://127.0.0.1:8901/cb", "my-own-client", oauth=oauth
        )
        assert page.startswith(f"{url}/authorize?")
        code = state.consent(page)
        record = await accounts.complete_consent(oauth_state, code, {"tidal": oauth}.get)
        assert (record.provider, record.client_id) == ("tidal", "my-own-client")
        assert accounts.tokens(record).access_token in state.access
        # The connection's adapter renews its expired token at TIDAL, and keeps the new one.
        state.access.clear()
        auth = accounts.oauth_auth(record, url, None, f"{url}{TOKEN_PATH}", "TIDAL")
        await auth.refresh()
        assert auth.token.access_token in state.access
        stored = await accounts.get("u1", record.connection_id)
        assert stored is not None and accounts.tokens(stored).access_token in state.access
        await accounts.close()


def test_iso_durations() -> None:
    assert duration_ms("PT3M20S") == 200_000
    assert duration_ms("PT1H0M1.5S") == 3_601_500
    assert duration_ms("three minutes") is None


async def test_collection_albums_and_artists_read_and_written_through_cursors(
    tidal: Made,
) -> None:
    provider, state, counter, _ = tidal
    for n in range(45):
        state.albums[f"al{n}"] = {
            "title": f"Album {n}",
            "artist": f"Artist {n % 4}",
            "barcode": f"42{n:011d}",
            "tracks": 10 + n % 3,
            "released": "2001-03-07",
        }
        state.artists[f"ar{n}"] = f"Artist {n}"
    await provider.save_albums([f"al{n}" for n in range(45)])
    await provider.follow_artists([f"ar{n}" for n in range(3)])
    assert counter.value("tidal", "favourite_albums_add", "ok") == 1  # 50 a call
    saved = [a async for a in provider.saved_albums()]
    assert [a.album_id for a in saved] == [f"al{n}" for n in range(45)]
    assert (saved[1].title, saved[1].artists, saved[1].upc, saved[1].track_count) == (
        "Album 1",
        ("Artist 1",),
        "4200000000001",
        11,
    )
    assert counter.value("tidal", "favourite_albums", "ok") == 3  # cursor pages of 20
    assert [a.name async for a in provider.followed_artists()] == [
        "Artist 0",
        "Artist 1",
        "Artist 2",
    ]
    await provider.unsave_albums(["al0"])
    await provider.unfollow_artists(["ar0"])
    assert "al0" not in state.saved_albums and state.followed == ["ar1", "ar2"]
    (by_upc,) = await provider.lookup_upc("4200000000007")
    assert by_upc.provider_id == "al7" and by_upc.entity == "album"
    found = await provider.search_albums(Track(title="Album 12", artists=("Artist 0",)))
    assert [t.provider_id for t in found] == ["al12"]
    (named,) = await provider.search_artists(Track(title="Artist 33", entity="artist"))
    assert named.provider_id == "ar33"


async def test_an_artists_albums_are_read_from_its_albums_relationship(tidal: Made) -> None:
    provider, state, counter, _ = tidal
    state.artists.update({"ar1": "Nirvana", "ar2": "Nirvana"})
    for n, (title, artist_id) in enumerate(
        [("Nevermind", "ar1"), ("Bleach", "ar1"), ("Local Anaesthetic", "ar2")]
    ):
        state.albums[f"al{n}"] = {
            "title": title,
            "artist": "Nirvana",
            "artist_id": artist_id,
            "barcode": f"42{n:011d}",
            "tracks": 10,
            "released": "1991-09-24",
        }
    record = Track(title="Nirvana", provider="tidal", provider_id="ar1", entity="artist")
    read = await provider.artist_albums(record)
    # One call, the albums included: each one's title, barcode and release date.
    assert [(a.title, a.upc, a.release_date) for a in read.albums] == [
        ("Nevermind", "4200000000000", "1991-09-24"),
        ("Bleach", "4200000000001", "1991-09-24"),
    ]
    assert counter.value("tidal", "artist_albums", "ok") == 1
