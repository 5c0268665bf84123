"""Schedules: when they fire, what a missed fire does, and one run per fire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.kernel.records import ScheduleRecord
from services.scheduler.domain.schedules import next_fire, run_id_for, tick

NOW = datetime(2026, 11, 22, 10, 0, 30, tzinfo=UTC)


def schedule(**fields: object) -> ScheduleRecord:
    return ScheduleRecord(schedule_id="s1", user_id="u", job_id="j", **fields)  # type: ignore[arg-type]


def test_intervals_and_cron_expressions_in_their_timezone() -> None:
    assert next_fire(schedule(interval_s=900), NOW) == NOW + timedelta(minutes=15)
    # 07:00 in Paris is 06:00 UTC in November.
    paris = schedule(cron="0 7 * * *", timezone="Europe/Paris")
    assert next_fire(paris, NOW) == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert next_fire(schedule(cron="*/5 * * * *"), NOW) == datetime(2026, 11, 22, 10, 5, tzinfo=UTC)


def test_a_new_schedule_is_given_its_first_time_and_fires_when_due() -> None:
    first = tick(schedule(interval_s=60), NOW)
    assert first.fire_at is None and first.schedule is not None
    assert first.schedule.next_fire_at == NOW + timedelta(seconds=60)
    due = tick(first.schedule, NOW + timedelta(seconds=61))
    assert due.fire_at == NOW + timedelta(seconds=60)
    assert due.schedule is not None and due.schedule.last_run_id == run_id_for("s1", due.fire_at)
    assert tick(due.schedule, NOW + timedelta(seconds=62)) == tick(due.schedule, NOW)


def test_fires_missed_while_down_run_once_or_are_skipped_as_chosen() -> None:
    long_ago = NOW - timedelta(hours=5)
    once = tick(schedule(interval_s=600, next_fire_at=long_ago), NOW)
    assert once.fire_at == long_ago  # one run for the whole outage, not thirty
    assert once.schedule is not None and once.schedule.next_fire_at == NOW + timedelta(minutes=10)
    assert once.schedule.last_note and "late" in once.schedule.last_note
    skip = tick(schedule(interval_s=600, next_fire_at=long_ago, catch_up="skip"), NOW)
    assert skip.fire_at is None
    assert skip.schedule is not None and skip.schedule.next_fire_at == NOW + timedelta(minutes=10)


def test_paused_schedules_and_runs_still_going_do_not_fire() -> None:
    due = NOW - timedelta(seconds=1)
    assert tick(schedule(interval_s=60, next_fire_at=due, paused=True), NOW).schedule is None
    busy = tick(schedule(interval_s=60, next_fire_at=due), NOW, previous_running=True)
    assert busy.fire_at is None and busy.schedule is not None
    assert "still going" in (busy.schedule.last_note or "")


def test_every_replica_derives_the_same_run_for_a_fire() -> None:
    at = NOW.replace(second=0)
    assert run_id_for("s1", at) == run_id_for("s1", at)
    assert run_id_for("s1", at) != run_id_for("s1", at + timedelta(minutes=1))
    assert len(run_id_for("s1", at)) == 32
