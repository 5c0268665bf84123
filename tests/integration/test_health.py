"""``GET /api/v1/health`` tells the truth about every service and dependency."""

from __future__ import annotations

import socket

import httpx
import pytest

from services.downloader.app import DownloaderApp
from services.downloader.settings import DownloaderSettings
from services.kernel.runtime import Runtime
from tests.support.installation import Installation, fast_bus_settings, running_installation
from tests.support.redis_server import reachable_redis

pytestmark = pytest.mark.timeout(60)

EXPECTED = {"gateway", "connectors", "matcher", "downloader", "scheduler"}


async def test_all_ready_is_200_and_a_stopped_service_makes_it_503(
    installation: Installation, api: httpx.AsyncClient
) -> None:
    healthy = await api.get("/api/v1/health")
    assert healthy.status_code == 200
    body = healthy.json()
    assert body["status"] == "ok"
    assert set(body["services"]) == EXPECTED
    assert all(s["ready"] and s["ready_instances"] == 1 for s in body["services"].values())
    assert body["nats"] == {"ready": True, "error": None}
    assert body["redis"] is None  # not configured

    await installation.runtimes["downloader"].stop()
    degraded = await api.get("/api/v1/health")
    assert degraded.status_code == 503
    body = degraded.json()
    assert body["status"] == "unavailable"
    assert body["services"]["downloader"]["ready"] is False
    assert body["services"]["matcher"]["ready"] is True


@pytest.mark.parametrize("redis_works", [True, False], ids=["redis-up", "redis-down"])
async def test_configured_redis_is_part_of_health(
    nats_url: str, namespace: str, redis_works: bool
) -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    url = reachable_redis() if redis_works else "redis://127.0.0.1:1/0"
    async with (
        running_installation(nats_url, namespace, redis_url=url) as installation,
        installation.client() as api,
    ):
        response = await api.get("/api/v1/health")
    assert response.status_code == (200 if redis_works else 503)
    assert response.json()["redis"]["ready"] is redis_works
    assert "127.0.0.1:1" not in response.text  # addresses (and passwords) are not echoed


async def test_openapi_document_and_viewer_are_served(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/schema/openapi.json")).json()
    assert {"/api/v1/health", "/api/v1/runs/missing-tracks", "/api/v1/runs/{run_id}"} <= set(
        schema["paths"]
    )
    viewer = await api.get("/schema/swagger")
    assert viewer.status_code == 200 and "swagger" in viewer.text.lower()


async def test_each_service_serves_probes_and_metrics_even_when_its_port_is_taken(
    nats_url: str, namespace: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        runtime = Runtime(
            DownloaderApp(DownloaderSettings(grpc_port=0)),
            fast_bus_settings(nats_url, namespace),
            ops_port=port,
        )
        await runtime.start()
        try:
            ops = int(runtime.context.detail["ops_port"])
            assert ops != port
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ops}") as client:
                assert (await client.get("/readyz")).status_code == 200
                assert (await client.get("/livez")).status_code == 200
                metrics = await client.get("/metrics")
            assert metrics.status_code == 200 and "faststream" in metrics.text
        finally:
            await runtime.stop()
