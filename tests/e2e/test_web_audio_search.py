"""Searching the download sources in a real browser (Debian's Chromium, driven by
Playwright) against ``tunebridge up``: Soulseek (the slskd emulator sharing Mezzanine's
FLAC files in one folder) and YouTube (the local stand-in). A person searches, makes a
look-up of a shared file's whole folder, a matched album download of it and a matched
download of an upload, picking
the artist among the five likely ones (Deezer's emulator as the catalog), and sees the
files land tagged in their library; with slskd gone, the page says Soulseek could not be
reached and still lists YouTube's results. Screenshots go with the web UI's."""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import mutagen
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Started, ready_line
from tests.e2e.test_downloads_up import wait_for
from tests.e2e.test_web_ui import SHOTS, browser, open_page, sign_in, visit
from tests.emulators.deezer import DeezerState, deezer_app, recorded_tracks
from tests.emulators.slskd import API_KEY, Share, SharedFile, SlskdState, slskd_app
from tests.support.audio import make_audio
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

__all__ = ["browser"]  # the fixture, shared with the web UI's tests
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
ALBUM = "Music\\Massive Attack\\Mezzanine (1998)"
FINISHED = ("done", "already_there", "review", "failed", "cancelled")


@dataclass
class World:
    url: str
    library: Path
    slskd: contextlib.ExitStack  # closing it takes slskd away


def catalogue() -> list[dict[str, Any]]:
    """Deezer's recorded tracks; Mezzanine's two as long as the files here, numbered."""
    tracks = copy.deepcopy(recorded_tracks())
    numbers = {"Angel": 1, "Teardrop": 3}
    for track in tracks:
        if track["title"] in numbers:
            track.update(duration=4, track_position=numbers[track["title"]], disk_number=1)
    return tracks


@pytest.fixture
def world(
    start_up: Callable[[dict[str, str]], Started], youtube: str, music_dir: Path, tmp_path: Path
) -> Iterator[World]:
    state = SlskdState(downloads_dir=tmp_path / "slskd-downloads", search_s=0.8, transfer_s=0.5)

    def shared(remote: str) -> SharedFile:
        local = make_audio(tmp_path / "shares" / remote.replace("\\", "/"), seconds=4)
        return SharedFile(remote, local, length=4, sample_rate=44100, bit_depth=16)

    state.shares = [
        Share(
            "flac-peer",
            [shared(f"{ALBUM}\\01 - Angel.flac"), shared(f"{ALBUM}\\03 - Teardrop.flac")],
        )
    ]
    slskd = contextlib.ExitStack()
    slskd_url = slskd.enter_context(serving_in_thread({"slskd": slskd_app(state)}))["slskd"]
    with (
        slskd,
        serving_in_thread({"deezer": deezer_app(DeezerState(catalogue=catalogue()))}) as urls,
    ):
        process, url, log = start_up(
            {
                "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
                "TUNEBRIDGE_DOWNLOADER__SEARCH_URLS": f"{youtube}/search.xspf?q={{query}}",
                "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR": str(music_dir),
                "TUNEBRIDGE_DOWNLOADER__DOWNLOADS_DIR": str(music_dir.parent / "downloads"),
                "TUNEBRIDGE_DOWNLOADER__SOURCES": "soulseek,youtube",
                "TUNEBRIDGE_DOWNLOADER__SLSKD_URL": slskd_url,
                "TUNEBRIDGE_DOWNLOADER__SLSKD_API_KEY": API_KEY,
                "TUNEBRIDGE_DOWNLOADER__SLSKD_DOWNLOADS_DIR": str(state.downloads_dir),
                "TUNEBRIDGE_DOWNLOADER__ALLOWED_SLSKD_HOSTS": "127.0.0.1",
                "TUNEBRIDGE_DOWNLOADER__SLSKD_SEARCH_S": "2",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        yield World(url, music_dir, slskd)


def test_a_person_searches_the_sources_and_downloads_a_track_and_an_album_matched(
    world: World, browser: Any
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    api = httpx.Client(base_url=world.url, timeout=10)
    sign_in_sync(api)  # makes the administrator's account
    errors: list[str] = []
    page = sign_in(browser, world.url, errors)
    open_page(page, "/downloads")
    page.get_by_label("Search for").fill("Teardrop")
    page.get_by_role("button", name="Search", exact=True).click()
    found = page.locator("#found")
    # Each result with its facts: a file a Soulseek peer shares, YouTube's uploads.
    shared = found.locator(".result", has_text="03 - Teardrop")
    expect(shared).to_contain_text(
        re.compile(r"^03 - Teardropshared by flac-peer · 0:04 · FLAC · \d+ kB · Soulseek"),
        timeout=60_000,
    )
    expect(found.locator(".result", has_text="Massive Attack - Teardrop (Live)")).to_contain_text(
        "0:06 · OPUS · YouTube"
    )
    visit(page, shots=SHOTS, name="33-audio-search")
    # The album it comes from: the share's whole folder, looked up.
    shared.get_by_role("button", name="Whole folder…").click()
    folder = found.locator("[data-folder]")
    expect(folder).to_contain_text("Mezzanine (1998)", timeout=60_000)
    expect(folder).to_contain_text("2 files shared by flac-peer · Soulseek")
    expect(folder.locator(".result .name")).to_have_text(["01 - Angel", "03 - Teardrop"])

    # The shared folder as an album, matched: the artist picked among the likely ones, as
    # the catalogs this person can look up in (here the public ones, the first chosen) say.
    folder.get_by_role("button", name="Matched album download").click()
    chooser = page.get_by_role("dialog")
    expect(chooser).to_contain_text("For “Mezzanine (1998)”")
    catalogs = chooser.get_by_label("Look up in")
    expect(catalogs.locator("option")).to_have_text(["Deezer", "YouTube Music"])
    expect(catalogs.locator("option:checked")).to_have_text("Deezer")
    artist = chooser.locator("button.artist", has_text="Massive Attack").first
    expect(artist).to_be_visible(timeout=30_000)
    visit(page, shots=SHOTS, name="34-audio-search-matched-album")
    artist.click()
    expect(chooser).to_be_hidden()
    expect(page.locator(".toast").last).to_contain_text("Queued 2 tracks of “Mezzanine (1998)”")

    # A matched download of one upload, found by another search.
    page.get_by_label("Search for").fill("Nul AUX")
    page.get_by_role("button", name="Search", exact=True).click()
    upload = found.locator(".result", has_text="Nul - AUX (Official Audio)")
    upload.get_by_role("button", name="Matched download").click()
    chooser = page.get_by_role("dialog")
    artist = chooser.locator("button.artist", has_text="Nul").first
    expect(artist).to_be_visible(timeout=30_000)
    artist.click()
    expect(chooser).to_be_hidden()
    # Deezer does not have it: filed under the artist chosen, with its own title.
    expect(page.locator(".toast").last).to_have_text(
        "Queued “AUX (Official Audio)” by Nul from YouTube"
        " (not found in the catalog: filed with its own title)."
    )

    # The queue follows them to their end, live.
    downloads = wait_for(
        lambda: api.get("/api/v1/downloads").json(),
        lambda items: len(items) == 3 and all(i["status"] in FINISHED for i in items),
    )
    assert [d["status"] for d in downloads] == ["done"] * 3, downloads
    expect(page.locator("[data-download] .badge", has_text="done")).to_have_count(3)
    visit(page, shots=SHOTS, name="35-audio-search-downloaded")
    assert sorted(d["source"] for d in downloads) == ["soulseek", "soulseek", "youtube"]
    flacs = sorted(world.library.rglob("*.flac"))
    assert len(flacs) == 2 and all("Mezzanine" in str(f.parent) for f in flacs), flacs
    assert sorted(str(mutagen.File(f)["title"][0]) for f in flacs) == ["Angel", "Teardrop"]
    (aux,) = world.library.rglob("*AUX*.m4a")
    # Under the artist's folder (NUL is a reserved name on Windows: the folder is "_Nul").
    assert aux.relative_to(world.library).parts[0] == "_Nul", aux

    # Soulseek gone: the page says so, and YouTube's results are still offered.
    world.slskd.close()
    page.get_by_label("Search for").fill("Massive Attack")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(found.get_by_role("status")).to_have_text(
        "Soulseek could not be reached: its results are missing here.", timeout=60_000
    )
    expect(found.locator("[data-folder]")).to_have_count(0)
    expect(found.locator(".result", has_text="YouTube").first).to_be_visible()
    visit(page, shots=SHOTS, name="36-audio-search-source-away")

    # On a phone, the results and their buttons fit the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the downloads page is {width}px wide on a 390px phone"
    assert errors == []
