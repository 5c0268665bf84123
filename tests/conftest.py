"""Session-wide fixtures: a real nats-server with JetStream, and per-test isolation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.kernel.natsserver import NatsServer
from tests.support import nats_auth


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--nats-url",
        default=None,
        help="use this NATS (with JetStream) instead of starting a private nats-server",
    )


@pytest.fixture(scope="session")
def nats_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path | None]]:
    """A real nats-server started for this session on a port of its choosing, and its data
    directory (None when ``--nats-url`` names a server of someone else's)."""
    given = request.config.getoption("--nats-url")
    if given:
        yield given, None
        return
    directory = tmp_path_factory.mktemp("nats")
    server = NatsServer(directory)
    yield nats_auth.start(server).admin_url, directory
    server.stop()


@pytest.fixture(scope="session")
def nats_url(nats_server: tuple[str, Path | None]) -> str:
    return nats_server[0]


@pytest.fixture
def namespace() -> str:
    """A token that isolates one test's subjects, streams, durables and buckets."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def music_dir(tmp_path: Path) -> Path:
    """An empty folder to fill with audio files."""
    folder = tmp_path / "music"
    folder.mkdir()
    return folder
