"""An installation of all five services per test, and an HTTP client for its gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.installation import Installation, running_installation


@pytest.fixture
async def installation(nats_url: str, namespace: str) -> AsyncIterator[Installation]:
    async with running_installation(nats_url, namespace) as running:
        yield running


@pytest.fixture
async def api(installation: Installation) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=installation.base_url, timeout=10) as client:
        yield client
