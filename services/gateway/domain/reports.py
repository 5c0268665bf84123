"""The run report a person reads: which tracks are present, which are missing, and why."""

from __future__ import annotations

from datetime import datetime

import msgspec

from services.kernel.contracts import PlaylistFileItem, Track
from services.kernel.records import BatchRecord, RunRecord, run_download_id


class PlannedDownloadView(msgspec.Struct, kw_only=True):
    """Where a missing track would come from and go."""

    search_query: str
    target_path: str


class TrackResultView(msgspec.Struct, kw_only=True):
    """One playlist track and its best library candidate."""

    position: int
    track: Track
    confidence: float
    decision: str
    best_candidate: Track | None = None
    download: PlannedDownloadView | None = None


class RunSummary(msgspec.Struct, kw_only=True):
    """Counts for a glance, growing as batches come back: ``total`` is the playlist's
    length, ``present`` and ``missing`` (to download) what has been decided so far."""

    total: int
    present: int
    missing: int


class RunView(msgspec.Struct, kw_only=True):
    """The answer of ``GET /api/v1/runs/{run_id}``."""

    run_id: str
    kind: str
    status: str
    folder: str
    library: list[str]
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    error: str | None
    notes: list[str]
    progress: dict[str, int | None]
    summary: RunSummary | None
    present: list[TrackResultView]
    missing: list[TrackResultView]


def run_view(run: RunRecord, batches: list[BatchRecord]) -> RunView:
    """Assemble the report from the run header and the batches planned so far.

    The scheduler decides what is missing (it asks for a download plan for exactly those
    tracks), so a track is missing here if and only if it has a planned download.
    """
    present: list[TrackResultView] = []
    missing: list[TrackResultView] = []
    for batch in sorted(batches, key=lambda b: b.batch_index):
        if batch.plan is None:
            continue  # matched but not planned yet: the progress counts show it
        plans = {item.position: item for item in batch.plan}
        for outcome in batch.outcomes:
            planned = plans.get(outcome.position)
            view = TrackResultView(
                position=outcome.position,
                track=outcome.track,
                confidence=outcome.confidence,
                decision=outcome.decision,
                best_candidate=outcome.best,
                download=PlannedDownloadView(
                    search_query=planned.search_query, target_path=planned.target_path
                )
                if planned
                else None,
            )
            (missing if planned else present).append(view)
    return RunView(
        run_id=run.run_id,
        kind=run.kind,
        status=run.status,
        folder=run.folder,
        library=run.library_parts,
        created_at=run.created_at,
        updated_at=run.updated_at,
        finished_at=run.finished_at,
        error=run.error,
        notes=run.notes,
        progress={
            "playlist_tracks": run.playlist.track_count if run.playlist else None,
            "library_tracks": run.library.track_count if run.library else None,
            "batches": run.batch_count,
            "batches_matched": len(run.matched_batches),
            "batches_planned": len(run.planned_batches),
        },
        summary=RunSummary(
            total=run.playlist.track_count, present=len(present), missing=len(missing)
        )
        if run.playlist
        else None,
        present=present,
        missing=missing,
    )


def playlist_items(run_id: str, batches: list[BatchRecord]) -> tuple[PlaylistFileItem, ...]:
    """A run's playlist as a playlist file lists it: each track already in the folder by
    its file, each missing one by the download that brings it (a track found only on a
    media server has no file here, and is left out)."""
    items = []
    for batch in batches:
        planned = {item.position for item in batch.plan or []}
        for outcome in batch.outcomes:
            track, best = outcome.track, outcome.best
            on_disk = best is not None and best.provider == "folder" and best.provider_id
            if outcome.position not in planned and not on_disk:
                continue
            items.append(
                PlaylistFileItem(
                    position=outcome.position,
                    title=track.title,
                    artists=track.artists,
                    duration_ms=track.duration_ms,
                    path=best.provider_id if best and outcome.position not in planned else None,
                    download_id=run_download_id(run_id, outcome.position)
                    if outcome.position in planned
                    else None,
                )
            )
    return tuple(sorted(items, key=lambda i: i.position))
