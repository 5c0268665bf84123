"""How a missing-tracks run moves from step to step.

Each function takes the current record and returns the changed one, or None when the
event changes nothing (a redelivery, or a run that already ended). That makes every
handler idempotent: applying the same event twice is the same as applying it once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Literal, TypeVar

import msgspec

from services.kernel.contracts import (
    MAX_BATCH,
    Correlation,
    MatchOutcome,
    SkippedFile,
    SnapshotRef,
    Track,
)
from services.kernel.records import RunRecord

T = TypeVar("T")


def new_run(
    run_id: str, user_id: str, folder: str, now: datetime, parts: Sequence[str] = ("folder",)
) -> RunRecord:
    """A run that has just been accepted."""
    return RunRecord(
        run_id=run_id,
        user_id=user_id,
        folder=folder,
        status="running",
        created_at=now,
        updated_at=now,
        library_parts=list(parts),
    )


def start(run: RunRecord) -> RunRecord | None:
    """An accepted (pending) run begins; any other state is left as it is."""
    if run.status != "pending":
        return None
    return msgspec.structs.replace(run, status="running")


def _ended(run: RunRecord) -> bool:
    return run.status in ("completed", "failed")


def fail(run: RunRecord, error: str, now: datetime) -> RunRecord | None:
    """The run failed for a reason a person can read."""
    if _ended(run):
        return None
    return msgspec.structs.replace(
        run, status="failed", error=error, updated_at=now, finished_at=now
    )


def _with_snapshot(
    run: RunRecord,
    part: Literal["playlist"],
    snapshot: SnapshotRef | None,
    failure: str,
    note: str | None,
    now: datetime,
) -> RunRecord | None:
    if _ended(run) or getattr(run, part) is not None:
        return None
    if snapshot is None:
        return fail(run, failure, now)
    notes = [*run.notes, note] if note else run.notes
    return msgspec.structs.replace(run, notes=notes, updated_at=now, **{part: snapshot})


def with_playlist(
    run: RunRecord,
    snapshot: SnapshotRef | None,
    error: str | None,
    skipped: int,
    reasons: Sequence[str],
    now: datetime,
) -> RunRecord | None:
    """Record the imported playlist (or why it could not be imported)."""
    why = f": {'; '.join(reasons)}" if reasons else ""
    entries = "1 playlist entry was" if skipped == 1 else f"{skipped} playlist entries were"
    note = f"{entries} left out (unreadable){why}" if skipped else None
    failure = f"playlist: {error or 'could not be read'}"
    return _with_snapshot(run, "playlist", snapshot, failure, note, now)


def with_library(
    run: RunRecord,
    snapshot: SnapshotRef | None,
    error: str | None,
    skipped: Sequence[SkippedFile],
    skipped_total: int,
    now: datetime,
) -> RunRecord | None:
    """Record the scanned library (or why the folder could not be scanned)."""
    shown = ", ".join(f"{s.path} ({s.reason})" for s in skipped[:5])
    more = f" and {skipped_total - 5} more" if skipped_total > 5 else ""
    note = f"files skipped in the music folder: {shown}{more}" if skipped else None
    if _ended(run) or "folder" in run.library_refs:
        return None
    if snapshot is None:
        return fail(run, f"music folder: {error or 'could not be scanned'}", now)
    return _with_part(run, "folder", snapshot, note, now)


def with_media_server(
    run: RunRecord, server: str, snapshot: SnapshotRef | None, error: str | None, now: datetime
) -> RunRecord | None:
    """Record a media server's library; one that cannot be reached does not fail the run:
    every track counts as missing from it, and the run says so."""
    if _ended(run) or server in run.library_refs or server in run.unreachable:
        return None
    if snapshot is None:
        note = (
            f"{server} could not be read ({error or 'no answer'}): every track counts "
            f"as missing from it"
        )
        return msgspec.structs.replace(
            run,
            unreachable=[*run.unreachable, server],
            notes=[*run.notes, note],
            updated_at=now,
        )
    return _with_part(run, server, snapshot, None, now)


def _with_part(
    run: RunRecord, part: str, snapshot: SnapshotRef, note: str | None, now: datetime
) -> RunRecord:
    # A library of one part needs no merging: it is the library.
    library = snapshot if run.library_parts == [part] else run.library
    return msgspec.structs.replace(
        run,
        library_refs={**run.library_refs, part: snapshot},
        library=library,
        notes=[*run.notes, note] if note else run.notes,
        updated_at=now,
    )


def library_to_merge(run: RunRecord) -> list[SnapshotRef] | None:
    """The parts' snapshots to merge into the library, once every part has answered (and
    none is merged yet); None while waiting."""
    if _ended(run) or run.library is not None:
        return None
    if any(p not in run.library_refs and p not in run.unreachable for p in run.library_parts):
        return None
    return [run.library_refs[p] for p in run.library_parts if p in run.library_refs]


def with_merged_library(run: RunRecord, snapshot: SnapshotRef, now: datetime) -> RunRecord | None:
    """The merged library is in."""
    if _ended(run) or run.library is not None:
        return None
    return msgspec.structs.replace(run, library=snapshot, updated_at=now)


def ready_to_match(run: RunRecord) -> bool:
    """Both snapshots are in and the run has not been split into batches yet."""
    return run.status == "running" and run.playlist is not None and run.library is not None


def split(items: Sequence[T], size: int = MAX_BATCH) -> list[tuple[int, list[T]]]:
    """Consecutive batches of at most ``size``, each with the position of its first item."""
    return [(start, list(items[start : start + size])) for start in range(0, len(items), size)]


def with_batch_count(run: RunRecord, count: int, now: datetime) -> RunRecord | None:
    """Record how many batches the run was split into (an empty playlist is done at once)."""
    if _ended(run) or run.batch_count is not None:
        return None
    if count == 0:
        return msgspec.structs.replace(
            run, batch_count=0, status="completed", updated_at=now, finished_at=now
        )
    return msgspec.structs.replace(run, batch_count=count, updated_at=now)


def with_matched(run: RunRecord, batch_index: int, tracks: int, now: datetime) -> RunRecord | None:
    """A batch's match outcomes (for ``tracks`` tracks) are stored; counted once."""
    if _ended(run) or batch_index in run.matched_batches:
        return None
    return msgspec.structs.replace(
        run,
        matched_batches=sorted([*run.matched_batches, batch_index]),
        tracks_matched=run.tracks_matched + tracks,
        updated_at=now,
    )


def with_planned(run: RunRecord, batch_index: int, now: datetime) -> RunRecord | None:
    """A batch's download plan is stored; the last one completes the run."""
    if _ended(run) or batch_index in run.planned_batches:
        return None
    planned = sorted([*run.planned_batches, batch_index])
    done = run.batch_count is not None and len(planned) >= run.batch_count
    return msgspec.structs.replace(
        run,
        planned_batches=planned,
        status="completed" if done else run.status,
        updated_at=now,
        finished_at=now if done else None,
    )


MissingStep = Literal["import", "scan", "library", "match", "plan"]

#: A run's steps as a person would name them (never the message's type).
DOING: dict[str, str] = {
    "import": "reading the playlist",
    "scan": "scanning the music folder",
    "library": "reading the media server's library",
    "match": "matching the tracks",
    "plan": "planning the downloads",
}


def ask(run_id: str, step: MissingStep, index: int | None = None, part: str = "") -> Correlation:
    """The correlation of one request of a missing-tracks run (``index``: a batch;
    ``part``: the media server whose library is read)."""
    return Correlation(flow="missing", run_id=run_id, step=step, index=index, part=part)


_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def safe(*ids: str) -> bool:
    """Whether ids are safe to use in store keys."""
    return all(_SAFE_ID.match(i) for i in ids)


# --- UPGRADE FALLBACK (remove in the release after the one that added correlations) --------
# A request sent before then carries no correlation: its run is known by its ``run_id``
# field, a media server's library read by its request id, as before.

_LEGACY_STEPS: dict[str, str] = {
    "library.playlist_import_requested": "import",
    "library.folder_scan_requested": "scan",
    "matching.batch_requested": "match",
    "downloads.plan_requested": "plan",
}


def run_of(message: bytes) -> tuple[str, str, str] | None:
    """``(user_id, run_id, step)`` of a run's message sent without a correlation, or None if
    it is not one (or its ids are not safe to use as store keys)."""
    try:
        payload = msgspec.json.decode(message)
    except msgspec.DecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    user_id, run_id, step = payload.get("user_id"), payload.get("run_id"), payload.get("type")
    if not all(isinstance(v, str) and _SAFE_ID.match(v) for v in (user_id, run_id)):
        return None
    return str(user_id), str(run_id), _LEGACY_STEPS.get(str(step), "unknown")


LIBRARY_READ_SUFFIX = ".library"


def run_of_library_read(request_id: str) -> str | None:
    """The run a media server library read without a correlation was asked for, or None
    if it is another read."""
    if not request_id.endswith(LIBRARY_READ_SUFFIX):
        return None
    run_id = request_id.removesuffix(LIBRARY_READ_SUFFIX)
    return run_id if _SAFE_ID.match(run_id) else None


def library_read_of(message: bytes) -> tuple[str, str, str] | None:
    """``(user_id, run_id, server)`` of a run's media server read sent without a
    correlation (given up on by the connectors), or None for any other message."""
    try:
        payload = msgspec.json.decode(message)
    except msgspec.DecodeError:
        return None
    if not isinstance(payload, dict) or payload.get("type") != "providers.read_requested":
        return None
    if payload.get("correlation") is not None:
        return None
    user_id, request_id, server = (
        payload.get("user_id"),
        payload.get("request_id"),
        payload.get("provider"),
    )
    if not all(isinstance(v, str) for v in (user_id, request_id, server)):
        return None
    run_id = run_of_library_read(str(request_id))
    if run_id is None or not _SAFE_ID.match(str(user_id)):
        return None
    return str(user_id), run_id, str(server)


# --- end of the upgrade fallback ------------------------------------------------------------


def missing(outcomes: Sequence[MatchOutcome], present_threshold: float) -> list[MatchOutcome]:
    """Outcomes whose best library match is not confident enough to count as present."""
    return [outcome for outcome in outcomes if outcome.confidence < present_threshold]


def tracks_and_positions(
    outcomes: Sequence[MatchOutcome],
) -> tuple[tuple[Track, ...], tuple[int, ...]]:
    """The tracks of some outcomes, and their playlist positions."""
    return tuple(o.track for o in outcomes), tuple(o.position for o in outcomes)
