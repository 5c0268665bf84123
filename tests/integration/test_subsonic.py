"""The Subsonic provider against a real Subsonic server (Supysonic), through the address
guard a user-given server URL goes through (loopback allowed, as an administrator would)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.http import (
    CallCounter,
    ProviderError,
    ProviderHttp,
    RetryPolicy,
    Unauthorized,
)
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.adapters.subsonic import FORM_AFTER, SubsonicProvider
from services.connectors.domain.addresses import AddressPolicy
from services.connectors.domain.subsonic import classify_subsonic
from services.kernel.contracts import Track
from tests.support.supysonic_server import Song, Supysonic, supysonic_server

pytestmark = pytest.mark.timeout(120)

SONGS = [Song(f"Lantern song {n}", f"Band {n % 3}", f"Album {n % 4}", n + 1) for n in range(80)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supysonic]:
    with supysonic_server(Path(tmp_path_factory.mktemp("supysonic")), SONGS) as running:
        yield running


@pytest.fixture
async def connected(
    server: Supysonic,
) -> AsyncIterator[tuple[SubsonicProvider, CallCounter]]:
    counter = CallCounter(CollectorRegistry())
    http = ProviderHttp(
        "subsonic",
        server.url,
        classify_subsonic,
        InProcessTokenBuckets(),
        counter,
        RetryPolicy(attempts=3, base_s=0.01),
        addresses=AddressPolicy.from_entries(["127.0.0.1"]),
    )
    yield SubsonicProvider(http, server.username, server.password, page_size=25), counter
    await http.close()


async def by_title(provider: SubsonicProvider) -> dict[str, str]:
    return {t.title: t.provider_id or "" async for t in provider.library()}


async def test_the_whole_library_is_read_in_pages_with_its_tags(
    connected: tuple[SubsonicProvider, CallCounter],
) -> None:
    provider, counter = connected
    tracks = [t async for t in provider.library()]
    assert sorted(t.title for t in tracks) == sorted(s.title for s in SONGS)
    first = next(t for t in tracks if t.title == "Lantern song 5")
    assert (first.artists, first.album, first.track_number) == (("Band 2",), "Album 1", 6)
    assert first.duration_ms == 1000 and first.provider == "subsonic"
    # 80 songs, 25 a page: four pages, the last short, and an empty one that ends it (a
    # server may give fewer than asked: a short page is not the last).
    assert counter.value("subsonic", "search3", "ok") == math.ceil(80 / 25) + 1


async def test_a_server_older_than_tokens_is_asked_with_the_password_and_tells_who(
    connected: tuple[SubsonicProvider, CallCounter],
) -> None:
    provider, counter = connected
    profile = await provider.profile()
    assert (profile.account_id, profile.display_name) == ("alice", "alice")
    # The salted token was tried first and refused as unknown (API 1.12.0), once.
    assert provider.mode == "password"
    assert counter.value("subsonic", "ping", "client_error") == 1
    assert "correct horse" not in repr(provider)


async def test_a_wrong_password_is_told(
    connected: tuple[SubsonicProvider, CallCounter], server: Supysonic
) -> None:
    provider, _ = connected
    stranger = SubsonicProvider(provider.http, server.username, "not the password")
    with pytest.raises(Unauthorized):
        await stranger.profile()


async def test_playlists_are_created_filled_pruned_and_reordered_in_place(
    connected: tuple[SubsonicProvider, CallCounter],
) -> None:
    provider, _ = connected
    ids = await by_title(provider)
    wanted = [ids[s.title] for s in SONGS[: FORM_AFTER + 10]]  # enough for a form POST
    created = await provider.create_playlist("From Tunebridge")
    await provider.add_items(created.playlist_id, wanted)
    read = [t.provider_id async for t in provider.playlist_items(created.playlist_id)]
    assert read == wanted

    await provider.remove_items(created.playlist_id, [wanted[0], wanted[7]])
    kept = [w for w in wanted if w not in (wanted[0], wanted[7])]
    assert await provider.playlist_tail(created.playlist_id, len(kept)) == kept

    await provider.reorder(created.playlist_id, list(reversed(kept)))
    read = [t.provider_id async for t in provider.playlist_items(created.playlist_id)]
    assert read == list(reversed(kept))
    with pytest.raises(ValueError, match="cannot add or remove"):
        await provider.reorder(created.playlist_id, kept[1:])

    listed = [p async for p in provider.playlists()]
    mine = next(p for p in listed if p.playlist_id == created.playlist_id)
    assert (mine.name, mine.track_count, mine.owned) == ("From Tunebridge", len(kept), True)

    # A second playlist of the same name is its own (found by what was not there before).
    twin = await provider.create_playlist("From Tunebridge")
    assert twin.playlist_id != created.playlist_id


async def test_starred_songs_are_read_starred_and_unstarred(
    connected: tuple[SubsonicProvider, CallCounter],
) -> None:
    provider, _ = connected
    ids = await by_title(provider)
    chosen = [ids["Lantern song 1"], ids["Lantern song 2"], ids["Lantern song 3"]]
    await provider.like(chosen)
    await provider.like(chosen[:1])  # starring twice changes nothing
    assert sorted([t.provider_id async for t in provider.liked_tracks()]) == sorted(chosen)
    await provider.unlike(chosen[1:])
    assert [t.title async for t in provider.liked_tracks()] == ["Lantern song 1"]


async def test_search_finds_a_song_by_title_and_prefers_its_artist(
    connected: tuple[SubsonicProvider, CallCounter],
) -> None:
    provider, _ = connected
    found = await provider.search(Track(title="Lantern song 4", artists=("Band 1",)))
    assert found and (found[0].title, found[0].artists) == ("Lantern song 4", ("Band 1",))
    assert await provider.search(Track(title="No such song anywhere")) == []
    one = await provider.track(found[0].provider_id or "")
    assert one is not None and one.title == "Lantern song 4"


async def test_a_missing_playlist_is_not_found(
    connected: tuple[SubsonicProvider, CallCounter],
) -> None:
    provider, _ = connected
    with pytest.raises(ProviderError) as refused:
        await provider.playlist_tail("00000000-0000-0000-0000-000000000000", 3)
    assert refused.value.verdict.outcome == "not_found"
    assert "alice" not in str(refused.value) and "horse" not in str(refused.value)


async def test_files_that_land_are_found_after_the_scan_the_adapter_asks_for(
    connected: tuple[SubsonicProvider, CallCounter], server: Supysonic
) -> None:
    provider, counter = connected
    assert not await provider.scanning()
    server.add_songs([Song("Freshly downloaded", "New Band", "New Album")])
    assert "Freshly downloaded" not in await by_title(provider)
    assert await provider.rescan(poll_s=0.1, within_s=60)
    assert "Freshly downloaded" in await by_title(provider)
    assert counter.value("subsonic", "startScan", "ok") == 1


async def test_starred_albums_and_artists_are_read_starred_and_unstarred(
    connected: tuple[SubsonicProvider, CallCounter],
) -> None:
    provider, _ = connected
    found = await provider.search_albums(Track(title="Album 2", entity="album"))
    album = next(a for a in found if a.artists == ("Band 2",))  # an album per artist
    assert (album.title, album.track_total) == ("Album 2", 7)  # songs 2, 14, ..., 74
    assert album.entity == "album" and album.upc is None
    bands = {
        a.title: a.provider_id
        for b in range(3)
        for a in await provider.search_artists(Track(title=f"Band {b}", entity="artist"))
    }
    assert set(bands) == {"Band 0", "Band 1", "Band 2"}
    await provider.save_albums([album.provider_id or ""])
    await provider.save_albums([album.provider_id or ""])  # starred already: asked once
    await provider.follow_artists([bands["Band 1"] or ""])
    assert [a.title async for a in provider.saved_albums()] == ["Album 2"]
    assert [a.name async for a in provider.followed_artists()] == ["Band 1"]
    await provider.unsave_albums([album.provider_id or ""])
    await provider.unfollow_artists([bands["Band 1"] or ""])
    assert [a async for a in provider.saved_albums()] == []
    assert [a async for a in provider.followed_artists()] == []


async def test_an_artists_albums_are_read_with_get_artist(
    connected: tuple[SubsonicProvider, CallCounter],
) -> None:
    provider, counter = connected
    (band,) = await provider.search_artists(Track(title="Band 1", entity="artist"))
    read = await provider.artist_albums(band)
    # Band 1 sings songs 1, 4, 7, ...: on all four albums (one call, ``getArtist``).
    assert sorted(a.title for a in read.albums) == ["Album 0", "Album 1", "Album 2", "Album 3"]
    assert all(a.upc is None for a in read.albums)
    assert counter.value("subsonic", "getArtist", "ok") == 1
