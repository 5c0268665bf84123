"""The ``tunebridge`` client commands against a running installation, through its API:
connect, make a job, run it and watch it, work through the review queue, download."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.cli import main
from tests.emulators.deezer import TOKEN
from tests.support.catalogues import shared_recordings
from tests.support.sync_world import World, sync_world

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    async with sync_world(nats_url, namespace) as made:
        yield made


async def tunebridge(
    world: World, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run ``tunebridge ARGS --url <the installation>``; (status, stdout, stderr)."""
    capsys.readouterr()
    token = world.installation.token
    status = await asyncio.to_thread(
        main, [*args, "--url", str(world.api.base_url), "--token", token]
    )
    out, err = capsys.readouterr()
    return status, out, err


async def tunebridge_json(world: World, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    status, out, err = await tunebridge(world, capsys, *args, "--json")
    assert status == 0, err
    return json.loads(out)


async def test_a_session_from_connecting_to_a_finished_run(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    songs = shared_recordings(world.spotify, world.deezer, 12)
    source = world.spotify.new_playlist("From the terminal", [s.spotify_uri for s in songs])

    status, out, _ = await tunebridge(world, capsys, "connect", "deezer", "--access-token", TOKEN)
    assert status == 0 and out.startswith("connected deezer as ")
    status, out, _ = await tunebridge(world, capsys, "connections")
    assert status == 0 and out.count("\n") == 3  # the two of the world, and this one
    assert TOKEN not in out

    made = await tunebridge_json(
        world,
        capsys,
        "job",
        "--name",
        "Terminal",
        "--a",
        world.spotify_connection,
        "--b",
        world.deezer_connection,
        "--playlist",
        source,
    )
    status, out, err = await tunebridge(world, capsys, "run", made["job_id"], "--dry-run")
    assert status == 0, err
    assert "(dry run)" in out and "From the terminal: +0 -0 on A, +12 -0 on B" in out
    assert world.deezer.playlists == {}
    status, out, err = await tunebridge(world, capsys, "run", made["job_id"])
    assert status == 0, err
    assert out.startswith("run ") and ": completed" in out.splitlines()[0]
    assert "] completed (1/1 writes)" in err  # the progress bar, on stderr
    assert list(world.deezer.playlists.values()) == [[s.deezer_id for s in songs]]
    status, out, _ = await tunebridge(world, capsys, "jobs")
    assert made["job_id"] in out and "(spotify a_to_b deezer)" in out


async def test_refusals_are_told_with_the_apis_reason_and_status_1(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = await tunebridge(world, capsys, "run", "0" * 32)
    assert status == 1 and err.startswith("tunebridge: 404: no job")
    status, _, err = await tunebridge(
        world, capsys, "connect", "deezer", "--access-token", "not-a-token"
    )
    assert status == 1 and "refused" in err
    # The registry decides which providers take accounts, and the refusal names them.
    status, _, err = await tunebridge(
        world, capsys, "connect", "nowhere", "--access-token", "anything"
    )
    assert status == 1 and "no accounts at 'nowhere'" in err and "spotify" in err
    providers = await tunebridge_json(world, capsys, "providers")
    # The registry's account providers, each with how it connects (no list kept here).
    from services.connectors.registry import SPECS

    assert {p["name"]: p["auth"] for p in providers if p["auth"] != "none"} == {
        spec.name: spec.info.auth.value for spec in SPECS
    }
    assert {"spotify": "oauth_pkce", "subsonic": "subsonic_password"}.items() <= {
        p["name"]: p["auth"] for p in providers
    }.items()
    status, _, err = await tunebridge(world, capsys, "review", "1" * 32, "accept")
    assert status == 1 and "404" in err


async def test_the_review_queue_from_the_terminal(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    songs = shared_recordings(world.spotify, world.deezer, 2)
    doubtful = next(t for t in world.deezer.catalogue if t["id"] == songs[1].deezer_id)
    doubtful.update(isrc="TBXOTHER0002", duration=doubtful["duration"] + 8)
    doubtful["title"] += " (Extended)"
    source = world.spotify.new_playlist("Unsure", [s.spotify_uri for s in songs])
    job = (
        await world.api.post(
            "/api/v1/sync/jobs",
            json={
                "name": "Unsure",
                "a_connection_id": world.spotify_connection,
                "b_connection_id": world.deezer_connection,
                "playlists": [{"a_playlist_id": source}],
                "options": {"review_threshold": 0.01},
            },
        )
    ).json()
    status, out, _ = await tunebridge(world, capsys, "run", job["job_id"])
    assert status == 0 and "waiting for your review" in out
    status, out, _ = await tunebridge(world, capsys, "reviews")
    (line,) = out.splitlines()
    review_id = line.split()[0]
    assert f"{songs[1].title} -> {doubtful['title']} (" in line
    status, out, _ = await tunebridge(world, capsys, "review", review_id, "accept")
    assert status == 0 and out.strip() == f"{review_id}: decided (accept)"
    status, out, _ = await tunebridge(world, capsys, "run", job["job_id"])
    assert status == 0 and "+1 -0 on B" in out
    assert list(world.deezer.playlists.values()) == [[s.deezer_id for s in songs]]
