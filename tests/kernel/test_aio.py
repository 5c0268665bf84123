"""Stopping a background task for sure: ``cancelled`` (what a download's end waits on)."""

from __future__ import annotations

import asyncio
import sys

import pytest

from services.kernel.aio import cancelled

pytestmark = pytest.mark.timeout(30)


class Poller:
    """A loop like a download's cancel watcher: a request answered through
    ``asyncio.wait_for`` (as nats-py answers every store read), then a pause."""

    def __init__(self) -> None:
        self.reply: asyncio.Future[str] | None = None
        self.rounds = 0

    async def run(self) -> None:
        while True:
            self.rounds += 1
            self.reply = asyncio.get_running_loop().create_future()
            await asyncio.wait_for(self.reply, 5)
            await asyncio.sleep(0.25)


async def poller_answered_as_it_is_cancelled() -> tuple[Poller, asyncio.Task[None]]:
    """A poller whose answer has just landed, not yet taken up: the moment a cancel is
    lost on Python 3.11."""
    poller = Poller()
    task = asyncio.create_task(poller.run())
    await asyncio.sleep(0)  # it now waits for its answer
    assert poller.reply is not None
    poller.reply.set_result("record")
    return poller, task


async def test_a_task_whose_cancel_landed_with_an_answer_is_still_stopped() -> None:
    _, task = await poller_answered_as_it_is_cancelled()
    await asyncio.wait_for(cancelled(task), 5)
    assert task.done()


@pytest.mark.skipif(
    sys.version_info >= (3, 12),
    reason="only Python 3.11 loses a cancel in asyncio.wait_for; 3.12 and later keep it,"
    " so there is nothing to show",
)
async def test_here_one_cancel_at_that_moment_is_lost() -> None:
    """Why ``cancelled`` is needed: cancelled once, the poller goes on polling (a download
    whose end awaited its watcher stayed "downloading" for good)."""
    poller, task = await poller_answered_as_it_is_cancelled()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1.0)
    assert not done and poller.rounds >= 2
    await cancelled(task)


async def test_an_error_the_task_ended_with_is_raised() -> None:
    async def failing() -> None:
        raise LookupError("no such record")

    task = asyncio.create_task(failing())
    await asyncio.sleep(0)
    with pytest.raises(LookupError):
        await cancelled(task)


async def test_a_task_ended_or_never_started_is_fine() -> None:
    async def quick() -> None:
        return None

    started = asyncio.create_task(quick())
    await started
    await cancelled(started)
    never = asyncio.create_task(asyncio.sleep(10))
    await cancelled(never)
    assert never.cancelled()


async def test_a_stop_that_is_itself_cancelled_leaves_the_task_cancelled() -> None:
    gave_up = asyncio.Event()

    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                if gave_up.is_set():
                    raise

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    stopping = asyncio.create_task(cancelled(task))
    await asyncio.sleep(0.3)  # cancelled again and again, swallowing each
    assert not task.done()
    gave_up.set()
    stopping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    await asyncio.wait({task}, timeout=1.0)
    assert task.cancelled()
