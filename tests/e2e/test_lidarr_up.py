"""Lidarr through ``tunebridge up`` (the Lidarr emulator on loopback): connected by URL and
API key, its imported tracks are the library a missing-tracks run compares against, and
the run's missing album, handed to Lidarr instead of downloaded track by track, is added
(monitored, with the profile and folder asked), searched and imported; the run's view
says so, and Lidarr's own state has it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Started, ready_line
from tests.e2e.test_downloads_up import wait_for
from tests.emulators.lidarr import API_KEY, LidarrState, lidarr_app
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
DUMMY = ["Mysterons", "Sour Times", "Strangers"]


def test_a_missing_album_handed_to_lidarr_is_added_searched_and_shown_on_the_run(
    start_up: Callable[[dict[str, str]], Started],
) -> None:
    state = LidarrState(search_s=1.0)
    state.catalogue = {"Portishead": {"Dummy": 3}}
    state.titles[("Portishead", "Dummy")] = DUMMY
    state.own("Massive Attack", "Blue Lines", 1, 1)
    state.titles[("Massive Attack", "Blue Lines")] = ["Safe from Harm"]
    with serving_in_thread({"lidarr": lidarr_app(state)}) as urls:
        process, url, log = start_up(
            {
                # Lidarr on loopback, as a home server on the LAN would be refused.
                "TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS": "127.0.0.1",
                "TUNEBRIDGE_LIDARR__POLL_S": "0.2",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=30) as api:
            sign_in_sync(api)
            made = api.post(
                "/api/v1/connections",
                json={"provider": "lidarr", "server_url": urls["lidarr"], "access_token": API_KEY},
            )
            assert made.status_code == 201, made.text
            assert API_KEY not in made.text
            lidarr = made.json()["connection_id"]

            tracks: list[dict[str, Any]] = [
                {"title": "Safe from Harm", "artists": ["Massive Attack"], "album": "Blue Lines"},
                *({"title": t, "artists": ["Portishead"], "album": "Dummy"} for t in DUMMY),
            ]
            run_id = api.post(
                "/api/v1/runs/missing-tracks",
                json={"library_connection_id": lidarr, "tracks": tracks},
            ).json()["run_id"]
            run = wait_for(
                lambda: api.get(f"/api/v1/runs/{run_id}").json(),
                lambda r: r.get("status") in ("completed", "failed"),
            )
            assert [t["track"]["title"] for t in run["present"]] == ["Safe from Harm"], run
            assert [t["track"]["title"] for t in run["missing"]] == DUMMY

            queued = api.post(
                f"/api/v1/runs/{run_id}/downloads",
                json={
                    "album_mode": "lidarr",
                    "lidarr": {
                        "connection_id": lidarr,
                        "quality_profile": "Lossless",
                        "root_folder": "/music",
                    },
                },
            )
            assert queued.status_code == 202, queued.text
            view = wait_for(
                lambda: api.get(f"/api/v1/runs/{run_id}").json(),
                lambda r: [a["status"] for a in r["albums_handed"]] == ["imported"],
            )
            (album,) = view["albums_handed"]
            assert (album["artist"], album["album"], album["service"], album["tracks"]) == (
                "Portishead",
                "Dummy",
                "Lidarr",
                3,
            )
            downloads = api.get("/api/v1/downloads").json()
            assert sorted(d["title"] for d in downloads) == sorted(DUMMY)
            assert {d["status"] for d in downloads} == {"done"}

    # What Lidarr itself has: the album added, monitored, with the profile and folder
    # asked, searched once, every track imported.
    (dummy,) = [a for a in state.albums.values() if a["title"] == "Dummy"]
    assert dummy["monitored"] and dummy["statistics"] == {"trackCount": 3, "trackFileCount": 3}
    artist = state.artists[dummy["artistId"]]
    assert (artist["artistName"], artist["qualityProfileId"], artist["rootFolderPath"]) == (
        "Portishead",
        4,
        "/music",
    )
    searches = [c["body"] for c in state.commands.values() if c["name"] == "AlbumSearch"]
    assert searches == [{"name": "AlbumSearch", "albumIds": [dummy["id"]]}]
    assert API_KEY not in log.read_text()
