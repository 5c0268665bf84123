"""Redelivered and repeated events never count twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from services.kernel.contracts import DownloadPlanned, MatchBatchCompleted, PlaylistImported
from services.kernel.records import BatchRecord, RunRecord, batch_key, run_key
from tests.support.audio import make_audio
from tests.support.installation import Installation
from tests.support.runs import wait_for_run

pytestmark = pytest.mark.timeout(60)


async def a_finished_run(api: httpx.AsyncClient, music_dir: Path) -> dict[str, Any]:
    """A missing-tracks run of two tracks, one of them in the folder, once it has ended."""
    make_audio(music_dir / "a.mp3", title="Harvest Moon", artist="Neil Young")
    response = await api.post(
        "/api/v1/runs/missing-tracks",
        json={
            "folder": str(music_dir),
            "tracks": [
                {"title": "Harvest Moon", "artists": ["Neil Young"]},
                {"title": "Heart of Gold", "artists": ["Neil Young"]},
            ],
        },
    )
    return await wait_for_run(api, response.json()["run_id"])


async def test_replayed_batch_events_change_nothing(
    installation: Installation, api: httpx.AsyncClient, music_dir: Path
) -> None:
    before = await a_finished_run(api, music_dir)
    run_id = before["run_id"]
    store = installation.store
    bus = installation.bus
    batch = await store.get("results", batch_key(installation.user_id, run_id, 0), BatchRecord)
    assert batch is not None and batch.plan is not None
    # The same facts again, under new event ids so JetStream cannot drop them as
    # duplicates: only the handlers' own idempotency stands between them and double counts.
    await bus.publish(
        MatchBatchCompleted(
            user_id=installation.user_id,
            run_id=run_id,
            batch_index=0,
            outcomes=tuple(batch.outcomes),
        )
    )
    await bus.publish(
        DownloadPlanned(
            user_id=installation.user_id, run_id=run_id, batch_index=0, items=tuple(batch.plan)
        )
    )
    await asyncio.sleep(1.0)
    after = (await api.get(f"/api/v1/runs/{run_id}")).json()
    run = await store.get("runs", run_key(installation.user_id, run_id), RunRecord)

    assert before["summary"] == {"total": 2, "present": 1, "missing": 1}
    assert after == before
    assert run is not None and run.matched_batches == [0] and run.planned_batches == [0]


async def test_a_run_left_between_a_match_and_its_plan_goes_on_when_a_message_comes_again(
    installation: Installation, api: httpx.AsyncClient, music_dir: Path
) -> None:
    """A scheduler that died after storing a batch's matches, before asking for its plan,
    left a run that no new reply would move: the next redelivered message of the run (here
    its playlist's import, a fact already taken) sends what the run still waits for."""
    done = await a_finished_run(api, music_dir)
    store, user_id = installation.store, installation.user_id
    run = await store.get("runs", run_key(user_id, done["run_id"]), RunRecord)
    batch = await store.get("results", batch_key(user_id, done["run_id"], 0), BatchRecord)
    assert run is not None and run.playlist is not None and batch is not None
    # The same run as that scheduler left it, under an id no request was ever sent for.
    left_id = "0" * 31 + "1"
    left = msgspec.structs.replace(
        run, run_id=left_id, status="running", planned_batches=[], finished_at=None
    )
    await store.put("runs", run_key(user_id, left_id), left)
    unplanned = msgspec.structs.replace(batch, run_id=left_id, plan=None)
    await store.put("results", batch_key(user_id, left_id, 0), unplanned)

    await installation.bus.publish(
        PlaylistImported(user_id=user_id, run_id=left_id, snapshot=run.playlist)
    )
    resumed = await wait_for_run(api, left_id)

    assert resumed["status"] == "completed"
    assert resumed["summary"] == done["summary"] == {"total": 2, "present": 1, "missing": 1}
