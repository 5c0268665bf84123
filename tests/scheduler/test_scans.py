"""Scans after downloads: many downloads make one scan, asked once they have settled; a
run waits while anything is awaited, landed unscanned or being scanned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.scheduler.domain import scans
from services.scheduler.records import LibraryScanState

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
DEBOUNCE = scans.Debounce(quiet=timedelta(seconds=10), max_wait=timedelta(minutes=5))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_fifty_downloads_make_one_scan_once_the_last_has_landed_and_it_is_quiet() -> None:
    ids = [f"r-{n}" for n in range(50)]
    state = scans.queued(LibraryScanState(), ids, T0)
    assert state is not None and scans.queued(state, ids, T0) is None  # queued twice: known
    for n, download_id in enumerate(ids):
        changed = scans.finished(state, download_id, filed=n != 7, now=at(n))
        assert changed is not None
        state = changed
        assert scans.busy(state)
        assert not scans.due(state, at(n + 60), DEBOUNCE) or n == 49
    assert state.landed == 49 and not state.awaited
    assert not scans.due(state, at(49 + 9), DEBOUNCE)  # still landing, perhaps
    assert scans.due(state, at(49 + 10), DEBOUNCE)
    asked = scans.asked(state, "s1", at(60))
    assert asked is not None and scans.asked(asked, "s2", at(61)) is None  # one at a time
    assert not scans.due(asked, at(100), DEBOUNCE) and scans.busy(asked)
    done = scans.scanned(asked, "s1")
    assert done is not None and not scans.busy(done) and done.scans == 1
    assert scans.scanned(done, "s1") is None  # an answer told twice


def test_a_long_stream_of_downloads_is_scanned_after_the_longest_wait() -> None:
    state = LibraryScanState()
    for n in range(0, 400, 5):  # one every 5 s: never quiet for 10 s
        changed = scans.finished(state, f"d{n}", filed=True, now=at(n))
        assert changed is not None
        state = changed
        if scans.due(state, at(n), DEBOUNCE):
            break
    assert n == 300


def test_a_run_waits_while_the_library_is_not_current_and_goes_on_once() -> None:
    state = scans.queued(LibraryScanState(), ["d1"], T0)
    assert state is not None
    held = scans.waits(state, "run1")
    assert held is not None and scans.waits(held, "run1") is None
    assert scans.released(held) == (None, [])  # d1 still to land
    landed = scans.finished(held, "d1", filed=True, now=at(0))
    assert landed is not None and scans.released(landed) == (None, [])  # not scanned yet
    asked = scans.asked(landed, "s1", at(10))
    assert asked is not None
    # A download landing during the scan calls for another before the run goes on.
    again = scans.finished(asked, "d2", filed=True, now=at(11))
    assert again is not None
    scanned = scans.scanned(again, "s1")
    assert scanned is not None and scans.released(scanned) == (None, [])
    second = scans.scanned(scans.asked(scanned, "s2", at(30)) or scanned, "s2")
    assert second is not None
    remaining, runs = scans.released(second)
    assert runs == ["run1"] and remaining is not None and remaining.runs == []
    assert scans.waits(remaining, "run2") is None  # current: a new run need not wait


def test_a_scan_never_answered_stops_holding_runs_after_a_while() -> None:
    asked = scans.asked(LibraryScanState(landed=1), "s1", at(0))
    assert asked is not None
    assert not scans.timed_out(asked, at(60))
    assert scans.timed_out(asked, at(15 * 60))


def test_a_download_that_ended_before_its_queuing_was_told_is_not_awaited() -> None:
    landed = scans.finished(LibraryScanState(), "d1", filed=True, now=at(0))
    assert landed is not None and landed.ended == ["d1"]
    assert scans.queued(landed, ["d1"], T0) is None  # told late: already in, not awaited
    state = scans.queued(landed, ["d1", "d2"], T0)
    assert state is not None and state.awaited == ["d2"]
    assert scans.due(scans.finished(state, "d2", filed=True, now=at(1)) or state, at(20), DEBOUNCE)


def test_a_download_stuck_for_longer_than_the_longest_wait_holds_no_run() -> None:
    state = scans.queued(LibraryScanState(), ["stuck"], T0)
    assert state is not None
    held = scans.waits(state, "run1")
    assert held is not None
    assert not scans.stalled(held, at(299), DEBOUNCE) and scans.stalled(held, at(300), DEBOUNCE)
    freed = scans.given_up(held)
    assert freed is not None and scans.released(freed)[1] == ["run1"]


def test_downloads_still_landing_after_a_scan_was_asked_still_hold_runs() -> None:
    """A long batch: the scan asked after the longest wait forgets what landed, not that
    the rest are still coming; they stall only when none has ended for that long."""
    ids = [f"r-{n}" for n in range(100)]
    state = scans.queued(LibraryScanState(), ids, T0)
    assert state is not None
    for n in range(60):  # one every 5 s
        changed = scans.finished(state, ids[n], filed=True, now=at(5 * n))
        assert changed is not None
        state = changed
    assert scans.due(state, at(300), DEBOUNCE)
    asked = scans.asked(state, "s1", at(300))
    assert asked is not None
    assert not scans.stalled(asked, at(301), DEBOUNCE) and scans.busy(asked)
    assert scans.stalled(asked, at(5 * 59 + 300), DEBOUNCE)  # then nothing for 5 minutes
