"""When a user's media servers scan after downloads, and which sync runs wait for it.

Many downloads make one scan: a scan is asked once no download of the user is awaited any
more and none has landed for a quiet moment (or, in a long stream of downloads, once the
first landed long enough ago). A sync run of a job with a media server starts only while
nothing is awaited, landed unscanned or being scanned, so it reads what the downloads
filed and never reports (and downloads) the same track again. Pure: the records in, the
records out; the bus edge (``services/scheduler/api/scans.py``) stores and publishes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec

from services.scheduler.records import LibraryScanState

#: A scan not answered in this long has ended for the runs waiting on it (the connectors
#: give up on a server after ten minutes; a lost answer must not hold runs for ever).
SCAN_TIMEOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class Debounce:
    """How long downloads are let land before a scan is asked.

    Attributes:
        quiet: Time with no new download before the scan.
        max_wait: The longest a landed download waits for its scan.
    """

    quiet: timedelta
    max_wait: timedelta


#: Downloads remembered as ended although nobody awaited them yet: the news that they were
#: queued may come after their end (two streams, two consumers).
REMEMBERED_ENDS = 1000


def queued(
    state: LibraryScanState, download_ids: Iterable[str], now: datetime
) -> LibraryScanState | None:
    """Downloads were queued from a sync report: awaited until they end, unless they have
    ended already (None: nothing new)."""
    new = [d for d in download_ids if d not in state.awaited and d not in state.ended]
    if not new:
        return None
    return msgspec.structs.replace(state, awaited=[*state.awaited, *new], awaited_since=now)


def stalled(state: LibraryScanState, now: datetime, debounce: Debounce) -> bool:
    """Whether the downloads still awaited have shown no sign for longer than the longest
    wait (stuck, or their end lost): runs are no longer held for them."""
    if not state.awaited:
        return False
    # Not the last landing, which a scan asked meanwhile forgets: the last end of any.
    last = max(t for t in (state.awaited_since, state.last_end_at) if t is not None)
    return now - last >= debounce.max_wait


def given_up(state: LibraryScanState) -> LibraryScanState | None:
    """The awaited downloads are no longer waited for (a late end still counts as landed)."""
    if not state.awaited:
        return None
    return msgspec.structs.replace(state, awaited=[], awaited_since=None)


def finished(
    state: LibraryScanState, download_id: str, filed: bool, now: datetime
) -> LibraryScanState | None:
    """A download ended; ``filed`` when its file is now in the library (done). None when
    nothing changes (a redelivered end of a download no longer awaited and not filed)."""
    awaited = [d for d in state.awaited if d != download_id]
    was_awaited = len(awaited) < len(state.awaited)
    ended = state.ended
    if not was_awaited and download_id not in ended:
        ended = [*ended, download_id][-REMEMBERED_ENDS:]  # its queuing may still be told
    last_end_at = now if was_awaited else state.last_end_at
    if not filed:
        if not was_awaited and ended == state.ended:
            return None
        return msgspec.structs.replace(state, awaited=awaited, ended=ended, last_end_at=last_end_at)
    return msgspec.structs.replace(
        state,
        awaited=awaited,
        ended=ended,
        landed=state.landed + 1,
        first_landed_at=state.first_landed_at or now,
        last_landed_at=now,
        last_end_at=last_end_at,
    )


def busy(state: LibraryScanState | None) -> bool:
    """Whether a run reading a media server now could miss downloaded files."""
    return state is not None and bool(state.awaited or state.landed or state.scan_id)


def due(state: LibraryScanState, now: datetime, debounce: Debounce) -> bool:
    """Whether the scan should be asked now."""
    if state.scan_id is not None or not state.landed:
        return False
    if state.first_landed_at and now - state.first_landed_at >= debounce.max_wait:
        return True
    quiet = state.last_landed_at is None or now - state.last_landed_at >= debounce.quiet
    return quiet and not state.awaited


def asked(state: LibraryScanState, scan_id: str, now: datetime) -> LibraryScanState | None:
    """The scan is asked: what landed so far is in it (None: one is asked already)."""
    if state.scan_id is not None or not state.landed:
        return None
    return msgspec.structs.replace(
        state,
        scan_id=scan_id,
        scan_asked_at=now,
        landed=0,
        first_landed_at=None,
        last_landed_at=None,
        scans=state.scans + 1,
    )


def timed_out(state: LibraryScanState, now: datetime) -> bool:
    """Whether the scan asked has gone unanswered too long to wait for."""
    return (
        state.scan_id is not None
        and state.scan_asked_at is not None
        and now - state.scan_asked_at >= SCAN_TIMEOUT
    )


def scanned(state: LibraryScanState, scan_id: str) -> LibraryScanState | None:
    """The scan ended (None: not the scan this state waits for, an old answer)."""
    if state.scan_id != scan_id:
        return None
    return msgspec.structs.replace(state, scan_id=None, scan_asked_at=None)


def waits(state: LibraryScanState, run_id: str) -> LibraryScanState | None:
    """A run holds until the library is current (None: it already does, or need not)."""
    if not busy(state) or run_id in state.runs:
        return None
    return msgspec.structs.replace(state, runs=[*state.runs, run_id])


def released(state: LibraryScanState) -> tuple[LibraryScanState | None, list[str]]:
    """The runs that may go on now the library is current, and the state without them
    (None and no runs while it is not current yet, or no run waits)."""
    if busy(state) or not state.runs:
        return None, []
    return msgspec.structs.replace(state, runs=[]), list(state.runs)
