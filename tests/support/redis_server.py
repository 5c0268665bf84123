"""The machine's Redis for the tests that need one, or a skip that says why not."""

from __future__ import annotations

import os

import pytest
import redis


def reachable_redis() -> str:
    """``REDIS_URL`` (database 15 of the local Redis by default) once it answers a ping."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {url} ({error}); set REDIS_URL to run this test")
    return url
