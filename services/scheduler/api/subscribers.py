"""Bus edge of missing-tracks runs: their table of phases (gather, then match and plan
each batch), and their replies taken, by the same flow engine as sync runs.

Every request it publishes carries the run's correlation (its reply echoes it, and finds
its run by it) and an id derived from the run (``<run>.match.<n>``...), so a redelivered
event republishes nothing new: JetStream drops the duplicate.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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
    MatchOutcome,
    MissingTracksCheckRequested,
    PlaylistImported,
    PlaylistImportRequested,
    ProviderRead,
    ProviderReadRequested,
    RunCompleted,
    SnapshotRef,
    Track,
    utcnow,
)
from services.kernel.records import BatchRecord, RunRecord, batch_key, library_parts, run_key
from services.kernel.store import Store, combined, load_collection
from services.scheduler.api.engine import Entry, FlowEngine, Phase, Request
from services.scheduler.api.progress import RunChanges
from services.scheduler.domain import runs

#: What a missing-tracks run's phases need besides the run: nothing.
Nothing = bool


def _gathered(run: RunRecord, _: Nothing) -> bool:
    """The playlist is in, and every part of the library has answered."""
    return run.playlist is not None and (
        run.library is not None or runs.library_to_merge(run) is not None
    )


def _planned(run: RunRecord, _: Nothing) -> bool:
    return run.batch_count is not None and len(run.planned_batches) >= run.batch_count


class RunHandlers:
    """One method per event of a missing-tracks run; its phases are a table (``phases``)
    that one ``FlowEngine`` moves it through: gathering (the playlist imported, the music
    folder scanned, the media servers read, all at once), then matching (each batch
    compared with the library, then its missing tracks planned for download). The last
    batch's plan completes the run (``runs.with_planned``)."""

    doing = runs.DOING

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
        self.phases: list[Phase[RunRecord, Nothing]] = [
            Phase("gathering", None, _gathered),
            Phase("matching", self._enter_matching, _planned, self._unanswered_batches),
        ]
        self.engine = FlowEngine(
            self, self.phases, RunChanges(bus, store, "runs", RunRecord, "missing"), clock
        )

    # --- what the engine asks of the flow ---------------------------------------------------

    def key(self, user_id: str, run_id: str) -> str:
        return run_key(user_id, run_id)

    def phase_of(self, run: RunRecord) -> str:
        return "gathering" if run.batch_count is None else "matching"

    def ended(self, run: RunRecord) -> bool:
        return run.status in ("completed", "failed")

    def fail(self, run: RunRecord, reason: str, now: datetime) -> RunRecord | None:
        return runs.fail(run, reason, now)

    async def context(self, run: RunRecord) -> Nothing:
        return True

    async def stopped(self, run: RunRecord) -> bool:
        return self.ended(run)  # a missing-tracks run is not cancelled: it is quick

    async def finish(self, run: RunRecord, context: Nothing) -> None:
        """Nothing left: the last batch's plan completed the run."""

    async def ended_run(self, run: RunRecord, first: bool) -> None:
        # Told again on a redelivery (its event id makes that one message): a handler
        # that died before telling it is made good.
        await self.bus.publish(
            RunCompleted(
                user_id=run.user_id,
                event_id=f"{run.run_id}.completed",
                run_id=run.run_id,
                status="failed" if run.status == "failed" else "completed",
                error=run.error,
            )
        )

    async def _answer(
        self,
        user_id: str,
        run_id: str,
        change: Callable[[RunRecord], RunRecord | None],
        then: Callable[[RunRecord, Nothing], Awaitable[Sequence[Request]]] | None = None,
    ) -> None:
        run, applied = await self.engine.change(user_id, run_id, change)
        if run is None:
            raise Unprocessable(f"no run {run_id} for this user")
        await self.engine.proceed(run, applied, then)

    # --- gathering ---------------------------------------------------------------------------

    async def check_requested(self, request: MissingTracksCheckRequested) -> None:
        """The run is made and gathers what it compares, all at once; its requests come
        from the check itself (what to import, which folder, which server), sent again
        whenever the check is redelivered (their ids make that safe)."""
        parts = library_parts(request.folder, request.library_provider)
        if not parts:
            raise Unprocessable("a missing-tracks check needs a folder or a media server")
        run = runs.new_run(request.run_id, request.user_id, request.folder, self.clock(), parts)
        key = run_key(request.user_id, request.run_id)
        if not await self.store.create("runs", key, run):
            # The gateway wrote it as pending when it accepted the request: start it.
            await self.store.update("runs", key, RunRecord, runs.start)
        await self.engine.runs.progressed(run)
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
        await self._answer(
            event.user_id,
            event.run_id,
            lambda r: runs.with_playlist(
                r, event.snapshot, event.error, event.skipped_entries, event.skipped_reasons, now
            ),
        )

    async def folder_scanned(self, event: FolderScanned) -> None:
        now = self.clock()
        await self._answer(
            event.user_id,
            event.run_id,
            lambda r: runs.with_library(
                r, event.snapshot, event.error, event.skipped, event.unreadable_files, now
            ),
        )

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
        await self._answer(
            user_id, run_id, lambda r: runs.with_media_server(r, server, snapshot, error, now)
        )

    # --- matching ----------------------------------------------------------------------------

    async def _enter_matching(self, run: RunRecord, _: Nothing) -> Entry[RunRecord]:
        """One library made of every part that answered (none: an empty one; the matcher
        reads the parts as one, nothing is stored, the snapshots being the connectors'),
        and the playlist sent to be compared with it in batches."""
        now = self.clock()
        parts = runs.library_to_merge(run)
        library = combined(run.user_id, parts) if parts is not None else run.library
        assert library is not None and run.playlist is not None
        playlist = await load_collection(self.store, run.playlist)
        if playlist is None:
            reason = "the imported playlist expired before matching"
            return Entry(lambda r: runs.fail(r, reason, now))
        batches = runs.split(playlist.tracks)

        def split(r: RunRecord) -> RunRecord | None:
            merged = runs.with_merged_library(r, library, now) or r
            return runs.with_batch_count(merged, len(batches), now)

        merged = msgspec.structs.replace(run, library=library)
        return Entry(split, [self._match(merged, n, *batch) for n, batch in enumerate(batches)])

    def _match(self, run: RunRecord, index: int, first: int, tracks: list[Track]) -> Request:
        assert run.library is not None
        message = MatchBatchRequested(
            user_id=run.user_id,
            event_id=f"{run.run_id}.match.{index}",
            correlation=runs.ask(run.run_id, "match", index),
            run_id=run.run_id,
            batch_index=index,
            first_position=first,
            tracks=tuple(tracks),
            library=run.library,
        )
        return Request(message.event_id, lambda: self.bus.publish(message))

    def _plan(self, user_id: str, run_id: str, index: int, outcomes: list[MatchOutcome]) -> Request:
        tracks, positions = runs.tracks_and_positions(
            runs.missing(outcomes, self.present_threshold)
        )
        message = DownloadPlanRequested(
            user_id=user_id,
            event_id=f"{run_id}.plan.{index}",
            correlation=runs.ask(run_id, "plan", index),
            run_id=run_id,
            batch_index=index,
            tracks=tracks,
            positions=positions,
        )
        return Request(message.event_id, lambda: self.bus.publish(message))

    async def _unanswered_batches(self, run: RunRecord, _: Nothing) -> list[Request]:
        """The batches not matched yet, and the plans of those matched and not planned."""
        requests = []
        playlist = await load_collection(self.store, run.playlist) if run.playlist else None
        if playlist is not None:
            requests += [
                self._match(run, n, *batch)
                for n, batch in enumerate(runs.split(playlist.tracks))
                if n not in run.matched_batches
            ]
        for n in run.matched_batches:
            if n in run.planned_batches:
                continue
            key = batch_key(run.user_id, run.run_id, n)
            batch = await self.store.get("results", key, BatchRecord)
            if batch is not None:
                requests.append(self._plan(run.user_id, run.run_id, n, batch.outcomes))
        return requests

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
        outcomes = list(event.outcomes)

        async def plan(run: RunRecord, _: Nothing) -> list[Request]:
            return [self._plan(run.user_id, run.run_id, event.batch_index, outcomes)]

        await self._answer(
            event.user_id,
            event.run_id,
            lambda r: runs.with_matched(r, event.batch_index, len(event.outcomes), now),
            plan,
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
        await self._answer(
            event.user_id, event.run_id, lambda r: runs.with_planned(r, event.batch_index, now)
        )

    # --- failures ---------------------------------------------------------------------------

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
        await self.engine.given_up(user_id, run_id, asked.step)
