"""Filling gaps from more than YouTube, through ``tunebridge up``: Soulseek (the slskd
emulator, real FLAC and MP3 files) first, YouTube (the local stand-in) after, a run's
downloads held to the profile "FLAC, else MP3 320"; every miss listed with its reason and
retried: the group of quality misses with a profile that allows lossy audio, one track with
an edited query that finds what the first queries missed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import mutagen
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Started, ready_line
from tests.e2e.test_downloads_up import check_missing, wait_for
from tests.emulators.slskd import API_KEY, Share, SharedFile, SlskdState, slskd_app
from tests.support.audio import make_audio
from tests.support.browser import chromium
from tests.support.threaded import serving_in_thread
from tests.support.users import ADMIN, sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PLAYLIST = [
    {"title": "Teardrop", "artists": ["Massive Attack"], "duration_ms": 4000},  # FLAC there
    {"title": "Angel", "artists": ["Massive Attack"], "duration_ms": 3000},  # only MP3 320
    {"title": "AUX", "artists": ["Nul"], "duration_ms": 3000},  # only on YouTube
    # Shared as plain "Black Milk": the title's remaster note hides it from both queries.
    {"title": "Black Milk (Remastered 2019)", "artists": ["Massive Attack"], "duration_ms": 3000},
]
FINISHED = ("done", "already_there", "review", "failed", "cancelled")


def shares(files: Path) -> list[Share]:
    def shared(remote: str, seconds: int, **figures: int) -> SharedFile:
        name = remote.replace("\\", "/")
        local = make_audio(files / name, seconds=seconds)
        return SharedFile(remote, local, length=seconds, **figures)

    album = "Music\\Massive Attack\\Mezzanine (1998)"
    return [
        Share(
            "mp3-peer",
            [
                shared("mp3\\Massive Attack - Teardrop.mp3", 4, bitrate=320),
                shared("mp3\\Massive Attack - Angel.mp3", 3, bitrate=320),
            ],
        ),
        Share(
            "flac-peer",
            [
                shared(f"{album}\\03 - Teardrop.flac", 4, sample_rate=44100, bit_depth=16),
                shared(f"{album}\\05 - Black Milk.flac", 3, sample_rate=44100, bit_depth=16),
            ],
            delay_s=0.3,
            queue_length=1,
        ),
    ]


@pytest.fixture
def world(
    start_up: Callable[[dict[str, str]], Started], youtube: str, music_dir: Path, tmp_path: Path
) -> Iterator[tuple[SlskdState, httpx.Client]]:
    state = SlskdState(downloads_dir=tmp_path / "slskd-downloads", search_s=0.8, transfer_s=0.8)
    state.shares = shares(tmp_path / "shares")
    with serving_in_thread({"slskd": slskd_app(state)}) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_DOWNLOADER__SEARCH_URLS": f"{youtube}/search.xspf?q={{query}}",
                "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR": str(music_dir),
                "TUNEBRIDGE_DOWNLOADER__SOURCES": "soulseek,youtube",
                "TUNEBRIDGE_DOWNLOADER__SLSKD_URL": urls["slskd"],
                "TUNEBRIDGE_DOWNLOADER__SLSKD_API_KEY": API_KEY,
                "TUNEBRIDGE_DOWNLOADER__SLSKD_DOWNLOADS_DIR": str(state.downloads_dir),
                "TUNEBRIDGE_DOWNLOADER__ALLOWED_SLSKD_HOSTS": "127.0.0.1",
                "TUNEBRIDGE_DOWNLOADER__SLSKD_SEARCH_S": "2",
                "TUNEBRIDGE_DOWNLOADER__LOSSY_COPIES_DIR": str(tmp_path / "Lossy"),
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        api = httpx.Client(base_url=url, timeout=10)
        sign_in_sync(api)
        yield state, api


def settled(api: httpx.Client, count: int) -> list[dict[str, Any]]:
    return wait_for(  # type: ignore[no-any-return]
        lambda: api.get("/api/v1/downloads").json(),
        lambda items: len(items) == count and all(i["status"] in FINISHED for i in items),
    )


def by_title(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["title"]: i for i in items}


def test_flac_else_mp3_320_from_soulseek_youtube_only_when_allowed_and_misses_retried(
    world: tuple[SlskdState, httpx.Client], music_dir: Path, tmp_path: Path
) -> None:
    state, api = world
    for name, targets, copy in (
        ("FLAC, else MP3 320", ["flac", "mp3:320"], "mp3:192"),  # and an MP3 of each FLAC
        ("Anything", ["flac", "mp3:320", "any"], None),
    ):
        saved = api.put(
            "/api/v1/quality-profiles", json={"name": name, "targets": targets, "lossy_copy": copy}
        )
        assert saved.status_code == 200, saved.text
    bad = api.put("/api/v1/quality-profiles", json={"name": "x", "targets": ["mp3:loud"]})
    assert bad.status_code == 400
    unknown = api.post(
        "/api/v1/runs/0123456789abcdef0123456789abcdef/downloads", json={"profile": "Nope"}
    )
    assert unknown.status_code == 400 and "Nope" in unknown.text, unknown.text

    run = check_missing(api, music_dir, PLAYLIST)
    assert len(run["missing"]) == 4
    queued = api.post(
        f"/api/v1/runs/{run['run_id']}/downloads", json={"profile": "FLAC, else MP3 320"}
    )
    assert queued.status_code == 202, queued.text
    items = by_title(settled(api, 4))

    teardrop, angel = items["Teardrop"], items["Angel"]
    assert teardrop["status"] == "done" and teardrop["path"].endswith(".flac"), teardrop
    assert teardrop["source_url"].startswith("slsk://flac-peer/")
    assert angel["status"] == "done" and angel["path"].endswith(".mp3"), angel
    assert angel["profile"] == "FLAC, else MP3 320"
    tags = mutagen.File(music_dir / teardrop["path"], easy=True)
    assert (tags["title"], tags["artist"]) == (["Teardrop"], ["Massive Attack"])
    assert mutagen.File(music_dir / angel["path"], easy=True)["title"] == ["Angel"]
    # The FLAC's lossy copy, tagged, under the same path; the MP3 has none.
    copy = tmp_path / "Lossy" / Path(teardrop["path"]).with_suffix(".mp3")
    assert mutagen.File(copy, easy=True)["title"] == ["Teardrop"]
    assert [p.name for p in (tmp_path / "Lossy").rglob("*.mp3")] == [copy.name]

    # Each miss says why: AUX is only on YouTube, whose lossy audio the profile refuses;
    # no source had anything under Black Milk's full title.
    aux, milk = items["AUX"], items["Black Milk (Remastered 2019)"]
    assert aux["miss"] == "quality" and "FLAC, else MP3 320 kbps" in aux["reason"], aux
    assert milk["miss"] == "not_found", milk
    assert not list(music_dir.rglob("*AUX*"))

    # The quality misses again, with a profile that takes lossy audio last: YouTube's.
    again = api.post("/api/v1/downloads/retry", json={"miss": "quality", "profile": "Anything"})
    assert again.json()["download_ids"] == [aux["download_id"]], again.text
    aux = wait_for(
        lambda: api.get(f"/api/v1/downloads/{aux['download_id']}").json(),
        lambda d: d["status"] in FINISHED and d["status"] != "queued",
    )
    assert aux["status"] == "done" and aux["path"].endswith(".m4a"), aux
    assert "slsk://" not in aux["source_url"]

    # On the downloads page, the one left is listed under its reason; a person edits its
    # search there, and Soulseek finds the FLAC the first queries missed.
    asked = len(state.queries)
    edit_the_search_in_the_browser(api, "Black Milk (Remastered 2019)", "Massive Attack Black Milk")
    milk = wait_for(
        lambda: api.get(f"/api/v1/downloads/{milk['download_id']}").json(),
        lambda d: d["status"] == "done",
    )
    assert milk["path"].endswith(".flac"), milk
    assert milk["query"] == "Massive Attack Black Milk"
    assert state.queries[asked] == "Massive Attack Black Milk"
    filed = music_dir / milk["path"]
    assert mutagen.File(filed, easy=True)["title"] == ["Black Milk (Remastered 2019)"]


def edit_the_search_in_the_browser(api: httpx.Client, title: str, query: str) -> None:
    """Log in, see the miss grouped by its reason on the downloads page, edit its search."""
    with chromium() as browser:
        page = browser.new_context(base_url=str(api.base_url)).new_page()
        page.set_default_timeout(20_000)
        page.goto("/login")
        page.get_by_label("User name").fill(ADMIN["username"])
        page.get_by_label("Password").fill(ADMIN["password"])
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/$"))
        page.goto("/downloads")
        group = page.locator('[data-miss="not_found"]')
        expect(group.get_by_role("heading")).to_have_text("No source had it (1)")
        expect(group).to_contain_text(title)
        row = page.locator("[data-download]", has_text=title)
        row.get_by_role("button", name="Edit search…").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Search for").fill(query)
        dialog.get_by_role("button", name="Search and download").click()
        expect(row.locator(".badge")).to_have_text("done", timeout=60_000)
        expect(page.locator("#misses")).to_contain_text("Nothing missed.")
