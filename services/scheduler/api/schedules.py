"""The schedule ticker: every few seconds, start the runs that are due.

Every replica ticks. A due schedule's run has an id derived from the fire time, so every
replica that sees it publishes the same request (stored once by the bus, and a run is
created once); the schedule then moves on by compare-and-set, which one replica wins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from services.kernel.bus import Bus
from services.kernel.contracts import SyncRunRequested, utcnow
from services.kernel.records import ScheduleRecord, SyncRunRecord, sync_run_key
from services.kernel.store import Store
from services.scheduler.domain.schedules import run_id_for, tick

log = logging.getLogger("tunebridge.scheduler.schedules")


class ScheduleTicker:
    """Fires due schedules."""

    def __init__(
        self, bus: Bus, store: Store, every_s: float, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.bus = bus
        self.store = store
        self.every_s = every_s
        self.clock = clock

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick_once()
            except Exception:  # a bad tick must not stop the next ones
                log.exception("schedule tick failed")
            await asyncio.sleep(self.every_s)

    async def tick_once(self) -> None:
        now = self.clock()
        for key in await self.store.keys("schedules"):
            schedule = await self.store.get("schedules", key, ScheduleRecord)
            if schedule is not None:
                await self._one(key, schedule, now)

    async def _one(self, key: str, schedule: ScheduleRecord, now: datetime) -> None:
        previous_running = False
        if schedule.last_run_id and schedule.next_fire_at and schedule.next_fire_at <= now:
            last = await self.store.get(
                "sync_runs", sync_run_key(schedule.user_id, schedule.last_run_id), SyncRunRecord
            )
            previous_running = last is not None and last.status in ("pending", "running")
        result = tick(schedule, now, previous_running)
        if result.schedule is None:
            return
        if result.fire_at is not None:
            run_id = run_id_for(schedule.schedule_id, result.fire_at)
            await self.bus.publish(
                SyncRunRequested(
                    user_id=schedule.user_id,
                    event_id=run_id,
                    run_id=run_id,
                    job_id=schedule.job_id,
                    trigger="schedule",
                )
            )
            log.info("schedule fired", extra={"schedule_id": schedule.schedule_id})
        moved_on = result.schedule
        await self.store.update(
            "schedules",
            key,
            ScheduleRecord,
            lambda current: moved_on if current == schedule else None,
        )
