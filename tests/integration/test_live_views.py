"""Live views follow the events their owners publish: a download's stream shows its
progress as the downloader reports it, without reading the store while it goes on, and
reads it again only when events may have been missed (NATS reconnected)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from services.gateway.app import GatewayApp
from services.kernel.records import DownloadRecord, download_key
from services.kernel.store import Store
from tests.integration.test_download_queue import SLOW_ID, LocalYouTube, slow_download
from tests.integration.test_missing_tracks_flow import PLAYLIST_M3U, library
from tests.support.audio import make_audio
from tests.support.files import TricklingHandler, serving_folder
from tests.support.installation import Installation, running_installation

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def world(
    nats_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[tuple[Installation, LocalYouTube]]:
    root = tmp_path / "www"
    with serving_folder(root, TricklingHandler) as url:
        youtube = LocalYouTube(root, url)
        async with running_installation(
            nats_url, namespace, search=youtube, library_dir=tmp_path / "Music"
        ) as installation:
            yield installation, youtube


class Reads:
    """Counts the gateway's reads of the downloads bucket (they still happen)."""

    def __init__(self, store: Store) -> None:
        self.count = 0
        original = store.get

        async def get(bucket: str, *args: Any, **kwargs: Any) -> Any:
            if bucket == "downloads":
                self.count += 1
            return await original(bucket, *args, **kwargs)

        store.get = get  # type: ignore[method-assign]


async def events(stream: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    kind = ""
    async for line in stream.aiter_lines():
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            yield kind, json.loads(line.split(":", 1)[1])


async def listed(api: httpx.AsyncClient, download_id: str) -> None:
    for _ in range(200):
        if (await api.get(f"/api/v1/downloads/{download_id}")).status_code == 200:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the download was never recorded")


async def test_a_download_is_followed_by_its_events_not_by_reading_it_again(
    world: tuple[Installation, LocalYouTube],
) -> None:
    installation, youtube = world
    size = await slow_download(installation, youtube)
    reads = Reads(installation.runtimes["gateway"].context.store)
    seen: list[dict[str, Any]] = []
    async with installation.client(timeout=30) as api:
        await listed(api, SLOW_ID)
        async with api.stream("GET", f"/api/v1/downloads/{SLOW_ID}/events") as stream:
            following = events(stream)
            async for _kind, view in following:
                seen.append(view)
                if view["status"] == "downloading" and view["downloaded_bytes"]:
                    break
            before = reads.count
            # Three more reports of it trickling in, each shown as it comes.
            async for kind, view in following:
                assert kind == "update"
                seen.append(view)
                if len([v for v in seen if v["status"] == "downloading"]) >= 4:
                    break
            assert reads.count == before  # folded from the events: the store not read
            cancelled = await api.post(f"/api/v1/downloads/{SLOW_ID}/cancel", json={})
            assert cancelled.status_code < 300, cancelled.text
            last = [(kind, view) async for kind, view in following][-1]
        stored = (await api.get(f"/api/v1/downloads/{SLOW_ID}")).json()
    downloading = [v for v in seen if v["status"] == "downloading"]
    assert {v["source"] for v in downloading} == {"youtube"}
    assert all(0 < v["downloaded_bytes"] < size and v["size_bytes"] == size for v in downloading)
    progress = [v["downloaded_bytes"] for v in downloading]
    assert progress == sorted(progress) and len(set(progress)) == len(progress), progress
    assert last == ("end", stored) and stored["status"] == "cancelled", (last, stored)


async def test_after_events_may_have_been_missed_the_view_is_read_again(
    world: tuple[Installation, LocalYouTube],
) -> None:
    installation, _ = world
    quiet = f"{'1' * 32}-0"
    key = download_key(installation.user_id, quiet)
    record = DownloadRecord(
        download_id=quiet, user_id=installation.user_id, title="Quiet", target_path="q.opus"
    )
    await installation.store.put("downloads", key, record)
    gateway = installation.runtimes["gateway"].app
    assert isinstance(gateway, GatewayApp) and gateway.live is not None
    reads = Reads(installation.runtimes["gateway"].context.store)
    async with (
        installation.client(timeout=30) as api,
        api.stream("GET", f"/api/v1/downloads/{quiet}/events") as stream,
    ):
        assert stream.status_code == 200
        following = events(stream)
        assert (await anext(following))[1]["status"] == "queued"
        first = reads.count
        # Changed with no event (as if published while the gateway was away from NATS).
        failed = msgspec.structs.replace(record, status="failed", reason="gone")
        await installation.store.put("downloads", key, failed)
        await asyncio.sleep(1.0)
        assert reads.count == first  # no read again: nothing told it of a change
        gateway.live.resync()  # what a reconnection to NATS does
        kind, view = await anext(following)
    assert (kind, view["status"], view["reason"]) == ("end", "failed", "gone")
    assert reads.count == first + 1


async def test_queue_retry_and_cancel_are_asked_of_the_downloader_and_made_once(
    world: tuple[Installation, LocalYouTube],
) -> None:
    """The gateway writes no download: it asks the downloader, which records the download
    queued before a worker takes it, makes a retry asked twice (two clicks) once, and
    marks a cancel; the answers and the live view show what it recorded."""
    installation, youtube = world  # nothing to find yet: the first try ends in review
    track = {"title": "Teardrop", "artists": ["Massive Attack"]}
    async with installation.client(timeout=30) as api:
        queued = await api.post("/api/v1/downloads", json={"track": track})
        assert queued.status_code == 202, queued.text
        download_id = queued.json()["download_id"]
        # Recorded by the downloader before the answer: following it starts at once.
        async with api.stream("GET", f"/api/v1/downloads/{download_id}/events") as stream:
            first = [view async for _, view in events(stream)][-1]
        assert first["status"] in ("review", "failed"), first
        make_audio(youtube.root / "teardrop-slow.flac", seconds=60)
        clicks = await asyncio.gather(
            *(api.post(f"/api/v1/downloads/{download_id}/retry") for _ in range(2))
        )
        assert [c.status_code for c in clicks].count(202) >= 1, [c.text for c in clicks]
        async with api.stream("GET", f"/api/v1/downloads/{download_id}/events") as stream:
            following = events(stream)
            async for _, view in following:
                if view["status"] == "downloading":
                    break
            cancelled = await api.post(f"/api/v1/downloads/{download_id}/cancel")
            assert cancelled.status_code == 202, cancelled.text
            last = [view async for _, view in following][-1]
        stored = await installation.store.get(
            "downloads", download_key(installation.user_id, download_id), DownloadRecord
        )
        missing = await api.post(f"/api/v1/downloads/{'2' * 32}-0/cancel")
    assert last["status"] == "cancelled", last
    assert stored is not None and stored.attempts == 2 and stored.cancel_requested
    assert len(youtube.searches) == 2, youtube.searches  # the first try and one retry
    assert missing.status_code == 404


async def test_a_missing_tracks_run_is_followed_live_to_its_report(
    nats_url: str, namespace: str, music_dir: Path
) -> None:
    """The run's stream (the web UI's modal) follows the scheduler's notices of each change
    it records, reading the run once per notice, and ends with its report."""
    library(music_dir)
    async with (
        running_installation(nats_url, namespace) as installation,
        installation.client(timeout=30) as api,
    ):
        started = await api.post(
            "/api/v1/runs/missing-tracks", json={"folder": str(music_dir), "m3u": PLAYLIST_M3U}
        )
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]
        seen = []
        async with api.stream("GET", f"/api/v1/runs/{run_id}/live") as stream:
            async for kind, view in events(stream):
                seen.append((kind, view))
                if view["run"]["status"] == "completed":
                    break  # it goes on while its missing track waits to be downloaded
        report = (await api.get(f"/api/v1/runs/{run_id}")).json()
    assert {kind for kind, _ in seen} == {"update"}
    final = seen[-1][1]
    assert final["active"] is True and final["downloads"] == []  # one to download, still
    assert final["run"]["summary"] == report["summary"] == {"total": 4, "present": 3, "missing": 1}
