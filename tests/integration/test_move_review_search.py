"""A move's review items for an album and an artist are searched for as albums and
artists on the target service (through the gateway, the connectors and the matcher, as a
track's are), and a result can be chosen; against the Spotify and Deezer emulators."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.catalogues import shared_albums, shared_artists
from tests.support.sync_world import World, sync_world

pytestmark = pytest.mark.timeout(120)
ENDED = ("planned", "completed", "partial", "failed", "cancelled")


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    async with sync_world(nats_url, namespace) as made:
        made.deezer.saved_albums = []
        made.spotify.saved_albums = []
        yield made


async def run_move(world: World, move_id: str) -> dict[str, Any]:
    started = await world.api.post(f"/api/v1/moves/{move_id}/runs", json={"dry_run": False})
    assert started.status_code == 202, started.text
    for _ in range(600):
        view = (await world.api.get(started.json()["url"])).json()
        if view.get("status") in ENDED:
            return dict(view)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the move did not end: {view}")


async def test_an_album_and_an_artist_under_review_are_searched_for_as_such(
    world: World,
) -> None:
    # Deezer has the album only as an edition with three more tracks (another UPC), and
    # two artists of the followed one's name: both are questions for a person.
    (album,) = shared_albums(world.spotify, world.deezer, 1, start=500, upc_on_deezer=False)
    world.deezer.albums[album.deezer_id]["nb_tracks"] += 3
    world.spotify.saved_albums = [album.spotify_id]
    (artist,) = shared_artists(world.spotify, world.deezer, 1, start=300)
    namesake = {**copy.deepcopy(world.deezer.artists[artist.deezer_id]), "id": 777_000_001}
    world.deezer.artists[namesake["id"]] = namesake
    world.spotify.followed = [artist.spotify_id]
    made = await world.api.post(
        "/api/v1/moves",
        json={
            "source_connection_id": world.spotify_connection,
            "target_connection_id": world.deezer_connection,
            "playlists": [],
            "liked": False,
            "albums": True,
            "artists": True,
        },
    )
    assert made.status_code == 201, made.text
    move_id = made.json()["move_id"]
    first = await run_move(world, move_id)
    assert first["status"] in ("completed", "partial"), first

    reviews = {r["source"]["entity"]: r for r in (await world.api.get("/api/v1/reviews")).json()}
    assert set(reviews) == {"album", "artist"}, reviews

    # The album: found by its title and artist, the edition first, with a confidence.
    searched = await world.api.get(f"/api/v1/reviews/{reviews['album']['review_id']}/search")
    assert searched.status_code == 200, searched.text
    found = searched.json()
    assert found[0]["track"]["provider_id"] == str(album.deezer_id)
    assert found[0]["track"]["entity"] == "album" and 0 < found[0]["confidence"] < 1
    typed = await world.api.get(
        f"/api/v1/reviews/{reviews['album']['review_id']}/search", params={"q": album.title}
    )
    assert typed.status_code == 200, typed.text
    assert [c["track"]["provider_id"] for c in typed.json()] == [str(album.deezer_id)]

    # The artist: both namesakes, as artists, neither sure enough to take alone.
    searched = await world.api.get(f"/api/v1/reviews/{reviews['artist']['review_id']}/search")
    assert searched.status_code == 200, searched.text
    artists = searched.json()
    assert {c["track"]["provider_id"] for c in artists} == {
        str(artist.deezer_id),
        str(namesake["id"]),
    }
    assert all(c["track"]["entity"] == "artist" and c["confidence"] <= 0.6 for c in artists)

    # What was searched is chosen; the next run of the move carries it out.
    for entity, chosen in (("album", album.deezer_id), ("artist", artist.deezer_id)):
        decided = await world.api.post(
            f"/api/v1/reviews/{reviews[entity]['review_id']}/decision",
            json={"decision": "choose", "candidate_id": str(chosen)},
        )
        assert decided.status_code == 200, decided.text
    second = await run_move(world, move_id)
    assert second["status"] == "completed", second
    assert world.deezer.saved_albums == [album.deezer_id]
    assert world.deezer.followed == [artist.deezer_id]
