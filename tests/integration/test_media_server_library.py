"""A Plex server as the library of a missing-tracks check, alone or with a folder."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from services.connectors.adapters.accounts import Accounts
from services.connectors.registry import ProviderSettings
from services.kernel.crypto import SecretBox, SecretsSettings, generate_key_spec
from tests.emulators.plex import TOKEN, PlexState, plex_app
from tests.emulators.scripted import serving
from tests.support.audio import make_audio
from tests.support.installation import Installation, running_installation
from tests.support.runs import wait_for_run

pytestmark = pytest.mark.timeout(120)
KEY = generate_key_spec("k1")

# One track only the Plex server holds, one only the folder, one neither.
PLAYLIST = [
    {"title": "Try It Out (Neon mix)", "artists": ["Skrillex"], "album": "Try It Out"},
    {"title": "Bohemian Rhapsody", "artists": ["Queen"]},
    {"title": "Smells Like Teen Spirit", "artists": ["Nirvana"]},
]


@asynccontextmanager
async def installation_with_plex(
    nats_url: str, namespace: str, server_url: str, token: str = TOKEN
) -> AsyncIterator[tuple[Installation, str]]:
    """A running installation, and the id of the local user's connection to ``server_url``."""
    settings = ProviderSettings(secrets=SecretsSettings(keys=(KEY,)))
    async with running_installation(nats_url, namespace, providers=settings) as installation:
        accounts = Accounts(
            installation.store,
            SecretBox([KEY]),
            "http://127.0.0.1:9",
        )
        record = await accounts.add_from_tokens(
            installation.user_id,
            "plex",
            token,
            None,
            10 * 365 * 86400,
            None,
            server_url=server_url,
        )
        await accounts.close()
        yield installation, record.connection_id


async def check(
    installation: Installation, body: dict[str, object], within: float = 30
) -> dict[str, object]:
    async with installation.client(timeout=10) as client:
        response = await client.post("/api/v1/runs/missing-tracks", json=body)
        assert response.status_code == 202, response.text
        return await wait_for_run(client, response.json()["run_id"], within)


def titles(items: object) -> set[str]:
    assert isinstance(items, list)
    return {item["track"]["title"] for item in items}


async def test_tracks_on_the_plex_server_or_in_the_folder_count_as_present(
    nats_url: str, namespace: str, music_dir: Path
) -> None:
    make_audio(music_dir / "queen.mp3", seconds=3, title="Bohemian Rhapsody", artist="Queen")
    async with (
        serving(plex_app(PlexState())) as plex_url,
        installation_with_plex(nats_url, namespace, plex_url) as (installation, connection),
    ):
        run = await check(
            installation,
            {"folder": str(music_dir), "library_connection_id": connection, "tracks": PLAYLIST},
        )
        plex_only = await check(
            installation, {"library_connection_id": connection, "tracks": PLAYLIST}
        )

    assert run["status"] == "completed", run
    assert titles(run["present"]) == {"Try It Out (Neon mix)", "Bohemian Rhapsody"}
    assert titles(run["missing"]) == {"Smells Like Teen Spirit"}
    assert plex_only["status"] == "completed", plex_only
    assert titles(plex_only["present"]) == {"Try It Out (Neon mix)"}
    assert titles(plex_only["missing"]) == {"Bohemian Rhapsody", "Smells Like Teen Spirit"}


async def test_a_plex_server_that_refuses_us_leaves_its_tracks_missing_and_says_so(
    nats_url: str, namespace: str, music_dir: Path
) -> None:
    make_audio(music_dir / "queen.mp3", seconds=3, title="Bohemian Rhapsody", artist="Queen")
    async with (
        serving(plex_app(PlexState())) as plex_url,
        installation_with_plex(nats_url, namespace, plex_url, token="revoked") as (
            installation,
            connection,
        ),
    ):
        run = await check(
            installation,
            {"folder": str(music_dir), "library_connection_id": connection, "tracks": PLAYLIST},
        )

    assert run["status"] == "completed", run
    assert titles(run["present"]) == {"Bohemian Rhapsody"}
    assert titles(run["missing"]) == {"Try It Out (Neon mix)", "Smells Like Teen Spirit"}
    notes = run["notes"]
    assert isinstance(notes, list) and len(notes) == 1
    assert notes[0].startswith("plex could not be read"), notes


async def test_a_plex_server_that_is_down_leaves_every_track_missing(
    nats_url: str, namespace: str
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{closed.getsockname()[1]}"
    async with installation_with_plex(nats_url, namespace, down) as (installation, connection):
        run = await check(
            installation, {"library_connection_id": connection, "tracks": PLAYLIST}, within=90
        )

    assert run["status"] == "completed", run
    assert run["summary"] == {"total": 3, "present": 0, "missing": 3}
    notes = run["notes"]
    assert isinstance(notes, list) and notes[0].startswith("plex could not be read"), notes


async def test_a_library_connection_must_exist_and_hold_a_library(
    nats_url: str, namespace: str
) -> None:
    async with (
        installation_with_plex(nats_url, namespace, "http://127.0.0.1:9") as (installation, _),
        installation.client(timeout=10) as client,
    ):
        unknown = await client.post(
            "/api/v1/runs/missing-tracks",
            json={"library_connection_id": "0" * 32, "tracks": PLAYLIST},
        )
        neither = await client.post("/api/v1/runs/missing-tracks", json={"tracks": PLAYLIST})
        store = installation.store
        runs = await store.keys("runs")

    assert unknown.status_code == 400 and "no connection" in unknown.text
    assert neither.status_code == 400 and "library_connection_id" in neither.text
    assert runs == []  # nothing was started
