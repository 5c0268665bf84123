"""Downloads through ``tunebridge up``: a local server stands in for YouTube (search answers
as an XSPF playlist, which yt-dlp's generic extractor reads; real audio made with ffmpeg).
The missing tracks of a playlist land at the right paths with the right tags; present
tracks are not downloaded again; a cancelled download leaves nothing behind."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import mutagen
import pytest

from tests.e2e.conftest import Started, alive, descendants, ready_line
from tests.support.audio import make_audio
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
    playlist = music_dir / "Playlists" / "Road trip_ 2026.m3u8"
    m3u8 = wait_for(
        lambda: playlist.read_text() if playlist.exists() else "",
        lambda text: text.count("#EXTINF") == 3,
    )
    assert m3u8.splitlines() == [
        "#EXTM3U",
        "#EXTINF:3,The Beatles - Hey Jude",
        str(music_dir / "The Beatles" / "Hey Jude.mp3"),
        "#EXTINF:4,Massive Attack - Teardrop",
        "../Massive Attack/Massive Attack - Teardrop/Teardrop.opus",
        "#EXTINF:3,Nul - AUX",
        "../_Nul/_Nul - _AUX/_AUX.m4a",
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
