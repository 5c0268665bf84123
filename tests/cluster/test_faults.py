"""A three-node JetStream cluster, two replicas of every service, and faults during a
1,000-track sync: one NATS node killed, then one replica of each service in turn, then all
brought back. The run completes exactly: every track once, in its order.

A seed picks the moments (and which replica dies); CI runs one seed, and
``pytest -m cluster tests/cluster --cluster-seeds 10`` runs ten and prints the count.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.kernel.runtime import SERVICE_NAMES, Runtime
from tests.support.catalogues import shared_recordings
from tests.support.cluster import REPLICAS, NatsCluster
from tests.support.sync_world import World, sync_world

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]

TRACKS = 1000
#: A killed worker's message goes to another after this long (short, so faults cost seconds).
ACK_WAIT_S = 3.0


@pytest.fixture
async def world(cluster_url: str, namespace: str) -> AsyncIterator[World]:
    # The shipped redelivery policy: a handler whose NATS call times out while a stream
    # elects its new leader (seconds) is tried again later, as in production.
    async with sync_world(
        cluster_url,
        namespace,
        instances=2,
        bus_replicas=REPLICAS,
        ack_wait_s=ACK_WAIT_S,
        production_retries=True,
    ) as made:
        yield made


async def crash(runtime: Runtime) -> None:
    """Take a replica down the way a killed pod goes: its NATS connection drops first
    (nothing acked, nothing drained), then its tasks and servers stop."""
    broker = runtime.context.bus.broker
    for subscriber in broker.subscribers:
        # Its pull loop ends at its next turn instead of spinning on the closed connection
        # (what a dead process would not do); messages in hand stay unacknowledged.
        subscriber.running = False
    await broker.config.connection_state.connection.close()
    await runtime.stop()


class Api:
    """The API through whichever gateway replica answers (one may be down)."""

    def __init__(self, world: World) -> None:
        token = world.api.headers["Authorization"]
        self.clients = [
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{made.app.port}",  # type: ignore[attr-defined]
                headers={"Authorization": token},
                timeout=10,
            )
            for made in world.installation.replicas["gateway"]
        ]

    async def get(self, url: str) -> httpx.Response | None:
        """The first good answer, or None while none can give one (a NATS node's streams
        electing new leaders: the gateways answer 503 for those seconds)."""
        for client in self.clients:
            try:
                answer = await client.get(url)
            except httpx.HTTPError:
                continue
            if answer.status_code < 500:
                return answer
        return None

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


async def faults(world: World, cluster: NatsCluster, rng: random.Random, log: list[str]) -> None:
    """One NATS node down, then one replica of each service, then everything back."""
    installation = world.installation
    assert installation.spawn is not None
    await asyncio.sleep(rng.uniform(0.5, 3.0))
    node = rng.randrange(len(cluster.nodes))
    await asyncio.to_thread(cluster.kill, node)
    log.append(f"NATS node n{node} killed")
    print(log[-1], flush=True)
    killed: list[str] = []
    for name in SERVICE_NAMES:
        await asyncio.sleep(rng.uniform(0.3, 2.0))
        # The first gateway is the one the test's own client signs in through; a replica
        # of the others is picked by the seed.
        index = 1 if name == "gateway" else rng.randrange(2)
        victim = installation.replicas[name].pop(index)
        if installation.runtimes[name] is victim:
            installation.runtimes[name] = installation.replicas[name][0]
        await crash(victim)
        killed.append(name)
        log.append(f"{name} replica {index} killed")
        print(log[-1], flush=True)
    await asyncio.sleep(rng.uniform(0.5, 2.0))
    await asyncio.to_thread(cluster.restart, node)
    log.append(f"NATS node n{node} restarted")
    for name in killed:
        await installation.spawn(name)
        log.append(f"{name} replica restarted")


async def test_a_sync_completes_exactly_through_node_and_replica_crashes(
    world: World, cluster: NatsCluster, seed: int
) -> None:
    rng = random.Random(seed)
    shared = shared_recordings(world.spotify, world.deezer, TRACKS)
    source = world.spotify.new_playlist("Ten hundred", [r.spotify_uri for r in shared])
    answer = await world.api.post(
        "/api/v1/sync/jobs",
        json={
            "name": "Spotify to Deezer",
            "a_connection_id": world.spotify_connection,
            "b_connection_id": world.deezer_connection,
            "playlists": [{"a_playlist_id": source}],
        },
    )
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["job_id"]
    started = time.monotonic()
    answer = await world.api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={"dry_run": False})
    assert answer.status_code == 202, answer.text
    url = answer.json()["url"]

    log: list[str] = []
    chaos = asyncio.create_task(faults(world, cluster, rng, log))
    api = Api(world)
    view: dict[str, Any] = {}
    answered = time.monotonic()
    longest_gap = 0.0
    try:
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            answer = await api.get(url)
            now = time.monotonic()
            if answer is None:
                longest_gap = max(longest_gap, now - answered)
                await asyncio.sleep(0.25)
                continue
            answered, view = now, answer.json()
            if view["status"] in ("completed", "failed", "cancelled") and chaos.done():
                break
            await asyncio.sleep(0.25)
        await chaos  # its own failure, if any, is the test's
    finally:
        await api.close()
        if not chaos.done():
            chaos.cancel()
    took = time.monotonic() - started
    print(
        f"\nseed {seed}: {'; '.join(log)}; run {view.get('status')} in {took:.1f}s; "
        f"longest without an answer from the API {longest_gap:.1f}s"
    )
    assert view["status"] == "completed", view
    # Every track once, in the playlist's order.
    assert world.deezer_titles() == {"Ten hundred": [r.deezer_id for r in shared]}
    assert view["counts"]["add_to_b"] == TRACKS, view["counts"]
    assert cluster.alive(), "a NATS node did not come back"
    # A node's failover is seconds of 503s from the API, not an outage.
    assert longest_gap < 30, longest_gap
