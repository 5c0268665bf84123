"""State the gateway does not own: it asks the owner (a command on the bus) and reads the
owner's published record back, so an answer still shows what was asked for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

import msgspec

from services.kernel.store import Store

R = TypeVar("R", bound=msgspec.Struct)

#: How long an answer waits for the owner to record a command (a running owner takes a few
#: milliseconds); past it the answer says "accepted" and the owner records it when back.
OWNER_WAIT_S = 5.0
_POLL_S = 0.02


async def recorded(
    store: Store,
    bucket: str,
    key: str,
    type_: type[R],
    done: Callable[[R | None], bool],
    wait_s: float = OWNER_WAIT_S,
) -> tuple[R | None, bool]:
    """The owner's record of ``key`` once ``done`` holds for it, and True; else, after
    ``wait_s``, the last record read and False."""
    deadline = time.monotonic() + wait_s
    while True:
        found = await store.get(bucket, key, type_)
        if done(found):
            return found, True
        if time.monotonic() >= deadline:
            return found, False
        await asyncio.sleep(_POLL_S)
