"""Apple Music and TIDAL benchmark: ``python scripts/benchmark_apple_tidal.py [--tracks N]
[--latency S]``.

Against the Apple Music and TIDAL emulators answering after ``--latency`` seconds (50 ms
by default: a distant provider), for a playlist of ``--tracks`` tracks prints, per
provider, the calls Tunebridge makes and the least its batch sizes allow, per track:

- reading the playlist (Apple: library pages of 100; TIDAL: cursor pages of the server's
  20 entries, plus one ``/tracks`` call per 20 ids for artists and albums);
- looking every track's ISRC up as the connectors do for the matcher (Apple: 25 ISRCs a
  call, fetched ahead; TIDAL: one call per ISRC, since one ISRC may have several tracks
  and only a single-ISRC call returns them all);
- writing the copy (one call to make it, then appends: Apple 100, TIDAL 50 a call).

Asserts nothing.
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

from services.connectors.adapters.applemusic import (
    AppleMusicProvider,
    AppleMusicSettings,
    DeveloperTokens,
    classify_apple,
)
from services.connectors.adapters.http import CallCounter, ProviderHttp
from services.connectors.adapters.provider import Provider
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.adapters.spotify import SpotifyAuth, SpotifyToken
from services.connectors.adapters.tidal import TOKEN_PATH, TidalProvider, TidalSettings
from services.connectors.api.provider_work import CONCURRENT_LOOKUPS, _candidates
from services.connectors.domain.limits import classify_generic
from services.kernel.aio import gather_bounded
from services.kernel.contracts import Track
from tests.emulators.applemusic import KEY_ID, TEAM_ID, AppleState, applemusic_app, new_key
from tests.emulators.scripted import serving
from tests.emulators.tidal import TidalState, tidal_app


def total(counter: CallCounter, provider: str, *endpoints: str) -> int:
    return int(sum(counter.value(provider, e, "ok") for e in endpoints))


async def measure(
    name: str,
    provider: Provider,
    counter: CallCounter,
    source: str,
    ids: list[str],
    endpoints: dict[str, tuple[str, ...]],
    least: dict[str, int],
) -> None:
    tracks = len(ids)
    every = sorted({e for names in endpoints.values() for e in names})
    spent: dict[str, tuple[int, float]] = {}

    async def step(label: str, work: object) -> None:
        before, started = total(counter, provider.name, *every), time.perf_counter()
        await work  # type: ignore[misc]
        spent[label] = (
            total(counter, provider.name, *every) - before,
            time.perf_counter() - started,
        )

    read: list[Track] = []

    async def read_all() -> None:
        read.extend([t async for t in provider.playlist_items(source)])

    await step("read", read_all())
    assert [t.provider_id for t in read] == ids
    queries = [Track(title=t.title, artists=t.artists, isrc=t.isrc) for t in read]

    async def look_up() -> None:
        await provider.prefetch_isrcs([q.isrc for q in queries if q.isrc])
        await gather_bounded([_candidates(provider, q) for q in queries], CONCURRENT_LOOKUPS)

    await step("look up", look_up())

    async def write() -> None:
        copy = await provider.create_playlist("Benchmark copy")
        await provider.add_items(copy.playlist_id, ids)

    await step("write", write())
    print(f"{name}, {tracks} tracks:")
    for label in ("read", "look up", "write"):
        made, seconds = spent[label]
        print(
            f"  {label:8} {made:5} calls ({made / tracks:.3f} per track; least "
            f"{least[label]}, {least[label] / tracks:.3f} per track) in {seconds:.2f} s"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    options = parser.parse_args()
    tracks, latency = options.tracks, options.latency

    private, public = new_key()
    apple = AppleState(public_key=public)
    apple_ids = [
        apple.add_song(f"Song {n}", f"Artist {n % 7}", f"TBX26{n:07d}") for n in range(tracks)
    ]
    source = apple.new_playlist("Source", apple_ids)
    settings = AppleMusicSettings(team_id=TEAM_ID, key_id=KEY_ID, private_key=private)
    async with serving(applemusic_app(apple), latency_s=latency) as url:
        counter = CallCounter(CollectorRegistry())
        http = ProviderHttp("applemusic", url, classify_apple, InProcessTokenBuckets(), counter)
        provider = AppleMusicProvider(
            http, DeveloperTokens(settings), apple.user_token(), [], settings
        )
        await measure(
            "Apple Music",
            provider,
            counter,
            source,
            apple_ids,
            {
                "read": ("playlist_items",),
                "look up": ("isrc", "search", "storefront"),
                "write": ("create_playlist", "playlist_add"),
            },
            {
                "read": math.ceil(tracks / settings.page_size),
                "look up": math.ceil(tracks / settings.isrc_batch),
                "write": 1 + math.ceil(tracks / settings.add_batch),
            },
        )
        await http.close()

    tidal = TidalState()
    tidal_ids = [
        tidal.add_track(f"Song {n}", f"Artist {n % 7}", f"TBX26{n:07d}") for n in range(tracks)
    ]
    source = tidal.new_playlist("Source", tidal_ids)
    access, refresh = tidal.grant()
    async with serving(tidal_app(tidal), latency_s=latency) as url:
        counter = CallCounter(CollectorRegistry())
        http = ProviderHttp("tidal", url, classify_generic, InProcessTokenBuckets(), counter)

        async def keep(token: SpotifyToken) -> None:
            return None

        auth = SpotifyAuth(
            url, "benchmark", SpotifyToken(access, refresh, time.time() + 3600), keep,
            token_path=TOKEN_PATH, shown="TIDAL",
        )  # fmt: skip
        settings_t = TidalSettings()
        await measure(
            "TIDAL",
            TidalProvider(http, auth, [], settings_t),
            counter,
            source,
            tidal_ids,
            {
                "read": ("playlist_items", "tracks", "me"),
                "look up": ("track_isrc", "search", "tracks"),
                "write": ("create_playlist", "playlist_add"),
            },
            {
                "read": math.ceil(tracks / tidal.page_size)
                + math.ceil(tracks / settings_t.tracks_per_lookup),
                "look up": tracks,
                "write": 1 + math.ceil(tracks / settings_t.add_batch),
            },
        )
        await http.close()
        await auth.close()


if __name__ == "__main__":
    asyncio.run(main())
