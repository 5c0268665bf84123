"""The missing-tracks modal handing whole albums to Lidarr, in a real browser (Debian's
Chromium, driven by Playwright) against ``tunebridge up``: a Deezer playlist (the Deezer
emulator) three tracks of one album long, none of them in the music folder; the person
picks "Whole albums to Lidarr" and begins; the album is added to Lidarr (its emulator),
searched and imported, and the modal shows each track downloaded. A screenshot goes with
the web UI's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Started, ready_line
from tests.e2e.test_downloads_up import wait_for
from tests.e2e.test_web_ui import SHOTS, browser, open_missing_tracks, sign_in, visit
from tests.emulators.deezer import TOKEN as DEEZER_TOKEN
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.lidarr import API_KEY, LidarrState, lidarr_app
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

__all__ = ["browser"]  # the fixture, shared with the web UI's tests
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
#: Three tracks of Morcheeba's "Big Calm" in Deezer's recorded catalogue.
BIG_CALM = {750497: "Over and Over", 750520: "Big Calm", 750479: "Blindfold"}


def test_a_person_hands_a_playlists_missing_album_to_lidarr(
    start_up: Callable[[dict[str, str]], Started], music_dir: Path, browser: Any
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    deezer = DeezerState()
    deezer.new_playlist("Big Calm picks", list(BIG_CALM))
    lidarr = LidarrState(search_s=1.0)
    lidarr.catalogue = {"Morcheeba": {"Big Calm": 3}}
    lidarr.titles[("Morcheeba", "Big Calm")] = list(BIG_CALM.values())
    apps = {"deezer": deezer_app(deezer), "lidarr": lidarr_app(lidarr)}
    with serving_in_thread(apps) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
                "TUNEBRIDGE_DEEZER__CALLS_PER_5S": "2000",
                # Lidarr on loopback, as one at home on the LAN would be.
                "TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS": "127.0.0.1",
                "TUNEBRIDGE_LIDARR__POLL_S": "0.2",
                "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR": str(music_dir),
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=30) as api:
            sign_in_sync(api)  # makes the administrator's account
            for body in (
                {"provider": "deezer", "access_token": DEEZER_TOKEN},
                {"provider": "lidarr", "server_url": urls["lidarr"], "access_token": API_KEY},
            ):
                made = api.post("/api/v1/connections", json=body)
                assert made.status_code == 201, made.text
            errors: list[str] = []
            page = sign_in(browser, url, errors)
            modal = open_missing_tracks(page, "Big Calm picks")
            modal.get_by_label("Your music folder (on the server)").fill(str(music_dir))
            tracks_of_one_album = modal.get_by_label("Tracks of one album")
            expect(tracks_of_one_album.locator("option")).to_contain_text(
                ["Whole albums to Lidarr"]
            )
            to_lidarr = tracks_of_one_album.locator("option", has_text="Whole albums to Lidarr")
            tracks_of_one_album.select_option(value=to_lidarr.get_attribute("value"))
            visit(page, SHOTS, "38-missing-tracks-lidarr-choice")
            modal.get_by_role("button", name="Begin").click()
            expect(modal.locator(".counters .stat")).to_have_text(["3", "0", "3"], timeout=90_000)
            # Lidarr finds and imports the album: each of its tracks shows as downloaded.
            rows = modal.locator("tbody tr")
            for title in BIG_CALM.values():
                expect(rows.filter(has_text=title).locator("td").nth(2)).to_have_text(
                    "yes", timeout=120_000
                )
            visit(page, SHOTS, "39-missing-tracks-lidarr-imported")
            downloads = wait_for(
                lambda: api.get("/api/v1/downloads").json(),
                lambda items: len(items) == 3 and {i["status"] for i in items} == {"done"},
            )
            assert sorted(d["title"] for d in downloads) == sorted(BIG_CALM.values())
            assert errors == []
    # Lidarr itself has the album: added, monitored, searched once, every track imported.
    (album,) = [a for a in lidarr.albums.values() if a["title"] == "Big Calm"]
    assert album["monitored"] and album["statistics"] == {"trackCount": 3, "trackFileCount": 3}
    assert lidarr.artists[album["artistId"]]["artistName"] == "Morcheeba"
    searches = [c["body"] for c in lidarr.commands.values() if c["name"] == "AlbumSearch"]
    assert searches == [{"name": "AlbumSearch", "albumIds": [album["id"]]}]
