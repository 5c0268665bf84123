"""Emulators served from a thread of their own, for tests that drive ``tunebridge up``
synchronously; their state objects stay in this process for the test to shape and read."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Mapping

from litestar import Litestar

from tests.emulators.scripted import serving


@contextlib.contextmanager
def serving_in_thread(
    apps: Mapping[str, Litestar], latency_s: float = 0.0
) -> Iterator[dict[str, str]]:
    """Serve each app on a free port; yields their base URLs by name."""
    loop = asyncio.new_event_loop()
    urls: dict[str, str] = {}
    ready = threading.Event()
    stop = loop.create_future()

    async def main() -> None:
        async with contextlib.AsyncExitStack() as stack:
            for name, app in apps.items():
                urls[name] = await stack.enter_async_context(serving(app, latency_s))
            ready.set()
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the emulators did not start")
    try:
        yield urls
    finally:
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(30)
        loop.close()
