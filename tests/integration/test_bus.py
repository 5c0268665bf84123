"""Delivery rules of the bus, against a real JetStream: dedupe, retries, dead letters by
reference, progress while a handler works, and takeover when a worker dies."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from faststream.nats import ConsumerConfig, NatsBroker

from services.kernel.bus import (
    DEAD_LETTER_TRIES,
    Bus,
    BusSettings,
    DeadLetter,
    Unprocessable,
    declare_streams,
    jetstream,
)
from services.kernel.contracts import DeadLettered, RunCompleted
from services.kernel.subjects import Topology

pytestmark = pytest.mark.timeout(60)


async def connected(nats_url: str, namespace: str, **settings: object) -> Bus:
    """A bus of the ``tests`` service, its streams declared."""
    broker = NatsBroker(nats_url)
    await broker.connect()
    topology = Topology(namespace)
    await declare_streams(jetstream(broker), topology)
    return Bus(
        broker, topology, "tests", BusSettings(nats_url=nats_url, namespace=namespace, **settings)
    )


@pytest.fixture
async def bus(nats_url: str, namespace: str) -> AsyncIterator[Bus]:
    opened = await connected(nats_url, namespace, max_deliver=3, retry_backoff_s=(0.05,))
    yield opened
    await opened.broker.stop()


async def dead_letters(bus: Bus, count: int, within: float = 10) -> list[DeadLettered]:
    """The first ``count`` dead letters of this namespace."""
    js = jetstream(bus.broker)
    subscription = await js.pull_subscribe(
        f"{bus.topology.dead_letters}.>", stream=bus.topology.stream("deadletter")
    )
    letters: list[DeadLettered] = []
    while len(letters) < count:  # fetch returns as soon as anything is there
        for message in await subscription.fetch(count - len(letters), timeout=within):
            letters.append(msgspec.json.decode(message.data, type=DeadLettered))
    return letters


def completed(event_id: str) -> RunCompleted:
    return RunCompleted(user_id="u1", event_id=event_id, run_id="r1", status="completed")


async def test_republishing_the_same_event_id_is_stored_once(bus: Bus) -> None:
    await bus.publish(completed("same"))
    await bus.publish(completed("same"))
    await bus.publish(completed("other"))
    info = await jetstream(bus.broker).stream_info(bus.topology.stream("runs"))
    assert info.state.messages == 2


async def test_failing_handler_is_retried_then_dead_lettered_without_looping(bus: Bus) -> None:
    attempts: list[str] = []

    async def always_fails(event: RunCompleted) -> None:
        attempts.append(event.event_id)
        raise RuntimeError("provider is down")

    bus.consume(RunCompleted, always_fails)
    await bus.broker.start()
    await bus.publish(completed("e1"))
    (letter,) = await dead_letters(bus, 1)
    await asyncio.sleep(0.5)  # a loop would keep calling the handler
    assert attempts == ["e1", "e1", "e1"]
    assert letter.deliveries == 3
    assert "provider is down" in letter.reason
    assert letter.consumer == bus.topology.durable("tests", RunCompleted)
    assert letter.msg_id == "e1"
    original = await DeadLetter(letter, jetstream(bus.broker)).payload()
    assert original is not None
    assert msgspec.json.decode(original, type=RunCompleted).event_id == "e1"


async def test_a_message_too_large_to_copy_is_dead_lettered_by_reference(bus: Bus) -> None:
    """A 7 MiB message (a hostile album name) could not be copied into a dead letter under
    the 8 MB limit, so it was never dead-lettered and its download waited forever."""
    attempts: list[int] = []

    async def fails(event: RunCompleted) -> None:
        attempts.append(len(event.error or ""))
        raise RuntimeError("the source refused so long a query")

    bus.consume(RunCompleted, fails)
    await bus.broker.start()
    huge = RunCompleted(
        user_id="u1", event_id="huge", run_id="r1", status="failed", error="x" * (7 << 20)
    )
    await bus.publish(huge)
    (letter,) = await dead_letters(bus, 1)
    assert attempts == [7 << 20] * 3
    assert len(msgspec.json.encode(letter)) < 1000  # a reference, not a copy
    assert (letter.stream, letter.msg_id) == (bus.topology.stream("runs"), "huge")
    original = await DeadLetter(letter, jetstream(bus.broker)).payload()
    assert original is not None
    assert msgspec.json.decode(original, type=RunCompleted) == huge


async def test_transient_failure_succeeds_on_redelivery(bus: Bus) -> None:
    handled: list[int] = []

    async def flaky(event: RunCompleted) -> None:
        handled.append(1)
        if len(handled) == 1:
            raise ConnectionError("blip")

    bus.consume(RunCompleted, flaky)
    await bus.broker.start()
    await bus.publish(completed("e2"))
    for _ in range(100):
        if len(handled) >= 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    assert len(handled) == 2
    js = jetstream(bus.broker)
    info = await js.consumer_info(
        bus.topology.stream("runs"), bus.topology.durable("tests", RunCompleted)
    )
    assert info.num_ack_pending == 0 and info.num_pending == 0


async def test_undecodable_and_unprocessable_messages_go_straight_to_dead_letters(bus: Bus) -> None:
    seen: list[str] = []

    async def handler(event: RunCompleted) -> None:
        seen.append(event.event_id)
        if event.event_id == "refuse":
            raise Unprocessable("run belongs to nobody")

    bus.consume(RunCompleted, handler)
    await bus.broker.start()
    subject = bus.topology.subject(RunCompleted)
    stream = bus.topology.stream("runs")
    await bus.broker.publish(b"{not json", subject, stream=stream)
    # Claiming to be JSON changes nothing: the bus decodes, not the broker.
    await bus.broker.publish(
        b"\xff\xfe{", subject, stream=stream, headers={"content-type": "application/json"}
    )
    await bus.broker.publish(b'{"type": "runs.completed", "run_id": 5}', subject, stream=stream)
    await bus.publish(completed("refuse"))
    await bus.publish(completed("fine"))
    letters = await dead_letters(bus, 4)
    reasons = sorted(letter.reason.split(":")[0] for letter in letters)
    assert reasons == ["undecodable", "undecodable", "undecodable", "unprocessable"]
    assert all(letter.deliveries == 1 for letter in letters)
    for _ in range(100):  # a fetched batch is handled concurrently: no order to rely on
        if len(seen) >= 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    assert sorted(seen) == ["fine", "refuse"]


async def test_a_handler_slower_than_the_ack_wait_is_not_redelivered(
    nats_url: str, namespace: str
) -> None:
    bus = await connected(nats_url, namespace, ack_wait_s=1.0)
    calls: list[str] = []
    done = asyncio.Event()

    async def slow(event: RunCompleted) -> None:
        calls.append(event.event_id)
        await asyncio.sleep(3.5)  # three and a half ack waits
        done.set()

    try:
        bus.consume(RunCompleted, slow)
        await bus.broker.start()
        await bus.publish(completed("slow"))
        await asyncio.wait_for(done.wait(), 10)
        await asyncio.sleep(1.5)  # a redelivery would have come by now
        info = await jetstream(bus.broker).consumer_info(
            bus.topology.stream("runs"), bus.topology.durable("tests", RunCompleted)
        )
    finally:
        await bus.broker.stop()
    assert calls == ["slow"]
    assert (info.num_redelivered, info.num_ack_pending, info.num_pending) == (0, 0, 0)


async def test_a_killed_workers_message_is_taken_by_another_within_about_the_ack_wait(
    nats_url: str, namespace: str, tmp_path: Path
) -> None:
    ack_wait = 3.0
    marker = tmp_path / "started"
    worker = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.support.bus_worker", nats_url, namespace),
        *(str(ack_wait), str(marker)),
    )
    publisher = await connected(nats_url, namespace)
    other: Bus | None = None
    try:
        for _ in range(200):  # the worker's durable exists once it is pulling
            try:
                await jetstream(publisher.broker).consumer_info(
                    publisher.topology.stream("runs"),
                    publisher.topology.durable("tests", RunCompleted),
                )
                break
            except Exception:
                await asyncio.sleep(0.1)
        await publisher.publish(completed("held"))
        for _ in range(200):
            if await asyncio.to_thread(marker.exists):
                break
            await asyncio.sleep(0.05)
        assert await asyncio.to_thread(marker.read_text) == "held"
        await asyncio.sleep(2 * ack_wait)  # working past its ack wait: nobody takes it yet
        taken: list[tuple[str, float]] = []
        other = await connected(nats_url, namespace, ack_wait_s=ack_wait)

        async def takes(event: RunCompleted) -> None:
            taken.append((event.event_id, time.monotonic()))

        other.consume(RunCompleted, takes)
        await other.broker.start()
        await asyncio.sleep(ack_wait)
        assert taken == []  # the living worker still holds it
        worker.send_signal(signal.SIGKILL)
        await asyncio.wait_for(worker.wait(), 10)
        killed = time.monotonic()
        for _ in range(300):
            if taken:
                break
            await asyncio.sleep(0.05)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
        await publisher.broker.stop()
        if other is not None:
            await other.broker.stop()
    assert [event_id for event_id, _ in taken] == ["held"]
    # Within one ack wait of its last progress report, plus a pull's second.
    print(f"taken over {taken[0][1] - killed:.1f} s after the kill (ack wait {ack_wait} s)")
    assert taken[0][1] - killed < ack_wait + 1.5


async def test_a_durable_made_with_the_old_ack_wait_gets_the_new_one(
    nats_url: str, namespace: str
) -> None:
    """JetStream keeps a durable's config: an installation made with 120 s would keep it."""
    bus = await connected(nats_url, namespace, ack_wait_s=30.0)
    js = jetstream(bus.broker)
    stream = bus.topology.stream("runs")
    durable = bus.topology.durable("tests", RunCompleted)
    try:
        await js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name=durable,
                filter_subject=bus.topology.subject(RunCompleted),
                ack_wait=120.0,
                max_deliver=5,
            ),
        )
        bus.consume(RunCompleted, lambda event: asyncio.sleep(0))
        await bus.declare_consumers()
        await bus.broker.start()
        info = await js.consumer_info(stream, durable)
    finally:
        await bus.broker.stop()
    assert info.config.ack_wait == 30.0
    assert info.config.max_deliver == bus.settings.max_deliver + DEAD_LETTER_TRIES
