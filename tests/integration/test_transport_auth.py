"""NATS trusts no stranger: every connection names itself, and each service reaches only
the subjects and buckets it owns or reads (``subjects.ACCESS``), on a real nats-server.

Before, any local process could connect without credentials, read the ``users`` bucket,
write a forged session and so become admin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import nats.errors
import pytest
from nats.aio.client import Client

from services.kernel.settings import TransportSettings
from services.kernel.subjects import Topology
from tests.support.nats_auth import connect_as

pytestmark = pytest.mark.timeout(60)

Identities = tuple[str, dict[str, TransportSettings]]


@pytest.fixture
async def buckets(nats_url: str, namespace: str) -> AsyncIterator[Client]:
    """An admin connection, with the ``users``, ``sessions`` and ``jobs`` buckets made and
    alice (an admin) in ``users``."""
    admin = await nats.connect(nats_url)
    js = admin.jetstream()
    for name in ("users", "sessions", "jobs"):
        await js.create_key_value(bucket=Topology(namespace).bucket(name), history=1)
    users = await js.key_value(Topology(namespace).bucket("users"))
    await users.put("alice", b'{"user_id": "alice", "role": "admin"}')
    yield admin
    await admin.close()


async def test_a_connection_without_credentials_or_with_a_wrong_password_is_refused(
    identities: Identities,
) -> None:
    url, _ = identities
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0)
    wrong = TransportSettings(nats_user="gateway", nats_password="guessed")
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await connect_as(url, wrong)


async def test_only_the_gateway_reads_and_writes_users_and_sessions(
    identities: Identities, buckets: Client, namespace: str
) -> None:
    url, transports = identities
    users = Topology(namespace).bucket("users")
    sessions = Topology(namespace).bucket("sessions")

    gateway = await connect_as(url, transports["gateway"])
    try:
        kv = await gateway.jetstream(timeout=2).key_value(users)
        assert (await kv.get("alice")).value is not None
        await (await gateway.jetstream(timeout=2).key_value(sessions)).put("s1", b"{}")
    finally:
        await gateway.close()

    for stranger in ("downloader", "connectors", "matcher", "scheduler"):
        client = await connect_as(url, transports[stranger])
        js = client.jetstream(timeout=1)
        try:
            with pytest.raises(nats.errors.TimeoutError):  # refused: no answer ever comes
                await js.key_value(users)
            with pytest.raises(nats.errors.TimeoutError):
                await client.request(f"$JS.API.DIRECT.GET.KV_{users}.$KV.{users}.alice", timeout=1)
            with pytest.raises(nats.errors.TimeoutError):
                await js.publish(f"$KV.{users}.mallory", b'{"role": "admin"}')
            with pytest.raises(nats.errors.TimeoutError):
                await js.publish(f"$KV.{sessions}.forged", b'{"user_id": "alice"}')
        finally:
            await client.close()

    admin = buckets.jetstream()
    assert [k for k in await (await admin.key_value(users)).keys()] == ["alice"]
    assert [k for k in await (await admin.key_value(sessions)).keys()] == ["s1"]


async def test_a_service_reads_a_bucket_it_is_allowed_to_but_cannot_write_it(
    identities: Identities, buckets: Client, namespace: str
) -> None:
    """The scheduler reads the gateway's jobs; it may not change them."""
    url, transports = identities
    jobs = Topology(namespace).bucket("jobs")
    await (await buckets.jetstream().key_value(jobs)).put("u1.j1", b'{"name": "mine"}')
    scheduler = await connect_as(url, transports["scheduler"])
    try:
        js = scheduler.jetstream(timeout=1)
        kv = await js.key_value(jobs)
        assert (await kv.get("u1.j1")).value == b'{"name": "mine"}'
        with pytest.raises(nats.errors.TimeoutError):
            await kv.put("u1.j1", b'{"name": "changed"}')
    finally:
        await scheduler.close()
    entry = await (await buckets.jetstream().key_value(jobs)).get("u1.j1")
    assert entry.value == b'{"name": "mine"}'
