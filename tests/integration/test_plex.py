"""The Plex provider against the Plex emulator."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.http import CallCounter, ProviderHttp, RetryPolicy, Unauthorized
from services.connectors.adapters.plex import PAGE_SIZE, PlexProvider
from services.connectors.adapters.provider import NotSupported
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.domain.limits import classify_generic
from services.kernel.contracts import Track
from tests.emulators.plex import TOKEN, PlexState, plex_app
from tests.emulators.scripted import serving

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def plex() -> AsyncIterator[tuple[PlexProvider, PlexState, CallCounter]]:
    state = PlexState()
    async with serving(plex_app(state)) as url:
        counter = CallCounter(CollectorRegistry())
        http = ProviderHttp(
            "plex",
            url,
            classify_generic,
            InProcessTokenBuckets(),
            counter,
            RetryPolicy(attempts=3, base_s=0.01),
        )
        yield PlexProvider(http, TOKEN), state, counter
        await http.close()


async def test_music_sections_and_all_their_tracks_are_read_in_pages(
    plex: tuple[PlexProvider, PlexState, CallCounter],
) -> None:
    provider, state, counter = plex
    state.add_tracks(250)
    assert await provider.sections() == [("5", "Music")]
    tracks = [t async for t in provider.library_tracks("5")]
    assert len(tracks) == 253
    first = tracks[0]
    assert (first.title, first.artists, first.album) == (
        "Try It Out (Neon mix)",
        ("Skrillex",),
        "Try It Out",
    )
    assert (first.track_number, first.duration_ms, first.provider_id) == (1, 5491, "158")
    # Its file as the server sees it (the recorded Media/Part), for a playlist file.
    assert first.path == "/data/Music/Skrillex - Try It Out (2003)/01 - TRY IT OUT (NEON MIX).aac"
    assert counter.value("plex", "section_tracks", "ok") == math.ceil(253 / PAGE_SIZE)


async def test_playlists_are_created_appended_and_pruned(
    plex: tuple[PlexProvider, PlexState, CallCounter],
) -> None:
    provider, state, _ = plex
    keys = state.add_tracks(150)
    created = await provider.create_playlist("From Tunebridge")
    await provider.add_items(created.playlist_id, keys)
    read = [t.provider_id async for t in provider.playlist_items(created.playlist_id)]
    assert read == keys
    await provider.remove_items(created.playlist_id, keys[:5])
    assert [k for _, k in state.playlists[created.playlist_id]["items"]] == keys[5:]
    assert [p.name async for p in provider.playlists()] == ["From Tunebridge"]
    await provider.like(keys[:2])
    assert state.ratings == {keys[0]: 10, keys[1]: 10}
    found = await provider.search(Track(title="Neon mix", artists=("Skrillex",)))
    assert found and found[0].title.startswith("Try It Out (Neon mix)")


async def test_a_wrong_token_is_told(plex: tuple[PlexProvider, PlexState, CallCounter]) -> None:
    provider, _, _ = plex
    stranger = PlexProvider(provider.http, "not-the-token")
    with pytest.raises(Unauthorized):
        await stranger.profile()


async def test_a_reorder_moves_each_track_after_the_one_before(
    plex: tuple[PlexProvider, PlexState, CallCounter],
) -> None:
    provider, state, _ = plex
    keys = state.add_tracks(5)
    playlist = state.new_playlist("Order", keys)
    wanted = [keys[2], keys[0], keys[4], keys[1], keys[3]]
    await provider.reorder(playlist, wanted)
    assert [k for _, k in state.playlists[playlist]["items"]] == wanted


async def test_tracks_that_land_are_found_after_the_section_refresh_the_adapter_asks_for(
    plex: tuple[PlexProvider, PlexState, CallCounter],
) -> None:
    provider, state, counter = plex
    before = len([t async for t in provider.library()])
    state.land(3)
    assert len([t async for t in provider.library()]) == before
    assert await provider.rescan(poll_s=0.01, within_s=10)
    assert len([t async for t in provider.library()]) == before + 3
    assert state.refreshes == 1 and state.refresh_polls_left == 0  # it waited for the scan
    assert counter.value("plex", "section_refresh", "ok") == 1


async def test_the_library_albums_and_artists_are_read_as_the_ones_kept(
    plex: tuple[PlexProvider, PlexState, CallCounter],
) -> None:
    provider, state, counter = plex
    state.add_albums(150)
    albums = [a async for a in provider.saved_albums()]
    assert len(albums) == 151
    (recorded,) = [a for a in albums if a.album_id == "157"]
    assert (recorded.title, recorded.artists, recorded.release_date) == (
        "Try It Out",
        ("Skrillex",),
        "2013-10-14",
    )
    assert recorded.track_count == len(state.tracks)
    assert recorded.record().entity == "album"
    assert counter.value("plex", "section_albums", "ok") == math.ceil(151 / PAGE_SIZE)
    artists = [a async for a in provider.followed_artists()]
    assert [a.name for a in artists[:2]] == ["Skrillex", "System of a Down"]
    assert len(artists) == 152 and artists[0].record().entity == "artist"
    # Read only: Plex keeps no saved albums to write to.
    with pytest.raises(NotSupported):
        await provider.save_albums(["157"])


async def test_an_artists_albums_are_its_children(
    plex: tuple[PlexProvider, PlexState, CallCounter],
) -> None:
    provider, state, counter = plex
    (extra,) = state.add_albums(1)
    extra["parentRatingKey"], extra["parentTitle"] = "156", "Skrillex"
    skrillex = Track(title="Skrillex", provider="plex", provider_id="156", entity="artist")
    read = await provider.artist_albums(skrillex)
    # The recorded album (Skrillex's "Try It Out") and the one added to him, in one call.
    assert [(a.title, a.release_date) for a in read.albums] == [
        ("Try It Out", "2013-10-14"),
        ("Plex Album 0", "2013-10-14"),
    ]
    assert counter.value("plex", "artist_albums", "ok") == 1
