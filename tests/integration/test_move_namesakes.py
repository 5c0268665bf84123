"""A followed artist with namesakes on the target service is told apart from them by its
albums (read on both services only then): the one that shares clearly more of them is
followed without a question; when they share as many, a person is asked. Through the
gateway, the scheduler, the connectors and the matcher, against the Spotify and Deezer
emulators."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.catalogues import Release, shared_albums, shared_artists
from tests.support.sync_world import World, sync_world

pytestmark = pytest.mark.timeout(120)
ENDED = ("planned", "completed", "partial", "failed", "cancelled")


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    async with sync_world(nats_url, namespace) as made:
        made.deezer.saved_albums = []
        made.spotify.saved_albums = []
        yield made


async def run_move(world: World) -> dict[str, Any]:
    made = await world.api.post(
        "/api/v1/moves",
        json={
            "source_connection_id": world.spotify_connection,
            "target_connection_id": world.deezer_connection,
            "playlists": [],
            "liked": False,
            "albums": False,
            "artists": True,
        },
    )
    assert made.status_code == 201, made.text
    started = await world.api.post(
        f"/api/v1/moves/{made.json()['move_id']}/runs", json={"dry_run": False}
    )
    assert started.status_code == 202, started.text
    for _ in range(600):
        view = (await world.api.get(started.json()["url"])).json()
        if view.get("status") in ENDED:
            return dict(view)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the move did not end: {view}")


def namesakes(world: World, start: int) -> tuple[Release, int]:
    """A followed Spotify artist, its Deezer counterpart and, listed first by Deezer's
    search, another Deezer artist of the same name."""
    (artist,) = shared_artists(world.spotify, world.deezer, 1, start=start)
    other = {**copy.deepcopy(world.deezer.artists[artist.deezer_id]), "id": 777_000_000 + start}
    world.deezer.artists = {other["id"]: other, **world.deezer.artists}
    world.spotify.followed = [artist.spotify_id]
    return artist, other["id"]


def albums_of(world: World, name: str, count: int, start: int, spotify: str, deezer: int) -> None:
    """``count`` albums on both services, by the Spotify artist ``spotify`` there and the
    Deezer artist ``deezer`` there (``spotify`` empty: on Deezer only)."""
    for album in shared_albums(world.spotify, world.deezer, count, start=start):
        if spotify:
            world.spotify.albums[album.spotify_id]["artists"] = [
                {"id": spotify, "name": name, "type": "artist"}
            ]
        else:
            del world.spotify.albums[album.spotify_id]
        world.deezer.albums[album.deezer_id]["artist"] = {
            **world.deezer.albums[album.deezer_id]["artist"],
            "id": deezer,
            "name": name,
        }


async def test_the_namesake_with_the_artists_albums_is_followed_without_a_question(
    world: World,
) -> None:
    artist, other = namesakes(world, 310)
    albums_of(world, artist.title, 3, 610, artist.spotify_id, artist.deezer_id)
    albums_of(world, artist.title, 1, 620, "", other)  # the namesake's own, not ours
    (alone,) = shared_artists(world.spotify, world.deezer, 1, start=330)  # one of its name
    albums_of(world, alone.title, 1, 650, alone.spotify_id, alone.deezer_id)
    world.spotify.followed.append(alone.spotify_id)

    ran = await run_move(world)

    assert ran["status"] == "completed", ran
    assert sorted(world.deezer.followed) == sorted([artist.deezer_id, alone.deezer_id])
    assert (await world.api.get("/api/v1/reviews")).json() == []
    # Albums were read only to tell the namesakes apart: once each, and never for the
    # artist nobody else on Deezer is called.
    assert world.spotify.albums_asked == [artist.spotify_id]
    assert sorted(world.deezer.albums_asked) == sorted([artist.deezer_id, other])


async def test_namesakes_sharing_as_many_albums_are_a_question_for_a_person(
    world: World,
) -> None:
    artist, other = namesakes(world, 320)
    albums_of(world, artist.title, 1, 630, artist.spotify_id, artist.deezer_id)
    albums_of(world, artist.title, 1, 640, artist.spotify_id, other)

    ran = await run_move(world)

    assert ran["status"] in ("completed", "partial"), ran
    assert world.deezer.followed == []
    (review,) = (await world.api.get("/api/v1/reviews")).json()
    assert review["source"]["entity"] == "artist" and review["source"]["title"] == artist.title
