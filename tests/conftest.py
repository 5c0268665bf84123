"""Session-wide fixtures: a real nats-server with JetStream, and per-test isolation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.kernel.natsserver import NatsServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--nats-url",
        default=None,
        help="use this NATS (with JetStream) instead of starting a private nats-server",
    )


@pytest.fixture(scope="session")
def nats_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real nats-server started for this session on a port of its choosing."""
    given = request.config.getoption("--nats-url")
    if given:
        yield given
        return
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    url = server.start()
    yield url
    server.stop()


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
