"""Password hashing beside the event loop: scrypt takes tens of milliseconds and 32 MiB
each time, so a burst of log-ins computed on the loop stalls every other request (health
included). Here a few worker threads hash (``hashlib.scrypt`` releases the GIL), and no
more than a bounded number of callers wait for them: past that, the caller is told at
once that the gateway is busy, and memory stays bounded."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class WorkersBusy(Exception):
    """Every worker is busy and the queue is full: try again in a moment."""


class PasswordWorkers:
    """``workers`` threads, and room for ``queue`` more calls waiting for one."""

    def __init__(self, workers: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password")
        self._room = workers + queue
        self._taken = 0
        self._lock = threading.Lock()

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` in a worker thread; ``WorkersBusy`` when there is no room."""
        with self._lock:
            if self._taken >= self._room:
                raise WorkersBusy
            self._taken += 1
        try:
            future: Future[T] = self._pool.submit(work, *args)
        except BaseException:
            self._release(None)
            raise
        # Released when the work really ends, even if the caller gave up waiting: a
        # disconnected client does not free a thread that is still hashing.
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _: object) -> None:
        with self._lock:
            self._taken -= 1

    def close(self) -> None:
        """Stop taking work (what is running finishes on its own)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
