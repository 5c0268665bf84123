"""The download queue on the bus: a planned track downloaded once, cancelled cleanly,
ranked by the real matcher over gRPC, fetched by the real yt-dlp from a local server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import msgspec
import mutagen
import pytest

from services.downloader.api import downloads
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
    bus = installation.bus
    await bus.publish(request("d1"))
    (done,) = await finished(installation, 1)
    assert done.status == "done", done
    expected = library / "Massive Attack" / "Massive Attack - Mezzanine" / "03 Teardrop.opus"
    assert done.path == str(expected.relative_to(library))
    assert mutagen.File(expected)["title"] == ["Teardrop"]
    store = installation.store
    record = await store.get("downloads", "local.d1", DownloadRecord)
    assert record is not None and record.status == "done" and record.percent == 100.0
    # The same request again (a redelivery): announced again, not searched or fetched again.
    await bus.publish(request("d1"))
    await asyncio.sleep(1.0)
    assert youtube.searches == ["Massive Attack - Teardrop"]
    assert [p.name for p in expected.parent.iterdir()] == ["03 Teardrop.opus"]


#: A download id as the gateway makes them (its run, the track's position).
SLOW_ID = f"{'0' * 32}-0"


async def slow_download(installation: Installation, youtube: LocalYouTube) -> int:
    """A minute of FLAC that trickles in, asked for; its size."""
    make_audio(youtube.root / "teardrop-slow.flac", seconds=60)
    slow = DownloadRequested(
        user_id=installation.user_id,
        download_id=SLOW_ID,
        item=plan((msgspec.structs.replace(TRACK, duration_ms=60_000),), (0,), "flac")[0],
    )
    await installation.bus.publish(slow)
    return (youtube.root / "teardrop-slow.flac").stat().st_size


async def test_a_cancelled_download_ends_cancelled_with_nothing_filed(
    world: tuple[Installation, LocalYouTube, Path],
) -> None:
    installation, youtube, library = world
    size = await slow_download(installation, youtube)
    async with installation.client() as api:
        # While it trickles in, its view says where from, how much of how much, how fast.
        for _ in range(400):
            view = (await api.get(f"/api/v1/downloads/{SLOW_ID}")).json()
            if view["status"] == "downloading" and view["speed_bps"] and view["downloaded_bytes"]:
                break
            await asyncio.sleep(0.05)
        assert view["source"] == "youtube", view
        assert view["source_url"] == f"{youtube.url}/teardrop-slow.flac"
        assert view["size_bytes"] == size and 0 < view["downloaded_bytes"] < size, view
        assert view["speed_bps"] > 0 and 0 < view["percent"] < 100
        cancelled = await api.post(f"/api/v1/downloads/{SLOW_ID}/cancel", json={})
        assert cancelled.status_code < 300, cancelled.text
        (ended,) = await finished(installation, 1)
        assert ended.status == "cancelled"
        # A progress report on its way when it ended does not bring the download back.
        await asyncio.sleep(1.5)
        view = (await api.get(f"/api/v1/downloads/{SLOW_ID}")).json()
    assert view["status"] == "cancelled" and view["speed_bps"] is None, view
    assert not library.exists() or not any(library.rglob("*.flac"))


async def test_a_download_resumed_after_it_filed_its_file_ends_done(
    world: tuple[Installation, LocalYouTube, Path],
) -> None:
    installation, youtube, library = world
    # An earlier delivery began, filed the file, and stopped before it could say so.
    filed = library / "Massive Attack" / "Massive Attack - Mezzanine" / "03 Teardrop.opus"
    make_audio(filed, seconds=4, title="Teardrop", artist="Massive Attack")
    store = installation.store
    begun = DownloadRecord(
        download_id="d2",
        user_id="local",
        title="Teardrop",
        target_path=str(filed.relative_to(library)),
        status="downloading",
    )
    await store.put("downloads", "local.d2", begun)
    await installation.bus.publish(request("d2"))
    (done,) = await finished(installation, 1)
    assert (done.status, done.path) == ("done", str(filed.relative_to(library)))
    assert youtube.searches == []  # nothing fetched again
    record = await store.get("downloads", "local.d2", DownloadRecord)
    assert record is not None and record.status == "done"


@pytest.mark.parametrize(
    "target_path",
    ["../Escaped/Teardrop.opus", "Massive Attack/../../Escaped/Teardrop.opus", "/tmp/x.opus"],
)
async def test_a_target_outside_the_library_writes_nothing(
    world: tuple[Installation, LocalYouTube, Path], target_path: str
) -> None:
    installation, youtube, library = world
    make_audio(youtube.root / "teardrop.opus", seconds=4)
    (item,) = plan((TRACK,), (0,), "opus")
    forged = msgspec.structs.replace(item, target_path=target_path)
    bus = installation.bus
    await bus.publish(DownloadRequested(user_id="local", download_id="d9", item=forged))
    (ended,) = await finished(installation, 1)
    assert (ended.status, ended.reason) == ("failed", "its place is outside the library")
    assert youtube.searches == []  # refused before anything was searched or fetched
    escaped = library.parent / "Escaped"
    assert not escaped.exists()


async def test_a_link_out_of_the_library_is_not_written_through(
    world: tuple[Installation, LocalYouTube, Path], tmp_path: Path
) -> None:
    installation, youtube, library = world
    make_audio(youtube.root / "teardrop.opus", seconds=4)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    library.mkdir(parents=True, exist_ok=True)
    (library / "Massive Attack").symlink_to(elsewhere)
    await installation.bus.publish(request("d10"))
    (ended,) = await finished(installation, 1)
    assert (ended.status, ended.reason) == ("failed", "its place is outside the library")
    assert list(elsewhere.rglob("*")) == []


class ManyUploads(LocalYouTube):
    """Stands in for YouTube with one upload of each track asked for (``Teardrop <n>``)."""

    async def __call__(self, query: str) -> Sequence[Source]:
        self.searches.append(query)
        title = query.split(" - ", 1)[1]
        entry = {
            "id": title.replace(" ", "-"),
            "title": title,
            "channel": "Massive Attack - Topic",
            "duration": 4,
            "url": f"{self.url}/{title.replace(' ', '-')}.opus",
        }
        return [s for s in map(source_from_entry, [entry]) if s]


async def test_every_download_ends_however_its_end_meets_its_cancel_watcher(
    nats_url: str, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download's end stops its cancel watcher, which is forever reading the download's
    record (polling without pause here, so an end always meets a read): a stop that met a
    read's answer used to be lost (Python 3.11's ``asyncio.wait_for`` keeps the answer),
    and the download stayed "downloading" for good."""
    monkeypatch.setattr(downloads, "CANCEL_POLL_S", 0.0)
    root, library = tmp_path / "www", tmp_path / "Music"
    root.mkdir()
    make_audio(root / "tone.opus", seconds=4)
    count = 24
    for n in range(count):
        (root / f"Teardrop-{n}.opus").write_bytes((root / "tone.opus").read_bytes())
    tracks = [msgspec.structs.replace(TRACK, title=f"Teardrop {n}") for n in range(count)]
    with serving_folder(root) as url:
        async with running_installation(
            nats_url,
            namespace,
            search=ManyUploads(root, url),
            library_dir=library,
            downloader_options={"concurrency": 4},
        ) as installation:
            for n, item in enumerate(plan(tracks, tuple(range(count)), "opus")):
                await installation.bus.publish(
                    DownloadRequested(user_id="local", download_id=f"many-{n}", item=item)
                )
            store = installation.store
            statuses: list[str] = []
            for _ in range(120):  # a minute: they all end within seconds
                records = [
                    await store.get("downloads", f"local.many-{n}", DownloadRecord)
                    for n in range(count)
                ]
                statuses = [r.status if r else "not yet" for r in records]
                if all(s == "done" for s in statuses):
                    break
                await asyncio.sleep(0.5)
    assert statuses == ["done"] * count, statuses
    assert len(list(library.rglob("*.opus"))) == count
