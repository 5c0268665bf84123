"""A run whose step is given up on fails with a reason instead of waiting forever."""

from __future__ import annotations

import httpx
import pytest

from services.kernel.contracts import MatchBatchRequested, SnapshotRef, Track, new_id, utcnow
from services.kernel.records import RunRecord, run_key
from services.scheduler.domain.runs import new_run, run_of
from tests.support.installation import Installation
from tests.support.runs import wait_for_run

pytestmark = pytest.mark.timeout(60)


async def test_a_dead_lettered_step_fails_its_run_with_the_step_named(
    installation: Installation, api: httpx.AsyncClient
) -> None:
    scheduler = installation.runtimes["scheduler"].context
    run_id, user = new_id(), installation.user_id
    await scheduler.store.put(
        "runs", run_key(user, run_id), new_run(run_id, user, "/music", utcnow())
    )
    # The library snapshot this batch points at has expired: the matcher cannot ever do it.
    await scheduler.bus.publish(
        MatchBatchRequested(
            user_id=user,
            run_id=run_id,
            batch_index=0,
            first_position=0,
            tracks=(Track(title="Teardrop"),),
            library=SnapshotRef(snapshot_id="local.gone", track_count=1, checksum="x"),
        )
    )
    run = await wait_for_run(api, run_id)
    assert run["status"] == "failed"
    assert "matching.batch_requested" in run["error"]
    stored = await scheduler.store.get("runs", run_key(user, run_id), RunRecord)
    assert stored is not None and stored.finished_at is not None


def test_only_run_messages_with_safe_ids_are_taken_as_runs() -> None:
    assert run_of(b'{"type": "x.y", "user_id": "local", "run_id": "ab12"}') == (
        "local",
        "ab12",
        "x.y",
    )
    assert run_of(b'{"user_id": "local", "run_id": "../../etc"}') is None
    assert run_of(b'{"user_id": "local"}') is None
    assert run_of(b"not json") is None
    assert run_of(b"[1, 2]") is None
