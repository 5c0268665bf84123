"""A provider's page size is a setting (``TUNEBRIDGE_<PROVIDER>__PAGE_SIZE``) for every
offset-paged adapter: a running installation asks for pages of that size."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
