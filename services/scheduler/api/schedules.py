"""The schedule ticker: every few seconds, start the runs that are due.

Every replica ticks. A due schedule's run has an id derived from the fire time, so every
replica that sees it publishes the same request (stored once by the bus, and a run is
created once); where the schedule's firing stands (the scheduler's own ``schedule_fires``,
apart from the person's definition) then moves on by compare-and-set, which one replica
wins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from services.kernel.bus import Bus
from services.kernel.contracts import SyncRunRequested, utcnow
from services.kernel.records import ScheduleFire, ScheduleRecord, SyncRunRecord, sync_run_key
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
        defined = set(await self.store.keys("schedules"))
        for key in sorted(defined):
            schedule = await self.store.get("schedules", key, ScheduleRecord)
            if schedule is not None:
                await self._one(key, schedule, now)
        for key in set(await self.store.keys("schedule_fires")) - defined:
            await self.store.delete("schedule_fires", key)  # its schedule was deleted

    async def _one(self, key: str, schedule: ScheduleRecord, now: datetime) -> None:
        fire = await self.store.get("schedule_fires", key, ScheduleFire)
        previous_running = False
        if fire is not None and fire.last_run_id and fire.next_fire_at <= now:
            last = await self.store.get(
                "sync_runs", sync_run_key(schedule.user_id, fire.last_run_id), SyncRunRecord
            )
            previous_running = last is not None and last.status in ("pending", "running")
        result = tick(schedule, fire, now, previous_running)
        if result.fire is None:
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
        moved_on = result.fire
        if fire is None:
            await self.store.create("schedule_fires", key, moved_on)  # one replica wins
            return
        await self.store.update(
            "schedule_fires",
            key,
            ScheduleFire,
            lambda current: moved_on if current == fire else None,
        )
