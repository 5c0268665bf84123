"""Quality profiles through the API and the real services: a profile's wait
(``lower_after_s``) and lossy copy are stored, checked (a bad one is a 400 that stores
nothing) and honoured by the downloader: a run's download looks only for FLAC until the
wait is over and then takes the MP3 320 there was; a FLAC download leaves its MP3 copy in
the copies folder. The slskd emulator, real files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import mutagen
import pytest

from tests.emulators.scripted import serving
from tests.emulators.slskd import Share, SharedFile, SlskdState, downloader_options, slskd_app
from tests.support.audio import make_audio
from tests.support.installation import running_installation
from tests.support.runs import wait_for_run

pytestmark = pytest.mark.timeout(180)
FINISHED = ("done", "already_there", "review", "failed", "cancelled")


def shared(files: Path, remote: str, **figures: int) -> SharedFile:
    local = make_audio(files / remote.replace("\\", "/"), seconds=3)
    return SharedFile(remote, local, length=3, **figures)


@pytest.fixture
async def world(
    nats_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Path, Path]]:
    state = SlskdState(downloads_dir=tmp_path / "slskd-downloads", search_s=0.3, transfer_s=0.3)
    files = tmp_path / "shares"
    state.shares = [
        Share(
            "peer",
            [
                shared(files, "Music\\Massive Attack - Angel.mp3", bitrate=320),
                shared(files, "Music\\Portishead\\Dummy\\03 - Sour Times.flac", sample_rate=44100),
            ],
        )
    ]
    library, copies = tmp_path / "Music", tmp_path / "Lossy"
    library.mkdir()
    async with (
        serving(slskd_app(state)) as slskd,
        running_installation(
            nats_url,
            namespace,
            library_dir=library,
            downloader_options={
                **downloader_options(slskd, state),
                "lossy_copies_dir": str(copies),
            },
        ) as installation,
        installation.client(timeout=10) as api,
    ):
        yield api, library, copies


async def downloads(api: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    return {i["title"]: i for i in (await api.get("/api/v1/downloads")).json()}


async def test_a_profiles_wait_and_lossy_copy_are_kept_and_honoured(
    world: tuple[httpx.AsyncClient, Path, Path],
) -> None:
    api, library, copies = world
    profile = {
        "name": "FLAC, MP3 320 after a wait",
        "targets": ["flac", "mp3:320"],
        "lower_after_s": 8,
        "lossy_copy": "mp3:192",
    }
    saved = await api.put("/api/v1/quality-profiles", json=profile)
    assert saved.status_code == 200, saved.text
    for bad in ({"lower_after_s": -1}, {"lossy_copy": "flac"}, {"lower_after_s": "soon"}):
        refused = await api.put("/api/v1/quality-profiles", json={**profile, "name": "x", **bad})
        assert refused.status_code == 400, refused.text
    listed = (await api.get("/api/v1/quality-profiles")).json()
    assert [(p["name"], p["lower_after_s"], p["lossy_copy"]) for p in listed] == [
        ("FLAC, MP3 320 after a wait", 8, "mp3:192")
    ]

    started = await api.post(
        "/api/v1/runs/missing-tracks",
        json={
            "folder": str(library),
            "tracks": [
                {"title": "Angel", "artists": ["Massive Attack"]},
                {"title": "Sour Times", "artists": ["Portishead"], "album": "Dummy"},
            ],
        },
    )
    assert started.status_code == 202, started.text
    run = await wait_for_run(api, started.json()["run_id"])
    queued = await api.post(
        f"/api/v1/runs/{run['run_id']}/downloads", json={"profile": profile["name"]}
    )
    assert queued.status_code == 202, queued.text

    # The FLAC is there: taken at once, with its MP3 copy. Angel is only an MP3 320: still
    # looked for as FLAC while the wait lasts.
    for _ in range(300):
        items = await downloads(api)
        if items.get("Sour Times", {}).get("status") in FINISHED:
            break
        await asyncio.sleep(0.1)
    sour = items["Sour Times"]
    assert sour["status"] == "done" and sour["path"].endswith(".flac"), sour
    assert items["Angel"]["status"] == "searching", items["Angel"]
    copy = copies / Path(sour["path"]).with_suffix(".mp3")
    assert mutagen.File(copy, easy=True)["title"] == ["Sour Times"]

    for _ in range(300):
        angel = (await downloads(api))["Angel"]
        if angel["status"] in FINISHED:
            break
        await asyncio.sleep(0.1)
    assert angel["status"] == "done" and angel["path"].endswith(".mp3"), angel
    assert not list(copies.rglob("*Angel*"))  # lossy already: no copy
