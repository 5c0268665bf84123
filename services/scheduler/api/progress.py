"""A flow's run records: each change a compare-and-set, and each change made told once to
whoever follows the run live (``runs.progressed``), for every flow alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Literal, TypeVar

from services.kernel.bus import Bus
from services.kernel.contracts import RunProgressed
from services.kernel.records import RunRecord, SyncRunRecord
from services.kernel.store import Store

#: The run records of the flows: a missing-tracks run, a sync run.
R = TypeVar("R", RunRecord, SyncRunRecord)


class RunChanges(Generic[R]):
    """Changes of one flow's runs (``bucket``, records of ``record_type``)."""

    def __init__(
        self,
        bus: Bus,
        store: Store,
        bucket: str,
        record_type: type[R],
        kind: Literal["missing", "sync"],
    ) -> None:
        self.bus = bus
        self.store = store
        self.bucket = bucket
        self.record_type: type[R] = record_type
        self.kind: Literal["missing", "sync"] = kind

    async def change(self, key: str, change: Callable[[R], R | None]) -> tuple[R | None, bool]:
        """The run after ``change`` (None if there is no such run), and whether this call
        changed it (False: the change was made before, e.g. by an earlier delivery); a
        change made is told to live views."""
        record, applied = await self.store.change(self.bucket, key, self.record_type, change)
        if applied and record is not None:
            await self.progressed(record)
        return record, applied

    async def progressed(self, run: R) -> None:
        """Tell whoever follows the run live that its record changed."""
        await self.bus.publish(
            RunProgressed(user_id=run.user_id, run_id=run.run_id, kind=self.kind, status=run.status)
        )
