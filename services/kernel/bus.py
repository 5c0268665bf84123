"""The message bus: FastStream on NATS JetStream, with the delivery rules every service keeps.

- Streams are declared idempotently at start (created, or updated to the declared config).
- Every publish carries ``Nats-Msg-Id`` = the event id, so a retried publish is stored once.
- Consumers are durable pull consumers with explicit acks: a message is acked only after its
  handler's effect is stored. A failing handler's message is redelivered with back-off up to
  ``max_deliver`` times, then dead-lettered; a message that does not decode, or whose handler
  raises ``Unprocessable``, is dead-lettered at once. Nothing loops.
- While a handler runs, its message is marked in progress every third of the ack wait, so
  the ack wait can be short: a message whose worker died is redelivered within about one
  ack wait, and one whose worker is only slow is not redelivered at all.
- A dead letter is a small record naming the message (stream and sequence, consumer,
  reason), never a copy of it: a message too large to copy is dead-lettered like any
  other. The stream keeps the original; ``DeadLetter.payload`` fetches it by sequence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import msgspec
import nats.errors
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import (
    NoStreamResponseError,
    NotFoundError,
    ServerError,
    ServiceUnavailableError,
)

from services.kernel.aio import cancelled
from services.kernel.contracts import DeadLettered, Event
from services.kernel.subjects import STREAM_MAX_AGE, Topology, all_domains

E = TypeVar("E", bound=Event)
T = TypeVar("T")
Handler = Callable[[E], Awaitable[None]]

log = logging.getLogger("tunebridge.bus")

JSON = "application/json"


def _fetch_timeouts_as_nats_errors() -> None:
    """Make nats-py's ``fetch`` time out the way FastStream expects.

    nats-py 2.16 can raise the builtin ``TimeoutError`` from ``fetch`` where it used to raise
    its own subclass, which FastStream's pull loop suppresses; otherwise FastStream restarts
    the idle loop and logs an error every few seconds. Remove once either side is fixed.
    """
    pull_subscription = JetStreamContext.PullSubscription
    original = pull_subscription.fetch
    if getattr(original, "tunebridge_patched", False):
        return

    async def fetch(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        except nats.errors.TimeoutError:
            raise
        except TimeoutError as error:
            raise nats.errors.TimeoutError from error

    fetch.tunebridge_patched = True  # type: ignore[attr-defined]
    pull_subscription.fetch = fetch  # type: ignore[method-assign]


_fetch_timeouts_as_nats_errors()


class BusSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How to reach NATS (and Redis), and the delivery policy (section ``BUS``).

    Attributes:
        nats_url: ``NATS_URL``; the embedded default sets it for its children. A
            comma-separated list names the servers of a cluster (any one will do to join).
        redis_url: ``REDIS_URL``; optional shared cache and rate-limit store.
        namespace: Prefix isolating one installation (or one test) on a shared server.
        max_deliver: Deliveries before a failing message is dead-lettered.
        retry_backoff_s: Delay before each redelivery (the last value repeats).
        ack_wait_s: How long a message may go without word from its worker before JetStream
            gives it to another; a running handler reports progress every third of it, so
            this bounds how long a crashed worker holds a message, not how long work takes.
        replicas: Copies JetStream keeps of every stream, bucket and object store: 1 on
            one server (the embedded default), 3 on a three-node cluster, so losing a node
            loses nothing and stops nothing.
    """

    nats_url: str = "nats://127.0.0.1:4222"
    redis_url: str | None = None
    namespace: str = ""
    max_deliver: Annotated[int, msgspec.Meta(ge=1)] = 5
    retry_backoff_s: tuple[float, ...] = (1.0, 5.0, 15.0, 30.0)
    ack_wait_s: Annotated[float, msgspec.Meta(ge=1)] = 30.0
    replicas: Annotated[int, msgspec.Meta(ge=1, le=5)] = 1

    @property
    def servers(self) -> list[str]:
        """The NATS servers to dial: ``nats_url`` split at its commas."""
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]


#: Extra deliveries JetStream allows beyond ``max_deliver``: a message whose dead letter
#: could not be published (NATS briefly away) gets another try at being dead-lettered,
#: instead of being dropped silently by JetStream's own limit.
DEAD_LETTER_TRIES = 2
#: Longest text kept from a failure in a dead letter.
MAX_REASON = 500


class Unprocessable(Exception):
    """Raised by a handler for a message that can never succeed: dead-letter it now."""


#: What JetStream answers while it cannot yet (a cluster electing leaders after losing a
#: node answers nothing, or "temporarily unavailable", for seconds): worth asking again.
NOT_YET = (
    TimeoutError,  # nats.errors.TimeoutError, and the builtin one nats-py 2.16 can raise
    nats.errors.NoRespondersError,
    nats.errors.ConnectionReconnectingError,
    NoStreamResponseError,  # a write meeting no stream leader
    ServiceUnavailableError,  # 503: no leader, JetStream temporarily unavailable
    ServerError,  # 500: a stream or bucket leader changed under the request
)
#: How long a starting service keeps asking before it fails (and its supervisor restarts
#: it), and its pauses between tries (the last repeats).
START_PATIENCE_S = 120.0
START_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)


async def patiently(
    what: str, step: Callable[[], Awaitable[T]], patience_s: float = START_PATIENCE_S
) -> T:
    """Run a start-up ``step`` (declaring streams, opening buckets, starting consumers),
    asking again with back-off while JetStream cannot answer yet; each idempotent. ``what``
    says in plain words what waits, for the log line."""
    deadline = time.monotonic() + patience_s
    tries = 0
    while True:
        try:
            return await step()
        except NOT_YET as error:
            pause = START_BACKOFF_S[min(tries, len(START_BACKOFF_S) - 1)]
            tries += 1
            if time.monotonic() + pause > deadline:
                raise
            # The error's class and NATS's own words ("nats: timeout"): never a URL.
            log.warning(
                "NATS JetStream is not answering yet (a cluster choosing its leaders?) "
                "while %s; trying again in %.1f s",
                what,
                pause,
                extra={"try": tries, "error": type(error).__name__},
            )
            await asyncio.sleep(pause)


def jetstream(broker: NatsBroker) -> JetStreamContext:
    """The connected broker's JetStream context."""
    return broker.config.connection_state.stream  # type: ignore[no-any-return]


async def declare_streams(
    js: JetStreamContext, topology: Topology, replicas: int = 1, *, update: bool = False
) -> None:
    """Create each domain's stream that is missing (with ``replicas`` copies). Only with
    ``update`` (the admin identity, as ``tunebridge up`` starts) is an existing one brought
    to this version's config: services may not change a stream (``nats_permissions``)."""
    for domain in all_domains():
        config = StreamConfig(
            name=topology.stream(domain),
            subjects=topology.stream_subjects(domain),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=float(STREAM_MAX_AGE[domain]),
            # Publishes are deduplicated on Nats-Msg-Id within this window.
            duplicate_window=120.0,
            num_replicas=replicas,
        )
        try:
            found = await js.stream_info(config.name)  # type: ignore[arg-type]
        except NotFoundError:
            await js.add_stream(config)
            continue
        if update:
            await js.update_stream(config)
        elif found.config.subjects != config.subjects or found.config.max_age != config.max_age:
            log.warning(
                "stream %s is not as this version declares it; an operator brings it up to "
                "date with the admin identity (tunebridge up does at start)",
                config.name,
            )


@dataclass(frozen=True)
class DeadLetter:
    """What a dead-letter handler is given: the record, and the original on demand.

    Attributes:
        record: Which message was given up on, by whom and why.
        js: Where to read the original from.
    """

    record: DeadLettered
    js: JetStreamContext

    @property
    def subject(self) -> str:
        """Where the original was published."""
        return self.record.subject

    @property
    def reason(self) -> str:
        """Why it was given up on, for a person to read."""
        return self.record.reason

    async def payload(self) -> bytes | None:
        """The original message's bytes, read from its stream by sequence; None once the
        stream no longer holds it (expired), for a record that names no message, or one
        whose message was published elsewhere than it says."""
        if not self.record.stream or self.record.sequence < 1:
            return None
        try:
            found = await self.js.get_msg(self.record.stream, self.record.sequence)
        except NotFoundError:
            return None
        if found.subject != self.record.subject:
            return None  # the letter misnames it: nothing of it can be believed
        return found.data or b""


@contextlib.asynccontextmanager
async def _in_progress(msg: NatsMessage, every_s: float) -> AsyncIterator[None]:
    """Tell JetStream every ``every_s`` that ``msg`` is still being worked on."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await msg.in_progress()
            except Exception as error:  # a lost connection: the redelivery is the remedy
                log.debug("could not mark a message in progress", extra={"error": repr(error)})

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        await cancelled(beating)


def _undecoded(msg: NatsMessage) -> bytes:
    """The body as it came: FastStream would decode it by its content type first, and a
    broken body would fail there, before the bus could dead-letter it (a loop, then a
    silent drop); the bus decodes it itself (``Decoder`` in ``_subscribe``)."""
    return msg.body


@dataclass(frozen=True)
class _Consumer:
    stream: str
    config: ConsumerConfig


class Bus:
    """Publishing and durable consuming for one service."""

    def __init__(
        self,
        broker: NatsBroker,
        topology: Topology,
        service: str,
        settings: BusSettings,
        inbox: str = "_INBOX",
    ) -> None:
        self.broker = broker
        self.topology = topology
        self.service = service
        self.settings = settings
        #: Where this connection's replies arrive (its identity may subscribe nowhere else).
        self.inbox = inbox
        self._consumers: list[_Consumer] = []

    async def publish(self, event: Event, qualifier: str | None = None) -> None:
        """Publish ``event`` durably; a repeat with the same ``event_id`` is stored once."""
        await self.broker.publish(
            msgspec.json.encode(event),
            self.topology.subject(type(event), qualifier),
            headers={"Nats-Msg-Id": event.event_id, "content-type": JSON},
            stream=self.topology.stream_for(type(event)),
        )

    async def listen(
        self, event_types: tuple[type[Event], ...], handler: Callable[[Event], Awaitable[None]]
    ) -> Callable[[], Awaitable[None]]:
        """Hear every ``event_types`` message as it is published, in this process only (a
        plain subscription, not a durable: each replica hears all of them, nothing is
        kept for it, nothing is acked); for live views, which read the state they start
        from. Returns what stops listening. A message that does not decode is skipped."""
        connection = self.broker.config.connection_state.connection
        subscriptions = []
        for event_type in event_types:
            decoder = msgspec.json.Decoder(event_type)

            async def heard(msg: Any, decoder: msgspec.json.Decoder[Any] = decoder) -> None:
                try:
                    event = decoder.decode(msg.data)
                except (msgspec.DecodeError, msgspec.ValidationError):
                    log.debug("skipped a message that does not decode", extra={"to": msg.subject})
                    return
                await handler(event)

            subject = self.topology.subject(event_type)
            subscriptions.append(await connection.subscribe(subject, cb=heard))

        async def stop() -> None:
            for subscription in subscriptions:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

        return stop

    @property
    def reconnects(self) -> int:
        """How often this connection has reconnected to NATS: what was published while it
        was away was not heard by ``listen``."""
        connection = self.broker.config.connection_state.connection
        return int(connection.stats.get("reconnects", 0))

    def consume(
        self,
        event_type: type[E],
        handler: Handler[E],
        *,
        max_workers: int = 1,
        qualifier: str | None = None,
    ) -> None:
        """Run ``handler`` for each ``event_type`` message (only those published with
        ``qualifier``, when given), through this service's durable."""
        self._subscribe(
            self.topology.subject(event_type, qualifier),
            self.topology.stream_for(event_type),
            self.topology.durable(self.service, event_type, qualifier),
            msgspec.json.Decoder(event_type),
            handler,
            max_workers=max_workers,
        )

    def consume_dead_letters(self, handler: Callable[[DeadLetter], Awaitable[None]]) -> None:
        """Run ``handler`` for each message a consumer gave up on. A letter is believed
        only as far as its writer may speak: the subject it came on names the service that
        wrote it (each may publish on its own only), which must own the consumer it names
        and consume the message's stream; and the message it names must have been
        published where the letter says (``DeadLetter.payload``). Any other letter is
        logged and dropped, as is one whose handling fails (never dead-lettered again)."""

        async def given(letter: tuple[DeadLettered, str]) -> None:
            record, subject = letter
            writer = subject.rsplit(".", 1)[-1]
            if not self.topology.may_dead_letter(writer, record):
                log.warning(
                    "dropped a dead letter its writer may not send",
                    extra={"writer": writer[:40], "consumer": record.consumer[:80]},
                )
                return
            await handler(DeadLetter(record, jetstream(self.broker)))

        self._subscribe(
            f"{self.topology.dead_letters}.*",
            self.topology.stream("deadletter"),
            f"{self.topology.namespace + '-' if self.topology.namespace else ''}"
            f"{self.service}-deadletter-letters",
            msgspec.json.Decoder(DeadLettered),
            given,
            terminal=True,
            with_subject=True,
        )

    async def declare_consumers(self) -> None:
        """Bring durables made by an earlier version to the configured delivery policy
        (JetStream keeps a durable's config; a new ack wait must reach old durables too).
        Call after subscribing, before the broker starts; new durables are made on start."""
        js = jetstream(self.broker)
        for consumer in self._consumers:
            name = consumer.config.durable_name
            assert name is not None
            try:
                current = await js.consumer_info(consumer.stream, name)
            except NotFoundError:
                continue
            except nats.errors.Error as error:  # slow at start: the old policy still works
                log.warning(
                    "could not read a durable's delivery policy",
                    extra={"consumer": name, "error": repr(error)},
                )
                continue
            wanted = (consumer.config.ack_wait, consumer.config.max_deliver)
            if (current.config.ack_wait, current.config.max_deliver) == wanted:
                continue
            config = current.config
            config.ack_wait, config.max_deliver = wanted
            try:
                await js.add_consumer(consumer.stream, config)  # create-or-update
            except nats.errors.Error as error:
                log.warning(
                    "could not update a durable's delivery policy",
                    extra={"consumer": name, "error": repr(error)},
                )

    def _subscribe(
        self,
        subject: str,
        stream: str,
        durable: str,
        decoder: msgspec.json.Decoder[Any],
        handler: Callable[[Any], Awaitable[None]],
        *,
        max_workers: int = 1,
        terminal: bool = False,
        with_subject: bool = False,
    ) -> None:
        settings = self.settings
        # Stream sequences this process is handling now: a copy redelivered meanwhile (its
        # first delivery waited for a free worker past the ack wait) is not run twice.
        handling: set[int] = set()

        async def give_up(msg: NatsMessage, deliveries: int, reason: str) -> None:
            if terminal:
                log.error("dropped a dead letter", extra={"consumer": durable, "reason": reason})
                await msg.ack()
                return
            try:
                await self._dead_letter(msg, durable, deliveries, reason)
            except Exception as error:
                # Not lost: JetStream allows DEAD_LETTER_TRIES more deliveries for this.
                log.warning(
                    "could not dead-letter a message; it will be tried again",
                    extra={"consumer": durable, "error": repr(error)},
                )
                backoff = settings.retry_backoff_s
                await msg.nack(delay=backoff[-1] if backoff else 1.0)

        async def handle(msg: NatsMessage, deliveries: int) -> None:
            try:
                event = decoder.decode(msg.body)
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                await give_up(msg, deliveries, f"undecodable: {error}")
                return
            if deliveries > settings.max_deliver:
                # Its dead letter could not be published last time: only that is left to do.
                await give_up(msg, deliveries, "its dead letter could not be written before")
                return
            try:
                await handler((event, msg.raw_message.subject) if with_subject else event)
            except Unprocessable as error:
                await give_up(msg, deliveries, f"unprocessable: {error}")
            except Exception as error:
                if deliveries >= settings.max_deliver:
                    log.exception("giving up on %s after %d deliveries", durable, deliveries)
                    await give_up(msg, deliveries, repr(error))
                    return
                backoff = settings.retry_backoff_s
                delay = backoff[min(deliveries, len(backoff)) - 1] if backoff else 0.0
                log.warning(
                    "handler failed, retrying",
                    extra={"consumer": durable, "deliveries": deliveries, "error": repr(error)},
                )
                await msg.nack(delay=delay)
            else:
                await msg.ack()

        async def on_message(msg: NatsMessage) -> None:
            metadata = msg.raw_message.metadata
            sequence = metadata.sequence.stream
            if sequence in handling:
                return  # the first delivery is still at work; its ack settles this one too
            handling.add(sequence)
            try:
                async with _in_progress(msg, settings.ack_wait_s / 3):
                    await handle(msg, metadata.num_delivered)
            finally:
                handling.discard(sequence)

        config = ConsumerConfig(
            durable_name=durable,
            max_deliver=settings.max_deliver + (0 if terminal else DEAD_LETTER_TRIES),
            ack_wait=settings.ack_wait_s,
        )
        self._consumers.append(_Consumer(stream, config))
        self.broker.subscriber(
            subject,
            stream=JStream(stream, declare=False),
            durable=durable,
            # With several workers, fetch one at a time: a message fetched ahead waits for
            # a worker without reporting progress, and could outlive its ack wait.
            pull_sub=PullSub(batch_size=10 if max_workers == 1 else 1, timeout=1.0),
            config=config,
            ack_policy=AckPolicy.MANUAL,
            decoder=_undecoded,
            max_workers=max_workers,
            title=durable,
            inbox_prefix=f"{self.inbox}.".encode(),
        )(on_message)

    async def _dead_letter(self, msg: Any, consumer: str, deliveries: int, reason: str) -> None:
        """Record which message was given up on (never a copy of it), then stop its
        redelivery; the stream keeps the original for whoever needs it."""
        metadata = msg.raw_message.metadata
        msg_id = (msg.headers or {}).get("Nats-Msg-Id")
        letter = DeadLettered(
            stream=metadata.stream,
            sequence=metadata.sequence.stream,
            subject=msg.raw_message.subject,
            consumer=consumer,
            deliveries=deliveries,
            reason=reason[:MAX_REASON],
            msg_id=str(msg_id)[:200] if msg_id else None,
        )
        await self.broker.publish(
            msgspec.json.encode(letter),
            self.topology.dead_letter_subject(self.service),
            headers={
                "content-type": JSON,
                # One dead letter per message and consumer, however often this is retried.
                "Nats-Msg-Id": f"dead.{consumer}.{letter.stream}.{letter.sequence}",
            },
            stream=self.topology.stream("deadletter"),
        )
        log.error("dead-lettered a message", extra={"consumer": consumer, "reason": reason[:200]})
        await msg.reject()  # TERM: JetStream will not deliver it again
