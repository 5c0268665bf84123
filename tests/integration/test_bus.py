"""Delivery rules of the bus, against a real JetStream: dedupe, retries, dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest
from faststream.nats import NatsBroker

from services.kernel.bus import Bus, BusSettings, Unprocessable, declare_streams, jetstream
from services.kernel.contracts import DeadLettered, RunCompleted
from services.kernel.subjects import Topology

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def bus(nats_url: str, namespace: str) -> AsyncIterator[Bus]:
    settings = BusSettings(
        nats_url=nats_url, namespace=namespace, max_deliver=3, retry_backoff_s=(0.05,)
    )
    broker = NatsBroker(nats_url)
    await broker.connect()
    topology = Topology(namespace)
    await declare_streams(broker, topology)
    yield Bus(broker, topology, "tests", settings)
    await broker.stop()


async def dead_letters(bus: Bus, count: int, within: float = 10) -> list[DeadLettered]:
    """The first ``count`` dead letters of this namespace."""
    js = jetstream(bus.broker)
    subscription = await js.pull_subscribe(
        bus.topology.dead_letter_subject, stream=bus.topology.stream("deadletter")
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
    assert msgspec.json.decode(letter.data, type=RunCompleted).event_id == "e1"
    assert letter.headers["Nats-Msg-Id"] == "e1"


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
    await bus.broker.publish(b'{"type": "runs.completed", "run_id": 5}', subject, stream=stream)
    await bus.publish(completed("refuse"))
    await bus.publish(completed("fine"))
    letters = await dead_letters(bus, 3)
    reasons = sorted(letter.reason.split(":")[0] for letter in letters)
    assert reasons == ["undecodable", "undecodable", "unprocessable"]
    assert all(letter.deliveries == 1 for letter in letters)
    for _ in range(100):  # a fetched batch is handled concurrently: no order to rely on
        if len(seen) >= 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    assert sorted(seen) == ["fine", "refuse"]
