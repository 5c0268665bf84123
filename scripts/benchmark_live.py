"""Live views benchmark: ``python scripts/benchmark_live.py [--followers 50] [--seconds 20]``.

One installation in this process (as the integration tests run it, on a private
nats-server), one download trickling in for a minute from a local server, and ``followers``
clients following it (``/api/v1/downloads/{id}/events``) plus as many following the
download list (``/api/v1/downloads/events``). Prints, over ``seconds`` while they follow:
the gateway's reads of the store per second, the updates the clients were sent, and how
long after the downloader stored a change the followers heard of it. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.downloader.domain.planning import plan
from services.kernel.contracts import DownloadRequested, new_id
from services.kernel.natsserver import NatsServer
from services.kernel.records import DownloadRecord, download_key
from services.kernel.store import Store
from tests.integration.test_download_queue import TRACK, LocalYouTube
from tests.support import nats_auth
from tests.support.audio import make_audio
from tests.support.files import TricklingHandler, serving_folder
from tests.support.installation import Installation, running_installation


class Reads:
    """Counts the calls that read the store."""

    def __init__(self, store: Store) -> None:
        self.count = 0
        self.by: collections.Counter[tuple[str, str]] = collections.Counter()
        for name in ("get_with_revision", "keys"):  # what get and values call
            self._wrap(store, name)

    def _wrap(self, store: Store, name: str) -> None:
        original = getattr(store, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            self.by[(name, str(args[0]) if args else "")] += 1
            return await original(*args, **kwargs)

        setattr(store, name, counted)


async def follow(
    installation: Installation, path: str, updates: list[int], lags: list[float], stored: Any
) -> None:
    async with (
        installation.client(timeout=None) as api,
        api.stream("GET", path) as stream,
    ):
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                updates[0] += 1
            elif line.startswith("data:") and stored[0] is not None:
                views = json.loads(line.split(":", 1)[1])
                view = views[0] if isinstance(views, list) and views else views
                if isinstance(view, dict) and view.get("downloaded_bytes") == stored[0][0]:
                    lags.append(time.monotonic() - stored[0][1])


async def main(followers: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsServer(Path(tmp) / "nats")
        url = nats_auth.start(server).admin_url
        root = Path(tmp) / "www"
        try:
            with serving_folder(root, TricklingHandler) as served:
                youtube = LocalYouTube(root, served)
                async with running_installation(
                    url, f"b{new_id()[:12]}", search=youtube, library_dir=Path(tmp) / "Music"
                ) as installation:
                    await measure(installation, youtube, followers, seconds)
        finally:
            server.stop()


async def measure(
    installation: Installation, youtube: LocalYouTube, followers: int, seconds: float
) -> None:
    make_audio(youtube.root / "teardrop-slow.flac", seconds=60)
    download_id = f"{new_id()}-0"
    item = plan((msgspec.structs.replace(TRACK, duration_ms=60_000),), (0,), "flac")[0]
    await installation.bus.publish(
        DownloadRequested(user_id=installation.user_id, download_id=download_id, item=item)
    )
    key = download_key(installation.user_id, download_id)
    store = installation.store
    for _ in range(1200):  # until it trickles in (a minute at most)
        found = await store.get("downloads", key, DownloadRecord)
        if found is not None and found.status == "downloading":
            break
        await asyncio.sleep(0.05)
    reads = Reads(installation.runtimes["gateway"].context.store)
    updates, lags = [0], []  # type: ignore[var-annotated]
    stored: list[tuple[int | None, float] | None] = [None]

    async def watch_store() -> None:  # when each change was stored (the admin's own reads)
        last = None
        while True:
            record = await store.get("downloads", key, DownloadRecord)
            if record is not None and record.downloaded_bytes != last:
                last = record.downloaded_bytes
                stored[0] = (last, time.monotonic())
            await asyncio.sleep(0.01)

    paths = [f"/api/v1/downloads/{download_id}/events", "/api/v1/downloads/events"]
    tasks = [
        asyncio.create_task(follow(installation, path, updates, lags, stored))
        for path in paths
        for _ in range(followers)
    ]
    watcher = asyncio.create_task(watch_store())
    for _ in range(600):  # every stream started and sent its first view
        if updates[0] >= len(tasks):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    reads.by.clear()
    start_reads, start_updates, started = reads.count, updates[0], time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    done_reads, done_updates = reads.count - start_reads, updates[0] - start_updates
    for task in [*tasks, watcher]:
        task.cancel()
    await asyncio.gather(*tasks, watcher, return_exceptions=True)
    streams = len(tasks)
    print(f"streams followed: {streams} ({followers} of the download, {followers} of the list)")
    print(f"gateway store reads: {done_reads / elapsed:.1f}/s ({done_reads} in {elapsed:.0f} s)")
    if reads.by:
        print("  of which:", ", ".join(f"{n} {m}({b!r})" for (m, b), n in reads.by.most_common()))
    print(f"updates sent: {done_updates / elapsed:.1f}/s, {done_updates / streams:.1f} a stream")
    if lags:
        lags.sort()
        p95 = lags[int(0.95 * (len(lags) - 1))]
        print(
            f"heard after stored: median {statistics.median(lags) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms ({len(lags)} samples)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--followers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.followers, arguments.seconds))
