"""When schedules fire: intervals and cron expressions, and fire times missed while down.

A fire is identified by its schedule and its time, and the run it starts has an id derived
from that, so however many scheduler replicas see a schedule due, one run starts: the bus
stores the request once, and the run is created once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec

from services.kernel.firing import next_fire
from services.kernel.records import ScheduleFire, ScheduleRecord

__all__ = ["GRACE", "Tick", "next_fire", "run_id_for", "tick"]

#: A fire time this far in the past counts as missed (down, or paused for long).
GRACE = timedelta(minutes=2)


def run_id_for(schedule_id: str, fire_at: datetime) -> str:
    """The run a fire starts (the same for every replica that sees it)."""
    fire = f"{schedule_id}@{int(fire_at.timestamp())}"
    return hashlib.sha256(fire.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Tick:
    """What a schedule does at this tick: fire (``fire_at``), or not, and where its firing
    stands now (None: unchanged)."""

    fire_at: datetime | None
    fire: ScheduleFire | None


def tick(
    schedule: ScheduleRecord,
    fire: ScheduleFire | None,
    now: datetime,
    previous_running: bool = False,
) -> Tick:
    """A schedule seen at ``now``: new or resumed (its first time is the first after its
    ``since``, the same for every replica), not yet due (nothing changes), due (it fires and
    moves on), late (per its catch-up policy), or due while its previous run still goes on
    (it does not pile a second run on the first)."""
    if schedule.paused:
        return Tick(None, None)
    changed = fire is None or fire.since != schedule.since
    if fire is None or changed:
        first = next_fire(schedule, schedule.since)
        fire = (
            ScheduleFire(since=schedule.since, next_fire_at=first)
            if fire is None
            else msgspec.structs.replace(fire, since=schedule.since, next_fire_at=first)
        )
    due = fire.next_fire_at
    if due > now:
        return Tick(None, fire if changed else None)
    following = next_fire(schedule, now)
    if previous_running:
        note = f"skipped the run due at {due.isoformat()}: the last one was still going"
        return Tick(None, msgspec.structs.replace(fire, next_fire_at=following, last_note=note))
    if now - due > GRACE and schedule.catch_up == "skip":
        note = f"skipped the run due at {due.isoformat()} (Tunebridge was down)"
        return Tick(None, msgspec.structs.replace(fire, next_fire_at=following, last_note=note))
    late = None if now - due <= GRACE else f"ran late: it was due at {due.isoformat()}"
    return Tick(
        due,
        msgspec.structs.replace(
            fire,
            next_fire_at=following,
            last_fired_at=now,
            last_run_id=run_id_for(schedule.schedule_id, due),
            last_note=late,
        ),
    )
