"""Album mode survives a restart of the downloader: the share and folder an album's first
track came from is kept in the downloader's store, so a track of that album downloaded
after the restart comes from that same folder, although another share now offers a
fuller one (which a downloader that forgot would take). Real services, real NATS, the
slskd emulator with real FLAC files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulators.scripted import serving
from tests.emulators.slskd import Share, SharedFile, SlskdState, downloader_options, slskd_app
from tests.support.audio import make_audio
from tests.support.installation import Installation, running_installation
from tests.support.runs import wait_for_run

pytestmark = pytest.mark.timeout(180)
FINISHED = ("done", "already_there", "review", "failed", "cancelled")
ALBUM = "Music\\Massive Attack\\Mezzanine (1998)"


def shared(files: Path, peer: str, remote: str) -> SharedFile:
    local = make_audio(files / peer / remote.replace("\\", "/"), seconds=3)
    return SharedFile(remote, local, sample_rate=44100, bit_depth=16, length=3)


@pytest.fixture
async def world(
    nats_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[tuple[SlskdState, Installation, Path]]:
    state = SlskdState(downloads_dir=tmp_path / "slskd-downloads", search_s=0.5, transfer_s=0.5)
    # At first one peer shares the album's Teardrop alone; Angel is nowhere.
    state.shares = [Share("first", [shared(tmp_path, "first", f"{ALBUM}\\03 - Teardrop.flac")])]
    library = tmp_path / "Music"
    library.mkdir()
    async with (
        serving(slskd_app(state)) as slskd,
        running_installation(
            nats_url,
            namespace,
            library_dir=library,
            downloader_options=downloader_options(slskd, state),
        ) as installation,
    ):
        yield state, installation, library


async def settled(api: httpx.AsyncClient, count: int) -> dict[str, dict[str, Any]]:
    for _ in range(600):
        items = (await api.get("/api/v1/downloads")).json()
        if len(items) == count and all(i["status"] in FINISHED for i in items):
            return {i["title"]: i for i in items}
        await asyncio.sleep(0.1)
    raise AssertionError(f"downloads did not settle: {items}")


async def test_an_albums_folder_is_kept_to_after_the_downloader_restarts(
    world: tuple[SlskdState, Installation, Path], tmp_path: Path
) -> None:
    state, installation, library = world
    assert installation.spawn is not None
    async with installation.client(timeout=10) as api:
        started = await api.post(
            "/api/v1/runs/missing-tracks",
            json={
                "folder": str(library),
                "tracks": [
                    {"title": t, "artists": ["Massive Attack"], "album": "Mezzanine"}
                    for t in ("Teardrop", "Angel")
                ],
            },
        )
        assert started.status_code == 202, started.text
        run = await wait_for_run(api, started.json()["run_id"])
        assert len(run["missing"]) == 2, run
        queued = await api.post(
            f"/api/v1/runs/{run['run_id']}/downloads", json={"album_mode": "album"}
        )
        assert queued.status_code == 202, queued.text
        first = await settled(api, 2)
        assert first["Teardrop"]["status"] == "done", first
        assert first["Teardrop"]["source_url"].startswith("slsk://first/Music/Massive Attack/")
        assert first["Angel"]["miss"] == "not_found", first

        # The downloader goes away mid-run and comes back with nothing in memory.
        old = installation.replicas["downloader"].pop()
        await old.stop()
        installation.runtimes["downloader"] = await installation.spawn("downloader")

        # Now the first peer has Angel in the same folder, and a free, fast peer the whole
        # album in a fuller folder: the album's folder is still the first peer's.
        state.shares[0].files.append(shared(tmp_path, "first", f"{ALBUM}\\05 - Angel.flac"))
        state.shares.append(
            Share(
                "fuller",
                [
                    shared(
                        tmp_path,
                        "fuller",
                        f"Shared\\Massive Attack\\Mezzanine\\0{n} - {title}.flac",
                    )
                    for n, title in ((1, "Angel"), (2, "Risingson"), (3, "Teardrop"))
                ],
                speed=10_000_000,
            )
        )
        retried = await api.post(f"/api/v1/downloads/{first['Angel']['download_id']}/retry")
        assert retried.status_code == 202, retried.text
        after = await settled(api, 2)
        angel = after["Angel"]
        assert angel["status"] == "done", angel
        assert angel["source_url"].startswith("slsk://first/Music/Massive Attack/"), angel
        assert (library / angel["path"]).is_file()
