"""Making a schedule due now, as if its time had come, without waiting for it."""

from __future__ import annotations

from datetime import timedelta

from services.kernel.contracts import utcnow
from services.kernel.records import ScheduleFire, ScheduleRecord, schedule_key
from services.kernel.store import Store


async def make_due(store: Store, user_id: str, schedule_id: str) -> None:
    """Tell the scheduler (through its own record, with admin rights) the fire is due."""
    key = schedule_key(user_id, schedule_id)
    schedule = await store.get("schedules", key, ScheduleRecord)
    assert schedule is not None, "no such schedule"
    due = ScheduleFire(since=schedule.since, next_fire_at=utcnow() - timedelta(seconds=1))
    await store.put("schedule_fires", key, due)
