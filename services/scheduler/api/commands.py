"""Commands other services send about the scheduler's state (review items, mappings, the
pairs of a job, a run's cancellation): the scheduler owns those buckets and is the only one
that writes them. Each command is applied idempotently: a redelivery changes nothing."""

from __future__ import annotations

import msgspec

from services.kernel.contracts import (
    ReviewDecided,
    SyncJobDeleted,
    SyncRunCancelRequested,
    utcnow,
)
from services.kernel.records import (
    NOT_ON_SERVICE,
    ReviewRecord,
    SyncRunRecord,
    id_space,
    review_key,
    sync_run_key,
)
from services.kernel.store import Store
from services.scheduler.mappings import save_mapping


def decided(review: ReviewRecord, command: ReviewDecided) -> ReviewRecord | None:
    """The item with the person's answer (None: already so, or a later answer stands)."""
    if review.decided_at is not None and review.decided_at >= command.decided_at:
        return None
    return msgspec.structs.replace(
        review,
        status="skipped" if command.decision == "skip" else "decided",
        decision=command.decision,
        chosen_id=command.chosen_id if command.chosen_id != NOT_ON_SERVICE else None,
        decided_at=command.decided_at,
    )


def cancelled(run: SyncRunRecord) -> SyncRunRecord | None:
    """The run told to stop at its next step; one not started never starts."""
    if run.status not in ("pending", "running") or run.cancel_requested:
        return None
    now = utcnow()
    if run.status == "pending":
        return msgspec.structs.replace(
            run, status="cancelled", cancel_requested=True, updated_at=now, finished_at=now
        )
    return msgspec.structs.replace(run, cancel_requested=True, updated_at=now)


class Commands:
    """Applies the commands on the scheduler's state."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def review_decided(self, command: ReviewDecided) -> None:
        """A decision becomes a mapping every later run honours (a match answered with a
        track, or "not on the service"); the item keeps the answer."""
        key = review_key(command.user_id, command.review_id)
        review = await self.store.get("reviews", key, ReviewRecord)
        if review is None or decided(review, command) is None:
            return  # gone (its user removed, or expired), or already answered so or later
        if command.chosen_id is not None and review.kind == "match":
            entity = review.source.entity
            await save_mapping(
                self.store,
                review.user_id,
                id_space(review.from_provider, entity),
                review.source.provider_id or "",
                id_space(review.to_provider, entity),
                command.chosen_id,
                "review",
                to_path=next(
                    (
                        c.track.path
                        for c in review.candidates
                        if c.track.provider_id == command.chosen_id
                    ),
                    None,
                ),
            )
        await self.store.update(
            "reviews", key, ReviewRecord, lambda current: decided(current, command)
        )

    async def job_deleted(self, command: SyncJobDeleted) -> None:
        """A deleted job's pairs are forgotten: their state only served its next run."""
        for key in await self.store.keys("sync_pairs", f"{command.user_id}.{command.job_id}.*"):
            await self.store.delete("sync_pairs", key)

    async def run_cancel_requested(self, command: SyncRunCancelRequested) -> None:
        await self.store.update(
            "sync_runs", sync_run_key(command.user_id, command.run_id), SyncRunRecord, cancelled
        )
