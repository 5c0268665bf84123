"""Live progress as Server-Sent Events: a record followed until it ends.

Each change is sent as an ``update`` event (the same JSON the plain GET answers), the last
one as ``end``; a client that reconnects simply gets the current state first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import msgspec
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

T = TypeVar("T")

#: How often a followed record is looked at, and for how long at most.
EVERY_S = 0.5
AT_MOST_S = 6 * 3600.0


def follow(
    read: Callable[[], Awaitable[T | None]],
    ended: Callable[[T], bool],
    every_s: float = EVERY_S,
) -> ServerSentEvent:
    """An event stream of ``read()``'s answers while they change, until ``ended``."""

    async def events() -> AsyncIterator[ServerSentEventMessage]:
        last = None
        waited = 0.0
        while waited < AT_MOST_S:
            value = await read()
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
            await asyncio.sleep(every_s)
            waited += every_s

    return ServerSentEvent(events())
