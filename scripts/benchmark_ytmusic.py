"""YouTube Music benchmark: ``python scripts/benchmark_ytmusic.py [--tracks N] [--latency S]``.

Against the InnerTube and Spotify emulators answering after ``--latency`` seconds (50 ms
by default: a distant provider), prints:

- calls per track read (a playlist of ``--tracks``, 100 items a page) and written (adds of
  100, plus the one call that makes the playlist), with the time each took;
- the connectors' share of a Spotify -> YouTube Music sync of ``--tracks`` tracks: the
  Spotify playlist read, every track's candidates looked up as the connectors do (the
  search by ISRC string, then the title-and-artist, bare-title and artist-only variants,
  8 tracks in flight), and the copy written; its calls per track and its time. The
  matcher's judging and the bus between the services are not in it (the e2e test
  ``tests/e2e/test_sync_ytmusic_up.py`` runs the whole of it and prints its time).

Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.connectors.adapters import spotify as spotify_adapter
from services.connectors.adapters.http import CallCounter, ProviderHttp
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.adapters.ytmusic import (
    YtAuth,
    YtCredentials,
    YtMusicProvider,
    classify_ytmusic,
    kept_headers,
)
from services.connectors.api.provider_work import CONCURRENT_LOOKUPS, _candidates
from services.connectors.domain.limits import Bucket, classify_spotify
from tests.emulators.scripted import serving
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.emulators.ytmusic import YtMusicState, example_headers, ytmusic_app
from tests.support.catalogues import shared_recordings

UNLIMITED = Bucket("benchmark", capacity=10_000, per_second=10_000)


def calls(counter: CallCounter, provider: str, *endpoints: str) -> int:
    return int(sum(counter.value(provider, e, "ok") for e in endpoints))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    options = parser.parse_args()
    tracks, latency = options.tracks, options.latency

    spotify, yt = SpotifyState(), YtMusicState()
    songs = shared_recordings(spotify, None, tracks)
    for song in songs:
        seconds = spotify.catalogue[song.spotify_uri]["duration_ms"] // 1000
        yt.add_song(song.title, song.artist, album=(song.title, "MPREb_x"), seconds=seconds)
    source = spotify.new_playlist("Source", [s.spotify_uri for s in songs])
    present = yt.new_playlist("Present", list(yt.catalogue))
    access, refresh = spotify.grant()

    async with (
        serving(ytmusic_app(yt), latency) as yt_url,
        serving(spotify_app(spotify), latency) as spotify_url,
    ):
        counter = CallCounter(CollectorRegistry())
        buckets = InProcessTokenBuckets()
        yt_http = ProviderHttp("ytmusic", yt_url, classify_ytmusic, buckets, counter)
        provider = YtMusicProvider(
            yt_http, YtAuth(YtCredentials(headers=kept_headers(example_headers()))), [UNLIMITED]
        )

        started = time.perf_counter()
        read = [t async for t in provider.playlist_items(present)]
        took = time.perf_counter() - started
        made = calls(counter, "ytmusic", "playlist_items")
        print(
            f"read   {len(read)} tracks: {made} calls ({made / len(read):.3f} per track) "
            f"in {took:.2f} s"
        )
        started = time.perf_counter()
        target = await provider.create_playlist("Copy")
        await provider.add_items(target.playlist_id, [t.provider_id or "" for t in read])
        took = time.perf_counter() - started
        made = calls(counter, "ytmusic", "create_playlist", "playlist_add")
        print(
            f"write  {len(read)} tracks: {made} calls ({made / len(read):.3f} per track) "
            f"in {took:.2f} s"
        )

        # The connectors' share of a Spotify -> YouTube Music sync.
        spotify_http = ProviderHttp(
            "spotify", spotify_url, classify_spotify, InProcessTokenBuckets(), counter
        )

        async def keep(token: spotify_adapter.SpotifyToken) -> None:
            return None

        auth = spotify_adapter.SpotifyAuth(
            spotify_url, spotify.client_id, spotify_adapter.SpotifyToken(access, refresh, 4e9), keep
        )
        spotify_provider = spotify_adapter.SpotifyProvider(spotify_http, auth, [UNLIMITED])
        before = {e: calls(counter, "ytmusic", e) for e in ("search", "playlist_add")}
        started = time.perf_counter()
        wanted = [t async for t in spotify_provider.playlist_items(source)]
        gate = asyncio.Semaphore(CONCURRENT_LOOKUPS)

        async def look(track: spotify_adapter.Track) -> str | None:
            async with gate:
                found = await _candidates(provider, track)
            # The matcher's choice, stood in for: the candidate with the same title.
            same = [c for c in found if c.title == track.title]
            return same[0].provider_id if same else None

        chosen = await asyncio.gather(*(look(t) for t in wanted))
        copy = await provider.create_playlist("Synced")
        await provider.add_items(copy.playlist_id, [c for c in chosen if c])
        took = time.perf_counter() - started
        searched = calls(counter, "ytmusic", "search") - before["search"]
        written = calls(counter, "ytmusic", "playlist_add") - before["playlist_add"]
        spotify_calls = calls(counter, "spotify", "playlist_items")
        total = searched + written + 1 + spotify_calls
        print(
            f"sync   {len(wanted)} tracks Spotify -> YouTube Music at {latency * 1000:.0f} ms "
            f"a call: {total} calls ({spotify_calls} Spotify reads, {searched} searches = "
            f"{searched / len(wanted):.2f} per track, {written + 1} writes), "
            f"{sum(1 for c in chosen if c)} found, in {took:.1f} s "
            f"({total * latency:.0f} s if every call waited for the one before)"
        )
        await spotify_http.close()
        await auth.close()
        await yt_http.close()


if __name__ == "__main__":
    asyncio.run(main())
