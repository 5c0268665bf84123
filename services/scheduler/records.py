"""The scheduler's own records, which no other service reads: remembered track mappings
and the last synced state of each pair (the base of the next three-way diff)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from services.kernel.contracts import utcnow
from services.kernel.records import key_token


class SyncBase(msgspec.Struct, kw_only=True):
    """Both sides of a pair as the last run left them (provider ids, in order)."""

    a: list[str] = msgspec.field(default_factory=list)
    b: list[str] = msgspec.field(default_factory=list)


MappingSource = Literal["matcher", "review"]


class MappingRecord(msgspec.Struct, kw_only=True):
    """A track on one provider is this track on another (or ``NOT_ON_SERVICE`` there)."""

    target_id: str
    source: MappingSource
    confidence: float | None = None
    decided_at: datetime = msgspec.field(default_factory=utcnow)
    #: The target track's file under its media server's music folder, where the server
    #: said (for the job's playlist files).
    target_path: str | None = None


def mapping_key(user_id: str, from_provider: str, track_id: str, to_provider: str) -> str:
    """Key of what ``track_id`` on ``from_provider`` is on ``to_provider``."""
    return f"{user_id}.{from_provider}.{key_token(track_id)}.{to_provider}"


class LibraryScanState(msgspec.Struct, kw_only=True):
    """One user's library against their downloads: what is still to land, what landed
    since their media servers last scanned, the scan asked and not answered yet, and the
    sync runs holding until it has ended (key: the user id).

    Attributes:
        awaited: Downloads queued from sync reports that have not ended yet.
        landed: Downloads filed since the last scan was asked.
        first_landed_at: When the first of those landed (a scan is not put off for ever).
        last_landed_at: When the last one landed (a scan waits for a quiet moment).
        scan_id: The scan asked of the connectors and not answered yet.
        scan_asked_at: When it was asked.
        runs: Sync runs waiting for the scan, by id, in the order they came.
        scans: How many scans were asked for this user so far.
        ended: The last downloads that ended while not awaited (a queuing told late).
        awaited_since: When downloads were last queued to be awaited.
        last_end_at: When a download last ended (kept across scans: the awaited ones are
            stalled only when none has ended for the longest wait).
    """

    awaited: list[str] = msgspec.field(default_factory=list)
    landed: int = 0
    first_landed_at: datetime | None = None
    last_landed_at: datetime | None = None
    scan_id: str | None = None
    scan_asked_at: datetime | None = None
    runs: list[str] = msgspec.field(default_factory=list)
    scans: int = 0
    ended: list[str] = msgspec.field(default_factory=list)
    awaited_since: datetime | None = None
    last_end_at: datetime | None = None
