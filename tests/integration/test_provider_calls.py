"""Calling providers within their limits, against a scripted stand-in over real HTTP,
with token buckets in this process and in the real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry

from services.connectors.adapters.cache import InProcessLookupCache, LookupCache, RedisLookupCache
from services.connectors.adapters.http import (
    CallCounter,
    ProviderError,
    ProviderHttp,
    QuotaExceeded,
    RetriesExhausted,
    RetryPolicy,
    Unauthorized,
)
from services.connectors.adapters.ratelimit import (
    InProcessTokenBuckets,
    RedisTokenBuckets,
    TokenBuckets,
    acquire,
)
from services.connectors.domain.limits import Bucket, classify_deezer, classify_spotify
from tests.emulators.scripted import Answer, Script, scripted_app, serving
from tests.support.redis_server import reachable_redis

pytestmark = pytest.mark.timeout(60)
QUICK = RetryPolicy(attempts=4, base_s=0.05, cap_s=0.2, timeout_s=0.5)


@contextlib.asynccontextmanager
async def real_redis() -> AsyncIterator[aioredis.Redis]:
    """A client of the machine's Redis (``REDIS_URL``), or a skip that says why not."""
    client = aioredis.from_url(reachable_redis())
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(params=["in-process", "redis"])
async def buckets(request: pytest.FixtureRequest) -> AsyncIterator[TokenBuckets]:
    if request.param == "in-process":
        yield InProcessTokenBuckets()
        return
    async with real_redis() as client:
        yield RedisTokenBuckets(client, prefix=f"test:{uuid.uuid4().hex}:")


async def test_buckets_hold_calls_to_their_rate(buckets: TokenBuckets) -> None:
    bucket = Bucket("deezer:ip", capacity=5, per_second=20)
    started = time.monotonic()
    for _ in range(15):
        await acquire(buckets, bucket)
    elapsed = time.monotonic() - started
    # 5 at once, then 10 more at 20/s: at least half a second, whatever the store.
    assert elapsed >= 0.45
    other = Bucket("deezer:other-ip", capacity=5, per_second=20)
    assert await buckets.try_take(other) == 0.0  # keys are independent


@pytest.fixture
def counter() -> CallCounter:
    return CallCounter(CollectorRegistry())


async def test_rate_limits_and_server_errors_are_ridden_out_honouring_retry_after(
    counter: CallCounter,
) -> None:
    script = Script(
        {
            "v1/me/tracks": [
                Answer(
                    429,
                    {"error": {"status": 429, "message": "API rate limit exceeded"}},
                    {"Retry-After": "1"},
                ),
                Answer(
                    429,
                    {"error": {"status": 429, "message": "API rate limit exceeded"}},
                    {"Retry-After": "0"},
                ),
                Answer(429, {"error": {"status": 429, "message": "API rate limit exceeded"}}),
                Answer(502, None),
                Answer(200, {"items": [{"track": {"id": "t1"}}], "next": None}),
            ]
        }
    )
    async with serving(scripted_app(script)) as url:
        http = ProviderHttp(
            "spotify",
            url,
            classify_spotify,
            InProcessTokenBuckets(),
            counter,
            QUICK.__class__(attempts=6, base_s=0.05, cap_s=0.2, timeout_s=1),
        )
        body = await http.call("GET", "/v1/me/tracks", endpoint="saved_tracks")
        await http.close()
    assert body["items"][0]["track"]["id"] == "t1"
    times = script.times("v1/me/tracks")
    assert len(times) == 5
    assert times[1] - times[0] >= 1.0  # Retry-After: 1 was honoured
    assert counter.value("spotify", "saved_tracks", "rate_limited") == 3
    assert counter.value("spotify", "saved_tracks", "server_error") == 1
    assert counter.value("spotify", "saved_tracks", "ok") == 1


async def test_spent_quota_is_raised_at_once_not_retried(counter: CallCounter) -> None:
    script = Script(
        {
            "v1/search": [
                Answer(
                    429,
                    {
                        "error": {
                            "status": 429,
                            "message": "Too many requests",
                            "reason": "QUOTA_EXCEEDED",
                        }
                    },
                )
            ]
        }
    )
    async with serving(scripted_app(script)) as url:
        http = ProviderHttp(
            "spotify", url, classify_spotify, InProcessTokenBuckets(), counter, QUICK
        )
        with pytest.raises(QuotaExceeded, match=r"allowance is spent.*\(quota_exceeded\)"):
            await http.call("GET", "/v1/search", endpoint="search", params={"q": "isrc:X"})
        await http.close()
    assert len(script.times("v1/search")) == 1


async def test_deezer_quota_error_in_a_200_waits_out_its_window(counter: CallCounter) -> None:
    quota = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}
    script = Script({"track/isrc:GBDUW0000059": [Answer(200, quota), Answer(200, {"id": 3135556})]})
    async with serving(scripted_app(script)) as url:
        http = ProviderHttp("deezer", url, classify_deezer, InProcessTokenBuckets(), counter, QUICK)
        body = await http.call("GET", "/track/isrc:GBDUW0000059", endpoint="track_isrc")
        await http.close()
    times = script.times("track/isrc:GBDUW0000059")
    assert body == {"id": 3135556}
    assert times[1] - times[0] >= 5.0


async def test_expired_token_and_bad_requests_are_raised_for_the_caller(
    counter: CallCounter,
) -> None:
    script = Script(
        {
            "v1/me": [
                Answer(401, {"error": {"status": 401, "message": "The access token expired"}})
            ],
            "v1/bad": [Answer(400, {"error": {"status": 400, "message": "Invalid limit"}})],
        }
    )
    async with serving(scripted_app(script)) as url:
        http = ProviderHttp(
            "spotify", url, classify_spotify, InProcessTokenBuckets(), counter, QUICK
        )
        with pytest.raises(Unauthorized, match=r"refused the token \(expired or revoked\)"):
            await http.call("GET", "/v1/me", endpoint="me")
        with pytest.raises(ProviderError, match=r"^spotify refused the request \(client_error\)$"):
            await http.call("GET", "/v1/bad", endpoint="bad")
        await http.close()
    assert len(script.times("v1/bad")) == 1


async def test_timeouts_and_endless_errors_end_after_the_allowed_attempts(
    counter: CallCounter,
) -> None:
    script = Script({"slow": [Answer(200, {}, delay_s=2.0)], "down": [Answer(503, None)]})
    async with serving(scripted_app(script)) as url:
        http = ProviderHttp("plex", url, classify_spotify, InProcessTokenBuckets(), counter, QUICK)
        with pytest.raises(RetriesExhausted, match="timeout"):
            await http.call("GET", "/slow", endpoint="slow")
        with pytest.raises(RetriesExhausted, match="server_error"):
            await http.call("GET", "/down", endpoint="down")
        await http.close()
    assert len(script.times("down")) == QUICK.attempts
    assert counter.value("plex", "slow", "timeout") == QUICK.attempts


@pytest.fixture(params=["in-process", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[LookupCache]:
    if request.param == "in-process":
        yield InProcessLookupCache()
        return
    async with real_redis() as client:
        yield RedisLookupCache(client, prefix=f"test:{uuid.uuid4().hex}:")


async def test_lookup_cache_remembers_until_expiry(cache: LookupCache) -> None:
    await cache.put("isrc:GBDUW0000059", b'{"id": 1}', ttl_s=0.3)
    assert await cache.get("isrc:GBDUW0000059") == b'{"id": 1}'
    assert await cache.get("isrc:other") is None
    await asyncio.sleep(0.4)
    assert await cache.get("isrc:GBDUW0000059") is None


async def test_in_process_cache_is_bounded() -> None:
    small = InProcessLookupCache(max_entries=2, clock=lambda: 0.0)
    for key in ("a", "b", "c"):
        await small.put(key, key.encode(), ttl_s=10)
    assert [await small.get(key) for key in ("a", "b", "c")] == [None, b"b", b"c"]


async def test_a_write_that_may_have_happened_is_not_repeated_blindly(counter: CallCounter) -> None:
    script = Script(
        {
            "v1/playlists/p1/items": [Answer(502, None), Answer(201, {"snapshot_id": "s2"})],
            "v1/me/playlists": [
                Answer(
                    429, {"error": {"status": 429, "message": "slow down"}}, {"Retry-After": "0"}
                ),
                Answer(201, {"id": "p2"}),
            ],
        }
    )
    async with serving(scripted_app(script)) as url:
        http = ProviderHttp(
            "spotify", url, classify_spotify, InProcessTokenBuckets(), counter, QUICK
        )
        with pytest.raises(ProviderError, match="server_error"):
            await http.call("POST", "/v1/playlists/p1/items", endpoint="add", json={"uris": []})
        created = await http.call("POST", "/v1/me/playlists", endpoint="create", json={})
        await http.close()
    assert len(script.times("v1/playlists/p1/items")) == 1  # the caller must look first
    assert created == {"id": "p2"}  # a rate-limited write was surely not done: repeated
