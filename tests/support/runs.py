"""Waiting on runs through the HTTP API, as a user's script would."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


async def wait_for_run(api: httpx.AsyncClient, run_id: str, within: float = 30) -> dict[str, Any]:
    """Poll a run until it ends; fail with its last state otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    body: dict[str, Any] = {}
    while loop.time() < deadline:
        body = (await api.get(f"/api/v1/runs/{run_id}")).json()
        if body.get("status") in ("completed", "failed"):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"run did not finish: {body}")
