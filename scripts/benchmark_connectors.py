"""Connector benchmark: ``python scripts/benchmark_connectors.py [--tracks 2500] [--latency 0.05]``.

Against the Spotify and Deezer emulators with a delay per answer (50 ms by default, a
distant provider), prints for each provider: calls per 1,000 tracks read and written,
the minimum the page and batch sizes allow, and the time taken. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from pathlib import Path

from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.connectors.adapters import deezer as deezer_adapter
from services.connectors.adapters import spotify as spotify_adapter
from services.connectors.adapters.cache import InProcessLookupCache
from services.connectors.adapters.http import CallCounter, ProviderHttp
from services.connectors.adapters.provider import Provider
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.domain.limits import Bucket, classify_deezer, classify_spotify
from tests.emulators.deezer import TOKEN, DeezerState, deezer_app
from tests.emulators.scripted import serving
from tests.emulators.spotify import SpotifyState, spotify_app

UNLIMITED = Bucket("benchmark", capacity=10_000, per_second=10_000)


def report(
    provider: str, direction: str, tracks: int, calls: int, minimum: int, took: float
) -> None:
    print(
        f"{provider:<8} {direction:<6} {tracks} tracks: {calls} calls "
        f"({1000 * calls / tracks:.1f} per 1,000; minimum {1000 * minimum / tracks:.1f}) "
        f"in {took:.2f} s"
    )


async def copy_playlist(
    name: str,
    provider: Provider,
    counter: CallCounter,
    source: str,
    tracks: int,
    endpoints: tuple[str, str],
    sizes: tuple[int, int],
) -> None:
    """Read ``source`` whole, write it into a new playlist; report each direction's calls
    (counted at the ``endpoints``) against the fewest its (page, batch) ``sizes`` allow."""
    started = time.perf_counter()
    read = [t.provider_id or "" async for t in provider.playlist_items(source)]
    report(
        name,
        "read",
        tracks,
        int(counter.value(name, endpoints[0], "ok")),
        math.ceil(tracks / sizes[0]),
        time.perf_counter() - started,
    )
    target = await provider.create_playlist("copy")
    started = time.perf_counter()
    await provider.add_items(target.playlist_id, read)
    report(
        name,
        "write",
        tracks,
        int(counter.value(name, endpoints[1], "ok")),
        math.ceil(tracks / sizes[1]),
        time.perf_counter() - started,
    )


async def spotify(tracks: int, latency: float) -> None:
    state = SpotifyState()
    source = state.add_generated_playlist(tracks)
    access, refresh = state.grant()
    async with serving(spotify_app(state), latency) as url:
        counter = CallCounter(CollectorRegistry())
        http = ProviderHttp("spotify", url, classify_spotify, InProcessTokenBuckets(), counter)

        async def keep(token: spotify_adapter.SpotifyToken) -> None:
            return None

        auth = spotify_adapter.SpotifyAuth(
            url, state.client_id, spotify_adapter.SpotifyToken(access, refresh, 4e9), keep
        )
        provider = spotify_adapter.SpotifyProvider(http, auth, [UNLIMITED])
        await copy_playlist(
            "spotify",
            provider,
            counter,
            source,
            tracks,
            ("playlist_items", "playlist_add"),
            (spotify_adapter.PAGE_SIZE, spotify_adapter.ADD_BATCH),
        )
        await http.close()
        await auth.close()


async def deezer(tracks: int, latency: float) -> None:
    state = DeezerState()
    source = state.add_generated_playlist(tracks)
    async with serving(deezer_app(state), latency) as url:
        counter = CallCounter(CollectorRegistry())
        http = ProviderHttp("deezer", url, classify_deezer, InProcessTokenBuckets(), counter)
        provider = deezer_adapter.DeezerProvider(http, InProcessLookupCache(), TOKEN, UNLIMITED)
        await copy_playlist(
            "deezer",
            provider,
            counter,
            str(source),
            tracks,
            ("playlist_tracks", "playlist_add"),
            (deezer_adapter.PAGE_SIZE, deezer_adapter.WRITE_BATCH),
        )
        await http.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=2500)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    options = parser.parse_args()
    print(
        f"emulator latency {options.latency * 1000:.0f} ms per call "
        "(rate limits off, to measure the calls themselves)"
    )
    await spotify(options.tracks, options.latency)
    await deezer(options.tracks, options.latency)


if __name__ == "__main__":
    asyncio.run(main())
