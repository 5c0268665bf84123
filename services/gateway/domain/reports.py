"""The run report a person reads: which tracks are present, which are missing, and why."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from pathlib import PurePosixPath

import msgspec

from services.kernel.contracts import PlaylistFileItem, Track
from services.kernel.records import BatchRecord, DownloadRecord, RunRecord, run_download_id


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


class HandedAlbumView(msgspec.Struct, kw_only=True):
    """A whole album of the run's missing tracks handed to a service that finds and
    imports albums (Lidarr): ``queued``, ``searching`` (added, being searched),
    ``imported``, or ``failed`` with its ``reason``."""

    artist: str
    album: str
    service: str
    status: str
    tracks: int
    reason: str | None = None


def handed_albums(records: Sequence[DownloadRecord]) -> list[HandedAlbumView]:
    """The run's album hand-offs, from the downloads they stand for, in playlist order."""
    groups: dict[str, list[DownloadRecord]] = {}
    for record in sorted(records, key=lambda r: int(r.download_id.rsplit("-", 1)[1])):
        if record.handoff and record.item is not None:
            groups.setdefault(record.handoff, []).append(record)
    views = []
    for group in groups.values():
        track = group[0].item.track if group[0].item else Track(title="")
        statuses = {r.status for r in group}
        failed = next((r for r in group if r.status == "failed"), None)
        status = (
            "imported"
            if statuses == {"done"}
            else "failed"
            if failed
            else "searching"
            if "searching" in statuses
            else "queued"
        )
        source = next((r.source_url for r in group if r.source_url), None) or "lidarr://"
        views.append(
            HandedAlbumView(
                artist=(track.album_artists or track.artists or ("",))[0],
                album=track.album or "",
                service=source.split(":", 1)[0].capitalize(),
                status=status,
                tracks=len(group),
                reason=failed.reason if failed else None,
            )
        )
    return views


class RunSummary(msgspec.Struct, kw_only=True):
    """Counts for a glance, growing as batches come back: ``total`` is the playlist's
    length, ``present`` and ``missing`` (to download) what has been decided so far."""

    total: int
    present: int
    missing: int


class RunView(msgspec.Struct, kw_only=True):
    """The answer of ``GET /api/v1/runs/{run_id}``: the run, its counts, and one page of
    its report (``present`` and ``missing`` hold the tracks of that page's positions;
    ``next_cursor``, when not null, asks for the next page)."""

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
    #: The library's parts (``plex``, ``jellyfin``...) that could not be read: every track
    #: counts as missing from them.
    unreachable: list[str]
    summary: RunSummary | None
    present: list[TrackResultView]
    missing: list[TrackResultView]
    next_cursor: str | None = None
    #: Whole albums of the missing tracks handed to Lidarr, and where each stands.
    albums_handed: list[HandedAlbumView] = msgspec.field(default_factory=list)


class BatchTally(msgspec.Struct, kw_only=True):
    """How many tracks of a planned batch are present and missing (counted once: a planned
    batch never changes)."""

    present: int
    missing: int

    @staticmethod
    def of(batch: BatchRecord) -> BatchTally:
        planned = len({item.position for item in batch.plan or []})
        return BatchTally(present=len(batch.outcomes) - planned, missing=planned)


def shown_path(path: str, roots: Sequence[str]) -> str:
    """A library path as its reader sees it: from its root's name down (``Music/Adele/
    Hello.opus``), never where the installation keeps it. Paths are resolved when the run
    is asked for, so this is text only (the gateway need not see the files)."""
    for root in sorted(roots, key=len, reverse=True):  # the innermost root names it
        base = PurePosixPath(root)
        try:
            relative = PurePosixPath(path).relative_to(base)
        except ValueError:
            continue
        return str(PurePosixPath(base.name or "/") / relative)
    return PurePosixPath(path).name if path else path


def _shown_track(track: Track | None, roots: Sequence[str]) -> Track | None:
    if track is None or track.provider != "folder" or not track.provider_id:
        return track
    return msgspec.structs.replace(track, provider_id=shown_path(track.provider_id, roots))


def run_view(
    run: RunRecord,
    batches: list[BatchRecord],
    tallies: list[BatchTally] | None = None,
    positions: range | None = None,
    next_cursor: str | None = None,
    roots: Sequence[str] | None = None,
) -> RunView:
    """Assemble the report from the run header and the batches planned so far.

    The scheduler decides what is missing (it asks for a download plan for exactly those
    tracks), so a track is missing here if and only if it has a planned download. The
    summary counts ``tallies`` (every planned batch's; by default, those of ``batches``);
    the lists hold the tracks of ``batches`` at ``positions`` (by default, all). With
    ``roots`` (the reader's library roots), the folder and its files are shown from their
    root's name down.
    """
    present: list[TrackResultView] = []
    missing: list[TrackResultView] = []
    if tallies is None:
        tallies = [BatchTally.of(b) for b in batches if b.plan is not None]
    for batch in sorted(batches, key=lambda b: b.batch_index):
        if batch.plan is None:
            continue  # matched but not planned yet: the progress counts show it
        plans = {item.position: item for item in batch.plan}
        for outcome in batch.outcomes:
            if positions is not None and outcome.position not in positions:
                continue
            planned = plans.get(outcome.position)
            view = TrackResultView(
                position=outcome.position,
                track=outcome.track,
                confidence=outcome.confidence,
                decision=outcome.decision,
                best_candidate=outcome.best if roots is None else _shown_track(outcome.best, roots),
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
        folder=run.folder if roots is None or not run.folder else shown_path(run.folder, roots),
        library=run.library_parts,
        created_at=run.created_at,
        updated_at=run.updated_at,
        finished_at=run.finished_at,
        error=run.error,
        notes=run.notes,
        unreachable=run.unreachable,
        progress={
            "playlist_tracks": run.playlist.track_count if run.playlist else None,
            "library_tracks": run.library.track_count if run.library else None,
            "batches": run.batch_count,
            "batches_matched": len(run.matched_batches),
            "tracks_matched": run.tracks_matched,
            "batches_planned": len(run.planned_batches),
        },
        summary=RunSummary(
            total=run.playlist.track_count,
            present=sum(t.present for t in tallies),
            missing=sum(t.missing for t in tallies),
        )
        if run.playlist
        else None,
        present=sorted(present, key=lambda v: v.position),
        missing=sorted(missing, key=lambda v: v.position),
        next_cursor=next_cursor,
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


class TallyCache:
    """The tallies of planned batches, for the ``runs`` most recently asked about: paging
    through a long report counts each batch once, not once a page."""

    def __init__(self, runs: int = 64) -> None:
        self.runs = runs
        self._tallies: OrderedDict[str, dict[int, BatchTally]] = OrderedDict()

    def known(self, run_key: str) -> dict[int, BatchTally]:
        """The tallies known for a run (a dict to add to), most recently used last."""
        found = self._tallies.pop(run_key, None)
        self._tallies[run_key] = found if found is not None else {}
        while len(self._tallies) > self.runs:
            self._tallies.popitem(last=False)
        return self._tallies[run_key]
