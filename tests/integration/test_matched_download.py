"""A matched download: one track, an artist chosen for it, the catalog's record of that
artist's track as what the file is tagged and filed with (real gateway, connectors with the
Deezer emulator as the catalog, real matcher over gRPC, real yt-dlp from a local server)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import mutagen
import pytest

from services.downloader.domain.sources import Source, source_from_entry
from tests.emulators.deezer import DeezerState, recorded_tracks
from tests.support.audio import make_audio
from tests.support.files import serving_folder
from tests.support.installation import Installation, installation_with_deezer

pytestmark = pytest.mark.timeout(120)


SONG = "Harder Better Faster Stronger"


#: Album numbering for two recorded ÷ tracks (their listings leave it out).
DIVIDE = {"Castle on the Hill": 2, "Shape of You": 4}
#: What "YouTube" has: official uploads, by title: file and channel.
UPLOADS = {
    SONG: ("hbfs.opus", "Daft Punk - Topic"),
    "Castle on the Hill": ("castle.opus", "Ed Sheeran - Topic"),
    "Shape of You": ("shape.opus", "Ed Sheeran - Topic"),
}


def catalogue() -> list[dict[str, Any]]:
    """Deezer's recorded tracks, the ones uploaded here made 4 seconds long to keep audio
    small, and the two ÷ tracks given their album numbering."""
    tracks = copy.deepcopy(recorded_tracks())
    for track in tracks:
        if track["title"] in UPLOADS:
            track["duration"] = 4
        if track["title"] in DIVIDE:
            track.update(track_position=DIVIDE[track["title"]], disk_number=1)
    return tracks


class Uploads:
    """YouTube as far as this test needs it: one official upload per song searched for."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def __call__(self, query: str) -> Sequence[Source]:
        entries = [
            {
                "id": name,
                "title": title,
                "channel": channel,
                "duration": 4,
                "url": f"{self.url}/{name}",
            }
            for title, (name, channel) in UPLOADS.items()
            if title.casefold() in query.casefold()
        ]
        return [s for s in map(source_from_entry, entries) if s]


@pytest.fixture
def media(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    for name, _ in UPLOADS.values():
        make_audio(root / name, seconds=4)
    with serving_folder(root) as url:
        yield url


@pytest.fixture
async def world(
    nats_url: str, namespace: str, media: str, tmp_path: Path
) -> AsyncIterator[tuple[Installation, Path]]:
    library = tmp_path / "Music"
    async with installation_with_deezer(
        nats_url,
        namespace,
        DeezerState(catalogue=catalogue()),
        search=Uploads(media),
        library_dir=library,
    ) as installation:
        yield installation, library


async def finished(api: httpx.AsyncClient, download_id: str) -> dict[str, Any]:
    for _ in range(600):
        download: dict[str, Any] = (await api.get(f"/api/v1/downloads/{download_id}")).json()
        if download["status"] not in ("queued", "searching", "downloading", "tagging"):
            return download
        await asyncio.sleep(0.1)
    raise AssertionError(f"download {download_id} did not finish: {download}")


async def test_the_chosen_artists_catalog_record_names_tags_and_files_the_track(
    world: tuple[Installation, Path],
) -> None:
    installation, library = world
    # As the track came from a video: the uploader as artist, the title as typed.
    upload = {"title": SONG, "artists": ["DaftPunkVEVO"]}
    async with installation.client(timeout=10) as api:
        queued = await api.post("/api/v1/downloads", json={"track": upload, "artist": "Daft Punk"})
        assert queued.status_code == 202, queued.text
        answer = queued.json()
        download = await finished(api, answer["download_id"])

    assert answer["matched"] is True
    matched = answer["track"]
    assert (matched["title"], matched["album"], matched["track_number"]) == (SONG, "Discovery", 4)
    assert download["status"] == "done", download
    filed = library / download["path"]
    assert filed.parts[-3:] == ("Daft Punk", "Daft Punk - Discovery", f"04 {SONG}.opus"), filed
    tags = mutagen.File(filed)
    assert (tags["title"], tags["artist"], tags["album"], tags["tracknumber"]) == (
        [SONG],
        ["Daft Punk"],
        ["Discovery"],
        ["4"],
    )


async def test_an_artist_the_catalog_does_not_know_keeps_the_tracks_own_metadata(
    world: tuple[Installation, Path],
) -> None:
    installation, _ = world
    upload = {"title": "The Joke", "artists": ["someone"], "duration_ms": 4000}
    async with installation.client(timeout=10) as api:
        queued = await api.post(
            "/api/v1/downloads", json={"track": upload, "artist": "Nobody Known"}
        )
        bad_format = await api.post(
            "/api/v1/downloads", json={"track": upload, "audio_format": "wav"}
        )
        no_title = await api.post("/api/v1/downloads", json={"track": {"title": " "}})
        listed = (await api.get("/api/v1/downloads")).json()

    assert queued.status_code == 202, queued.text
    answer = queued.json()
    assert answer["matched"] is False
    assert (answer["track"]["title"], answer["track"]["artists"]) == ("The Joke", ["Nobody Known"])
    assert bad_format.status_code == 400 and "audio_format" in bad_format.text
    assert no_title.status_code == 400 and "title" in no_title.text
    assert [d["download_id"] for d in listed] == [answer["download_id"]]  # nothing else queued


async def test_with_no_artist_chosen_the_upload_is_saved_as_it_is_in_the_downloads_folder(
    world: tuple[Installation, Path],
) -> None:
    installation, library = world
    async with installation.client(timeout=10) as api:
        queued = await api.post(
            "/api/v1/downloads", json={"track": {"title": SONG, "artists": ["Daft Punk"]}}
        )
        assert queued.status_code == 202, queued.text
        assert queued.json()["plain"] is True and queued.json()["matched"] is False
        events = "/api/v1/downloads/{}/events".format(queued.json()["download_id"])
        async with api.stream("GET", events) as stream:
            lines = [line async for line in stream.aiter_lines() if line]
        assert lines[-2] == "event: end" and '"status":"done"' in lines[-1], lines
        download = await finished(api, queued.json()["download_id"])
    assert download["status"] == "done" and download["place"] == "downloads", download
    saved = library.parent / "Downloads" / download["path"]
    assert saved.name == f"{SONG}.opus" and saved.is_file()
    assert "title" not in (mutagen.File(saved).tags or {})  # untouched: no tags written
    assert not [p for p in library.rglob("*") if p.is_file()]  # the library is not touched


async def test_a_matched_album_download_files_every_track_in_one_album_folder(
    world: tuple[Installation, Path],
) -> None:
    installation, library = world
    tracks = [{"title": title, "artists": ["ed sheeran vevo"]} for title in DIVIDE]
    async with installation.client(timeout=10) as api:
        queued = await api.post(
            "/api/v1/downloads/album", json={"tracks": tracks, "artist": "Ed Sheeran"}
        )
        assert queued.status_code == 202, queued.text
        answers = queued.json()
        assert [a["matched"] for a in answers] == [True, True]
        downloads = [await finished(api, a["download_id"]) for a in answers]
        empty = await api.post("/api/v1/downloads/album", json={"tracks": []})
        untitled = await api.post(
            "/api/v1/downloads/album", json={"tracks": [{"title": "ok"}, {"title": " "}]}
        )
    assert empty.status_code == 400 and untitled.status_code == 400
    assert [d["status"] for d in downloads] == ["done", "done"], downloads
    folders = {(library / d["path"]).parent for d in downloads}
    (folder,) = folders
    assert folder.relative_to(library).parts == ("Ed Sheeran", "Ed Sheeran - ÷ (Deluxe)")
    assert sorted(p.name for p in folder.glob("*.opus")) == [
        "02 Castle on the Hill.opus",
        "04 Shape of You.opus",
    ]


async def test_a_download_that_found_nothing_can_be_retried_once_it_can_be_found(
    world: tuple[Installation, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    installation, library = world
    async with installation.client(timeout=10) as api:
        queued = await api.post(
            "/api/v1/downloads",
            json={"track": {"title": "Teardrop", "artists": ["Massive Attack"]}},
        )
        download_id = queued.json()["download_id"]
        first = await finished(api, download_id)
        assert first["status"] == "review" and first["reason"] == "no source found", first
        monkeypatch.setitem(UPLOADS, "Teardrop", ("hbfs.opus", "Massive Attack - Topic"))
        retried = await api.post(f"/api/v1/downloads/{download_id}/retry")
        assert retried.status_code == 202, retried.text
        assert retried.json()["status"] in ("queued", "searching"), retried.text  # tried again
        second = await finished(api, download_id)
        again = await api.post(f"/api/v1/downloads/{download_id}/retry")
    assert second["status"] == "done", second
    assert (library.parent / "Downloads" / "Teardrop.opus").is_file()
    assert again.status_code == 409  # a finished download is not fetched twice
