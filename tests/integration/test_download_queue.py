"""The download queue on the bus: a planned track downloaded once, cancelled cleanly,
ranked by the real matcher over gRPC, fetched by the real yt-dlp from a local server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import msgspec
import mutagen
import pytest

from services.downloader.domain.planning import plan
from services.downloader.domain.sources import Source, source_from_entry
from services.kernel.bus import jetstream
from services.kernel.contracts import DownloadFinished, DownloadRequested, Track
from services.kernel.records import DownloadRecord
from tests.support.audio import make_audio
from tests.support.files import TricklingHandler, serving_folder
from tests.support.installation import Installation, running_installation

pytestmark = pytest.mark.timeout(120)
TRACK = Track(
    title="Teardrop",
    artists=("Massive Attack",),
    album="Mezzanine",
    track_number=3,
    duration_ms=4000,
)


class LocalYouTube:
    """Stands in for YouTube: search results in yt-dlp's shape, media on a local server."""

    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url
        self.searches: list[str] = []

    async def __call__(self, query: str) -> Sequence[Source]:
        self.searches.append(query)
        entries = [
            {
                "id": p.stem,
                "title": "Teardrop",
                "channel": "Massive Attack - Topic",
                "duration": 4 if "slow" not in p.name else 60,
                "url": f"{self.url}/{p.name}",
            }
            for p in sorted(self.root.iterdir())
        ]
        return [s for s in map(source_from_entry, entries) if s]


@pytest.fixture
async def world(
    nats_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[tuple[Installation, LocalYouTube, Path]]:
    root = tmp_path / "www"
    library = tmp_path / "Music"
    with serving_folder(root, TricklingHandler) as url:
        youtube = LocalYouTube(root, url)
        async with running_installation(
            nats_url, namespace, search=youtube, library_dir=library
        ) as installation:
            yield installation, youtube, library


async def finished(installation: Installation, count: int) -> list[DownloadFinished]:
    ctx = installation.runtimes["scheduler"].context
    subscription = await jetstream(ctx.bus.broker).pull_subscribe(
        ctx.topology.subject(DownloadFinished), stream=ctx.topology.stream_for(DownloadFinished)
    )
    found: list[DownloadFinished] = []
    while len(found) < count:
        for message in await subscription.fetch(count - len(found), timeout=60):
            found.append(msgspec.json.decode(message.data, type=DownloadFinished))
    return found


def request(download_id: str) -> DownloadRequested:
    (item,) = plan((TRACK,), (0,), "opus")
    return DownloadRequested(user_id="local", download_id=download_id, item=item)


async def test_a_download_is_done_once_and_recorded(
    world: tuple[Installation, LocalYouTube, Path],
) -> None:
    installation, youtube, library = world
    make_audio(youtube.root / "teardrop.opus", seconds=4)
    bus = installation.runtimes["scheduler"].context.bus
    await bus.publish(request("d1"))
    (done,) = await finished(installation, 1)
    assert done.status == "done", done
    expected = library / "Massive Attack" / "Massive Attack - Mezzanine" / "03 Teardrop.opus"
    assert done.path == str(expected.relative_to(library))
    assert mutagen.File(expected)["title"] == ["Teardrop"]
    store = installation.runtimes["scheduler"].context.store
    record = await store.get("downloads", "local.d1", DownloadRecord)
    assert record is not None and record.status == "done" and record.percent == 100.0
    # The same request again (a redelivery): announced again, not searched or fetched again.
    await bus.publish(request("d1"))
    await asyncio.sleep(1.0)
    assert youtube.searches == ["Massive Attack - Teardrop"]
    assert [p.name for p in expected.parent.iterdir()] == ["03 Teardrop.opus"]


async def test_a_cancelled_download_ends_cancelled_with_nothing_filed(
    world: tuple[Installation, LocalYouTube, Path],
) -> None:
    installation, youtube, library = world
    make_audio(youtube.root / "teardrop-slow.flac", seconds=60)
    store = installation.runtimes["scheduler"].context.store
    slow = DownloadRequested(
        user_id="local",
        download_id="d2",
        item=plan((msgspec.structs.replace(TRACK, duration_ms=60_000),), (0,), "flac")[0],
    )
    await installation.runtimes["scheduler"].context.bus.publish(slow)
    for _ in range(200):
        record = await store.get("downloads", "local.d2", DownloadRecord)
        if record is not None and record.status == "downloading":
            break
        await asyncio.sleep(0.05)
    await store.update(
        "downloads",
        "local.d2",
        DownloadRecord,
        lambda r: msgspec.structs.replace(r, cancel_requested=True),
    )
    (ended,) = await finished(installation, 1)
    assert ended.status == "cancelled"
    assert not library.exists() or not any(library.rglob("*.flac"))


async def test_a_download_resumed_after_it_filed_its_file_ends_done(
    world: tuple[Installation, LocalYouTube, Path],
) -> None:
    installation, youtube, library = world
    # An earlier delivery began, filed the file, and stopped before it could say so.
    filed = library / "Massive Attack" / "Massive Attack - Mezzanine" / "03 Teardrop.opus"
    make_audio(filed, seconds=4, title="Teardrop", artist="Massive Attack")
    store = installation.runtimes["scheduler"].context.store
    begun = DownloadRecord(
        download_id="d2",
        user_id="local",
        title="Teardrop",
        target_path=str(filed.relative_to(library)),
        status="downloading",
    )
    await store.put("downloads", "local.d2", begun)
    await installation.runtimes["scheduler"].context.bus.publish(request("d2"))
    (done,) = await finished(installation, 1)
    assert (done.status, done.path) == ("done", str(filed.relative_to(library)))
    assert youtube.searches == []  # nothing fetched again
    record = await store.get("downloads", "local.d2", DownloadRecord)
    assert record is not None and record.status == "done"
