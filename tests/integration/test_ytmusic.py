"""The YouTube Music provider against the InnerTube emulator (real HTTP, real parsers)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.cache import InProcessLookupCache
from services.connectors.adapters.http import CallCounter, ProviderError, ProviderHttp, RetryPolicy
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.adapters.spotify import NeedsReauthorisation
from services.connectors.adapters.ytmusic import (
    EXPIRED_HEADERS,
    OAUTH_INVALID_ARGUMENT,
    GoogleDeviceOAuth,
    HeadersRefused,
    YtAuth,
    YtCredentials,
    YtMusicProvider,
    classify_ytmusic,
    kept_headers,
    track_from_ytmusic,
)
from services.connectors.domain.limits import Bucket
from services.kernel.contracts import Track
from tests.emulators.scripted import serving
from tests.emulators.ytmusic import (
    ALBUM_PAGE_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    DATA,
    PAGE,
    YtMusicState,
    example_headers,
    sample_state,
    ytmusic_app,
)

pytestmark = pytest.mark.timeout(60)


@dataclass
class World:
    provider: YtMusicProvider
    state: YtMusicState
    counter: CallCounter
    url: str
    http: ProviderHttp


def _provider(http: ProviderHttp, auth: YtAuth) -> YtMusicProvider:
    return YtMusicProvider(http, auth, [Bucket("ytmusic:test", 1000, 1000)])


@pytest.fixture
async def world() -> AsyncIterator[World]:
    state = sample_state(250)
    async with serving(ytmusic_app(state)) as url:
        counter = CallCounter(CollectorRegistry())
        http = ProviderHttp(
            "ytmusic",
            url,
            classify_ytmusic,
            InProcessTokenBuckets(),
            counter,
            RetryPolicy(attempts=4, base_s=0.01),
        )
        auth = YtAuth(YtCredentials(headers=kept_headers(example_headers())))
        yield World(_provider(http, auth), state, counter, url, http)
        await http.close()


def test_pasted_headers_keep_only_what_signs_in() -> None:
    kept = kept_headers(example_headers())
    assert set(kept) == {"cookie", "x-goog-authuser", "x-goog-visitor-id", "user-agent"}
    assert "authorization" not in kept  # a SAPISIDHASH is stale in minutes: made per call
    chrome = (DATA / "raw_chrome_headers.txt").read_text()
    chrome = chrome.replace("cookie\n[REDACTED]", "cookie\n__Secure-3PAPISID=abc; SID=x")
    chrome = chrome.replace("x-goog-authuser\n[REDACTED]", "x-goog-authuser\n1")
    assert kept_headers(chrome)["x-goog-authuser"] == "1"
    with pytest.raises(HeadersRefused, match="X-Goog-AuthUser"):
        kept_headers("Cookie: a=b\nAccept: */*")
    with pytest.raises(HeadersRefused, match="__Secure-3PAPISID"):
        kept_headers(example_headers(cookie="SID=only"))


def test_answers_are_classified_as_innertube_gives_them() -> None:
    refused_edit = classify_ytmusic(200, {}, {"status": "STATUS_FAILED", "actions": []})
    assert refused_edit.outcome == "client_error"
    assert classify_ytmusic(200, {}, {"status": "STATUS_SUCCEEDED"}).outcome == "ok"
    expired = {"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "..."}}
    assert classify_ytmusic(401, {}, expired).outcome == "unauthorized"
    assert classify_ytmusic(403, {}, {"error": {"code": 403}}).outcome == "forbidden"
    assert classify_ytmusic(429, {}, None).outcome == "rate_limited"


def test_recorded_pages_map_to_tracks_with_every_field() -> None:
    import json

    from ytmusicapi.parsers.playlists import parse_playlist_items

    owned = json.loads((DATA / "playlist_item_owned.json").read_text())
    track = track_from_ytmusic(parse_playlist_items([owned])[0])
    assert track == Track(
        title="I Hate Everything (feat. Action Bronson)",
        artists=("The Alchemist",),
        artist_ids=("UC2Eotb0QaPkaJI4Cw4oHZ6Q",),
        album="The Food Villain",
        duration_ms=83_000,
        explicit=True,
        kind="song",
        provider="ytmusic",
        provider_id="3_R4ulvg8OY",
        entry_id="56B44F6D10557CC6",
        artwork_urls=track.artwork_urls if track else (),
    )
    assert track is not None and track.artwork_urls


async def test_library_playlists_items_liked_history_and_albums_are_read(world: World) -> None:
    provider, state, counter = world.provider, world.state, world.counter
    profile = await provider.profile()
    assert (profile.account_id, profile.display_name) == ("@emulatedlistener", "Emulated Listener")
    for n in range(30):  # more than one grid page
        state.new_playlist(f"Extra {n}")
    playlists = [p async for p in provider.playlists()]
    assert len(playlists) == 31 and "LM" not in {p.playlist_id for p in playlists}
    first = playlists[0]
    assert (first.name, first.track_count, first.owned) == ("Emulated playlist", 250, True)
    tracks = [t async for t in provider.playlist_items(first.playlist_id)]
    assert [t.provider_id for t in tracks] == state.videos(first.playlist_id)
    assert counter.value("ytmusic", "playlist_items", "ok") == math.ceil(250 / PAGE)
    assert tracks[0].entry_id == state.playlists[first.playlist_id].entries[0][1]
    assert tracks[0].explicit is True and tracks[1].explicit is False
    assert tracks[1].album == "Album 1" and tracks[1].artist_ids[0].startswith("UC")
    liked = [t.provider_id async for t in provider.liked_tracks()]
    assert liked == state.liked
    assert [t.provider_id async for t in provider.recently_played()] == state.history
    albums = [a async for a in provider.saved_albums()]
    assert [(a.album_id, a.title, a.artists, a.release_date) for a in albums] == [
        ("MPREb_emulated1", "Album 1", ("Artist 1",), "2020")
    ]
    state.subscriptions = [{"name": f"Artist {n}", "channel": f"UC{n:022d}"} for n in range(30)]
    followed = [a async for a in provider.followed_artists()]
    assert [(a.artist_id, a.name) for a in followed] == [
        (f"UC{n:022d}", f"Artist {n}") for n in range(30)
    ]
    assert counter.value("ytmusic", "subscriptions", "ok") == 2  # a shelf, a continuation
    # The recorded album audio playlist reads too, videos and songs told apart.
    recorded = [t async for t in provider.playlist_items(ALBUM_PAGE_ID)]
    assert len(recorded) == 20 and {t.kind for t in recorded} <= {"song", "video"}


async def test_writes_add_remove_reorder_like_and_never_double(world: World) -> None:
    provider, state = world.provider, world.state
    videos = [s.video_id for s in list(state.catalogue.values())[:150]]
    created = await provider.create_playlist("From <Tunebridge>")
    assert state.playlists[created.playlist_id].title == "From (Tunebridge)"
    await provider.add_items(created.playlist_id, videos)
    assert state.videos(created.playlist_id) == videos
    sent = state.writes[-1]["actions"]
    assert all(a["dedupeOption"] == "DEDUPE_OPTION_SKIP" for a in sent)
    # A retried add of tracks already there changes nothing.
    await provider.add_items(created.playlist_id, videos[:3])
    assert state.videos(created.playlist_id) == videos
    await provider.remove_items(created.playlist_id, videos[:5])
    assert state.videos(created.playlist_id) == videos[5:]
    wanted = list(reversed(videos[5:15])) + videos[15:]
    await provider.reorder(created.playlist_id, wanted)
    assert state.videos(created.playlist_id) == wanted
    await provider.like(videos[:2])
    await provider.unlike(videos[:1])
    assert state.liked[0] == videos[1] and videos[0] not in state.liked


async def test_a_lost_add_answer_is_looked_for_not_sent_twice(world: World) -> None:
    provider, state = world.provider, world.state
    videos = [s.video_id for s in list(state.catalogue.values())[:20]]
    created = await provider.create_playlist("Lossy")
    state.lost_write_responses = 1  # carried out, then answered 502
    await provider.add_items(created.playlist_id, videos)
    assert state.videos(created.playlist_id) == videos
    assert len([w for w in state.writes if w["playlist"] == created.playlist_id]) == 1


async def test_the_unpublished_rate_limit_is_waited_out(world: World) -> None:
    state = world.state
    state.rate_limit_per_s = 1
    patient = ProviderHttp(
        "ytmusic",
        world.url,
        classify_ytmusic,
        InProcessTokenBuckets(),
        world.counter,
        RetryPolicy(attempts=6, base_s=0.4),
    )
    provider = _provider(patient, world.provider.auth)
    tracks = [t async for t in provider.playlist_items(next(iter(state.playlists)))]
    await patient.close()
    assert len(tracks) == 250 and state.rate_limited > 0
    assert world.counter.value("ytmusic", "playlist_items", "rate_limited") == state.rate_limited


@pytest.mark.parametrize("status", [401, 403])
async def test_expired_headers_ask_for_fresh_ones(world: World, status: int) -> None:
    world.state.headers_expired = status
    with pytest.raises(NeedsReauthorisation, match="fresh headers") as refused:
        [p async for p in world.provider.playlists()]
    assert str(refused.value) == EXPIRED_HEADERS


async def test_search_by_isrc_leads_and_the_title_search_follows(world: World) -> None:
    provider, state = world.provider, world.state
    song = state.add_song("Nobody Else", "Abstrakt", album=("Nobody Else", "MPREb_x"))
    found = await provider.search(Track(title="Nobody Else", artists=("Abstrakt",)))
    assert [t.provider_id for t in found] == [song.video_id]
    assert found[0].kind == "song" and found[0].album == "Nobody Else"
    # The recorded ISRC search finds unrelated videos: they come first, for the matcher to
    # refuse, and the title search still offers the song.
    found = await provider.search(
        Track(title="Nobody Else", artists=("Abstrakt",), isrc="GB2LD2210007")
    )
    assert found[-1].provider_id == song.video_id
    assert (
        found[0].kind == "video"
        and found[0].title == "Blackfire backfire LAYOUT w/Coin | Geometry dash"
    )
    # One ISRC look-up per track, however many query variants ask.
    before = world.counter.value("ytmusic", "search", "ok")
    await provider.search(Track(title="", artists=("Abstrakt",), isrc="GB2LD2210007"))
    assert world.counter.value("ytmusic", "search", "ok") == before + 1
    nothing = await provider.search(Track(title="No such song anywhere", artists=("Nobody",)))
    assert nothing == []


async def test_a_songs_full_record_is_numbered_on_its_album(world: World) -> None:
    provider, state = world.provider, world.state
    album = ("Mezzanine", "MPREb_mezzanine")
    for title in ("Angel", "Risingson"):
        state.add_song(title, "Massive Attack", album=album, year="1998")
    song = state.add_song("Teardrop", "Massive Attack", album=album, seconds=331, year="1998")
    (found,) = await provider.search(Track(title="Teardrop", artists=("Massive Attack",)))
    assert (found.album, found.track_number) == ("Mezzanine", None)  # search: no numbers
    full = await provider.track(song.video_id)
    assert full is not None
    assert (full.provider_id, full.title, full.artists, full.duration_ms) == (
        song.video_id,
        "Teardrop",
        ("Massive Attack",),
        331_000,
    )
    assert (full.album, full.album_artists, full.track_number, full.track_total) == (
        "Mezzanine",
        ("Massive Attack",),
        3,
        3,
    )
    assert full.release_date == "1998" and full.kind == "song" and full.artwork_urls
    # A video in no album is its own record; an unknown video is refused by YouTube Music.
    video = state.add_song("Teardrop (Official Video)", "Massive Attack", kind="video")
    alone = await provider.track(video.video_id)
    assert alone is not None and alone.kind == "video" and alone.track_number is None
    with pytest.raises(ProviderError):
        await provider.track("nosuchvideo")


async def test_an_albums_page_is_read_once_for_its_songs(world: World) -> None:
    state = world.state
    album = ("Mezzanine", "MPREb_mezzanine")
    songs = [state.add_song(t, "Massive Attack", album=album) for t in ("Angel", "Teardrop")]
    cached = _provider(world.http, world.provider.auth)
    cached.cache = InProcessLookupCache()
    before = state.calls["browse"]
    numbers = [(await cached.track(s.video_id)) for s in songs]
    assert [(t.track_number, t.track_total) for t in numbers if t] == [(1, 2), (2, 2)]
    assert state.calls["browse"] == before + 1  # the album's page, once


async def test_device_code_oauth_bearer_is_renewed_and_its_refusals_explained(
    world: World,
) -> None:
    state = world.state
    google = GoogleDeviceOAuth(world.url)
    code = await google.start(CLIENT_ID)
    assert code.verification_url == "https://www.google.com/device" and code.user_code
    assert await google.poll(CLIENT_ID, CLIENT_SECRET, code.device_code) is None
    state.approve(code.user_code)
    granted = await google.poll(CLIENT_ID, CLIENT_SECRET, code.device_code)
    assert granted is not None and granted.refresh_token
    credentials = YtCredentials.decode(granted.access_token)
    assert credentials.client_secret == CLIENT_SECRET
    rotated: list[str] = []

    async def keep(updated: YtCredentials, expires_at: float, lifetime: float) -> None:
        rotated.append(updated.bearer or "")

    auth = YtAuth(credentials, granted.refresh_token, 2**40, CLIENT_ID, google, keep)
    provider = _provider(world.http, auth)
    assert (await provider.profile()).display_name == "Emulated Listener"
    state.bearers.clear()  # the bearer expired early: renewed once, invisibly
    # Five calls refused together: one refresh (single-flight), each call sent again once.
    found = await asyncio.gather(*(provider.profile() for _ in range(5)))
    assert {p.display_name for p in found} == {"Emulated Listener"}
    assert len(rotated) == 1
    state.oauth_invalid_argument = True
    with pytest.raises(NeedsReauthorisation) as refused:
        await provider.profile()
    assert str(refused.value) == OAUTH_INVALID_ARGUMENT
    state.oauth_invalid_argument = False
    state.revoke()
    with pytest.raises(NeedsReauthorisation, match="no longer accepts this connection"):
        await provider.profile()


async def test_an_edit_of_another_persons_playlist_is_refused(world: World) -> None:
    state = world.state
    theirs = state.new_playlist("Theirs")
    state.playlists[theirs].owned = False
    with pytest.raises(ProviderError) as refused:
        await world.provider.add_items(theirs, [next(iter(state.catalogue))])
    assert refused.value.verdict.outcome == "forbidden"  # not mistaken for expired headers


async def test_albums_are_saved_by_their_audio_playlist_and_artists_subscribed(
    world: World,
) -> None:
    provider, state = world.provider, world.state
    song = next(s for s in state.catalogue.values() if s.album)
    (album_title, album_id), (artist, channel) = song.album, song.artists[0]  # type: ignore[misc]
    found = await provider.search_albums(Track(title=album_title, artists=(artist,)))
    assert [(a.provider_id, a.title, a.artists) for a in found][:1] == [
        (album_id, album_title, (artist,))
    ]
    named = await provider.search_artists(Track(title=artist, entity="artist"))
    assert channel in [a.provider_id for a in named]
    state.albums.clear()
    await provider.save_albums([album_id])
    assert [a.album_id async for a in provider.saved_albums()] == [album_id]
    await provider.follow_artists([channel])
    assert [a.artist_id async for a in provider.followed_artists()] == [channel]
    await provider.unsave_albums([album_id])
    await provider.unfollow_artists([channel])
    assert state.albums == [] and state.subscriptions == []
