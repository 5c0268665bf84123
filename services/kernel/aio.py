"""Small asyncio helpers shared by the services."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


async def gather_bounded(awaitables: Iterable[Awaitable[T]], limit: int) -> list[T]:
    """Await all, at most ``limit`` at a time; results in the given order."""
    gate = asyncio.Semaphore(limit)

    async def one(awaitable: Awaitable[T]) -> T:
        async with gate:
            return await awaitable

    return await asyncio.gather(*(one(a) for a in awaitables))


#: How long ``cancelled`` waits for a cancelled task before cancelling it again.
CANCEL_AGAIN_S = 0.1


async def cancelled(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it has ended; an error it ended with is raised.

    A single ``cancel()`` is not enough on Python 3.11: ``asyncio.wait_for``, which
    nats-py's requests (every store read and write) await, returns the answer instead of
    raising when the answer and the cancel arrive together, so the cancel is lost. A loop
    stopped that way (a download's cancel watcher, a message's in-progress beat) runs on
    for ever, and whoever awaits it waits for ever. So it is cancelled again while it runs.
    """
    try:
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=CANCEL_AGAIN_S)
    except asyncio.CancelledError:  # the waiter itself is cancelled: leave it cancelled too
        task.cancel()
        raise
    if not task.cancelled() and (error := task.exception()) is not None:
        raise error
