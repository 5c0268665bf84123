"""A cache of provider look-ups (ISRC hits, search results) with expiry: Redis when
configured, so replicas share it, else in this process. Values are JSON bytes."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as redis


class LookupCache(Protocol):
    """Where look-ups are remembered."""

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None if absent or expired."""
        ...

    async def put(self, key: str, value: bytes, ttl_s: float) -> None:
        """Remember ``value`` for ``ttl_s`` seconds."""
        ...


class InProcessLookupCache:
    """Least-recently-used, bounded, with expiry."""

    def __init__(self, max_entries: int = 50_000, clock: Callable[[], float] = time.monotonic):
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    async def get(self, key: str) -> bytes | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, value = found
        if expires <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def put(self, key: str, value: bytes, ttl_s: float) -> None:
        self._entries[key] = (self._clock() + ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


class RedisLookupCache:
    """Shared by replicas; Redis expires the keys."""

    def __init__(self, client: redis.Redis, prefix: str = "tunebridge:lookup:") -> None:
        self._client = client
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value = await self._client.get(self._prefix + key)
        return value if isinstance(value, bytes) else None

    async def put(self, key: str, value: bytes, ttl_s: float) -> None:
        await self._client.set(self._prefix + key, value, px=max(1, int(ttl_s * 1000)))
