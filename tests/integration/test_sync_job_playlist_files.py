"""A job's ``playlist_files`` needs a media server on one side: between two streaming
services (no library to keep M3U8s of) it is a 400 that stores nothing. Through the real
services, the emulators behind them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.sync_world import World, sync_world

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    async with sync_world(nats_url, namespace) as made:
        yield made


async def test_playlist_files_between_two_streaming_services_are_refused(world: World) -> None:
    job = {
        "name": "Liked to Deezer",
        "a_connection_id": world.spotify_connection,
        "b_connection_id": world.deezer_connection,
        "liked": True,
    }
    refused = await world.api.post(
        "/api/v1/sync/jobs", json={**job, "options": {"playlist_files": True}}
    )
    assert refused.status_code == 400 and "media server" in refused.text, refused.text
    assert (await world.api.get("/api/v1/sync/jobs")).json() == []
    made = await world.api.post("/api/v1/sync/jobs", json=job)
    assert made.status_code == 201 and made.json()["options"]["playlist_files"] is False
