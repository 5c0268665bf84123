"""What one service says on the bus is believed only as far as it may speak, on a real
nats-server with every service's own identity.

Found by a local audit: any service could update an event stream (and so make it copy the
gateway's users bucket, or another stream's messages under a gateway-only subject, where
it may read or publish them); any service could write a dead letter naming another's
consumer, or misnaming a message, and so fail any user's run or download; and a message
naming the user "*" erased every user's records through a key filter."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import msgspec
import nats
import nats.errors
import pytest
from nats.aio.client import Client
from nats.js.api import StreamConfig, StreamSource

from services.kernel.bus import DeadLetter, declare_streams
from services.kernel.contracts import DeadLettered, FolderScanRequested, UserRemoved
from services.kernel.settings import TransportSettings
from services.kernel.subjects import STREAM_MAX_AGE, Topology
from tests.support.nats_auth import connect_as, without_credentials

pytestmark = pytest.mark.timeout(60)

Identities = tuple[str, dict[str, TransportSettings]]


@pytest.fixture
async def admin(nats_url: str, namespace: str) -> AsyncIterator[Client]:
    """An admin connection, the streams declared and the users bucket holding alice."""
    connection = await nats.connect(nats_url)
    js = connection.jetstream()
    await declare_streams(js, Topology(namespace), update=True)
    users = await js.create_key_value(bucket=Topology(namespace).bucket("users"), history=1)
    await users.put("alice", b'{"user_id": "alice", "password_hash": "secret"}')
    yield connection
    await connection.close()


async def test_no_service_can_make_a_stream_copy_a_bucket_or_capture_more_subjects(
    identities: Identities, admin: Client, namespace: str
) -> None:
    url, transports = identities
    topology = Topology(namespace)
    stream = topology.stream("users")
    declared = (await admin.jetstream().stream_info(stream)).config
    for service in ("downloader", "connectors", "matcher", "scheduler", "gateway"):
        connection = await connect_as(url, transports[service])
        try:
            js = connection.jetstream(timeout=1)
            copying = StreamConfig(
                name=stream,
                subjects=declared.subjects,
                sources=[StreamSource(name=f"KV_{topology.bucket('users')}")],
            )
            capturing = StreamConfig(
                name=stream, subjects=[*(declared.subjects or []), "_INBOX.gateway.>"]
            )
            for changed in (copying, capturing):
                with pytest.raises((nats.errors.TimeoutError, nats.errors.Error)):
                    await js.update_stream(changed)
            # Declaring what is there already is still allowed, and changes nothing.
            await declare_streams(js, topology)
        finally:
            await connection.close()
    now = (await admin.jetstream().stream_info(stream)).config
    assert now.subjects == declared.subjects
    assert not now.sources
    assert (await admin.jetstream().stream_info(stream)).state.messages == 0


async def test_a_service_writes_dead_letters_in_its_own_name_only(
    identities: Identities, admin: Client, namespace: str
) -> None:
    url, transports = identities
    topology = Topology(namespace)
    js = admin.jetstream()
    scan = FolderScanRequested(user_id="alice", run_id="r", folder="/music")
    subject = topology.subject(FolderScanRequested)
    sent = await js.publish(subject, msgspec.json.encode(scan), stream=topology.stream("library"))
    forged = DeadLettered(
        stream=sent.stream,
        sequence=sent.seq,
        subject=subject,
        consumer=f"{namespace}-connectors-library-folder_scan_requested",
        deliveries=5,
        reason="x",
    )
    matcher = await connect_as(url, transports["matcher"])
    try:
        mjs = matcher.jetstream(timeout=1)
        # On the connectors' subject: refused by NATS.
        with pytest.raises((nats.errors.TimeoutError, nats.errors.Error)):
            await mjs.publish(
                topology.dead_letter_subject("connectors"), msgspec.json.encode(forged)
            )
    finally:
        await matcher.close()
    # On its own subject, naming the connectors' consumer or a stream it does not
    # consume, it is not believed.
    assert not topology.may_dead_letter("matcher", forged)
    assert topology.may_dead_letter("connectors", forged)
    stranger = msgspec.structs.replace(forged, consumer=f"{namespace}-matcher-library-x")
    assert not topology.may_dead_letter("matcher", stranger)


async def test_a_dead_letter_that_misnames_its_message_names_nothing(
    admin: Client, namespace: str
) -> None:
    topology = Topology(namespace)
    js = admin.jetstream()
    scan = FolderScanRequested(user_id="alice", run_id="r", folder="/music")
    subject = topology.subject(FolderScanRequested)
    sent = await js.publish(subject, msgspec.json.encode(scan), stream=topology.stream("library"))
    true = DeadLettered(
        stream=sent.stream,
        sequence=sent.seq,
        subject=subject,
        consumer="c",
        deliveries=5,
        reason="",
    )
    assert await DeadLetter(true, js).payload() == msgspec.json.encode(scan)
    misnamed = msgspec.structs.replace(true, subject=topology.subject(UserRemoved))
    assert await DeadLetter(misnamed, js).payload() is None


@pytest.mark.parametrize("user_id", ["*", ">", "a.b", "", "x" * 65, "a b"])
def test_a_message_naming_no_single_user_does_not_decode(user_id: str) -> None:
    message = msgspec.json.encode(UserRemoved(user_id=user_id))
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(message, type=UserRemoved)


def _declare(
    url: str, namespace: str, user: str, password: str
) -> subprocess.CompletedProcess[str]:
    """``tunebridge declare`` as compose and Helm run it: its own process, its settings."""
    env = {
        **os.environ,
        "NATS_URL": without_credentials(url),
        "TUNEBRIDGE_BUS__NAMESPACE": namespace,
        "TUNEBRIDGE_TRANSPORT__NATS_USER": user,
        "TUNEBRIDGE_TRANSPORT__NATS_PASSWORD": password,
    }
    command = [sys.executable, "-m", "services.cli", "declare"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


async def test_tunebridge_declare_brings_a_stream_to_this_version_as_the_admin_only(
    identities: Identities, admin: Client, namespace: str, nats_url: str
) -> None:
    url, transports = identities
    topology = Topology(namespace)
    js = admin.jetstream()
    stream = topology.stream("users")
    stale = (await js.stream_info(stream)).config
    stale.max_age = 600.0  # as an older version might have declared it
    await js.update_stream(stale)

    scheduler = transports["scheduler"]
    refused = await asyncio.to_thread(
        _declare, url, namespace, "scheduler", scheduler.nats_password
    )
    assert refused.returncode == 2 and "admin" in refused.stderr
    assert (await js.stream_info(stream)).config.max_age == 600.0

    password = urlsplit(nats_url).password or ""  # the suite's own url is the admin's
    declared = await asyncio.to_thread(_declare, url, namespace, "admin", password)
    assert declared.returncode == 0, declared.stderr
    assert (await js.stream_info(stream)).config.max_age == float(STREAM_MAX_AGE["users"])
    assert password not in declared.stderr + declared.stdout
    await js.key_value(topology.bucket("sessions"))  # every bucket made too
