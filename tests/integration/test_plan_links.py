"""A plan and a run link each playlist to its page on the service it changes on (the
real services, the Spotify and Deezer emulators): the source at once, the playlist a run
makes as soon as it exists."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.test_sync import make_job, run_job, uris
from tests.support.catalogues import shared_recordings
from tests.support.sync_world import World, sync_world

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    async with sync_world(nats_url, namespace) as made:
        yield made


async def test_a_plan_and_its_run_link_each_playlist_to_its_service(world: World) -> None:
    songs = shared_recordings(world.spotify, world.deezer, 3)
    source = world.spotify.new_playlist("Road trip", uris(songs))
    job_id = await make_job(world, playlists=[{"a_playlist_id": source}])

    (planned,) = (await run_job(world, job_id, dry_run=True))["pairs"]
    # Not made yet on Deezer: nothing to open there.
    assert planned["a_url"] == f"https://open.spotify.com/playlist/{source}"
    assert planned["b_url"] is None
    (ran,) = (await run_job(world, job_id))["pairs"]
    made = next(pid for pid, title in world.deezer.titles.items() if title == "Road trip")
    assert ran["b_url"] == f"https://www.deezer.com/playlist/{made}"
