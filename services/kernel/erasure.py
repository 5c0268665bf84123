"""Erasing what a removed user left in the buckets a service owns (see ``UserRemoved``).

Every record a user owns is keyed ``<user_id>.…``, so a user's records in a bucket are
exactly the keys under that prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import msgspec

from services.kernel.store import Store

R = TypeVar("R", bound=msgspec.Struct)


async def erase_user_keys(store: Store, user_id: str, buckets: Iterable[str]) -> int:
    """Delete every record of ``user_id`` in ``buckets``; how many there were."""
    erased = 0
    for bucket in buckets:
        for key in await store.keys(bucket, f"{user_id}.>"):
            await store.delete(bucket, key)
            erased += 1
    return erased


async def erase_or_stop(
    store: Store,
    user_id: str,
    bucket: str,
    type_: type[R],
    stop: Callable[[R], R | None],
) -> int:
    """For each record of ``user_id`` in ``bucket``: ``stop`` gives the record that halts
    it (kept, so work already queued for it sees it must not go on, and it expires with
    its bucket), or None for one that has ended, which is deleted. How many were stopped."""
    stopped = 0
    for key in await store.keys(bucket, f"{user_id}.>"):
        record = await store.get(bucket, key, type_)
        if record is None:
            continue
        if stop(record) is None:
            await store.delete(bucket, key)
        elif await store.update(bucket, key, type_, stop) is not None:
            stopped += 1
    return stopped
