"""A removed user's reach, ended where the scheduler keeps it: their synced pairs,
remembered mappings, review items, where their schedules' firing stood and finished runs
are deleted; a run still going is told to stop and kept until it has (its record then
expires with the bucket). Their jobs and schedules are the gateway's, erased before it
announced the removal."""

from __future__ import annotations

import logging

import msgspec

from services.kernel.contracts import UserRemoved, utcnow
from services.kernel.erasure import erase_or_stop, erase_user_keys
from services.kernel.records import RunRecord, SyncRunRecord
from services.kernel.store import Store

log = logging.getLogger("tunebridge.scheduler.users")
#: Buckets whose records of a user go with them at once.
ERASED = ("sync_pairs", "mappings", "reviews", "schedule_fires")
SYNC_ENDED = ("planned", "completed", "partial", "failed", "cancelled")


def _stop_sync_run(run: SyncRunRecord) -> SyncRunRecord | None:
    if run.status in SYNC_ENDED:
        return None
    return msgspec.structs.replace(run, cancel_requested=True, updated_at=utcnow())


def _keep_running_check(run: RunRecord) -> RunRecord | None:
    # A missing-tracks check writes nothing anywhere: one still going finishes, then expires.
    return None if run.status in ("completed", "failed") else run


class UserRemovals:
    """Handles ``UserRemoved`` for the scheduler's buckets."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def removed(self, event: UserRemoved) -> None:
        user_id = event.user_id
        erased = await erase_user_keys(self.store, user_id, ERASED)
        stopped = await erase_or_stop(
            self.store, user_id, "sync_runs", SyncRunRecord, _stop_sync_run
        )
        await erase_or_stop(self.store, user_id, "runs", RunRecord, _keep_running_check)
        for key in await self.store.keys("results", f"{user_id}.>"):
            run_id = key.split(".")[1]
            if await self.store.get("runs", f"{user_id}.{run_id}", RunRecord) is None:
                await self.store.delete("results", key)
        log.info("removed user's records erased", extra={"erased": erased, "stopped": stopped})
