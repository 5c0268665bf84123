"""Schedules: run a sync job every so often, or on a cron expression; pause and resume."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from cronsim import CronSim, CronSimError
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import JSONBody, Parameter

from services.gateway.api.dependencies import Gateway
from services.kernel.contracts import new_id, utcnow
from services.kernel.firing import shown_next_fire
from services.kernel.records import (
    ScheduleFire,
    ScheduleRecord,
    SyncJobRecord,
    job_key,
    schedule_key,
)

Id = Annotated[str, Parameter(pattern=r"^[0-9a-f]{32}$")]
#: The shortest interval: providers' rate limits are shared by every run.
MIN_INTERVAL_S = 60


class ScheduleDocument(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Run ``job_id`` every ``every_s`` seconds (60 at least), or on a five-field ``cron``
    expression in ``timezone``. ``catch_up`` says what happens to runs missed while
    Tunebridge was down: ``once`` runs the job once on return, ``skip`` waits."""

    job_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]
    every_s: Annotated[int, msgspec.Meta(ge=MIN_INTERVAL_S, le=366 * 86400)] | None = None
    cron: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "UTC"
    catch_up: Literal["once", "skip"] = "once"


class ScheduleView(msgspec.Struct, kw_only=True):
    """A schedule, its next time, and what it last did."""

    schedule_id: str
    job_id: str
    every_s: int | None
    cron: str | None
    description: str
    timezone: str
    catch_up: str
    paused: bool
    next_fire_at: datetime | None
    last_fired_at: datetime | None
    last_run_id: str | None
    last_note: str | None


def _describe(record: ScheduleRecord) -> str:
    if record.interval_s:
        minutes, seconds = divmod(record.interval_s, 60)
        return f"every {minutes} min" + (f" {seconds} s" if seconds else "")
    assert record.cron
    return f"{CronSim(record.cron, utcnow()).explain()} ({record.timezone})"


def _view(record: ScheduleRecord, fire: ScheduleFire | None) -> ScheduleView:
    fired = fire if fire is not None and fire.since == record.since else None
    return ScheduleView(
        schedule_id=record.schedule_id,
        job_id=record.job_id,
        every_s=record.interval_s,
        cron=record.cron,
        description=_describe(record),
        timezone=record.timezone,
        catch_up=record.catch_up,
        paused=record.paused,
        next_fire_at=shown_next_fire(record, fire),
        last_fired_at=fire.last_fired_at if fire else None,
        last_run_id=fire.last_run_id if fire else None,
        last_note=fired.last_note if fired else None,
    )


async def _shown(gateway: Gateway, record: ScheduleRecord) -> ScheduleView:
    key = schedule_key(record.user_id, record.schedule_id)
    return _view(record, await gateway.ctx.store.get("schedule_fires", key, ScheduleFire))


def _checked(data: ScheduleDocument) -> None:
    if (data.every_s is None) == (data.cron is None):
        raise ValidationException("give exactly one of 'every_s' and 'cron'")
    try:
        zone = ZoneInfo(data.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationException(f"unknown timezone {data.timezone!r}") from None
    if data.cron is not None:
        if len(data.cron.split()) != 5:
            # cronsim also reads a sixth field of seconds, which the scheduler (it fires
            # on the minute) would not honour.
            raise ValidationException(
                "'cron' takes five fields: minute, hour, day of month, month, day of week"
            )
        try:
            CronSim(data.cron, datetime.now(zone))
        except CronSimError as error:
            raise ValidationException(f"'cron' is not a valid expression: {error}") from None


class SchedulesController(Controller):
    """When jobs run by themselves."""

    path = "/api/v1/schedules"
    tags = ["schedules"]

    async def _schedule(self, gateway: Gateway, schedule_id: str) -> ScheduleRecord:
        found = await gateway.ctx.store.get(
            "schedules", schedule_key(gateway.current_user(), schedule_id), ScheduleRecord
        )
        if found is None:
            raise NotFoundException(f"no schedule {schedule_id}")
        return found

    @post("/", status_code=201, summary="Schedule a sync job")
    async def create(
        self, gateway: NamedDependency[Gateway], data: JSONBody[ScheduleDocument]
    ) -> ScheduleView:
        _checked(data)
        user_id = gateway.current_user()
        if (
            await gateway.ctx.store.get("jobs", job_key(user_id, data.job_id), SyncJobRecord)
            is None
        ):
            raise ValidationException(f"no job {data.job_id}")
        record = ScheduleRecord(
            schedule_id=new_id(),
            user_id=user_id,
            job_id=data.job_id,
            interval_s=data.every_s,
            cron=data.cron,
            timezone=data.timezone,
            catch_up=data.catch_up,
        )
        await gateway.ctx.store.create(
            "schedules", schedule_key(user_id, record.schedule_id), record
        )
        return _view(record, None)  # its first time shown at once, as the scheduler works it out

    @get("/", summary="Your schedules")
    async def list_schedules(self, gateway: NamedDependency[Gateway]) -> list[ScheduleView]:
        found = await gateway.ctx.store.values(
            "schedules", f"{gateway.current_user()}.*", ScheduleRecord
        )
        return [await _shown(gateway, s) for s in sorted(found, key=lambda s: s.created_at)]

    @get("/{schedule_id:str}", summary="A schedule")
    async def get_schedule(
        self, gateway: NamedDependency[Gateway], schedule_id: Id
    ) -> ScheduleView:
        return await _shown(gateway, await self._schedule(gateway, schedule_id))

    async def _set_paused(self, gateway: Gateway, schedule_id: str, paused: bool) -> ScheduleView:
        await self._schedule(gateway, schedule_id)
        updated = await gateway.ctx.store.update(
            "schedules",
            schedule_key(gateway.current_user(), schedule_id),
            ScheduleRecord,
            # On resume the next time is worked out afresh: nothing missed while paused runs.
            lambda s: (
                msgspec.structs.replace(s, paused=paused, since=s.since if paused else utcnow())
                if s.paused != paused
                else None
            ),
        )
        if updated is None:
            raise NotFoundException(f"no schedule {schedule_id}")
        return await _shown(gateway, updated)

    @post("/{schedule_id:str}/pause", status_code=200, summary="Pause a schedule")
    async def pause(self, gateway: NamedDependency[Gateway], schedule_id: Id) -> ScheduleView:
        return await self._set_paused(gateway, schedule_id, True)

    @post("/{schedule_id:str}/resume", status_code=200, summary="Resume a paused schedule")
    async def resume(self, gateway: NamedDependency[Gateway], schedule_id: Id) -> ScheduleView:
        return await self._set_paused(gateway, schedule_id, False)

    @delete("/{schedule_id:str}", status_code=204, summary="Delete a schedule")
    async def remove(self, gateway: NamedDependency[Gateway], schedule_id: Id) -> None:
        await self._schedule(gateway, schedule_id)
        await gateway.ctx.store.delete(
            "schedules", schedule_key(gateway.current_user(), schedule_id)
        )
