"""Waiting on runs through the HTTP API, as a user's script would."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from tests.emulators.spotify import SpotifyState


async def wait_for_run(api: httpx.AsyncClient, run_id: str, within: float = 30) -> dict[str, Any]:
    """Poll a run until it ends; fail with its last state otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    body: dict[str, Any] = {}
    while loop.time() < deadline:
        body = (await api.get(f"/api/v1/runs/{run_id}")).json()
        if body.get("status") in ("completed", "failed"):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"run did not finish: {body}")


async def run_sync_job(api: httpx.AsyncClient, job_id: str, within: float = 120) -> dict[str, Any]:
    """Start a sync job's run and wait until it ends; its final view."""
    answer = await api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={})
    assert answer.status_code == 202, answer.text
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    view: dict[str, Any] = {}
    while loop.time() < deadline:
        view = (await api.get(answer.json()["url"])).json()
        if view["status"] in ("planned", "completed", "failed", "cancelled"):
            return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"the run did not end: {view}")


def run_job(
    api: httpx.Client, job_id: str, log: Path, within: float = 240, limit: int = 200
) -> dict[str, Any]:
    """Start a sync job's run through ``tunebridge up`` and wait until it ends (the first
    ``limit`` lines of its report); the installation's log tail if it does not."""
    answer = api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={})
    assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + within
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = api.get(answer.json()["url"], params={"limit": limit}).json()
        if view.get("status") in ("planned", "completed", "partial", "failed", "cancelled"):
            return view
        time.sleep(0.3)
    raise AssertionError(f"the run did not end: {view}\n{log.read_text()[-3000:]}")


def spotify_to_server_job(
    api: httpx.Client,
    spotify: SpotifyState,
    server_connection: dict[str, str],
    uris: list[str],
    name: str = "Two hundred",
    options: dict[str, object] | None = None,
) -> tuple[str, httpx.Response]:
    """The Spotify emulator's account and a media server connected, and a job copying a
    new Spotify playlist (``name``, of ``uris``) into the server (with the job's
    ``options``, if given): its id, and the answer to connecting the server."""
    access, refresh = spotify.grant()
    made = api.post(
        "/api/v1/connections",
        json={
            "provider": "spotify",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in_s": 3600,
            "client_id": spotify.client_id,
        },
    )
    assert made.status_code == 201, made.text
    target = api.post("/api/v1/connections", json=server_connection)
    assert target.status_code == 201, target.text
    job = api.post(
        "/api/v1/sync/jobs",
        json={
            "name": "Spotify to my server",
            "a_connection_id": made.json()["connection_id"],
            "b_connection_id": target.json()["connection_id"],
            "playlists": [{"a_playlist_id": spotify.new_playlist(name, uris)}],
            **({"options": options} if options else {}),
        },
    )
    assert job.status_code == 201, job.text
    return str(job.json()["job_id"]), target
