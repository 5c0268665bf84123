"""Reading a whole Subsonic library: calls, seconds and peak memory.

    python scripts/benchmark_subsonic.py [--tracks 20000] [--page-size 500] [--supysonic]

Reads the library the way the connectors do (``search3`` with an empty query, paged) and
prints the calls made, the seconds taken and this process's peak RSS. By default the
server is a minimal Subsonic answering ``search3`` from memory (so the figures are ours);
``--supysonic`` starts a real Supysonic (tests/support/supysonic_server.py) with that many
real audio files (one ffmpeg tone, copied and tagged) and scans it first, timed apart:
Supysonic scans about 12 files a second here, so use it with a few thousand tracks.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from litestar import Litestar, get
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.connectors.adapters.http import CallCounter, ProviderHttp
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.adapters.subsonic import SubsonicProvider
from services.connectors.domain.subsonic import classify_subsonic
from tests.emulators.scripted import serving
from tests.support.supysonic_server import Song, supysonic_server


def in_memory(songs: list[Song]) -> Litestar:
    """A Subsonic server that answers ``search3`` (and nothing else) from memory."""
    shaped = [
        {
            "id": f"song-{n}",
            "title": s.title,
            "artist": s.artist,
            "album": s.album,
            "track": s.track_number,
            "duration": 200,
        }
        for n, s in enumerate(songs)
    ]

    @get("/rest/search3")
    async def search3(songCount: int, songOffset: int = 0) -> dict[str, Any]:
        page = shaped[songOffset : songOffset + songCount]
        return {"subsonic-response": {"status": "ok", "searchResult3": {"song": page}}}

    return Litestar([search3])


async def read(url: str, user: str, password: str, page_size: int) -> tuple[int, float, int]:
    counter = CallCounter(CollectorRegistry())
    http = ProviderHttp("subsonic", url, classify_subsonic, InProcessTokenBuckets(), counter)
    provider = SubsonicProvider(http, user, password, page_size=page_size, calls_per_second=1000)
    started = time.perf_counter()
    count = sum([1 async for _ in provider.library()])
    seconds = time.perf_counter() - started
    await http.close()
    calls = sum(
        int(counter.value("subsonic", "search3", outcome)) for outcome in ("ok", "client_error")
    )
    return count, seconds, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--supysonic", action="store_true", help="read a real Supysonic")
    args = parser.parse_args()
    songs = [
        Song(f"Song {n}", f"Artist {n % 400}", f"Album {n % 2000}", n % 12 + 1)
        for n in range(args.tracks)
    ]
    if args.supysonic:
        with tempfile.TemporaryDirectory() as root:
            started = time.perf_counter()
            with supysonic_server(Path(root)) as server:
                server.add_songs(songs)
                made = time.perf_counter() - started
                server.scan()
                scanned = time.perf_counter() - started - made
                count, seconds, calls = asyncio.run(
                    read(server.url, server.username, server.password, args.page_size)
                )
        print(f"set-up: {args.tracks} files in {made:.1f} s, Supysonic scan {scanned:.1f} s")
    else:

        async def emulated() -> tuple[int, float, int]:
            async with serving(in_memory(songs)) as url:
                return await read(url, "bench", "bench", args.page_size)

        count, seconds, calls = asyncio.run(emulated())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"read {count} tracks in {calls} search3 calls (page {args.page_size}), "
        f"{seconds:.2f} s, peak RSS {peak_mb:.0f} MB (this process)"
    )


if __name__ == "__main__":
    main()
