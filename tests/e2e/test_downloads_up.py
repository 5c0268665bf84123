"""Downloads through ``tunebridge up``: a local server stands in for YouTube (search answers
as an XSPF playlist, which yt-dlp's generic extractor reads; real audio made with ffmpeg).
The missing tracks of a playlist land at the right paths with the right tags; present
tracks are not downloaded again; a cancelled download leaves nothing behind; a download
matched to the Deezer catalog (its emulator) gets the release's cover, embedded and as
``cover.jpg``, its track and disc counts and its label; one matched in YouTube Music's
catalog (its emulator, asked with no account) is tagged and filed from its record."""

from __future__ import annotations

import base64
import contextlib
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import mutagen
import pytest
from litestar import Litestar
from mutagen.flac import Picture

from tests.e2e.conftest import Started, alive, descendants, ready_line
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.ytmusic import YtMusicState, ytmusic_app
from tests.support.audio import make_audio, make_picture
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def wait_for(get: Callable[[], Any], done: Callable[[Any], bool], within: float = 90) -> Any:
    deadline = time.monotonic() + within
    value = get()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.25)
        value = get()
    assert done(value), value
    return value


PLAYLIST = [
    {"title": "Hey Jude", "artists": ["The Beatles"], "duration_ms": 3000},
    {"title": "Teardrop", "artists": ["Massive Attack"], "duration_ms": 4000},
    {"title": "AUX", "artists": ["Nul"], "duration_ms": 3000},
]


@pytest.fixture
def up(
    start_up: Callable[[dict[str, str]], Started], youtube: str, music_dir: Path
) -> tuple[subprocess.Popen[str], httpx.Client]:
    """``tunebridge up``, ready, filing into ``music_dir`` what it finds on the stand-in."""
    process, url, log = start_up(
        {
            "TUNEBRIDGE_DOWNLOADER__SEARCH_URLS": f"{youtube}/search.xspf?q={{query}}",
            "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR": str(music_dir),
        }
    )
    assert process.stdout is not None
    assert "ready" in ready_line(process, log), log.read_text()[-3000:]
    api = httpx.Client(base_url=url, timeout=10)
    sign_in_sync(api)
    return process, api


def check_missing(api: httpx.Client, music_dir: Path, tracks: list[dict[str, Any]]) -> Any:
    """A missing-tracks run of ``tracks`` against ``music_dir``, once it has ended."""
    run_id = api.post(
        "/api/v1/runs/missing-tracks", json={"folder": str(music_dir), "tracks": tracks}
    ).json()["run_id"]
    return wait_for(
        lambda: api.get(f"/api/v1/runs/{run_id}").json(),
        lambda run: run.get("status") in ("completed", "failed"),
    )


def test_missing_tracks_are_downloaded_tagged_and_filed_and_not_twice(
    up: tuple[subprocess.Popen[str], httpx.Client], music_dir: Path
) -> None:
    process, api = up
    make_audio(
        music_dir / "The Beatles" / "Hey Jude.mp3",
        seconds=3,
        title="Hey Jude",
        artist="The Beatles",
    )

    run = check_missing(api, music_dir, PLAYLIST)
    assert [i["track"]["title"] for i in run["missing"]] == ["Teardrop", "AUX"]
    queued = api.post(
        f"/api/v1/runs/{run['run_id']}/downloads", json={"playlist_name": "Road trip: 2026"}
    ).json()["download_ids"]
    assert len(queued) == 2
    finished = wait_for(
        lambda: api.get("/api/v1/downloads").json(),
        lambda items: (
            len(items) == 2
            and all(i["status"] not in ("queued", "searching", "downloading") for i in items)
        ),
    )
    assert {i["status"] for i in finished} == {"done"}, finished

    teardrop = music_dir / "Massive Attack" / "Massive Attack - Teardrop" / "Teardrop.opus"
    reserved = music_dir / "_Nul" / "_Nul - _AUX" / "_AUX.m4a"  # reserved names made safe
    assert teardrop.exists() and reserved.exists(), sorted(map(str, music_dir.rglob("*")))
    tags = mutagen.File(teardrop)
    assert (tags["title"], tags["artist"]) == (["Teardrop"], ["Massive Attack"])
    assert abs(tags.info.length - 4) < 0.5  # the studio upload, not the 6-second live one
    assert mutagen.File(reserved)["\xa9nam"] == ["AUX"]
    # The playlist's M3U8 lists the track that was there and both downloads, in order.
    playlist = music_dir / "Playlists" / "admin" / "Road trip_ 2026.m3u8"  # the user's own
    m3u8 = wait_for(
        lambda: playlist.read_text() if playlist.exists() else "",
        lambda text: text.count("#EXTINF") == 3,
    )
    assert m3u8.splitlines() == [
        "#EXTM3U",
        "#EXTINF:3,The Beatles - Hey Jude",
        "../../The Beatles/Hey Jude.mp3",  # in the library: relative to it, as the others
        "#EXTINF:4,Massive Attack - Teardrop",
        "../../Massive Attack/Massive Attack - Teardrop/Teardrop.opus",
        "#EXTINF:3,Nul - AUX",
        "../../_Nul/_Nul - _AUX/_AUX.m4a",
    ]

    again = check_missing(api, music_dir, PLAYLIST)
    assert again["summary"] == {"total": 3, "present": 3, "missing": 0}
    assert api.post(f"/api/v1/runs/{again['run_id']}/downloads").json()["download_ids"] == []

    family = descendants(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    wait_for(lambda: [p for p in family if alive(p)], lambda left: not left, within=10)


def test_a_cancelled_download_stops_and_leaves_no_partial_file(
    up: tuple[subprocess.Popen[str], httpx.Client], music_dir: Path
) -> None:
    process, api = up
    song = {"title": "Slow Song", "artists": ["Drip"], "duration_ms": 60_000}
    run_id = check_missing(api, music_dir, [song])["run_id"]
    (download_id,) = api.post(f"/api/v1/runs/{run_id}/downloads").json()["download_ids"]
    wait_for(
        lambda: api.get(f"/api/v1/downloads/{download_id}").json(),
        lambda d: d["status"] == "downloading" and (d["percent"] or 0) > 0,
    )

    cancelled = api.post(f"/api/v1/downloads/{download_id}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    ended = wait_for(
        lambda: api.get(f"/api/v1/downloads/{download_id}").json(),
        lambda d: d["status"] not in ("queued", "searching", "downloading"),
        within=30,
    )

    assert ended["status"] == "cancelled", ended
    assert [p for p in music_dir.rglob("*") if p.is_file()] == []  # no partial, no staging
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


MEZZANINE = 99_100
SIDES = (
    "Angel",
    "Risingson",
    "Teardrop",
    "Inertia Creeps",
    "Exchange",
    "Dissolved Girl",
    "Man Next Door",
    "Black Milk",
    "Mezzanine",
    "Group Four",
    "(Exchange)",
)


def mezzanine(cover_url: str) -> DeezerState:
    """A Deezer whose catalogue has Mezzanine's eleven tracks (4 s each, as the stand-in's
    "Teardrop"), the album's cover served by the stand-in, and its label."""
    album = {"id": MEZZANINE, "title": "Mezzanine", "release_date": "1998-04-20"}
    album |= {key: cover_url for key in ("cover_xl", "cover_big", "cover_medium")}
    artist = {"id": 1019, "name": "Massive Attack", "type": "artist"}

    def track(track_id: int, title: str, position: int) -> dict[str, Any]:
        return {
            "id": track_id,
            "title": title,
            "title_short": title,
            "isrc": f"GBAAA98000{position:02d}",
            "duration": 4,
            "track_position": position,
            "disk_number": 1,
            "release_date": "1998-04-20",
            "explicit_lyrics": False,
            "artist": artist,
            "contributors": [artist],
            "album": album,
            "type": "track",
        }

    state = DeezerState(
        catalogue=[track(99_000 + n, title, n) for n, title in enumerate(SIDES, start=1)]
    )
    state.albums = {MEZZANINE: album | {"label": "Circa Records", "nb_tracks": 11, "type": "album"}}
    return state


@contextlib.contextmanager
def up_with(
    start_up: Callable[[dict[str, str]], Started],
    youtube: str,
    music_dir: Path,
    name: str,
    catalog: Litestar,
) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    """``tunebridge up`` whose catalog ``name`` is the emulator ``catalog`` (its covers on
    the stand-in)."""
    with serving_in_thread({name: catalog}) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_DOWNLOADER__SEARCH_URLS": f"{youtube}/search.xspf?q={{query}}",
                "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR": str(music_dir),
                f"TUNEBRIDGE_{name.upper()}__API_URL": urls[name],
                # The covers are on a loopback stand-in, which an admin must allow.
                "TUNEBRIDGE_DOWNLOADER__ALLOWED_ARTWORK_HOSTS": "127.0.0.1",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        api = httpx.Client(base_url=url, timeout=20)
        sign_in_sync(api)
        yield process, api


def teardrop_matched_in(api: httpx.Client, catalog: str) -> None:
    """A download of "Teardrop" matched to Massive Attack in ``catalog``, once it is done."""
    queued = api.post(
        "/api/v1/downloads",
        json={
            "track": {"title": "Teardrop", "artists": ["Massive Attack"], "duration_ms": 4000},
            "artist": "Massive Attack",
            "catalog": catalog,
        },
    )
    assert queued.status_code == 202, queued.text
    assert queued.json()["matched"] is True, queued.json()
    download_id = queued.json()["download_id"]
    done = wait_for(
        lambda: api.get(f"/api/v1/downloads/{download_id}").json(),
        lambda d: d["status"] not in ("queued", "searching", "downloading"),
    )
    assert done["status"] == "done", done


@pytest.fixture
def up_with_catalog(
    start_up: Callable[[dict[str, str]], Started], youtube: str, music_dir: Path, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    """``tunebridge up`` whose Deezer catalog is the emulator (its covers on the stand-in)."""
    make_picture(tmp_path / "youtube" / "covers" / "mezzanine.jpg", size=300)
    state = mezzanine(f"{youtube}/covers/mezzanine.jpg")
    with up_with(start_up, youtube, music_dir, "deezer", deezer_app(state)) as started:
        yield started


def test_a_matched_download_gets_its_releases_cover_numbering_totals_and_label(
    up_with_catalog: tuple[subprocess.Popen[str], httpx.Client], music_dir: Path, tmp_path: Path
) -> None:
    process, api = up_with_catalog
    teardrop_matched_in(api, "deezer")

    folder = music_dir / "Massive Attack" / "Massive Attack - Mezzanine"
    audio = mutagen.File(folder / "03 Teardrop.opus")
    assert audio is not None, sorted(map(str, music_dir.rglob("*")))
    cover = (tmp_path / "youtube" / "covers" / "mezzanine.jpg").read_bytes()
    (block,) = audio["metadata_block_picture"]
    picture = Picture(base64.b64decode(block))
    assert (picture.type, picture.mime, picture.data) == (3, "image/jpeg", cover)
    assert (folder / "cover.jpg").read_bytes() == cover
    assert (audio["tracknumber"], audio["tracktotal"]) == (["3"], ["11"])
    assert (audio["discnumber"], audio["disctotal"]) == (["1"], ["1"])
    assert audio["label"] == ["Circa Records"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_a_download_matched_in_youtube_musics_catalog_is_tagged_and_filed_from_it(
    start_up: Callable[[dict[str, str]], Started], youtube: str, music_dir: Path, tmp_path: Path
) -> None:
    """YouTube Music as the catalog (``"catalog": "ytmusic"``, the registry's public
    catalog: asked with no account): the matcher picks the studio recording among its
    results, and the file is tagged and filed with YouTube Music's record of it, numbered
    on its album's page."""
    make_picture(tmp_path / "youtube" / "covers" / "mezzanine.jpg", size=300)
    state = YtMusicState()
    cover = f"{youtube}/covers/mezzanine.jpg"
    for title, album, seconds in (
        ("Angel", ("Mezzanine", "MPREb_mezzanine"), 379),
        ("Teardrop (Live)", ("Live at Glastonbury", "MPREb_glasto"), 6),
        ("Risingson", ("Mezzanine", "MPREb_mezzanine"), 298),
        ("Teardrop", ("Mezzanine", "MPREb_mezzanine"), 4),
        ("Teardrop (Mad Professor Mix)", ("No Protection", "MPREb_noprotect"), 7),
    ):
        state.add_song(
            title, "Massive Attack", album=album, seconds=seconds, cover=cover, year="1998"
        )
    with up_with(start_up, youtube, music_dir, "ytmusic", ytmusic_app(state)) as (process, api):
        teardrop_matched_in(api, "ytmusic")
        asked = state.calls["search"] + state.calls["next"] + state.calls["browse"]
        assert state.calls["search"] >= 1 and state.anonymous_calls == asked  # no account

        # Its search gives no numbers: the album's page does (Teardrop is third of three).
        assert state.calls["next"] == 1 and state.calls["browse"] == 1
        folder = music_dir / "Massive Attack" / "Massive Attack - Mezzanine"
        filed = folder / "03 Teardrop.opus"
        audio = mutagen.File(filed)
        assert audio is not None, sorted(map(str, music_dir.rglob("*")))
        assert (audio["title"], audio["artist"]) == (["Teardrop"], ["Massive Attack"])
        assert audio["album"] == ["Mezzanine"]  # the studio recording, not the live one
        assert (audio["tracknumber"], audio["tracktotal"]) == (["3"], ["3"])
        assert audio["albumartist"] == ["Massive Attack"] and audio["date"] == ["1998"]
        assert abs(audio.info.length - 4) < 0.5
        (block,) = audio["metadata_block_picture"]
        picture = Picture(base64.b64decode(block))
        assert picture.data == (tmp_path / "youtube" / "covers" / "mezzanine.jpg").read_bytes()
        assert (folder / "cover.jpg").read_bytes() == picture.data
        assert list(music_dir.rglob("*.opus")) == [filed]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
