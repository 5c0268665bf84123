"""The Spotify provider against the Spotify emulator (2026 development-mode contract)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.http import (
    CallCounter,
    ProviderHttp,
    QuotaExceeded,
    RetryPolicy,
)
from services.connectors.adapters.provider import WriteLimits
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.adapters.spotify import (
    ADD_BATCH,
    PAGE_SIZE,
    NeedsReauthorisation,
    SpotifyAuth,
    SpotifyProvider,
    SpotifyToken,
    refresh_margin,
)
from services.connectors.domain.limits import Bucket, classify_spotify
from services.kernel.contracts import Track
from services.kernel.crypto import SecretBox, generate_key_spec
from services.kernel.store import Store
from tests.emulators.scripted import serving
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.catalogues import shared_albums, shared_artists

pytestmark = pytest.mark.timeout(120)
KEY = generate_key_spec("k1")


class Spotify:
    """A provider wired to the emulator, and what the tests look at."""

    def __init__(self, url: str, state: SpotifyState) -> None:
        self.state = state
        self.counter = CallCounter(CollectorRegistry())
        self.http = ProviderHttp(
            "spotify",
            url,
            classify_spotify,
            InProcessTokenBuckets(),
            self.counter,
            RetryPolicy(attempts=6, base_s=0.01, cap_s=0.05),
        )
        access, refresh = state.grant()
        self.stored: list[SpotifyToken] = []

        async def store(token: SpotifyToken) -> None:
            self.stored.append(token)

        self.auth = SpotifyAuth(
            url, state.client_id, SpotifyToken(access, refresh, expires_at=4e9), store
        )
        self.provider = SpotifyProvider(
            self.http, self.auth, [Bucket("spotify:app:emulated", capacity=100, per_second=100)]
        )

    def calls(self, endpoint: str, outcome: str = "ok") -> int:
        return int(self.counter.value("spotify", endpoint, outcome))


@pytest.fixture
async def spotify() -> AsyncIterator[Spotify]:
    state = SpotifyState()
    async with serving(spotify_app(state)) as url:
        client = Spotify(url, state)
        yield client
        await client.http.close()
        await client.auth.close()


async def test_a_2500_track_playlist_is_read_and_written_with_the_fewest_calls(
    spotify: Spotify,
) -> None:
    source = spotify.state.add_generated_playlist(2500)
    tracks = [t async for t in spotify.provider.playlist_items(source)]
    assert len(tracks) == 2500 and len({t.provider_id for t in tracks}) == 2500
    assert spotify.calls("playlist_items") == math.ceil(2500 / PAGE_SIZE)
    copy = await spotify.provider.create_playlist("Copy")
    await spotify.provider.add_items(copy.playlist_id, [t.provider_id or "" for t in tracks])
    assert (
        spotify.state.playlists[copy.playlist_id]["items"]
        == (spotify.state.playlists[source]["items"])
    )
    assert spotify.calls("playlist_add") == math.ceil(2500 / ADD_BATCH)


async def test_storms_of_429_and_5xx_are_ridden_out_and_nothing_is_written_twice(
    spotify: Spotify,
) -> None:
    source = spotify.state.add_generated_playlist(600)
    uris = list(spotify.state.playlists[source]["items"])
    copy = await spotify.provider.create_playlist("Storm")
    spotify.state.rate_limit_every = 4
    spotify.state.retry_after = "0"
    spotify.state.server_error_every = 7
    spotify.state.lost_write_responses = 2
    await spotify.provider.add_items(copy.playlist_id, [u.rsplit(":", 1)[1] for u in uris])
    read = [t.provider_id async for t in spotify.provider.playlist_items(copy.playlist_id)]
    assert spotify.state.playlists[copy.playlist_id]["items"] == uris
    assert read == [u.rsplit(":", 1)[1] for u in uris]
    assert (
        spotify.calls("playlist_add", "rate_limited")
        + spotify.calls("playlist_items", "rate_limited")
        >= 1
    )


async def test_retry_after_is_honoured(spotify: Spotify) -> None:
    spotify.state.rate_limit_every = 2
    spotify.state.retry_after = "1"
    import time

    started = time.monotonic()
    await spotify.provider.profile()
    await spotify.provider.profile()  # the 2nd call is limited: waits a second, then works
    assert time.monotonic() - started >= 1.0


async def test_an_expired_access_token_is_refreshed_invisibly_and_the_new_tokens_stored(
    spotify: Spotify,
) -> None:
    first = spotify.auth.token
    spotify.state.access_tokens[first.access_token] = 0  # expired at the provider
    profile = await spotify.provider.profile()
    assert profile.account_id == "acc-1"
    (stored,) = spotify.stored
    assert stored.access_token != first.access_token
    assert stored.refresh_token != first.refresh_token  # rotated: the old one is spent
    assert first.refresh_token not in spotify.state.refresh_tokens


async def test_tokens_that_die_sooner_than_announced_are_renewed_until_a_call_goes_through(
    spotify: Spotify,
) -> None:
    """Found by an audit: a token dying early (here: after one call) was renewed once per
    call, so of four calls at once two failed with "connect the account again", and the
    connection stayed connected. Each call now renews up to three times."""
    spotify.state.token_lifetime_calls = 1
    for token in spotify.state.access_tokens:
        spotify.state.access_tokens[token] = 1
    profiles = await asyncio.gather(*(spotify.provider.profile() for _ in range(4)))
    assert len({p.account_id for p in profiles}) == 1
    assert "refused" not in spotify.state.refreshes and len(spotify.state.refreshes) == 3


async def test_a_token_about_to_expire_is_refreshed_before_use(spotify: Spotify) -> None:
    spotify.auth.token.expires_at = spotify.auth.clock() + 10
    await spotify.provider.profile()
    assert len(spotify.stored) == 1
    assert spotify.calls("me", "unauthorized") == 0


async def test_an_expired_consent_needs_reauthorisation(spotify: Spotify) -> None:
    spotify.state.access_tokens[spotify.auth.token.access_token] = 0
    spotify.state.consent_expired = True
    with pytest.raises(NeedsReauthorisation, match="connect the account again"):
        await spotify.provider.profile()


async def test_a_spent_quota_is_reported_not_retried(spotify: Spotify) -> None:
    spotify.state.quota_exceeded = True
    with pytest.raises(QuotaExceeded):
        await spotify.provider.search(Track(title="Uptown Funk"))
    assert spotify.calls("search", "quota_exceeded") == 1


async def test_search_isrc_likes_and_removals(spotify: Spotify) -> None:
    (found,) = await spotify.provider.lookup_isrc("USIR20400274")
    assert (found.title, found.artists, found.album) == (
        "Mr. Brightside",
        ("The Killers",),
        "Hot Fuss",
    )
    assert found.artwork_urls and found.duration_ms == 222075
    hits = await spotify.provider.search(Track(title="Uptown Funk", artists=("Bruno Mars",)))
    assert [t.title for t in hits] == ["Uptown Funk"]
    spotify.state.add_generated_playlist(60)  # a catalogue large enough for the batches
    ids = [u.rsplit(":", 1)[1] for u in list(spotify.state.catalogue)[:50]]
    await spotify.provider.like(ids)
    await spotify.provider.like(ids[:3])  # saving again changes nothing
    assert len(spotify.state.library) == 50
    assert spotify.calls("library_save") == 3  # 40 + 10, then 3
    liked = [t.provider_id async for t in spotify.provider.liked_tracks()]
    assert sorted(liked) == sorted(ids)
    await spotify.provider.unlike(ids[:45])
    assert len(spotify.state.library) == 5
    source = spotify.state.add_generated_playlist(10)
    doomed = [u.rsplit(":", 1)[1] for u in spotify.state.playlists[source]["items"][:4]]
    await spotify.provider.remove_items(source, doomed)
    assert len(spotify.state.playlists[source]["items"]) == 6


async def test_a_library_that_takes_fewer_per_call_gets_smaller_batches_and_remembers(
    spotify: Spotify, store: Store
) -> None:
    """Found by an audit: liked songs went in fixed batches of 40, so a Spotify taking 20
    refused every one, and the report said it refused "even one track"."""
    spotify.state.library_max = 20
    spotify.state.add_generated_playlist(60)
    ids = [u.rsplit(":", 1)[1] for u in list(spotify.state.catalogue)[:50]]
    spotify.provider.limits = WriteLimits(store)
    await spotify.provider.like(ids)
    assert sorted(spotify.state.library) == sorted(f"spotify:track:{i}" for i in ids)
    assert spotify.provider.notes == ["Spotify refused 40 tracks per request; sent 20 at a time"]
    refused = spotify.calls("library_save", "too_large")
    assert refused == 1
    await spotify.provider.unlike(ids)  # the same call's limit: learned, nothing refused
    assert spotify.state.library == [] and spotify.calls("library_remove", "too_large") == 0
    # Adding to a playlist has a limit of its own: still 100 a call.
    copy = await spotify.provider.create_playlist("Copy")
    await spotify.provider.add_items(copy.playlist_id, ids)
    assert spotify.calls("playlist_add") == 1


async def test_saved_albums_and_a_reorder_by_moves(spotify: Spotify) -> None:
    (album,) = [a async for a in spotify.provider.saved_albums()]
    assert album.title == "She's So Unusual" and album.artists == ("Cyndi Lauper",)
    assert album.artwork_urls
    source = spotify.state.add_generated_playlist(8)
    ids = [u.rsplit(":", 1)[1] for u in spotify.state.playlists[source]["items"]]
    wanted = list(reversed(ids))
    await spotify.provider.reorder(source, wanted)
    assert [u.rsplit(":", 1)[1] for u in spotify.state.playlists[source]["items"]] == wanted
    assert spotify.calls("playlist_reorder") == 7  # the last one is in place by then
    await spotify.provider.reorder(source, wanted)
    assert spotify.calls("playlist_reorder") == 7  # already in order: nothing to move


def test_the_refresh_margin_scales_with_the_tokens_life() -> None:
    assert refresh_margin(3600) == 60 and refresh_margin(30) == 3 and refresh_margin(0) == 0
    assert not SpotifyToken("a", "r", expires_at=100, lifetime_s=30).due(96)
    assert SpotifyToken("a", "r", expires_at=100, lifetime_s=30).due(97.5)


async def test_short_lived_single_use_tokens_are_refreshed_once_for_parallel_reads(
    store: Store,
) -> None:
    """Five playlists read at once, each through its own adapter (as the work queue makes
    them), with a 2-second token whose refresh token works once: one refresh, every
    read complete, and the rotated tokens stored. The adapters come from two ``Accounts``
    (as two replicas would have): the store's lease keeps them to one refresh too."""
    state = SpotifyState(token_lifetime_s=2)
    playlists = [state.add_generated_playlist(60, name=f"P{n}") for n in range(5)]
    async with serving(spotify_app(state)) as url:
        accounts = Accounts(store, SecretBox([KEY]), url, state.client_id)
        replica = Accounts(store, SecretBox([KEY]), url, state.client_id)
        access, refresh = state.grant()
        record = await accounts.add_from_tokens(
            "u1", "spotify", access, refresh, 2, state.client_id
        )
        http = ProviderHttp(
            "spotify",
            url,
            classify_spotify,
            InProcessTokenBuckets(),
            CallCounter(CollectorRegistry()),
        )
        await asyncio.sleep(2.1)  # the access token has expired everywhere

        async def read(playlist_id: str, keeper: Accounts) -> list[str]:
            adapter = SpotifyProvider(
                http, keeper.spotify_auth(record), [Bucket("b", capacity=1000, per_second=1000)]
            )
            return [t.provider_id or "" async for t in adapter.playlist_items(playlist_id)]

        keepers = [accounts, replica, accounts, replica, accounts]
        found = await asyncio.gather(*(read(p, k) for p, k in zip(playlists, keepers, strict=True)))
        assert [len(tracks) for tracks in found] == [60] * 5
        assert len(state.refreshes) == 1 and "refused" not in state.refreshes
        stored = await accounts.get("u1", record.connection_id)
        assert stored is not None and stored.status == "connected"
        assert accounts.tokens(stored).refresh_token in state.refresh_tokens
        await http.close()
        await accounts.close()
        await replica.close()


async def test_saved_albums_and_followed_artists_read_and_written(spotify: Spotify) -> None:
    albums = shared_albums(spotify.state, None, 3)
    artists = shared_artists(spotify.state, None, 60)
    spotify.state.page_limit = 20  # the followed artists' cursor pages
    await spotify.provider.save_albums([a.spotify_id for a in albums])
    await spotify.provider.follow_artists([a.spotify_id for a in artists])
    saved = [a async for a in spotify.provider.saved_albums()]
    assert {a.album_id for a in saved} >= {a.spotify_id for a in albums}
    first = next(a for a in saved if a.album_id == albums[0].spotify_id)
    assert first.upc == "4200000000000" and first.track_count == 8
    assert first.record().entity == "album" and first.record().upc == first.upc
    followed = [a async for a in spotify.provider.followed_artists()]
    assert [a.artist_id for a in followed] == [a.spotify_id for a in artists]
    assert spotify.calls("followed_artists") == 3 and spotify.calls("follow") == 2  # 50 a call
    await spotify.provider.unsave_albums([albums[0].spotify_id])
    await spotify.provider.unfollow_artists([artists[0].spotify_id])
    assert albums[0].spotify_id not in spotify.state.saved_albums
    assert artists[0].spotify_id not in spotify.state.followed
    (by_upc,) = await spotify.provider.lookup_upc("4200000000001")
    assert by_upc.provider_id == albums[1].spotify_id and by_upc.upc == "4200000000001"
    found = await spotify.provider.search_albums(by_upc)
    assert [t.provider_id for t in found] == [albums[1].spotify_id]
    (named,) = await spotify.provider.search_artists(Track(title=artists[5].title))
    assert named.provider_id == artists[5].spotify_id and named.entity == "artist"


async def test_an_artists_albums_are_read_one_page_without_upcs(spotify: Spotify) -> None:
    (artist,) = shared_artists(spotify.state, None, 1, start=40)
    albums = shared_albums(spotify.state, None, 12, start=40)
    for album in albums:
        spotify.state.albums[album.spotify_id]["artists"] = [
            {"id": artist.spotify_id, "name": artist.title, "type": "artist"}
        ]
    record = Track(
        title=artist.title, provider="spotify", provider_id=artist.spotify_id, entity="artist"
    )
    read = await spotify.provider.artist_albums(record)
    # One call, the ten Spotify lists at most; a listing's albums carry no UPC.
    assert [a.title for a in read.albums] == [a.title for a in albums[:10]]
    assert read.albums[0].release_date == "2000-05-01" and read.albums[0].upc is None
    assert spotify.calls("artist_albums") == 1
    assert read.title == artist.title and read.provider_id == artist.spotify_id
