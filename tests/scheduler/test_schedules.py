"""Schedules: when they fire, what a missed fire does, and one run per fire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.kernel.records import ScheduleFire, ScheduleRecord
from services.scheduler.domain.schedules import Tick, next_fire, run_id_for, tick

NOW = datetime(2026, 11, 22, 10, 0, 30, tzinfo=UTC)


SINCE = NOW - timedelta(seconds=10)


def schedule(**fields: object) -> ScheduleRecord:
    fields.setdefault("since", SINCE)
    return ScheduleRecord(schedule_id="s1", user_id="u", job_id="j", **fields)  # type: ignore[arg-type]


def test_intervals_and_cron_expressions_in_their_timezone() -> None:
    assert next_fire(schedule(interval_s=900), NOW) == NOW + timedelta(minutes=15)
    # 07:00 in Paris is 06:00 UTC in November.
    paris = schedule(cron="0 7 * * *", timezone="Europe/Paris")
    assert next_fire(paris, NOW) == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert next_fire(schedule(cron="*/5 * * * *"), NOW) == datetime(2026, 11, 22, 10, 5, tzinfo=UTC)


def fire(next_fire_at: datetime) -> ScheduleFire:
    return ScheduleFire(since=SINCE, next_fire_at=next_fire_at)


def test_a_new_schedule_is_given_its_first_time_and_fires_when_due() -> None:
    first = tick(schedule(interval_s=60), None, NOW)
    assert first.fire_at is None and first.fire is not None
    assert first.fire.next_fire_at == SINCE + timedelta(seconds=60)
    later = NOW + timedelta(seconds=61)
    due = tick(schedule(interval_s=60), first.fire, later)
    assert due.fire_at == SINCE + timedelta(seconds=60)
    assert due.fire is not None and due.fire.last_run_id == run_id_for("s1", due.fire_at)
    assert tick(schedule(interval_s=60), due.fire, later) == Tick(None, None)


def test_every_replica_works_out_the_same_first_time_whenever_it_looks() -> None:
    one = tick(schedule(interval_s=600), None, NOW)
    other = tick(schedule(interval_s=600), None, NOW + timedelta(seconds=40))
    assert one.fire == other.fire


def test_a_resumed_schedule_starts_afresh_and_runs_nothing_missed_while_paused() -> None:
    long_ago = NOW - timedelta(hours=5)
    resumed = schedule(interval_s=600, since=NOW)
    seen = tick(resumed, ScheduleFire(since=SINCE - timedelta(days=1), next_fire_at=long_ago), NOW)
    assert seen.fire_at is None
    assert seen.fire is not None and seen.fire.next_fire_at == NOW + timedelta(minutes=10)


def test_fires_missed_while_down_run_once_or_are_skipped_as_chosen() -> None:
    long_ago = NOW - timedelta(hours=5)
    once = tick(schedule(interval_s=600), fire(long_ago), NOW)
    assert once.fire_at == long_ago  # one run for the whole outage, not thirty
    assert once.fire is not None and once.fire.next_fire_at == NOW + timedelta(minutes=10)
    assert once.fire.last_note and "late" in once.fire.last_note
    skip = tick(schedule(interval_s=600, catch_up="skip"), fire(long_ago), NOW)
    assert skip.fire_at is None
    assert skip.fire is not None and skip.fire.next_fire_at == NOW + timedelta(minutes=10)


def test_paused_schedules_and_runs_still_going_do_not_fire() -> None:
    due = NOW - timedelta(seconds=1)
    assert tick(schedule(interval_s=60, paused=True), fire(due), NOW) == Tick(None, None)
    busy = tick(schedule(interval_s=60), fire(due), NOW, previous_running=True)
    assert busy.fire_at is None and busy.fire is not None
    assert "still going" in (busy.fire.last_note or "")


def test_every_replica_derives_the_same_run_for_a_fire() -> None:
    at = NOW.replace(second=0)
    assert run_id_for("s1", at) == run_id_for("s1", at)
    assert run_id_for("s1", at) != run_id_for("s1", at + timedelta(minutes=1))
    assert len(run_id_for("s1", at)) == 32
