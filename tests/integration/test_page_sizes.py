"""A provider's page size is a setting (``TUNEBRIDGE_<PROVIDER>__PAGE_SIZE``) for every
offset-paged adapter: a running installation asks for pages of that size."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.connectors.adapters.deezer import DeezerSettings
from services.connectors.adapters.jellyfin import JellyfinSettings
from services.connectors.adapters.plex import PlexSettings
from services.connectors.adapters.spotify import SpotifySettings
from services.kernel.settings import load
from tests.integration.test_sync import make_job, run_job, uris
from tests.support.catalogues import shared_recordings
from tests.support.sync_world import World, sync_world

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    async with sync_world(nats_url, namespace, spotify_settings={"page_size": 25}) as made:
        yield made


async def test_a_playlist_is_read_in_pages_of_the_configured_size(world: World) -> None:
    songs = shared_recordings(world.spotify, world.deezer, 60)
    source = world.spotify.new_playlist("Paged", uris(songs))
    job_id = await make_job(world, playlists=[{"a_playlist_id": source}])
    registry = world.installation.runtimes["connectors"].context.registry
    labels = {"provider": "spotify", "endpoint": "playlist_items", "outcome": "ok"}
    before = registry.get_sample_value("tunebridge_provider_calls_total", labels) or 0
    run = await run_job(world, job_id)
    after = registry.get_sample_value("tunebridge_provider_calls_total", labels) or 0
    assert run["status"] == "completed", run
    assert world.deezer_titles() == {"Paged": [r.deezer_id for r in songs]}
    assert after - before == 3  # 60 tracks, 25 a page (50, Spotify's most, would be 2)


@pytest.mark.parametrize(
    ("settings", "section", "default"),
    [
        (SpotifySettings, "spotify", 50),
        (DeezerSettings, "deezer", 100),
        (PlexSettings, "plex", 100),
        (JellyfinSettings, "jellyfin", 500),
    ],
)
def test_each_offset_paged_provider_reads_its_page_size_from_the_environment(
    settings: type[SpotifySettings | DeezerSettings | PlexSettings | JellyfinSettings],
    section: str,
    default: int,
) -> None:
    assert settings().page_size == default
    found = load(settings, section, {f"TUNEBRIDGE_{section.upper()}__PAGE_SIZE": "20"})
    assert found.page_size == 20


async def _run(world: World, job_id: str) -> dict[str, Any]:
    answer = await world.api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={})
    assert answer.status_code == 202, answer.text
    for _ in range(600):
        view = (await world.api.get(answer.json()["url"])).json()
        if view["status"] in ("completed", "partial", "failed", "cancelled"):
            return dict(view)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the run did not end: {view}")


async def test_a_list_that_ends_short_of_its_own_total_removes_nothing(world: World) -> None:
    """Found by an audit: Spotify stopping its ``next`` links after 50 of the 80 tracks
    its ``total`` counts made a both-ways run remove the other 30 from Deezer, and say
    it completed."""
    songs = shared_recordings(world.spotify, world.deezer, 80)
    source = world.spotify.new_playlist("Short", uris(songs))
    job_id = await make_job(world, direction="both", playlists=[{"a_playlist_id": source}])
    assert (await _run(world, job_id))["status"] == "completed"
    everything = {"Short": [r.deezer_id for r in songs]}
    assert world.deezer_titles() == everything

    world.spotify.next_ends_at = 50
    short = await _run(world, job_id)
    assert short["status"] != "completed", short
    assert "Spotify listed 50 of the 80 items it counts" in json.dumps(short), json.dumps(short)
    assert world.deezer_titles() == everything  # nothing removed

    # A total that says less than there is, while ``next`` goes on: every track is read.
    world.spotify.next_ends_at, world.spotify.total_off_by = 0, -30
    understated = await _run(world, job_id)
    assert understated["status"] == "completed", understated
    assert understated["counts"].get("remove_from_b", 0) == 0
    assert world.deezer_titles() == everything


async def test_tracks_a_provider_said_it_added_but_did_not_keep_are_not_counted_or_removed(
    world: World,
) -> None:
    """Found by an audit: a Spotify answering every add as done but keeping 5 of each made
    the run say it wrote all 60, and the next run of a both-ways job took the 55 that
    never landed for removed on Spotify, and removed them from the person's Deezer."""
    songs = shared_recordings(world.spotify, world.deezer, 60)
    original = world.deezer.new_playlist("Kept", [r.deezer_id for r in songs])
    job_id = await make_job(world, direction="both", playlists=[{"b_playlist_id": str(original)}])
    world.spotify.add_keeps_at_most = 5
    lied_to = await _run(world, job_id)
    assert lied_to["status"] == "partial", lied_to
    lines = lied_to["not_synced"]
    assert len(lines) == 55 and all(
        "does not hold 55 of the 60" in line["reason"] for line in lines
    )

    world.spotify.add_keeps_at_most = 0
    honest = await _run(world, job_id)
    assert honest["status"] == "completed", honest
    assert honest["counts"].get("remove_from_b", 0) == 0
    assert world.deezer.playlists[original] == [r.deezer_id for r in songs]  # all kept
    (copy,) = [p for p in world.spotify.playlists.values() if p["name"] == "Kept"]
    assert copy["items"] == uris(songs)  # once each, in order


async def test_a_playlist_made_although_its_answer_was_lost_is_taken_not_left_behind(
    world: World,
) -> None:
    """Found by an audit: a lost answer to making the copy left an empty playlist of
    that name, and every later run refused to make a second one (and stayed partial)."""
    songs = shared_recordings(world.spotify, world.deezer, 12)
    original = world.deezer.new_playlist("Lost answer", [r.deezer_id for r in songs])
    job_id = await make_job(world, direction="b_to_a", playlists=[{"b_playlist_id": str(original)}])
    world.spotify.lost_write_responses = 1  # the playlist is made, its answer is a 502
    run = await _run(world, job_id)
    assert run["status"] == "completed", run
    copies = [p for p in world.spotify.playlists.values() if p["name"] == "Lost answer"]
    assert [c["items"] for c in copies] == [uris(songs)]  # one copy, filled, once each
    assert (await _run(world, job_id))["counts"].get("add_to_a", 0) == 0


async def test_a_refused_search_leaves_its_tracks_unsearched_and_the_run_goes_on(
    world: World,
) -> None:
    """Found by an audit: one search answered with a Retry-After of minutes failed the
    whole run at once. Its tracks are now said not searched, and the next run finds them."""
    songs = shared_recordings(world.spotify, world.deezer, 12)
    original = world.deezer.new_playlist("Wait", [r.deezer_id for r in songs])
    job_id = await make_job(world, direction="b_to_a", playlists=[{"b_playlist_id": str(original)}])
    world.spotify.searches_wait = "300"
    waited = await _run(world, job_id)
    assert waited["status"] == "partial", waited
    assert waited["error"] == "12 tracks could not be searched (the report says why)"
    reasons = {line["reason"] for line in waited["not_synced"]}
    assert reasons == {
        "not searched on spotify: Spotify asked us to wait 5 min before trying again; "
        "the next run does"
    }

    world.spotify.searches_wait = None
    found = await _run(world, job_id)
    assert found["status"] == "completed", found
    (copy,) = [p for p in world.spotify.playlists.values() if p["name"] == "Wait"]
    assert copy["items"] == uris(songs)
