"""The missing-tracks modal's choice "whole albums to Lidarr", kept with the run (its
ticket) so any of the person's browsers queues the downloads that way: the real services
and the Lidarr emulator, as in ``test_lidarr_runs``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.emulators.lidarr import LidarrState
from tests.integration.test_lidarr_runs import PORTISHEAD, track, world
from tests.support.installation import Installation
from tests.support.runs import wait_for_run

__all__ = ["world"]  # the fixture, shared with the Lidarr runs' tests


async def test_a_ticket_handing_albums_to_lidarr_is_kept_checked_and_followed(
    world: tuple[LidarrState, Installation, httpx.AsyncClient, str],
) -> None:
    state, _, api, lidarr = world
    tracks = [track(t, "Portishead", "Dummy") for t in PORTISHEAD[:2]]

    def start(ticket: dict[str, Any]) -> Any:
        body = {"library_connection_id": lidarr, "tracks": tracks, "ticket": ticket}
        return api.post("/api/v1/runs/missing-tracks", json=body)

    # A Lidarr hand-off without its connection, or with one that is not there: a clear 400.
    no_connection = await start({"name": "Trip hop", "album_mode": "lidarr"})
    unknown = await start(
        {"name": "Trip hop", "album_mode": "lidarr", "lidarr_connection_id": "0" * 32}
    )
    assert no_connection.status_code == 400 and "lidarr_connection_id" in no_connection.text
    assert unknown.status_code == 400, unknown.text
    started = await start(
        {"name": "Trip hop", "album_mode": "lidarr", "lidarr_connection_id": lidarr}
    )
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    await wait_for_run(api, run_id)

    # What another browser reads of it: the choice, to queue the downloads as asked.
    (listed,) = (await api.get("/api/v1/runs")).json()
    assert (listed["name"], listed["album_mode"], listed["lidarr_connection_id"]) == (
        "Trip hop",
        "lidarr",
        lidarr,
    )
    # As the modal queues them from that view: the album goes to Lidarr whole.
    queued = await api.post(
        f"/api/v1/runs/{run_id}/downloads",
        json={"album_mode": listed["album_mode"], "lidarr": {"connection_id": lidarr}},
    )
    assert queued.status_code == 202, queued.text
    for _ in range(300):
        handed = (await api.get(f"/api/v1/runs/{run_id}")).json()["albums_handed"]
        if handed and handed[0]["status"] in ("imported", "failed"):
            break
        await asyncio.sleep(0.1)
    assert [(a["album"], a["service"], a["status"]) for a in handed] == [
        ("Dummy", "Lidarr", "imported")
    ]
    (dummy,) = [a for a in state.albums.values() if a["title"] == "Dummy"]
    assert dummy["monitored"]
