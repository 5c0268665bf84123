"""A provider stand-in that answers from a script, for testing how we call providers.

Each path has a list of answers, served in order (the last one repeats); every request is
logged with its arrival time, so tests can check the pauses a client kept. The full
per-provider emulators build on the same server helper.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from litestar import Litestar, Request, Response, route
from litestar.params import FromPath


@dataclass
class Answer:
    """One scripted answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Script:
    """Answers by path, and the log of what was asked."""

    answers: dict[str, list[Answer]] = field(default_factory=dict)
    log: list[tuple[str, str, float]] = field(default_factory=list)

    def times(self, path: str) -> list[float]:
        """Arrival times of the requests for ``path``."""
        return [at for _, logged, at in self.log if logged == path]


def scripted_app(script: Script) -> Litestar:
    @route("/{path:path}", http_method=["GET", "POST", "PUT", "DELETE"])
    async def answer(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[Any]:
        path = path.lstrip("/")
        script.log.append((request.method, path, time.monotonic()))
        queue = script.answers.get(path) or [Answer(404, {"error": "Not Found"})]
        current = queue.pop(0) if len(queue) > 1 else queue[0]
        if current.delay_s:
            await asyncio.sleep(current.delay_s)
        return Response(current.body, status_code=current.status, headers=current.headers)

    return Litestar([answer], logging_config=None)


@contextlib.asynccontextmanager
async def serving(app: Litestar, latency_s: float = 0.0) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port for the duration; yields its base URL.

    ``latency_s`` delays every answer, to measure a client against a distant provider.
    """
    served: Any = app
    if latency_s:

        async def slow(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                await asyncio.sleep(latency_s)
            await app(scope, receive, send)

        served = slow
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(served, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn has no started event)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
