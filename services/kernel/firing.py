"""When a schedule next fires: shared by the scheduler, which fires it, and the gateway,
which shows the next time as soon as a schedule is made or resumed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim

from services.kernel.records import ScheduleFire, ScheduleRecord


def next_fire(schedule: ScheduleRecord, after: datetime) -> datetime:
    """The first fire time strictly after ``after``."""
    if schedule.interval_s:
        return after + timedelta(seconds=schedule.interval_s)
    assert schedule.cron, "a schedule has an interval or a cron expression"
    zone = ZoneInfo(schedule.timezone)
    local = after.astimezone(zone).replace(second=0, microsecond=0)
    found = next(CronSim(schedule.cron, local))
    return found.astimezone(after.tzinfo)


def shown_next_fire(schedule: ScheduleRecord, fire: ScheduleFire | None) -> datetime | None:
    """The next time as the scheduler has it, or as it will work it out (a new or resumed
    schedule's first time after its ``since``); None while paused."""
    if schedule.paused:
        return None
    if fire is not None and fire.since == schedule.since:
        return fire.next_fire_at
    return next_fire(schedule, schedule.since)
