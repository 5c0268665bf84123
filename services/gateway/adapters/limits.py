"""Sliding windows in Redis, so every gateway replica counts the same log-ins and webhook
deliveries (with one count per replica, N replicas would let N times the guesses through).

Each key is a sorted set of event stamps scored by wall-clock time; old stamps are dropped
as they leave the window, and the set expires with it.
"""

from __future__ import annotations

import logging
import secrets
import time

import redis.asyncio as redis

from services.gateway.domain.auth import WEBHOOK_DELIVERIES, LoginLimits, SlidingWindow, Window

log = logging.getLogger("tunebridge.gateway.limits")


class RedisWindow:
    """A ``Window`` whose counts live in Redis under ``prefix``."""

    def __init__(self, client: redis.Redis, prefix: str, limit: int, window_s: float) -> None:
        self.client, self.prefix, self.limit, self.window_s = client, prefix, limit, window_s
        # While Redis is unreachable this replica counts alone: limits stay on, log-ins work.
        self.local = SlidingWindow(limit, window_s)

    def _unreachable(self, error: redis.RedisError) -> None:
        log.warning("Redis unreachable, limits counted by this gateway alone: %s", type(error))

    def _key(self, key: tuple[str, str]) -> str:
        return f"{self.prefix}:{key[0]}:{key[1]}"

    async def blocked(self, key: tuple[str, str]) -> bool:
        name = self._key(key)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(name, 0, time.time() - self.window_s)
                pipe.zcard(name)
                _, count = await pipe.execute()
        except redis.RedisError as error:
            self._unreachable(error)
            return await self.local.blocked(key)
        return int(count) >= self.limit

    async def note(self, key: tuple[str, str]) -> object:
        name, now = self._key(key), time.time()
        stamp = f"{now:.6f}:{secrets.token_hex(4)}"  # two events in one instant count twice
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.zadd(name, {stamp: now})
                pipe.expire(name, int(self.window_s) + 1)
                await pipe.execute()
        except redis.RedisError as error:
            self._unreachable(error)
            return await self.local.note(key)
        return stamp

    async def forget(self, key: tuple[str, str], stamp: object) -> None:
        if isinstance(stamp, float):  # noted locally while Redis was away
            await self.local.forget(key, stamp)
            return
        try:
            await self.client.zrem(self._key(key), str(stamp))
        except redis.RedisError as error:
            self._unreachable(error)


def shared_limits(url: str, namespace: str) -> tuple[LoginLimits, Window, redis.Redis]:
    """The log-in limits and the webhook delivery window in the Redis at ``url`` (keys
    under the installation's namespace), and the client to close at the end."""
    client = redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    prefix = f"tunebridge:{namespace}:limits"
    windows = [
        RedisWindow(client, f"{prefix}:login{i}", limit, window_s)
        for i, (limit, window_s) in enumerate(LoginLimits.LIMITS)
    ]
    return (
        LoginLimits(*windows),
        RedisWindow(client, f"{prefix}:webhook", *WEBHOOK_DELIVERIES),
        client,
    )
