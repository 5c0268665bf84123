"""The Jellyfin provider against the Jellyfin emulator (its OpenAPI paths, Jellyfin 12's
auth: the token only in ``Authorization: MediaBrowser Token="…"``)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.http import (
    CallCounter,
    ProviderError,
    ProviderHttp,
    RetryPolicy,
    Unauthorized,
)
from services.connectors.adapters.jellyfin import PAGE_SIZE, JellyfinProvider
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.domain.limits import classify_generic
from services.kernel.contracts import Track
from tests.emulators.jellyfin import (
    API_KEY,
    TOKEN,
    USER_ID,
    USER_NAME,
    JellyfinState,
    jellyfin_app,
)
from tests.emulators.scripted import serving

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def jellyfin() -> AsyncIterator[tuple[JellyfinProvider, JellyfinState, CallCounter]]:
    state = JellyfinState()
    async with serving(jellyfin_app(state)) as url:
        counter = CallCounter(CollectorRegistry())
        http = ProviderHttp(
            "jellyfin",
            url,
            classify_generic,
            InProcessTokenBuckets(),
            counter,
            RetryPolicy(attempts=3, base_s=0.01),
        )
        yield JellyfinProvider(http, TOKEN), state, counter
        await http.close()


async def test_the_music_libraries_tracks_are_read_in_pages(
    jellyfin: tuple[JellyfinProvider, JellyfinState, CallCounter],
) -> None:
    provider, state, counter = jellyfin
    for number in range(PAGE_SIZE + 20):
        state.add_track(f"Song {number}", f"Artist {number % 3}", seconds=180 + number % 7)
    assert [name for _, name in await provider.music_libraries()] == ["Music"]  # no films
    tracks = [t async for t in provider.library()]
    assert len(tracks) == PAGE_SIZE + 20
    first = tracks[0]
    assert (first.title, first.artists, first.album) == (
        "Song 0",
        ("Artist 0",),
        "Tunebridge Tests",
    )
    assert (first.duration_ms, first.provider) == (180_000, "jellyfin")
    assert counter.value("jellyfin", "library_tracks", "ok") == math.ceil(len(tracks) / PAGE_SIZE)
    assert state.legacy_auth == 0 and state.calls > 0
    assert (await provider.profile()).account_id == USER_ID


async def test_playlists_are_created_filled_pruned_moved_and_favourites_kept(
    jellyfin: tuple[JellyfinProvider, JellyfinState, CallCounter],
) -> None:
    provider, state, _ = jellyfin
    ids = [state.add_track(f"Song {n}", "Artist") for n in range(150)]
    created = await provider.create_playlist("From Tunebridge")
    await provider.add_items(created.playlist_id, ids[:120])  # two calls of at most 100
    assert state.items_of(created.playlist_id) == ids[:120]
    assert [t.provider_id async for t in provider.playlist_items(created.playlist_id)] == ids[:120]

    await provider.remove_items(created.playlist_id, [ids[0], ids[5]])
    kept = [i for i in ids[:120] if i not in (ids[0], ids[5])]
    assert state.items_of(created.playlist_id) == kept

    order = kept[-3:] + kept[:-3]
    await provider.reorder(created.playlist_id, order)
    assert state.items_of(created.playlist_id) == order
    with pytest.raises(ValueError, match="cannot add or remove"):
        await provider.reorder(created.playlist_id, order[1:])
    listed = [p async for p in provider.playlists()]
    assert [(p.name, p.track_count) for p in listed] == [("From Tunebridge", len(order))]

    await provider.like(ids[:2])
    await provider.like(ids[:1])
    assert state.favourites == {ids[0], ids[1]}
    assert sorted([t.provider_id async for t in provider.liked_tracks()]) == sorted(ids[:2])
    await provider.unlike(ids[1:2])
    assert state.favourites == {ids[0]}

    found = await provider.search(Track(title="Song 14", artists=("Artist",)))
    assert found[0].title == "Song 14"
    assert (await provider.track(ids[3])) is not None
    assert await provider.track("0" * 32) is None


async def test_an_api_key_acts_as_the_user_the_connection_names(
    jellyfin: tuple[JellyfinProvider, JellyfinState, CallCounter],
) -> None:
    provider, state, _ = jellyfin
    state.add_track("Only song", "Artist")
    by_key = JellyfinProvider(provider.http, API_KEY, USER_NAME)
    assert (await by_key.profile()).account_id == USER_ID
    assert [t.title async for t in by_key.library()] == ["Only song"]
    nobody = JellyfinProvider(provider.http, API_KEY)
    with pytest.raises(ProviderError):
        await nobody.profile()


async def test_a_wrong_token_is_told_and_legacy_token_places_are_refused(
    jellyfin: tuple[JellyfinProvider, JellyfinState, CallCounter],
) -> None:
    provider, state, _ = jellyfin
    with pytest.raises(Unauthorized):
        await JellyfinProvider(provider.http, "not-the-token").profile()
    # What older clients do, and Jellyfin 12 refuses: the emulator holds to it.
    async with serving(jellyfin_app(state)) as url, httpx.AsyncClient(base_url=url) as client:
        legacy = await client.get("/Users/Me", headers={"X-Emby-Token": TOKEN})
        query = await client.get("/Users/Me", params={"api_key": TOKEN})
    assert (legacy.status_code, query.status_code) == (401, 401)
    assert state.legacy_auth == 2
    assert "not-the-token" not in repr(provider)


async def test_songs_that_land_are_found_after_the_library_scan_the_adapter_asks_for(
    jellyfin: tuple[JellyfinProvider, JellyfinState, CallCounter],
) -> None:
    provider, state, counter = jellyfin
    state.land("Freshly downloaded", "New Band")
    assert [t async for t in provider.library()] == []
    assert await provider.rescan(poll_s=0.01, within_s=10)
    assert [t.title async for t in provider.library()] == ["Freshly downloaded"]
    assert state.refreshes == 1 and state.scan_polls_left == 0  # it waited for the scan
    assert counter.value("jellyfin", "scheduled_tasks", "ok") == 3


async def test_favourite_albums_and_artists_are_read_found_and_kept(
    jellyfin: tuple[JellyfinProvider, JellyfinState, CallCounter],
) -> None:
    provider, state, _ = jellyfin
    for number in range(9):
        state.add_track(f"Song {number}", f"Artist {number % 3}", album=f"Album {number % 3}")
    (album,) = await provider.search_albums(Track(title="Album 1", entity="album"))
    assert (album.title, album.artists, album.track_total, album.release_date) == (
        "Album 1",
        ("Artist 1",),
        3,
        "2024",
    )
    (artist,) = await provider.search_artists(Track(title="Artist 2", entity="artist"))
    await provider.save_albums([album.provider_id or ""])
    await provider.follow_artists([artist.provider_id or ""])
    assert [a.title async for a in provider.saved_albums()] == ["Album 1"]
    assert [a.name async for a in provider.followed_artists()] == ["Artist 2"]
    await provider.unsave_albums([album.provider_id or ""])
    await provider.unfollow_artists([artist.provider_id or ""])
    assert [a async for a in provider.saved_albums()] == []
    assert state.favourites == set()


async def test_an_artists_albums_are_the_ones_it_is_album_artist_of(
    jellyfin: tuple[JellyfinProvider, JellyfinState, CallCounter],
) -> None:
    provider, state, counter = jellyfin
    for number in range(9):
        state.add_track(f"Song {number}", f"Artist {number % 2}", album=f"Album {number % 4}")
    (artist,) = await provider.search_artists(Track(title="Artist 1", entity="artist"))
    read = await provider.artist_albums(artist)
    # Songs 1, 3, 5 and 7 are Artist 1's: on Albums 1 and 3 (one call).
    assert sorted((a.title, a.release_date) for a in read.albums) == [
        ("Album 1", "2024"),
        ("Album 3", "2024"),
    ]
    assert counter.value("jellyfin", "artist_albums", "ok") == 1
