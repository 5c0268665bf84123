"""When schedules fire: intervals and cron expressions, and fire times missed while down.

A fire is identified by its schedule and its time, and the run it starts has an id derived
from that, so however many scheduler replicas see a schedule due, one run starts: the bus
stores the request once, and the run is created once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
from cronsim import CronSim

from services.kernel.records import ScheduleRecord

#: A fire time this far in the past counts as missed (down, or paused for long).
GRACE = timedelta(minutes=2)


def next_fire(schedule: ScheduleRecord, after: datetime) -> datetime:
    """The first fire time strictly after ``after``."""
    if schedule.interval_s:
        return after + timedelta(seconds=schedule.interval_s)
    assert schedule.cron, "a schedule has an interval or a cron expression"
    zone = ZoneInfo(schedule.timezone)
    local = after.astimezone(zone).replace(second=0, microsecond=0)
    found = next(CronSim(schedule.cron, local))
    return found.astimezone(after.tzinfo)


def run_id_for(schedule_id: str, fire_at: datetime) -> str:
    """The run a fire starts (the same for every replica that sees it)."""
    fire = f"{schedule_id}@{int(fire_at.timestamp())}"
    return hashlib.sha256(fire.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Tick:
    """What a schedule does at this tick: fire (``fire_at``), or not, and its new record."""

    fire_at: datetime | None
    schedule: ScheduleRecord | None


def tick(schedule: ScheduleRecord, now: datetime, previous_running: bool = False) -> Tick:
    """A schedule seen at ``now``: not yet due (nothing changes), first seen (its next time
    is set), due (it fires and moves on), late (per its catch-up policy), or due while its
    previous run still goes on (it does not pile a second run on the first)."""
    if schedule.paused:
        return Tick(None, None)
    due = schedule.next_fire_at
    if due is None:
        return Tick(None, msgspec.structs.replace(schedule, next_fire_at=next_fire(schedule, now)))
    if due > now:
        return Tick(None, None)
    following = next_fire(schedule, now)
    if previous_running:
        return Tick(
            None,
            msgspec.structs.replace(
                schedule,
                next_fire_at=following,
                last_note=f"skipped the run due at {due.isoformat()}: the last one was still going",
            ),
        )
    if now - due > GRACE and schedule.catch_up == "skip":
        return Tick(
            None,
            msgspec.structs.replace(
                schedule,
                next_fire_at=following,
                last_note=f"skipped the run due at {due.isoformat()} (Tunebridge was down)",
            ),
        )
    note = None if now - due <= GRACE else f"ran late: it was due at {due.isoformat()}"
    return Tick(
        due,
        msgspec.structs.replace(
            schedule,
            next_fire_at=following,
            last_fired_at=now,
            last_run_id=run_id_for(schedule.schedule_id, due),
            last_note=note,
        ),
    )
