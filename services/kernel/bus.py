"""The message bus: FastStream on NATS JetStream, with the delivery rules every service keeps.

- Streams are declared idempotently at start (created, or updated to the declared config).
- Every publish carries ``Nats-Msg-Id`` = the event id, so a retried publish is stored once.
- Consumers are durable pull consumers with explicit acks: a message is acked only after its
  handler's effect is stored. A failing handler's message is redelivered with back-off up to
  ``max_deliver`` times, then moved to the dead-letter subject; a message that does not
  decode, or whose handler raises ``Unprocessable``, goes there at once. Nothing loops.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
import nats.errors
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from services.kernel.contracts import DeadLettered, Event
from services.kernel.subjects import STREAM_MAX_AGE, Topology, all_domains

E = TypeVar("E", bound=Event)
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
        nats_url: ``NATS_URL``; the embedded default sets it for its children.
        redis_url: ``REDIS_URL``; optional shared cache and rate-limit store.
        namespace: Prefix isolating one installation (or one test) on a shared server.
        max_deliver: Deliveries before a failing message is dead-lettered.
        retry_backoff_s: Delay before each redelivery (the last value repeats).
        ack_wait_s: How long a handler may run before JetStream redelivers its message.
    """

    nats_url: str = "nats://127.0.0.1:4222"
    redis_url: str | None = None
    namespace: str = ""
    max_deliver: int = 5
    retry_backoff_s: tuple[float, ...] = (1.0, 5.0, 15.0, 30.0)
    ack_wait_s: float = 120.0


class Unprocessable(Exception):
    """Raised by a handler for a message that can never succeed: dead-letter it now."""


def jetstream(broker: NatsBroker) -> JetStreamContext:
    """The connected broker's JetStream context."""
    return broker.config.connection_state.stream  # type: ignore[no-any-return]


async def declare_streams(broker: NatsBroker, topology: Topology) -> None:
    """Create each domain's stream, or bring an existing one to the declared config."""
    js = jetstream(broker)
    for domain in all_domains():
        config = StreamConfig(
            name=topology.stream(domain),
            subjects=topology.stream_subjects(domain),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=float(STREAM_MAX_AGE[domain]),
            # Publishes are deduplicated on Nats-Msg-Id within this window.
            duplicate_window=120.0,
        )
        try:
            await js.stream_info(config.name)  # type: ignore[arg-type]
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)


class Bus:
    """Publishing and durable consuming for one service."""

    def __init__(
        self,
        broker: NatsBroker,
        topology: Topology,
        service: str,
        settings: BusSettings,
    ) -> None:
        self.broker = broker
        self.topology = topology
        self.service = service
        self.settings = settings

    async def publish(self, event: Event, qualifier: str | None = None) -> None:
        """Publish ``event`` durably; a repeat with the same ``event_id`` is stored once."""
        await self.broker.publish(
            msgspec.json.encode(event),
            self.topology.subject(type(event), qualifier),
            headers={"Nats-Msg-Id": event.event_id, "content-type": JSON},
            stream=self.topology.stream_for(type(event)),
        )

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

    def consume_dead_letters(self, handler: Callable[[DeadLettered], Awaitable[None]]) -> None:
        """Run ``handler`` for each message another consumer gave up on. A dead letter
        whose handling fails is logged and dropped, never dead-lettered again."""
        self._subscribe(
            self.topology.dead_letter_subject,
            self.topology.stream("deadletter"),
            f"{self.topology.namespace + '-' if self.topology.namespace else ''}"
            f"{self.service}-deadletter-message",
            msgspec.json.Decoder(DeadLettered),
            handler,
            terminal=True,
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
    ) -> None:
        settings = self.settings

        async def give_up(msg: NatsMessage, deliveries: int, reason: str) -> None:
            if terminal:
                log.error("dropped a dead letter", extra={"consumer": durable, "reason": reason})
                await msg.ack()
            else:
                await self._dead_letter(msg, durable, deliveries, reason)

        async def on_message(msg: NatsMessage) -> None:
            deliveries = msg.raw_message.metadata.num_delivered
            try:
                event = decoder.decode(msg.body)
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                await give_up(msg, deliveries, f"undecodable: {error}")
                return
            try:
                await handler(event)
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

        self.broker.subscriber(
            subject,
            stream=JStream(stream, declare=False),
            durable=durable,
            pull_sub=PullSub(batch_size=10, timeout=1.0),
            config=ConsumerConfig(
                durable_name=durable,
                max_deliver=settings.max_deliver,
                ack_wait=settings.ack_wait_s,
            ),
            ack_policy=AckPolicy.MANUAL,
            max_workers=max_workers,
            title=durable,
        )(on_message)

    async def _dead_letter(self, msg: Any, consumer: str, deliveries: int, reason: str) -> None:
        """Keep the message whole on the dead-letter subject, then stop its redelivery."""
        letter = DeadLettered(
            subject=msg.raw_message.subject,
            consumer=consumer,
            deliveries=deliveries,
            reason=reason[:2000],
            headers={k: str(v) for k, v in (msg.headers or {}).items()},
            data=msg.body,
        )
        await self.broker.publish(
            msgspec.json.encode(letter),
            self.topology.dead_letter_subject,
            headers={"content-type": JSON},
            stream=self.topology.stream("deadletter"),
        )
        log.error("dead-lettered a message", extra={"consumer": consumer, "reason": reason[:200]})
        await msg.reject()  # TERM: JetStream will not deliver it again
