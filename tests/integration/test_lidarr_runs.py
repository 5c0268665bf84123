"""Lidarr wired into runs, through the real services and the Lidarr emulator: connected
by URL and API key (kept sealed), its imported tracks are the library a missing-tracks
check compares against, and a run's downloads in ``lidarr`` album mode hand each album of
two or more missing tracks to it (added monitored with the profiles and root folder asked,
searched, followed until imported) while a lone track downloads as usual; the run and
its downloads show where each album stands, a search Lidarr fails says why."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.connectors.adapters.lidarr import LidarrSettings
from services.connectors.registry import ProviderSettings
from services.kernel.crypto import SecretsSettings, generate_key_spec
from services.kernel.records import ConnectionRecord
from tests.emulators.lidarr import API_KEY, LidarrState, lidarr_app
from tests.emulators.scripted import serving
from tests.support.installation import Installation, running_installation
from tests.support.runs import wait_for_run

pytestmark = pytest.mark.timeout(180)
PORTISHEAD = ["Mysterons", "Sour Times", "Strangers"]


@pytest.fixture
async def world(
    nats_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[tuple[LidarrState, Installation, httpx.AsyncClient, str]]:
    state = LidarrState(search_s=1.0)
    state.catalogue = {"Portishead": {"Dummy": 3}, "Massive Attack": {"Protection": 2}}
    state.titles[("Portishead", "Dummy")] = PORTISHEAD
    state.own("Massive Attack", "Blue Lines", 2, 2)
    state.titles[("Massive Attack", "Blue Lines")] = ["Safe from Harm", "One Love"]
    state.unfindable.add("Protection")
    providers = ProviderSettings(
        secrets=SecretsSettings(keys=(generate_key_spec("k1"),)),
        lidarr=LidarrSettings(poll_s=0.2, follow_s=60),
    )
    library = tmp_path / "Music"
    library.mkdir()
    async with (
        serving(lidarr_app(state)) as url,
        running_installation(nats_url, namespace, providers=providers, library_dir=library) as up,
        up.client(timeout=10) as api,
    ):
        made = await api.post(
            "/api/v1/connections",
            json={"provider": "lidarr", "server_url": url, "access_token": API_KEY},
        )
        assert made.status_code == 201, made.text
        yield state, up, api, made.json()["connection_id"]


def track(title: str, artist: str, album: str | None = None) -> dict[str, Any]:
    return {"title": title, "artists": [artist], "album": album}


async def test_a_missing_album_is_handed_to_lidarr_searched_and_shown_on_the_run(
    world: tuple[LidarrState, Installation, httpx.AsyncClient, str],
) -> None:
    state, up, api, lidarr = world
    # The key is sealed: the stored connection does not hold it in clear.
    (record,) = await up.store.values("connections", f"{up.user_id}.*", ConnectionRecord)
    assert record.provider == "lidarr" and API_KEY not in repr(record)
    assert API_KEY not in (await api.get("/api/v1/connections")).text

    started = await api.post(
        "/api/v1/runs/missing-tracks",
        json={
            "library_connection_id": lidarr,
            "tracks": [
                track("Safe from Harm", "Massive Attack", "Blue Lines"),  # in Lidarr already
                *(track(t, "Portishead", "Dummy") for t in PORTISHEAD[:2]),
                *(track(t, "Massive Attack", "Protection") for t in ("Karmacoma", "Spying Glass")),
            ],
        },
    )
    assert started.status_code == 202, started.text
    run = await wait_for_run(api, started.json()["run_id"])
    assert run["status"] == "completed", run
    assert [t["track"]["title"] for t in run["present"]] == ["Safe from Harm"]
    assert len(run["missing"]) == 4

    options = {
        "album_mode": "lidarr",
        "lidarr": {"connection_id": lidarr, "quality_profile": "Lossless", "root_folder": "/music"},
    }
    no_lidarr = await api.post(
        f"/api/v1/runs/{run['run_id']}/downloads", json={"album_mode": "lidarr"}
    )
    assert no_lidarr.status_code == 400 and "lidarr" in no_lidarr.text
    bad = {**options, "lidarr": {**options["lidarr"], "monitor": "sometimes"}}
    assert (await api.post(f"/api/v1/runs/{run['run_id']}/downloads", json=bad)).status_code == 400
    queued = await api.post(f"/api/v1/runs/{run['run_id']}/downloads", json=options)
    assert queued.status_code == 202, queued.text
    assert len(queued.json()["download_ids"]) == 4

    view: dict[str, Any] = {}
    for _ in range(300):
        view = (await api.get(f"/api/v1/runs/{run['run_id']}")).json()
        if {a["status"] for a in view["albums_handed"]} <= {"imported", "failed"}:
            break
        await asyncio.sleep(0.1)
    handed = {a["album"]: a for a in view["albums_handed"]}
    assert handed["Dummy"] == {
        "artist": "Portishead",
        "album": "Dummy",
        "service": "Lidarr",
        "status": "imported",
        "tracks": 2,
        "reason": None,
    }, view["albums_handed"]
    assert handed["Protection"]["status"] == "failed"
    assert handed["Protection"]["reason"] == "Lidarr: No releases found"

    # In Lidarr: added monitored with the profile and folder asked, searched once.
    (dummy,) = [a for a in state.albums.values() if a["title"] == "Dummy"]
    assert dummy["monitored"] and dummy["statistics"]["trackFileCount"] == 3
    artist = state.artists[dummy["artistId"]]
    assert (artist["qualityProfileId"], artist["rootFolderPath"]) == (4, "/music")
    searches = [c["body"] for c in state.commands.values() if c["name"] == "AlbumSearch"]
    assert {"name": "AlbumSearch", "albumIds": [dummy["id"]]} in searches and len(searches) == 2

    downloads = {d["title"]: d for d in (await api.get("/api/v1/downloads")).json()}
    assert downloads["Sour Times"]["status"] == "done"
    assert downloads["Sour Times"]["source_url"] == f"lidarr://album/{dummy['id']}"
    assert downloads["Karmacoma"]["status"] == "failed"
    assert downloads["Karmacoma"]["reason"] == "Lidarr: No releases found"

    # Lidarr's library now has Dummy: a second check finds its tracks present.
    again = await api.post(
        "/api/v1/runs/missing-tracks",
        json={
            "library_connection_id": lidarr,
            "tracks": [track(PORTISHEAD[1], "Portishead", "Dummy")],
        },
    )
    second = await wait_for_run(api, again.json()["run_id"])
    assert [t["track"]["title"] for t in second["present"]] == ["Sour Times"], second
