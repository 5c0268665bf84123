"""Two gateway replicas with Redis configured share one log-in limit: guesses spread over
both are counted together, so a second replica does not double what an attacker may try."""

from __future__ import annotations

import httpx
import pytest

from tests.support.installation import running_installation
from tests.support.redis_server import reachable_redis
from tests.support.users import ADMIN

pytestmark = pytest.mark.timeout(120)


async def test_two_gateway_replicas_share_one_log_in_limit(nats_url: str, namespace: str) -> None:
    redis_url = reachable_redis()
    async with running_installation(nats_url, namespace, redis_url=redis_url, instances=2) as made:
        first, second = (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway.app.port}", timeout=20)  # type: ignore[attr-defined]
            for gateway in made.replicas["gateway"]
        )
        wrong = {"username": ADMIN["username"], "password": "not-the-password"}
        async with first, second:
            # Five wrong guesses (the limit per name and address), spread over both.
            for client in (first, second, first, second, first):
                answer = await client.post("/api/v1/login", json=wrong)
                assert answer.status_code == 401, answer.text
            # The replica that has seen only two of them refuses the next one too.
            for client in (second, first):
                answer = await client.post("/api/v1/login", json=wrong)
                assert answer.status_code == 429, answer.text
                assert answer.headers["Retry-After"] == "60"
            # Even with the right password: the name is locked for the window, on both.
            answer = await second.post("/api/v1/login", json=ADMIN)
            assert answer.status_code == 429, answer.text
