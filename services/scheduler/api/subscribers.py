"""Bus edge of the scheduler: drives a missing-tracks run from request to report.

Every reply it publishes has an id derived from the run (``<run>.match.<n>``...), so a
redelivered event republishes nothing new: JetStream drops the duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import msgspec

from services.kernel.bus import Bus, Unprocessable
from services.kernel.contracts import (
    DeadLettered,
    DownloadPlanned,
    DownloadPlanRequested,
    FolderScanned,
    FolderScanRequested,
    MatchBatchCompleted,
    MatchBatchRequested,
    MissingTracksCheckRequested,
    PlaylistImported,
    PlaylistImportRequested,
    RunCompleted,
    utcnow,
)
from services.kernel.records import BatchRecord, RunRecord, batch_key, run_key
from services.kernel.store import Store, load_collection
from services.scheduler.domain import runs


class RunHandlers:
    """One method per event of a missing-tracks run."""

    def __init__(
        self,
        bus: Bus,
        store: Store,
        present_threshold: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.bus = bus
        self.store = store
        self.present_threshold = present_threshold
        self.clock = clock

    async def _update(
        self, user_id: str, run_id: str, change: Callable[[RunRecord], RunRecord | None]
    ) -> RunRecord:
        run = await self.store.update("runs", run_key(user_id, run_id), RunRecord, change)
        if run is None:
            raise Unprocessable(f"no run {run_id} for this user")
        return run

    async def check_requested(self, request: MissingTracksCheckRequested) -> None:
        run = runs.new_run(request.run_id, request.user_id, request.folder, self.clock())
        key = run_key(request.user_id, request.run_id)
        if not await self.store.create("runs", key, run):
            # The gateway wrote it as pending when it accepted the request: start it.
            await self.store.update("runs", key, RunRecord, runs.start)
        await self.bus.publish(
            PlaylistImportRequested(
                user_id=request.user_id,
                event_id=f"{request.run_id}.import",
                run_id=request.run_id,
                upload_id=request.upload_id,
                playlist_format=request.playlist_format,
            )
        )
        await self.bus.publish(
            FolderScanRequested(
                user_id=request.user_id,
                event_id=f"{request.run_id}.scan",
                run_id=request.run_id,
                folder=request.folder,
            )
        )

    async def playlist_imported(self, event: PlaylistImported) -> None:
        now = self.clock()
        run = await self._update(
            event.user_id,
            event.run_id,
            lambda r: runs.with_playlist(
                r, event.snapshot, event.error, event.skipped_entries, now
            ),
        )
        await self._advance(run)

    async def folder_scanned(self, event: FolderScanned) -> None:
        now = self.clock()
        run = await self._update(
            event.user_id,
            event.run_id,
            lambda r: runs.with_library(
                r, event.snapshot, event.error, event.skipped, event.unreadable_files, now
            ),
        )
        await self._advance(run)

    async def _advance(self, run: RunRecord) -> None:
        """Dispatch match batches once both snapshots are in; report a run that ended."""
        if run.status in ("completed", "failed"):
            await self._report(run)
            return
        if not runs.ready_to_match(run):
            return
        assert run.playlist is not None and run.library is not None
        library = run.library
        playlist = await load_collection(self.store, run.playlist)
        if playlist is None:
            run = await self._update(
                run.user_id,
                run.run_id,
                lambda r: runs.fail(
                    r, "the imported playlist expired before matching", self.clock()
                ),
            )
            await self._report(run)
            return
        batches = runs.split(playlist.tracks)
        now = self.clock()
        run = await self._update(
            run.user_id, run.run_id, lambda r: runs.with_batch_count(r, len(batches), now)
        )
        for index, (first, tracks) in enumerate(batches):
            await self.bus.publish(
                MatchBatchRequested(
                    user_id=run.user_id,
                    event_id=f"{run.run_id}.match.{index}",
                    run_id=run.run_id,
                    batch_index=index,
                    first_position=first,
                    tracks=tuple(tracks),
                    library=library,
                )
            )
        if run.status == "completed":
            await self._report(run)

    async def batch_matched(self, event: MatchBatchCompleted) -> None:
        key = batch_key(event.user_id, event.run_id, event.batch_index)
        record = BatchRecord(
            run_id=event.run_id,
            user_id=event.user_id,
            batch_index=event.batch_index,
            outcomes=list(event.outcomes),
        )
        await self.store.create("results", key, record)  # a redelivery keeps the first
        now = self.clock()
        await self._update(
            event.user_id, event.run_id, lambda r: runs.with_matched(r, event.batch_index, now)
        )
        tracks, positions = runs.tracks_and_positions(
            runs.missing(event.outcomes, self.present_threshold)
        )
        await self.bus.publish(
            DownloadPlanRequested(
                user_id=event.user_id,
                event_id=f"{event.run_id}.plan.{event.batch_index}",
                run_id=event.run_id,
                batch_index=event.batch_index,
                tracks=tracks,
                positions=positions,
            )
        )

    async def download_planned(self, event: DownloadPlanned) -> None:
        key = batch_key(event.user_id, event.run_id, event.batch_index)

        def add_plan(record: BatchRecord) -> BatchRecord | None:
            if record.plan is not None:
                return None
            return msgspec.structs.replace(record, plan=list(event.items))

        if await self.store.update("results", key, BatchRecord, add_plan) is None:
            raise Unprocessable(f"plan for batch {event.batch_index} arrived before its matches")
        now = self.clock()
        run = await self._update(
            event.user_id, event.run_id, lambda r: runs.with_planned(r, event.batch_index, now)
        )
        if run.status in ("completed", "failed"):
            await self._report(run)

    async def message_dead(self, letter: DeadLettered) -> None:
        """A step of a run was given up on: fail the run, saying which step, so that it
        never waits forever. The message itself stays in the dead-letter stream."""
        owner = runs.run_of(letter.data)
        if owner is None:
            return  # not a run's message
        user_id, run_id, step = owner
        now = self.clock()
        reason = f"stopped by an internal error in step '{step}'; an operator can inspect it"
        run = await self.store.update(
            "runs", run_key(user_id, run_id), RunRecord, lambda r: runs.fail(r, reason, now)
        )
        if run is not None and run.status == "failed":
            await self._report(run)

    async def _report(self, run: RunRecord) -> None:
        await self.bus.publish(
            RunCompleted(
                user_id=run.user_id,
                event_id=f"{run.run_id}.completed",
                run_id=run.run_id,
                status="failed" if run.status == "failed" else "completed",
                error=run.error,
            )
        )
