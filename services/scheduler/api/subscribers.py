"""Bus edge of the scheduler: drives a missing-tracks run from request to report.

Every request it publishes carries the run's correlation (its reply echoes it, and finds
its run by it) and an id derived from the run (``<run>.match.<n>``...), so a redelivered
event republishes nothing new: JetStream drops the duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import msgspec

from services.kernel.bus import Bus, Unprocessable
from services.kernel.contracts import (
    Correlation,
    DownloadPlanned,
    DownloadPlanRequested,
    FolderScanned,
    FolderScanRequested,
    MatchBatchCompleted,
    MatchBatchRequested,
    MissingTracksCheckRequested,
    PlaylistImported,
    PlaylistImportRequested,
    ProviderRead,
    ProviderReadRequested,
    RunCompleted,
    SnapshotRef,
    utcnow,
)
from services.kernel.records import BatchRecord, RunRecord, batch_key, library_parts, run_key
from services.kernel.store import Store, combined, load_collection
from services.scheduler.api.progress import RunChanges
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
        self.runs = RunChanges(bus, store, "runs", RunRecord, "missing")

    async def _update(
        self, user_id: str, run_id: str, change: Callable[[RunRecord], RunRecord | None]
    ) -> RunRecord:
        run, _ = await self.runs.change(run_key(user_id, run_id), change)
        if run is None:
            raise Unprocessable(f"no run {run_id} for this user")
        return run

    async def check_requested(self, request: MissingTracksCheckRequested) -> None:
        parts = library_parts(request.folder, request.library_provider)
        if not parts:
            raise Unprocessable("a missing-tracks check needs a folder or a media server")
        run = runs.new_run(request.run_id, request.user_id, request.folder, self.clock(), parts)
        key = run_key(request.user_id, request.run_id)
        if not await self.store.create("runs", key, run):
            # The gateway wrote it as pending when it accepted the request: start it.
            await self.store.update("runs", key, RunRecord, runs.start)
        await self.runs.progressed(run)
        await self.bus.publish(
            PlaylistImportRequested(
                user_id=request.user_id,
                event_id=f"{request.run_id}.import",
                correlation=runs.ask(request.run_id, "import"),
                run_id=request.run_id,
                upload_id=request.upload_id,
                playlist_format=request.playlist_format,
            )
        )
        if request.folder:
            await self.bus.publish(
                FolderScanRequested(
                    user_id=request.user_id,
                    event_id=f"{request.run_id}.scan",
                    correlation=runs.ask(request.run_id, "scan"),
                    run_id=request.run_id,
                    folder=request.folder,
                )
            )
        if request.library_connection_id and request.library_provider:
            await self.bus.publish(
                ProviderReadRequested(
                    user_id=request.user_id,
                    event_id=f"{request.run_id}{runs.LIBRARY_READ_SUFFIX}",
                    request_id=f"{request.run_id}{runs.LIBRARY_READ_SUFFIX}",
                    correlation=runs.ask(request.run_id, "library", part=request.library_provider),
                    connection_id=request.library_connection_id,
                    provider=request.library_provider,
                    collection="library",
                ),
                qualifier=request.library_provider,
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

    async def provider_read(self, event: ProviderRead, asked: Correlation) -> None:
        """A media server's library, read for a run (``asked``: the read's correlation)."""
        if asked.step != "library" or not runs.safe(event.user_id, asked.run_id):
            return
        await self._media_server_answered(
            event.user_id, asked.run_id, event.provider, event.snapshot, event.error
        )

    async def _media_server_answered(
        self,
        user_id: str,
        run_id: str,
        server: str,
        snapshot: SnapshotRef | None,
        error: str | None,
    ) -> None:
        now = self.clock()
        run = await self._update(
            user_id, run_id, lambda r: runs.with_media_server(r, server, snapshot, error, now)
        )
        await self._advance(run)

    async def _merge_library(self, run: RunRecord, parts: list[SnapshotRef]) -> RunRecord:
        """One library made of every part that answered (none: an empty one): the matcher
        reads the parts as one; nothing is stored, the snapshots being the connectors'."""
        merged = combined(run.user_id, parts)
        now = self.clock()
        return await self._update(
            run.user_id, run.run_id, lambda r: runs.with_merged_library(r, merged, now)
        )

    async def _advance(self, run: RunRecord) -> None:
        """Merge the library once every part is in, dispatch match batches once the
        playlist and the library are in; report a run that ended."""
        if run.status in ("completed", "failed"):
            await self._report(run)
            return
        parts = runs.library_to_merge(run)
        if parts is not None:
            run = await self._merge_library(run, parts)
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
                    correlation=runs.ask(run.run_id, "match", index),
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
            event.user_id,
            event.run_id,
            lambda r: runs.with_matched(r, event.batch_index, len(event.outcomes), now),
        )
        tracks, positions = runs.tracks_and_positions(
            runs.missing(event.outcomes, self.present_threshold)
        )
        await self.bus.publish(
            DownloadPlanRequested(
                user_id=event.user_id,
                event_id=f"{event.run_id}.plan.{event.batch_index}",
                correlation=runs.ask(event.run_id, "plan", event.batch_index),
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

    async def given_up(self, user_id: str, asked: Correlation) -> None:
        """A step of a run was given up on: fail the run, saying which step, so that it
        never waits forever (a media server that never answered counts as unreachable)."""
        run_id = asked.run_id
        if not runs.safe(user_id, run_id):
            return
        if asked.step == "library":
            await self._media_server_answered(
                user_id, run_id, asked.part, None, "it did not answer after several tries"
            )
            return
        now = self.clock()
        reason = runs.given_up(asked.step)
        run, _ = await self.runs.change(
            run_key(user_id, run_id), lambda r: runs.fail(r, reason, now)
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
