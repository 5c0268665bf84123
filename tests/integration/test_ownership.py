"""Each bucket has one owner (``subjects.ACCESS``): a service that used to write another's
bucket now asks its owner (a command on the bus or a gRPC call), and NATS refuses the old
path. Checked on a real nats-server with each service's own identity."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import grpc
import nats
import nats.errors
import pytest
from opentelemetry.sdk.trace import TracerProvider

from services.kernel.contracts import ReviewDecided, ScoredCandidate, Track, new_id, utcnow
from services.kernel.grpcwire import GrpcAuth, channel
from services.kernel.records import (
    ReviewRecord,
    SyncPairState,
    SyncRunRecord,
    review_key,
    sync_pair_key,
    sync_run_key,
)
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from services.kernel.settings import TransportSettings
from services.kernel.subjects import ACCESS, Topology
from services.scheduler.mappings import load_mappings
from tests.support.installation import Installation
from tests.support.nats_auth import connect_as
from tests.support.sync_world import World, sync_world

pytestmark = pytest.mark.timeout(60)

#: (former writer, bucket): writes that moved to the bucket's owner.
MOVED = [
    ("gateway", "runs"),
    ("gateway", "connections"),
    ("gateway", "reviews"),
    ("gateway", "mappings"),
    ("gateway", "sync_pairs"),
    ("gateway", "sync_runs"),
    ("gateway", "downloads"),
    ("scheduler", "schedules"),
]


@pytest.mark.parametrize(("former", "bucket"), MOVED)
async def test_a_former_writer_is_refused_and_the_owner_still_writes(
    identities: tuple[str, dict[str, TransportSettings]],
    nats_url: str,
    namespace: str,
    former: str,
    bucket: str,
) -> None:
    url, transports = identities
    name = Topology(namespace).bucket(bucket)
    admin = await nats.connect(nats_url)
    try:
        kv = await admin.jetstream().create_key_value(bucket=name, history=1)
        await kv.put("u1.x1", b'{"kept": true}')
        client = await connect_as(url, transports[former])
        try:
            js = client.jetstream(timeout=1)
            with pytest.raises(nats.errors.TimeoutError):  # refused: no answer ever comes
                await js.publish(f"$KV.{name}.u1.x1", b'{"forged": true}')
            with pytest.raises(nats.errors.TimeoutError):
                await js.publish(f"$KV.{name}.u1.x2", b'{"new": true}')
            if former in ACCESS[bucket].readers:  # the owner's read model stays readable
                mine = await js.key_value(name)
                assert (await mine.get("u1.x1")).value == b'{"kept": true}'
        finally:
            await client.close()
        owner = await connect_as(url, transports[ACCESS[bucket].owner])
        try:
            await owner.jetstream(timeout=2).publish(f"$KV.{name}.u1.x3", b'{"owner": true}')
        finally:
            await owner.close()
        assert sorted(await kv.keys()) == ["u1.x1", "u1.x3"]
        assert (await kv.get("u1.x1")).value == b'{"kept": true}'
    finally:
        await admin.close()


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    async with sync_world(nats_url, namespace) as made:
        yield made


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_what_the_gateway_asks_of_the_scheduler_is_done_by_the_scheduler(
    world: World,
) -> None:
    """A review decision, a job's deletion and a run's cancellation are answered as before,
    though the scheduler, not the gateway, now writes its buckets."""
    store, bus, user_id = (
        world.installation.store,
        world.installation.bus,
        world.installation.user_id,
    )
    review = ReviewRecord(
        review_id=new_id(),
        user_id=user_id,
        job_id=new_id(),
        run_id=new_id(),
        from_provider="spotify",
        to_provider="deezer",
        source=Track(title="Mine", provider_id="sp-1"),
        candidates=[ScoredCandidate(track=Track(title="Mine", provider_id="dz-1"), confidence=0.6)],
    )
    await store.put("reviews", review_key(user_id, review.review_id), review)
    answer = await world.api.post(
        f"/api/v1/reviews/{review.review_id}/decision",
        json={"decision": "choose", "candidate_id": "dz-9"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "decided" and answer.json()["chosen_id"] == "dz-9"
    mapped = await load_mappings(store, user_id, "spotify", ["sp-1"], "deezer")
    assert mapped["sp-1"].target_id == "dz-9" and mapped["sp-1"].source == "review"
    # An older answer delivered late (or again) does not undo the person's last one.
    stale = ReviewDecided(
        user_id=user_id,
        review_id=review.review_id,
        decision="not_on_service",
        chosen_id="-",
        decided_at=utcnow() - timedelta(minutes=5),
    )
    await bus.publish(stale)
    await asyncio.sleep(1.0)
    again = await store.get("reviews", review_key(user_id, review.review_id), ReviewRecord)
    assert again is not None and again.chosen_id == "dz-9"
    mapped = await load_mappings(store, user_id, "spotify", ["sp-1"], "deezer")
    assert mapped["sp-1"].target_id == "dz-9"

    made = await world.api.post(
        "/api/v1/sync/jobs",
        json={
            "name": "Gone soon",
            "a_connection_id": world.spotify_connection,
            "b_connection_id": world.deezer_connection,
            "liked": True,
        },
    )
    assert made.status_code == 201, made.text
    job_id = made.json()["job_id"]
    pair = sync_pair_key(user_id, job_id, "liked")
    await store.put("sync_pairs", pair, SyncPairState(pair_key="liked", name="Liked"))
    run_id = new_id()
    pending = SyncRunRecord(run_id=run_id, user_id=user_id, job_id=job_id)
    await store.put("sync_runs", sync_run_key(user_id, run_id), pending)
    cancelled = await world.api.post(f"/api/v1/sync/runs/{run_id}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"

    assert (await world.api.delete(f"/api/v1/sync/jobs/{job_id}")).status_code == 204

    async def forgotten() -> bool:
        return await store.get("sync_pairs", pair, SyncPairState) is None

    assert await _until(forgotten)


def _dial(installation: Installation, service: str, caller: str) -> grpc.aio.Channel:
    """A channel to ``service`` whose calls carry ``caller``'s own token."""
    port = installation.runtimes[service].context.detail["grpc_port"]
    token = installation.transports[caller].grpc_token
    return channel(f"127.0.0.1:{port}", TracerProvider(), GrpcAuth(token))


async def test_only_the_connectors_erase_a_connection_once_and_only_the_gateway_may_ask(
    world: World,
) -> None:
    installation, user_id = world.installation, world.installation.user_id
    asked = catalog_pb2.DisconnectRequest(user_id=user_id, connection_id=world.deezer_connection)
    async with _dial(installation, "connectors", caller="scheduler") as stranger:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await catalog_pb2_grpc.ConnectionsServiceStub(stranger).Disconnect(asked)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    async with _dial(installation, "connectors", caller="gateway") as dialled:
        connections = catalog_pb2_grpc.ConnectionsServiceStub(dialled)
        assert (await connections.Disconnect(asked)).removed == 1
        assert (await connections.Disconnect(asked)).removed == 0  # asked again: no error
        with pytest.raises(grpc.aio.AioRpcError) as vague:
            await connections.Disconnect(catalog_pb2.DisconnectRequest(user_id=user_id))
        assert vague.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    gone = await world.api.get(f"/api/v1/connections/{world.deezer_connection}")
    assert gone.status_code == 404
    kept = await world.api.get(f"/api/v1/connections/{world.spotify_connection}")
    assert kept.status_code == 200
