"""The Deezer provider against the Deezer emulator, over real HTTP."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import grpc
import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.cache import InProcessLookupCache
from services.connectors.adapters.deezer import PAGE_SIZE, DeezerProvider
from services.connectors.adapters.http import CallCounter, ProviderHttp, RetryPolicy, Unauthorized
from services.connectors.adapters.provider import WriteLimits
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.domain.limits import classify_deezer
from services.kernel.contracts import Track
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from services.kernel.rpc.tunebridge.music.v1 import track_pb2
from services.kernel.store import Store
from tests.emulators.deezer import TOKEN, DeezerState, deezer_app
from tests.emulators.scripted import serving
from tests.emulators.spotify import SpotifyState
from tests.support.catalogues import shared_albums, shared_artists
from tests.support.installation import installation_with_deezer

pytestmark = pytest.mark.timeout(120)


class Deezer:
    """A provider wired to an emulator, and what the test needs to look at."""

    def __init__(self, url: str, state: DeezerState, token: str | None) -> None:
        self.state = state
        self.counter = CallCounter(CollectorRegistry())
        self.http = ProviderHttp(
            "deezer",
            url,
            classify_deezer,
            InProcessTokenBuckets(),
            self.counter,
            RetryPolicy(attempts=4, base_s=0.01, cap_s=0.05),
        )
        self.provider = DeezerProvider(self.http, InProcessLookupCache(), token)

    def calls(self, endpoint: str, outcome: str = "ok") -> int:
        return int(self.counter.value("deezer", endpoint, outcome))


@pytest.fixture
async def deezer() -> AsyncIterator[Deezer]:
    state = DeezerState()
    async with serving(deezer_app(state)) as url:
        client = Deezer(url, state, TOKEN)
        yield client
        await client.http.close()


async def test_isrc_lookup_and_search_work_without_an_account_and_are_cached(
    deezer: Deezer,
) -> None:
    public = DeezerProvider(deezer.http, InProcessLookupCache(), access_token=None)
    (found,) = await public.lookup_isrc("GBDUW0000059")
    assert (found.title, found.artists, found.isrc) == (
        "Harder Better Faster Stronger",
        ("Daft Punk",),
        "GBDUW0000059",
    )
    assert (found.album, found.track_number, found.duration_ms) == ("Discovery", 4, 224_000)
    assert found.artwork_urls and found.provider_id == "3135556"
    assert await public.lookup_isrc("GBXXX0000000") == []
    results = await public.search(Track(title="Teardrop", artists=("Massive Attack",)))
    assert [(t.title, t.artists[0]) for t in results] == [("Teardrop", "Massive Attack")]
    calls_before = deezer.calls("track_isrc") + deezer.calls("track_isrc", "not_found")
    await public.lookup_isrc("GBDUW0000059")
    await public.search(Track(title="Teardrop", artists=("Massive Attack",)))
    assert deezer.calls("track_isrc") + deezer.calls("track_isrc", "not_found") == calls_before
    assert deezer.calls("search") == 1


async def test_a_2500_track_playlist_is_read_whole_with_the_fewest_calls(deezer: Deezer) -> None:
    playlist_id = deezer.state.add_generated_playlist(2500)
    tracks = [t async for t in deezer.provider.playlist_items(str(playlist_id))]
    assert len(tracks) == 2500
    assert len({t.provider_id for t in tracks}) == 2500
    assert tracks[0].title.endswith("(0)") and tracks[-1].title.endswith("(2499)")
    assert deezer.calls("playlist_tracks") == math.ceil(2500 / PAGE_SIZE)


async def test_writes_are_batched_and_likes_are_idempotent(deezer: Deezer) -> None:
    deezer.state.add_generated_playlist(300)  # a catalogue large enough for the batches
    created = await deezer.provider.create_playlist("From Tunebridge")
    ids = [str(t["id"]) for t in deezer.state.catalogue[:150]]
    await deezer.provider.add_items(created.playlist_id, ids)
    assert deezer.state.playlists[int(created.playlist_id)] == [int(i) for i in ids]
    assert deezer.calls("playlist_add") == 2  # 150 tracks, 100 per call
    await deezer.provider.remove_items(created.playlist_id, ids[:10])
    assert len(deezer.state.playlists[int(created.playlist_id)]) == 140
    await deezer.provider.like([ids[0], ids[1]])
    await deezer.provider.like([ids[0]])
    assert deezer.state.liked == [int(ids[0]), int(ids[1])]
    liked = [t.provider_id async for t in deezer.provider.liked_tracks()]
    assert liked == ids[:2]
    names = [p.name async for p in deezer.provider.playlists()]
    assert names == ["Generated 300", "From Tunebridge"]


async def test_a_storm_of_quota_errors_is_ridden_out_and_nothing_is_written_twice(
    deezer: Deezer,
) -> None:
    deezer.state.quota_error_every = 3
    deezer.http.policy = RetryPolicy(attempts=4, base_s=0.01, cap_s=0.05)
    # Deezer's code 4 asks for its 5-second window; shrink it for the test's patience.
    import services.connectors.domain.limits as limits

    window, limits.DEEZER_QUOTA_WINDOW_S = limits.DEEZER_QUOTA_WINDOW_S, 0.05
    deezer.state.add_generated_playlist(300)
    try:
        created = await deezer.provider.create_playlist("Storm")
        ids = [str(t["id"]) for t in deezer.state.catalogue[:250]]
        await deezer.provider.add_items(created.playlist_id, ids)
        read = [t.provider_id async for t in deezer.provider.playlist_items(created.playlist_id)]
    finally:
        limits.DEEZER_QUOTA_WINDOW_S = window
    assert deezer.state.playlists[int(created.playlist_id)] == [int(i) for i in ids]
    assert read == ids
    storms = sum(
        deezer.calls(endpoint, "rate_limited")
        for endpoint in ("create_playlist", "playlist_add", "playlist_tracks")
    )
    assert storms >= 3


async def test_library_calls_without_a_valid_token_say_so(deezer: Deezer) -> None:
    stranger = DeezerProvider(deezer.http, InProcessLookupCache(), access_token="wrong")
    with pytest.raises(Unauthorized):
        await stranger.profile()
    public = DeezerProvider(deezer.http, InProcessLookupCache(), access_token=None)
    with pytest.raises(Exception, match="needs a Deezer account"):
        await public.create_playlist("x")


async def test_the_connectors_service_answers_catalog_questions_over_grpc(
    nats_url: str, namespace: str
) -> None:
    async with (
        installation_with_deezer(nats_url, namespace) as installation,
        installation.dial("connectors") as channel,
    ):
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        found = await stub.LookupIsrc(
            catalog_pb2.LookupIsrcRequest(user_id="u1", provider="deezer", isrc="GBDUW0000059")
        )
        searched = await stub.SearchTracks(
            catalog_pb2.SearchTracksRequest(
                user_id="u1",
                provider="deezer",
                query=track_pb2.Track(title="Teardrop", artists=["Massive Attack"]),
            )
        )
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await stub.SearchTracks(
                catalog_pb2.SearchTracksRequest(
                    user_id="u1", provider="napster", query=track_pb2.Track(title="x")
                )
            )
    assert [(t.title, t.provider_id) for t in found.tracks] == [
        ("Harder Better Faster Stronger", "3135556")
    ]
    assert [t.artists[0] for t in searched.tracks] == ["Massive Attack"]
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_write_whose_answer_was_lost_is_not_written_twice(deezer: Deezer) -> None:
    deezer.state.add_generated_playlist(300)
    created = await deezer.provider.create_playlist("Careful")
    ids = [str(t["id"]) for t in deezer.state.catalogue[:250]]
    deezer.state.lost_write_responses = 2  # the first two batches land, their answers do not
    await deezer.provider.add_items(created.playlist_id, ids)
    assert deezer.state.playlists[int(created.playlist_id)] == [int(i) for i in ids]


async def test_saved_albums_and_a_reorder_in_one_call(deezer: Deezer) -> None:
    (album,) = [a async for a in deezer.provider.saved_albums()]
    assert album.title == "Discovery" and album.artists == ("Daft Punk",)
    playlist = deezer.state.add_generated_playlist(10)
    wanted = [str(i) for i in reversed(deezer.state.playlists[playlist])]
    await deezer.provider.reorder(str(playlist), wanted)
    assert [str(i) for i in deezer.state.playlists[playlist]] == wanted
    assert deezer.calls("playlist_reorder") == 1


async def test_the_gateway_suggests_artists_from_a_catalog_search(
    nats_url: str, namespace: str
) -> None:
    async with (
        installation_with_deezer(nats_url, namespace) as installation,
        installation.client() as api,
    ):
        suggested = await api.post(
            "/api/v1/match/artists",
            json={
                "title": "Teardrop (Official Video)",
                "uploader": "Some Fan Channel",
                "duration_ms": 330000,
                "catalog": "deezer",
            },
        )
        searched = await api.post(
            "/api/v1/match/artists/search",
            json={
                "query": "massive atack",
                "names": ["Massive Attack", "Mass", "Attack Attack!"],
            },
        )
        from_catalog = await api.post(
            "/api/v1/match/artists/search", json={"query": "massive", "catalog": "deezer"}
        )
        unknown = await api.post("/api/v1/match/artists", json={"title": "x", "catalog": "napster"})
    assert suggested.status_code == 200, suggested.text
    first = suggested.json()[0]
    assert first["name"] == "Massive Attack" and first["percent"] > 50
    assert "search result" in first["reasons"]
    assert searched.json()[0]["name"] == "Massive Attack"
    # A search in the catalog finds the artist, shown with the cover of one of their records.
    assert from_catalog.status_code == 200, from_catalog.text
    found = from_catalog.json()[0]
    assert found["name"] == "Massive Attack" and found["image_url"].startswith("https://")
    assert first["image_url"] and first["image_url"].startswith("https://")
    assert unknown.status_code == 400


async def test_a_write_refused_for_its_size_is_sent_in_smaller_batches_and_remembered(
    deezer: Deezer, store: Store
) -> None:
    """A Deezer that takes at most 50 tracks per call ("Items limit exceeded") gets the
    106 tracks in order, once each; the next adapter starts at the size that worked."""
    deezer.state.max_write = 50
    source = deezer.state.add_generated_playlist(106)
    ids = [str(i) for i in deezer.state.playlists[source]]
    target = deezer.state.new_playlist("Copy")
    limits = WriteLimits(store)
    deezer.provider.limits = limits
    await deezer.provider.add_items(str(target), ids)
    assert deezer.state.playlists[target] == [int(i) for i in ids]
    assert deezer.state.refused_writes == 1  # one refusal, then 50 at a time
    assert deezer.provider.notes == ["Deezer refused 100 tracks per request; sent 50 at a time"]
    # A later run, in another process: it starts with what was learned, refused nothing.
    later = DeezerProvider(deezer.http, InProcessLookupCache(), TOKEN)
    later.limits = WriteLimits(store)
    again = deezer.state.new_playlist("Again")
    await later.add_items(str(again), ids)
    assert deezer.state.playlists[again] == [int(i) for i in ids]
    assert deezer.state.refused_writes == 1 and later.notes == []
    assert deezer.calls("playlist_add", "too_large") == 1


async def test_favourite_albums_and_artists_read_and_written(deezer: Deezer) -> None:
    spotify = SpotifyState()
    albums = shared_albums(spotify, deezer.state, 3)
    artists = shared_artists(spotify, deezer.state, 3)
    await deezer.provider.save_albums([str(a.deezer_id) for a in albums])
    await deezer.provider.follow_artists([str(a.deezer_id) for a in artists])
    saved = [a.album_id async for a in deezer.provider.saved_albums()]
    assert saved[1:] == [str(a.deezer_id) for a in albums]  # after the recorded one
    followed = [a async for a in deezer.provider.followed_artists()]
    assert [a.name for a in followed] == [a.title for a in artists]
    await deezer.provider.unsave_albums([str(albums[0].deezer_id)])
    await deezer.provider.unfollow_artists([str(artists[0].deezer_id)])
    assert albums[0].deezer_id not in deezer.state.saved_albums
    assert artists[0].deezer_id not in deezer.state.followed
    (by_upc,) = await deezer.provider.lookup_upc("4200000000002")
    assert by_upc.provider_id == str(albums[2].deezer_id) and by_upc.track_total == 10
    assert await deezer.provider.lookup_upc("1234567890123") == []
    source = Track(title=albums[1].title, artists=(albums[1].artist,), entity="album")
    (found,) = await deezer.provider.search_albums(source)
    assert found.provider_id == str(albums[1].deezer_id) and found.upc is None
    (named,) = await deezer.provider.search_artists(Track(title=artists[2].title))
    assert named.provider_id == str(artists[2].deezer_id)


async def test_an_artists_albums_are_read_one_page(deezer: Deezer) -> None:
    (artist,) = shared_artists(SpotifyState(), deezer.state, 1, start=40)
    albums = shared_albums(SpotifyState(), deezer.state, 12, start=40)
    for album in albums:
        deezer.state.albums[album.deezer_id]["artist"]["id"] = artist.deezer_id
    record = Track(
        title=artist.title, provider="deezer", provider_id=str(artist.deezer_id), entity="artist"
    )
    read = await deezer.provider.artist_albums(record)
    # One call of ten; a listing's albums carry no UPC (only an album's record does).
    assert [a.title for a in read.albums] == [a.title for a in albums[:10]]
    assert read.albums[0].release_date == "2000-05-01" and read.albums[0].upc is None
    assert deezer.calls("artist_albums") == 1
    unknown = Track(title="Nobody", provider="deezer", provider_id="not-an-id", entity="artist")
    assert (await deezer.provider.artist_albums(unknown)).albums == ()
