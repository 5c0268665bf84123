"""Token buckets shared by every replica through Redis, or kept in this process.

Both keep the same state and run the same arithmetic (``domain.limits.take``); Redis does
it atomically in a Lua script so that replicas never over-spend a provider's allowance.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as redis

from services.connectors.domain.limits import Bucket, take


class TokenBuckets(Protocol):
    """Where bucket state lives."""

    async def try_take(self, bucket: Bucket, cost: float = 1.0) -> float:
        """Take ``cost`` tokens now (0.0), or say how long to wait for them."""
        ...


async def acquire(buckets: TokenBuckets, bucket: Bucket, cost: float = 1.0) -> float:
    """Wait until ``cost`` tokens could be taken from ``bucket``; returns the time waited."""
    waited = 0.0
    while True:
        wait = await buckets.try_take(bucket, cost)
        if wait <= 0:
            return waited
        await asyncio.sleep(wait)
        waited += wait


class InProcessTokenBuckets:
    """Buckets for a single node (no Redis configured)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = asyncio.Lock()

    async def try_take(self, bucket: Bucket, cost: float = 1.0) -> float:
        async with self._lock:
            now = self._clock()
            tokens, updated_at = self._state.get(bucket.key, (bucket.capacity, now))
            tokens, updated_at, wait = take(tokens, updated_at, bucket, cost, now)
            self._state[bucket.key] = (tokens, updated_at)
            return wait


# The same arithmetic as domain.limits.take, atomically, with Redis's own clock so that
# replicas on different machines agree on "now".
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local capacity = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated_at')
local tokens = tonumber(state[1]) or capacity
local updated_at = tonumber(state[2]) or now
local refilled = math.min(capacity, tokens + math.max(0, now - updated_at) * per_second)
local wait = 0
if refilled >= cost then
  refilled = refilled - cost
else
  wait = (cost - refilled) / per_second
end
redis.call('HSET', KEYS[1], 'tokens', tostring(refilled), 'updated_at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / per_second) + 60)
return tostring(wait)
"""


class RedisTokenBuckets:
    """Buckets shared by every replica through Redis (``REDIS_URL``)."""

    def __init__(self, client: redis.Redis, prefix: str = "tunebridge:bucket:") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_TAKE)

    async def try_take(self, bucket: Bucket, cost: float = 1.0) -> float:
        wait = await self._script(
            keys=[self._prefix + bucket.key], args=[bucket.capacity, bucket.per_second, cost]
        )
        return float(wait)
