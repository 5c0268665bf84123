"""An installation of all five services per test, an HTTP client for its gateway, and a
store of its own on the test's NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from faststream.nats import NatsBroker

from services.kernel.bus import jetstream
from services.kernel.settings import TransportSettings
from services.kernel.store import Store
from services.kernel.subjects import Topology
from tests.support.installation import Installation, running_installation
from tests.support.nats_auth import identities_for


@pytest.fixture
async def installation(nats_url: str, namespace: str) -> AsyncIterator[Installation]:
    async with running_installation(nats_url, namespace) as running:
        yield running


@pytest.fixture
async def api(installation: Installation) -> AsyncIterator[httpx.AsyncClient]:
    async with installation.client(timeout=10) as client:
        yield client


@pytest.fixture
async def store(nats_url: str, namespace: str) -> AsyncIterator[Store]:
    broker = NatsBroker(nats_url)
    await broker.connect()
    opened = Store(jetstream(broker), Topology(namespace))
    await opened.open()
    yield opened
    await broker.stop()


@pytest.fixture
def identities(nats_url: str, namespace: str) -> Iterator[tuple[str, dict[str, TransportSettings]]]:
    """The test NATS's address and every service's own credentials on it."""
    with identities_for(nats_url, namespace) as (url, transports):
        if not transports["gateway"].nats_user:
            pytest.skip("the server given by --nats-url is not ours to configure")
        yield url, transports
