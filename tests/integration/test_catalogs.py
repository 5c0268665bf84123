"""Matched downloads look tracks up in the catalogs the person has: their own connected
accounts first (searched as them), then this installation's public catalogs (real gateway,
connectors, matcher and downloader; the Spotify and Deezer emulators)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from services.downloader.domain.sources import Source
from tests.support.installation import installation_with_deezer
from tests.support.sync_world import sync_world

pytestmark = pytest.mark.timeout(120)


async def nothing(query: str) -> Sequence[Source]:
    """A YouTube with no uploads: these tests look at what is queued, not at the files."""
    return []


async def test_a_person_with_no_account_is_offered_the_public_catalog_only(
    nats_url: str, namespace: str
) -> None:
    async with (
        installation_with_deezer(nats_url, namespace, search=nothing) as installation,
        installation.client() as api,
    ):
        answer = await api.get("/api/v1/catalogs")
    assert answer.status_code == 200, answer.text
    # The catalogs searched without an account, by name.
    assert answer.json() == [
        {"catalog": "deezer", "display_name": "Deezer", "label": "Deezer", "connection_id": None},
        {
            "catalog": "ytmusic",
            "display_name": "YouTube Music",
            "label": "YouTube Music",
            "connection_id": None,
        },
    ]


async def test_a_matched_download_is_looked_up_in_the_persons_own_spotify(
    nats_url: str, namespace: str
) -> None:
    async with sync_world(nats_url, namespace, search=nothing) as world:
        api = world.api
        catalogs = (await api.get("/api/v1/catalogs")).json()
        # Their accounts, in the order they were connected, each searched as them.
        assert [(c["catalog"], c["connection_id"]) for c in catalogs] == [
            ("spotify", world.spotify_connection),
            ("deezer", world.deezer_connection),
            ("ytmusic", None),  # then the public ones not already theirs
        ]
        assert catalogs[0]["label"].startswith("Spotify · ")
        spotify = {"catalog": "spotify", "connection_id": world.spotify_connection}
        suggested = await api.post(
            "/api/v1/match/artists", json={"title": "Uptown Girl (Official Video)", **spotify}
        )
        queued = await api.post(
            "/api/v1/downloads",
            json={"track": {"title": "Billy Joel - Uptown Girl"}, "artist": "Billy Joel"} | spotify,
        )
        # Another person's (or no) connection of that id: a clear 400, nothing queued.
        stranger = await api.post(
            "/api/v1/downloads",
            json={"track": {"title": "Uptown Girl"}, "artist": "Billy Joel"}
            | {"catalog": "spotify", "connection_id": "0" * 32},
        )
        # No catalog at all: the track's own title, under the artist chosen.
        uncatalogued = await api.post(
            "/api/v1/downloads",
            json={"track": {"title": "Billy Joel - Uptown Girl"}, "artist": "Billy Joel"}
            | {"catalog": None},
        )
        listed = (await api.get("/api/v1/downloads")).json()
    assert suggested.status_code == 200, suggested.text
    assert suggested.json()[0]["name"] == "Billy Joel"
    assert queued.status_code == 202, queued.text
    answer = queued.json()
    assert answer["matched"] is True
    # Spotify's record, which Deezer's catalog does not have.
    assert (answer["track"]["provider"], answer["track"]["album"]) == (
        "spotify",
        "The Essential Billy Joel",
    )
    assert stranger.status_code == 400, stranger.text
    assert uncatalogued.status_code == 202, uncatalogued.text
    assert uncatalogued.json()["matched"] is False
    assert uncatalogued.json()["track"]["title"] == "Uptown Girl"
    assert len(listed) == 2
