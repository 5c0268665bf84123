"""A person's search over the download sources, through the gateway and the downloader's
gRPC API: Soulseek (the slskd emulator sharing real FLAC files in an album folder) and
YouTube (a local stand-in serving a real upload); a result picked is downloaded as it is,
or matched to an artist and filed by Deezer's record (the emulator); a source that cannot
be reached is said, beside the results of the others."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import mutagen
import pytest

from services.connectors.adapters.deezer import DeezerSettings
from services.connectors.registry import ProviderSettings
from services.downloader.domain.sources import Source, source_from_entry
from services.kernel.store import Store
from tests.emulators.deezer import DeezerState, deezer_app, recorded_tracks
from tests.emulators.scripted import serving
from tests.emulators.slskd import API_KEY, Share, SharedFile, SlskdState, slskd_app
from tests.support.audio import make_audio
from tests.support.files import serving_folder
from tests.support.installation import running_installation

pytestmark = pytest.mark.timeout(180)
FINISHED = ("done", "already_there", "review", "failed", "cancelled")
ALBUM = "Music\\Massive Attack\\Mezzanine (1998)"


def catalogue() -> list[dict[str, Any]]:
    """Deezer's recorded tracks, Mezzanine's two made as long as the shared files and given
    their album numbering (the recorded listings leave it out)."""
    tracks = copy.deepcopy(recorded_tracks())
    numbers = {"Angel": 1, "Teardrop": 3}
    for track in tracks:
        if track["title"] in numbers:
            track.update(duration=4, track_position=numbers[track["title"]], disk_number=1)
    return tracks


def shares(files: Path) -> list[Share]:
    def shared(remote: str) -> SharedFile:
        local = make_audio(files / remote.replace("\\", "/"), seconds=4)
        return SharedFile(remote, local, length=4, sample_rate=44100, bit_depth=16)

    return [
        Share(
            "flac-peer",
            [shared(f"{ALBUM}\\01 - Angel.flac"), shared(f"{ALBUM}\\03 - Teardrop.flac")],
        )
    ]


class Uploads:
    """YouTube as far as this test needs it: one fan upload of Teardrop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.searched: list[str] = []  # every query it was asked

    async def __call__(self, query: str) -> Sequence[Source]:
        self.searched.append(query)
        if "teardrop" not in query.casefold():
            return []
        entry = {
            "id": "fan",
            "title": "Massive Attack - Teardrop (fan upload)",
            "channel": "Some Fan",
            "duration": 4,
            "url": f"{self.url}/fan.opus",
        }
        return [s for s in [source_from_entry(entry)] if s]


@contextlib.asynccontextmanager
async def world(
    nats_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Path, Any]]:
    """The API, the library, and a context that takes slskd away."""
    async with whole_world(nats_url, namespace, tmp_path) as w:
        yield w.api, w.library, w.slskd


@dataclass
class World:
    api: httpx.AsyncClient
    library: Path
    slskd: contextlib.AsyncExitStack  # closing it takes slskd away
    youtube: Uploads
    store: Store  # the installation's (to forget a kept search, as its hour would)


@contextlib.asynccontextmanager
async def whole_world(nats_url: str, namespace: str, tmp_path: Path) -> AsyncIterator[World]:
    make_audio(tmp_path / "www" / "fan.opus", seconds=4)
    state = SlskdState(downloads_dir=tmp_path / "slskd-downloads", search_s=0.5, transfer_s=0.3)
    state.shares = shares(tmp_path / "shares")
    library = tmp_path / "Music"
    slskd = contextlib.AsyncExitStack()
    with serving_folder(tmp_path / "www") as media:
        uploads = Uploads(media)
        async with serving(deezer_app(DeezerState(catalogue=catalogue()))) as deezer_url:
            slskd_url = await slskd.enter_async_context(serving(slskd_app(state)))
            async with (
                running_installation(
                    nats_url,
                    namespace,
                    providers=ProviderSettings(deezer=DeezerSettings(api_url=deezer_url)),
                    search=uploads,
                    library_dir=library,
                    downloader_options={
                        "sources": ("soulseek", "youtube"),
                        "slskd_url": slskd_url,
                        "slskd_api_key": API_KEY,
                        "slskd_downloads_dir": str(state.downloads_dir),
                        "allowed_slskd_hosts": ("127.0.0.1",),
                        "slskd_search_s": 2.0,
                    },
                ) as installation,
                installation.client(timeout=60) as api,
            ):
                yield World(api, library, slskd, uploads, installation.store)
            await slskd.aclose()


async def finished(api: httpx.AsyncClient, download_id: str) -> dict[str, Any]:
    for _ in range(600):
        download: dict[str, Any] = (await api.get(f"/api/v1/downloads/{download_id}")).json()
        if download["status"] in FINISHED:
            return download
        await asyncio.sleep(0.1)
    raise AssertionError(f"download {download_id} did not finish: {download}")


async def test_a_search_finds_each_sources_results_and_a_picked_one_is_downloaded(
    nats_url: str, namespace: str, tmp_path: Path
) -> None:
    async with world(nats_url, namespace, tmp_path) as (api, library, slskd):
        answer = await api.post("/api/v1/downloads/search", json={"query": "Teardrop"})
        assert answer.status_code == 200, answer.text
        found = answer.json()
        assert found["sources"] == ["soulseek", "youtube"] and found["unavailable"] == []
        by_source = {r["source"]: r for r in found["results"]}
        shared, upload = by_source["soulseek"], by_source["youtube"]
        # What a person chooses by: title, who has it, length, quality, and its folder.
        assert (shared["title"], shared["uploader"], shared["quality"]) == (
            "03 - Teardrop",
            "flac-peer",
            "FLAC",
        )
        assert shared["lossless"] and shared["folder"].endswith("Mezzanine (1998)")
        assert shared["duration_ms"] == 4000 and shared["size_bytes"] > 0
        assert (upload["title"], upload["uploader"], upload["source_name"]) == (
            "Massive Attack - Teardrop (fan upload)",
            "Some Fan",
            "YouTube",
        )

        def pick(result: dict[str, Any]) -> dict[str, Any]:
            return {"search_id": found["search_id"], "index": result["index"]}

        # A plain download of the fan upload: saved as it is, under its own title.
        plain = await api.post(
            "/api/v1/downloads", json={"track": {"title": upload["title"]}, "pick": pick(upload)}
        )
        # A matched download of the shared FLAC: Deezer's record names and files it.
        matched = await api.post(
            "/api/v1/downloads",
            json={
                "track": {"title": shared["track_title"], "artists": shared["artists"]},
                "artist": "Massive Attack",
                "catalog": "deezer",
                "pick": pick(shared),
            },
        )
        # A result of no kept search: the download says so, nothing is fetched.
        stale = await api.post(
            "/api/v1/downloads",
            json={"track": {"title": "Teardrop"}, "pick": {"search_id": "0" * 32, "index": 0}},
        )
        assert plain.status_code == matched.status_code == stale.status_code == 202
        plain_done = await finished(api, plain.json()["download_id"])
        matched_done = await finished(api, matched.json()["download_id"])
        stale_done = await finished(api, stale.json()["download_id"])

        # slskd gone: its absence is said, YouTube's results are still there.
        await slskd.aclose()
        without = (await api.post("/api/v1/downloads/search", json={"query": "Teardrop"})).json()
        empty = await api.post("/api/v1/downloads/search", json={"query": "   "})

    assert plain_done["status"] == "done", plain_done
    assert plain_done["place"] == "downloads" and plain_done["source"] == "youtube"
    assert plain_done["path"] == "Massive Attack - Teardrop (fan upload).opus"
    assert matched_done["status"] == "done", matched_done
    assert matched_done["source"] == "soulseek"
    filed = library / matched_done["path"]
    assert filed.suffix == ".flac" and "Mezzanine" in str(filed.parent)
    tags = mutagen.File(filed)
    assert tags["title"] == ["Teardrop"] and tags["album"] == ["Mezzanine"]
    assert stale_done["status"] == "failed"
    assert stale_done["reason"].startswith("the search result picked for it is no longer kept")
    assert without["unavailable"] == [
        {"source": "soulseek", "reason": "Soulseek could not be reached"}
    ]
    assert [r["source"] for r in without["results"]] == ["youtube"]
    assert empty.status_code == 400


async def test_a_picked_download_tried_again_fetches_the_same_result_until_it_is_forgotten(
    nats_url: str, namespace: str, tmp_path: Path
) -> None:
    upload_file = tmp_path / "www" / "fan.opus"
    async with whole_world(nats_url, namespace, tmp_path) as w:
        found = (await w.api.post("/api/v1/downloads/search", json={"query": "Teardrop"})).json()
        (upload,) = [r for r in found["results"] if r["source"] == "youtube"]
        pick = {"search_id": found["search_id"], "index": upload["index"]}
        # The upload is away for a moment: the download of it fails.
        upload_file.unlink()
        queued = await w.api.post(
            "/api/v1/downloads", json={"track": {"title": upload["title"]}, "pick": pick}
        )
        download_id = queued.json()["download_id"]
        first = await finished(w.api, download_id)
        searched = list(w.youtube.searched)

        # Back, and tried again: the same upload is fetched, and YouTube not searched afresh.
        make_audio(upload_file, seconds=4)
        retried = await w.api.post(f"/api/v1/downloads/{download_id}/retry")
        assert retried.status_code == 202, retried.text
        again = await finished(w.api, download_id)
        assert w.youtube.searched == searched

        # The search forgotten (as its hour would have it): a try again says so.
        upload_file.unlink()
        queued = await w.api.post(
            "/api/v1/downloads", json={"track": {"title": upload["title"]}, "pick": pick}
        )
        other = queued.json()["download_id"]
        assert (await finished(w.api, other))["status"] == "failed"
        for key in await w.store.keys("audio_searches", f"*.{found['search_id']}"):
            await w.store.delete("audio_searches", key)
        make_audio(upload_file, seconds=4)
        assert (await w.api.post(f"/api/v1/downloads/{other}/retry")).status_code == 202
        gone = await finished(w.api, other)

    assert first["status"] == "failed", first
    assert again["status"] == "done", again
    assert again["source"] == "youtube"
    assert again["path"] == "Massive Attack - Teardrop (fan upload).opus"
    assert gone["status"] == "failed", gone
    assert gone["reason"] == (
        "the search result picked for it is no longer kept: search again and pick it, "
        "or try it again with a search of your own"
    )
