"""Live progress as Server-Sent Events: a view followed by the events that change it.

A stream reads its record once, sends it (an ``update`` event, the same JSON the plain GET
answers), then follows the events its owner publishes after each change it stores
(``DownloadProgressed``, ``DownloadFinished``, ``RunProgressed``, ``RunCompleted``): an
event that carries what the view shows is folded into it (a download's progress and its
end), one that only says the record changed has it read again (a run, whose report the
event cannot carry). Nothing is read while nothing happens. The record is read again when
the gateway's connection to NATS came back (what was published meanwhile was not heard),
and a client that reconnects gets the current state first. The last view goes as ``end``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import msgspec
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from services.kernel.aio import cancelled
from services.kernel.bus import Bus
from services.kernel.contracts import Event
from services.kernel.subjects import LISTENS

T = TypeVar("T")

log = logging.getLogger("tunebridge.gateway.live")

#: The longest a stream is followed; a quiet stream says it is alive this often (a
#: comment line), so a proxy does not close it and a gone client is noticed.
AT_MOST_S = 6 * 3600.0
KEEPALIVE_S = 15.0
#: Events arriving together are taken together: one read, one update, per burst.
COALESCE_S = 0.1
#: Events a stream may have waiting; past that (a client too slow to take them) it skips
#: them and reads its record again.
BACKLOG = 1000
#: How often the connection's reconnections are counted.
RECONNECTS_EVERY_S = 1.0


class Resync:
    """In place of events: some were not heard, read the record again."""


RESYNC = Resync()

Heard = Event | Resync


@dataclass(eq=False)
class Watch:
    """One stream's events: those of its user that ``wants`` picks."""

    wants: Callable[[Event], bool]
    queue: asyncio.Queue[Heard] = field(default_factory=lambda: asyncio.Queue(BACKLOG))

    def offer(self, heard: Heard) -> None:
        try:
            self.queue.put_nowait(heard)
        except asyncio.QueueFull:  # too slow: forget the backlog, read again
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)

    async def next(self, timeout_s: float) -> list[Heard]:
        """What was heard since the last call (at least one), or [] after ``timeout_s``."""
        try:
            first = await asyncio.wait_for(self.queue.get(), timeout_s)
        except TimeoutError:
            return []
        await asyncio.sleep(COALESCE_S)
        heard = [first]
        while not self.queue.empty():
            heard.append(self.queue.get_nowait())
        return heard


class LiveEvents:
    """The gateway's one listener of the events live views follow, shared by its streams:
    each event goes to the streams of its user that want it."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._watches: dict[str, set[Watch]] = defaultdict(set)
        self._stop: Callable[[], Awaitable[None]] | None = None
        self._reconnects: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stop = await self.bus.listen(LISTENS["gateway"], self._heard)
        self._reconnects = asyncio.create_task(self._count_reconnects())

    async def stop(self) -> None:
        if self._reconnects is not None:
            await cancelled(self._reconnects)
        if self._stop is not None:
            await self._stop()

    async def _heard(self, event: Event) -> None:
        for watch in tuple(self._watches.get(event.user_id, ())):
            if watch.wants(event):
                watch.offer(event)

    def resync(self) -> None:
        """Every stream reads its record again (events may have gone unheard)."""
        for watches in tuple(self._watches.values()):
            for watch in tuple(watches):
                watch.offer(RESYNC)

    async def _count_reconnects(self) -> None:
        seen = self.bus.reconnects
        while True:
            await asyncio.sleep(RECONNECTS_EVERY_S)
            now = self.bus.reconnects
            if now != seen:
                seen = now
                log.info("reconnected to NATS: live views read their state again")
                self.resync()

    @contextlib.contextmanager
    def watch(self, user_id: str, wants: Callable[[Event], bool]) -> Iterator[Watch]:
        """Hear ``user_id``'s events that ``wants`` picks while in the block."""
        found = Watch(wants)
        self._watches[user_id].add(found)
        try:
            yield found
        finally:
            watches = self._watches.get(user_id)
            if watches is not None:
                watches.discard(found)
                if not watches:
                    del self._watches[user_id]


def never(value: T, event: Event) -> T | None:
    """No event carries this view: each one has the record read again."""
    return None


def follow(
    live: LiveEvents,
    user_id: str,
    wants: Callable[[Event], bool],
    read: Callable[[], Awaitable[T | None]],
    ended: Callable[[T], bool],
    fold: Callable[[T, Event], T | None] = never,
) -> ServerSentEvent:
    """An event stream of the view ``read()`` gives, changed by the events of ``user_id``
    that ``wants`` picks (``fold``: the view after an event, or None to read it again),
    until ``ended``. Listening starts before the first read, so nothing published between
    the two is missed."""

    async def events() -> AsyncIterator[ServerSentEventMessage]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + AT_MOST_S
        with live.watch(user_id, wants) as watch:
            value = await read()
            last = None
            while True:
                if value is None:  # deleted or expired while followed
                    yield ServerSentEventMessage(event="end", data="null")
                    return
                data = msgspec.json.encode(value).decode()
                if ended(value):
                    yield ServerSentEventMessage(event="end", data=data)
                    return
                if data != last:
                    yield ServerSentEventMessage(event="update", data=data)
                    last = data
                left = deadline - loop.time()
                if left <= 0:
                    return
                heard = await watch.next(min(KEEPALIVE_S, left))
                if not heard:
                    yield ServerSentEventMessage(data=None, comment="still following")
                    continue
                value = await _apply(value, heard, read, fold)

    return ServerSentEvent(events())


async def _apply(
    value: T,
    heard: list[Heard],
    read: Callable[[], Awaitable[T | None]],
    fold: Callable[[T, Event], T | None],
) -> T | None:
    """The view after ``heard``: folded event by event, or read again at the first one that
    cannot be folded (the record read then already holds every change heard so far: its
    owner stores each change before it publishes the event)."""
    for one in heard:
        folded = None if isinstance(one, Resync) else fold(value, one)
        if folded is None:
            return await read()
        value = folded
    return value
