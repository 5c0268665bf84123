"""Schemathesis against the OpenAPI document of a running gateway, on every operation:
no answer is a 5xx, and every answer matches what the document says of it. The
installation is the sync tests' world (both provider emulators, sealed-secret keys), so a
5xx here is ours, not a missing dependency's."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.sync_world import World, sync_world

# A full run (TUNEBRIDGE_SCHEMATHESIS_EXAMPLES=100, every phase) takes far longer than CI's.
pytestmark = pytest.mark.timeout(int(os.environ.get("TUNEBRIDGE_SCHEMATHESIS_TIMEOUT", "900")))
ST = Path(sys.executable).parent / "st"
#: Streams never end by themselves (Server-Sent Events), so a generated call would wait.
SKIPPED = "/events$"


@pytest.fixture
async def world(nats_url: str, namespace: str) -> AsyncIterator[World]:
    async with sync_world(nats_url, namespace) as made:
        yield made


async def test_every_operation_answers_as_documented_and_never_with_a_5xx(world: World) -> None:
    installation = world.installation
    command = [
        str(ST),
        "run",
        f"{installation.base_url}/schema/openapi.json",
        "--header",
        f"Authorization: Bearer {installation.token}",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance",
        "--max-examples",
        os.environ.get("TUNEBRIDGE_SCHEMATHESIS_EXAMPLES", "10"),
        "--phases",
        # Stateful: follow the document's links (a made job to its runs, schedules...).
        os.environ.get("TUNEBRIDGE_SCHEMATHESIS_PHASES", "examples,fuzzing,stateful"),
        "--exclude-path-regex",
        SKIPPED,
        "--seed",
        "20261122",
    ]
    run = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await run.communicate()
    report = out.decode(errors="replace")
    print(report[-2500:])  # the summary: operations, cases, warnings
    assert run.returncode == 0, report[-8000:]
