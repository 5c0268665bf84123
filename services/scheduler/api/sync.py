"""Bus edge of sync runs: its table of phases (list, read, match, plan, apply), and its
replies taken.

Every request a run sends carries a correlation naming the run and the step (its reply
echoes it, and is routed by it), and a key made of them that every publish uses as its
``Nats-Msg-Id``. The flow engine (``engine.py``) makes every record change a
compare-and-set guarded by the run's phase, so a redelivered reply, or a scheduler killed
anywhere and restarted, repeats nothing that was done and loses nothing that was not: a
step whose answer is in moves the run on, whoever sees it first.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
from prometheus_client import CollectorRegistry

from services.kernel.bus import Bus, Unprocessable
from services.kernel.contracts import (
    CandidatesFound,
    CandidatesRequested,
    Collection,
    Correlation,
    PlaylistFileRequested,
    ProviderRead,
    ProviderReadRequested,
    ProviderWriteRequested,
    ProviderWritten,
    Ranked,
    RankRequested,
    SyncRunRequested,
    Track,
    utcnow,
)
from services.kernel.records import (
    KIND_ENTITY,
    SET_KINDS,
    PairPlan,
    ReviewRecord,
    Side,
    SyncJobRecord,
    SyncPairState,
    SyncPlan,
    SyncRunRecord,
    WriteChain,
    id_space,
    job_key,
    review_id_for,
    review_key,
    sync_pair_key,
    sync_run_key,
)
from services.kernel.store import Store, load_collection
from services.scheduler.api.engine import Entry, FlowEngine, Phase, Request
from services.scheduler.api.metrics import SyncMetrics
from services.scheduler.api.progress import RunChanges
from services.scheduler.api.scans import LibraryScans
from services.scheduler.domain import sync
from services.scheduler.domain.shown import shown_tracks
from services.scheduler.domain.sync import flows, other, provider_of
from services.scheduler.mappings import load_mappings, load_reviews, save_matches
from services.scheduler.records import MappingRecord, SyncBase

log = logging.getLogger("tunebridge.scheduler.sync")

#: Plans kept in memory while their runs apply (each write reply needs its run's plan).
CACHED_PLANS = 8


#: A run's steps as a person would name them (never "the write step").
_DOING = {
    "list": "listing the playlists",
    "read": "reading a playlist",
    "match": "matching tracks",
    "write": "writing to a playlist",
}


def _fresh(run: SyncRunRecord) -> bool:
    """Nothing asked yet (or only the hold for the library's scan, answered)."""
    return run.phase == "listing" and not run.waiting and not run.listings and not sync.ended(run)


def _answered(run: SyncRunRecord, job: SyncJobRecord) -> bool:
    return not run.waiting


def _listed(run: SyncRunRecord, job: SyncJobRecord) -> bool:
    """Both sides listed (a job with no playlists to list lists nothing)."""
    return not run.waiting and (bool(run.listings) or not sync.lists(job))


def _applied(run: SyncRunRecord, job: SyncJobRecord) -> bool:
    return all(sync.chain_finished(chain) for chain in run.chains.values())


def side_of(correlation: Correlation) -> Side:
    return correlation.side or "a"


class SyncHandlers:
    """One method per event of a sync run; the run's phases are a table (``phases``) that
    one ``FlowEngine`` moves it through."""

    doing = _DOING

    def __init__(
        self,
        bus: Bus,
        store: Store,
        metrics: SyncMetrics | None = None,
        clock: Callable[[], datetime] = utcnow,
        library: LibraryScans | None = None,
    ) -> None:
        self.bus = bus
        self.store = store
        self.library = library
        self.metrics = metrics or SyncMetrics(CollectorRegistry())
        self.clock = clock
        self._plans: OrderedDict[str, SyncPlan] = OrderedDict()
        self.phases: list[Phase[SyncRunRecord, SyncJobRecord]] = [
            Phase("listing", self._enter_listing, _listed, self._lists),
            Phase("reading", self._enter_reading, _answered, self._reads),
            Phase("matching", self._enter_matching, _answered, self._matches),
            Phase("planning", self._enter_planning, lambda run, job: True),
            Phase("applying", self._enter_applying, _applied, self._writes),
        ]
        self.engine = FlowEngine(
            self, self.phases, RunChanges(bus, store, "sync_runs", SyncRunRecord, "sync"), clock
        )

    # --- what the engine asks of the flow ---------------------------------------------------

    def key(self, user_id: str, run_id: str) -> str:
        return sync_run_key(user_id, run_id)

    def phase_of(self, run: SyncRunRecord) -> str:
        return run.phase

    def ended(self, run: SyncRunRecord) -> bool:
        return sync.ended(run)

    def fail(self, run: SyncRunRecord, reason: str, now: datetime) -> SyncRunRecord | None:
        return sync.fail(run, reason, now)

    async def context(self, run: SyncRunRecord) -> SyncJobRecord | None:
        job = await self.store.get("jobs", job_key(run.user_id, run.job_id), SyncJobRecord)
        if job is None:
            await self.engine.fail(run.user_id, run.run_id, "the job was deleted while it ran")
        return job

    async def stopped(self, run: SyncRunRecord) -> bool:
        if sync.ended(run):
            return True
        if run.cancel_requested:
            now = self.clock()
            await self.engine.change(run.user_id, run.run_id, lambda r: sync.stop_cancelled(r, now))
            return True
        return False

    async def finish(self, run: SyncRunRecord, job: SyncJobRecord) -> None:
        await self._finish(run, job, await self._load_plan(run))

    async def ended_run(self, run: SyncRunRecord, first: bool) -> None:
        if not first:
            return  # no change leaves an ended run: counted and said once
        self.metrics.ended(run)
        if run.status == "failed":
            reason = (run.error or "")[:200]
            log.info("sync run failed", extra={"run_id": run.run_id, "reason": reason})

    async def _collection(self, run: SyncRunRecord, index: int, side: Side) -> Collection:
        """One side of a pair as read in this run (a side that does not exist is empty)."""
        ref = run.pairs[index].sides[side].snapshot
        if ref is None:
            return Collection(user_id=run.user_id, kind="playlist", tracks=())
        found = await load_collection(self.store, ref)
        if found is None:
            raise Unprocessable("a snapshot of this run expired before it was used")
        return found

    # --- start ------------------------------------------------------------------------------

    async def run_requested(self, request: SyncRunRequested) -> None:
        now = self.clock()
        key = sync_run_key(request.user_id, request.run_id)
        fresh = SyncRunRecord(
            run_id=request.run_id,
            user_id=request.user_id,
            job_id=request.job_id,
            dry_run=request.dry_run,
            trigger=request.trigger,
            status="running",
            created_at=now,
            updated_at=now,
        )
        if not await self.store.create("sync_runs", key, fresh):
            # The gateway recorded it as pending when it accepted the request: start it.
            await self.store.update("sync_runs", key, SyncRunRecord, lambda r: sync.start(r, now))
        run = await self.store.get("sync_runs", key, SyncRunRecord)
        if run is None:
            return
        await self.engine.runs.progressed(run)
        if not _fresh(run):
            await self.engine.advance(run, redelivered=True)
            return
        job = await self.context(run)
        if job is None or await self.stopped(run):
            return
        if self.library is not None and sync.reads_library(job):
            # Downloads still landing, or landed and not scanned yet, would be missed by
            # this run (and downloaded again): it holds until the scan has ended.
            hold_id = sync.request_id(run.run_id, "list", "library")
            held, _ = await self.engine.change(
                run.user_id,
                run.run_id,
                lambda r: sync.awaiting(r, "listing", [hold_id], now) if _fresh(r) else None,
            )
            if held is not None and held.waiting == [hold_id]:
                await self._hold(held)
            return
        await self.engine.begin(run, _fresh)

    async def resume_after_scan(self, user_id: str, run_id: str, waited: bool = True) -> None:
        """A run held for the library's scan goes on (once, whoever calls first; a
        redelivery after a crash goes on too)."""
        hold_id = sync.request_id(run_id, "list", "library")
        now = self.clock()
        notes = ["Waited for your media servers to scan the downloaded files"] if waited else []

        def go_on(r: SyncRunRecord) -> SyncRunRecord | None:
            return sync.answered(r, hold_id, now, msgspec.structs.replace(r, notes=r.notes + notes))

        run, _ = await self.engine.change(user_id, run_id, go_on)
        if run is not None:
            await self.engine.begin(run, _fresh)

    async def _hold(self, run: SyncRunRecord) -> None:
        """Hold a run marked as waiting for the library, or let it go on if it is current."""
        if self.library is None or not await self.library.hold(run.user_id, run.run_id):
            await self.resume_after_scan(run.user_id, run.run_id, waited=False)

    # --- listing ----------------------------------------------------------------------------

    async def _enter_listing(self, run: SyncRunRecord, job: SyncJobRecord) -> Entry[SyncRunRecord]:
        """List both sides' playlists (with none to list, the run reads straight away)."""
        now = self.clock()
        asked = (
            [sync.ask(run.run_id, "list", side=side) for side in sync.SIDES]
            if sync.lists(job)
            else []
        )
        return Entry(
            lambda r: sync.awaiting(r, "listing", [i for i, _ in asked], now),
            [self._read(job, side_of(c), i, c, "playlists") for i, c in asked],
        )

    async def _lists(self, run: SyncRunRecord, job: SyncJobRecord) -> list[Request]:
        hold_id = sync.request_id(run.run_id, "list", "library")
        if hold_id in run.waiting:  # held before a crash: held again, or let go on
            return [Request(hold_id, lambda: self._hold(run))]
        listed = [sync.ask(run.run_id, "list", side=side) for side in sync.SIDES]
        return [
            self._read(job, side_of(c), i, c, "playlists") for i, c in listed if i in run.waiting
        ]

    def _read(
        self,
        job: SyncJobRecord,
        side: Side,
        read_id: str,
        correlation: Correlation,
        collection: str,
        playlist_id: str | None = None,
    ) -> Request:
        return self._to_connectors(
            ProviderReadRequested,
            job,
            side,
            read_id,
            correlation,
            collection=collection,
            playlist_id=playlist_id,
        )

    def _to_connectors(
        self,
        kind: type[ProviderReadRequested | CandidatesRequested | ProviderWriteRequested],
        job: SyncJobRecord,
        side: Side,
        request_id: str,
        correlation: Correlation,
        **fields: Any,
    ) -> Request:
        """A request about ``side``'s account, on its provider's work queue."""
        connection_id, provider = provider_of(job, side)
        message = kind(
            user_id=job.user_id,
            event_id=request_id,
            request_id=request_id,
            correlation=correlation,
            connection_id=connection_id,
            provider=provider,
            **fields,
        )
        return Request(request_id, lambda: self.bus.publish(message, qualifier=provider))

    # --- reading ----------------------------------------------------------------------------

    async def _enter_reading(self, run: SyncRunRecord, job: SyncJobRecord) -> Entry[SyncRunRecord]:
        """Pair the playlists (by the pairs the last runs left) and read each side."""
        states = await self.store.values(
            "sync_pairs", f"{run.user_id}.{run.job_id}.*", SyncPairState
        )
        pairing = sync.resolve_pairs(job, states, run.listings)
        now = self.clock()

        def paired(r: SyncRunRecord) -> SyncRunRecord:
            return msgspec.structs.replace(r, pairs=pairing.pairs, notes=[*r.notes, *pairing.notes])

        reading = paired(run)
        ids = [i for i, _ in sync.reads(reading)]
        return Entry(
            lambda r: sync.awaiting(paired(r), "reading", ids, now),
            await self._reads(msgspec.structs.replace(reading, waiting=ids), job),
        )

    async def _reads(self, run: SyncRunRecord, job: SyncJobRecord) -> list[Request]:
        requests = []
        for read_id, correlation in sync.reads(run):
            if read_id not in run.waiting:
                continue
            assert correlation.index is not None and correlation.side is not None
            side = correlation.side
            pair = run.pairs[correlation.index]
            if pair.kind in SET_KINDS:
                read = self._read(job, side, read_id, correlation, pair.kind)
            elif pair.history_side == side:
                read = self._read(job, side, read_id, correlation, "recent")
            else:
                playlist_id = pair.sides[side].playlist_id
                read = self._read(job, side, read_id, correlation, "playlist", playlist_id)
            requests.append(read)
        return requests

    async def provider_read(self, event: ProviderRead, asked: Correlation) -> None:
        """A read for a sync run (``asked``: the read's correlation)."""
        if asked.step not in ("list", "read"):
            return
        user_id, run_id, side = event.user_id, asked.run_id, asked.side or "a"
        now = self.clock()
        if event.error and asked.step == "read" and not event.needs_reauthorisation:
            # One playlist that cannot be read leaves the others to sync.
            index, reason = asked.index or 0, event.error
            await self.engine.answer(
                user_id,
                run_id,
                lambda r: sync.with_unreadable(r, event.request_id, index, reason, now),
            )
            return
        if event.error:
            run = await self.store.get("sync_runs", sync_run_key(user_id, run_id), SyncRunRecord)
            if run is None or sync.ended(run):
                return
            again = " (re-authorise the connection)" if event.needs_reauthorisation else ""
            job = await self.context(run)
            shown = job.provider_name(side) if job else event.provider.capitalize()
            await self.engine.fail(
                user_id, run_id, f"{shown} could not be read: {event.error}{again}"
            )
            return
        if asked.step == "list":
            listed = list(event.playlists)
            await self.engine.answer(
                user_id,
                run_id,
                lambda r: sync.answered(
                    r,
                    event.request_id,
                    now,
                    msgspec.structs.replace(r, listings={**r.listings, side: listed}),
                ),
            )
            return
        if event.snapshot is None:
            raise Unprocessable("a read reply with neither a snapshot nor an error")
        snapshot, index = event.snapshot, asked.index or 0
        await self.engine.answer(
            user_id,
            run_id,
            lambda r: sync.with_read(r, event.request_id, index, side, snapshot, now),
        )

    # --- matching ---------------------------------------------------------------------------

    async def _match_batches(
        self, run: SyncRunRecord, job: SyncJobRecord, keep_empty: bool = False
    ) -> list[tuple[str, Correlation, tuple[Track, ...]]]:
        """The match requests of a run: each flowing side's tracks in a fixed order, cut
        into fixed batches, each holding only the tracks with no mapping yet (so sending
        one again after a crash asks only for what is still unknown)."""
        batches: list[tuple[str, Correlation, tuple[Track, ...]]] = []
        for side in sync.SIDES:
            if not flows(job, side):
                continue
            tracks = [
                t
                for index, pair in enumerate(run.pairs)
                if sync.sends(job, pair, side)
                for t in (await self._collection(run, index, side)).tracks
            ]
            source = provider_of(job, side)[1]
            target = provider_of(job, other(side))[1]
            unique = sync.to_match(tracks, {}, {})
            mapped: dict[str, MappingRecord] = {}
            reviews: dict[str, ReviewRecord] = {}
            for entity in dict.fromkeys(t.entity for t in unique):  # tracks, albums, artists
                ids = sync.ids_of(t for t in unique if t.entity == entity)
                here, there = id_space(source, entity), id_space(target, entity)
                found = await load_mappings(self.store, run.user_id, here, ids, there)
                unmapped = [i for i in ids if i not in found]
                mapped.update(found)
                reviews.update(await load_reviews(self.store, run.user_id, here, unmapped, there))
            for n, batch in enumerate(sync.batched(unique)):
                wanted = tuple(sync.to_match(batch, mapped, reviews))
                if wanted or keep_empty:
                    match_id, correlation = sync.ask(run.run_id, "match", n, side)
                    batches.append((match_id, correlation, wanted))
        return batches

    def _ask_candidates(
        self, job: SyncJobRecord, match_id: str, correlation: Correlation, tracks: tuple[Track, ...]
    ) -> Request:
        target = other(side_of(correlation))
        return self._to_connectors(
            CandidatesRequested, job, target, match_id, correlation, tracks=tracks
        )

    async def _enter_matching(self, run: SyncRunRecord, job: SyncJobRecord) -> Entry[SyncRunRecord]:
        """Send every track that has no mapping yet to the other side's catalog."""
        batches = await self._match_batches(run, job)
        now = self.clock()
        ids, count = [b[0] for b in batches], sum(len(b[2]) for b in batches)
        return Entry(
            lambda r: msgspec.structs.replace(
                sync.awaiting(r, "matching", ids, now), tracks_to_match=count
            ),
            [self._ask_candidates(job, *batch) for batch in batches],
        )

    async def _matches(self, run: SyncRunRecord, job: SyncJobRecord) -> list[Request]:
        batches = await self._match_batches(run, job, keep_empty=True)
        return [self._ask_candidates(job, *b) for b in batches if b[0] in run.waiting]

    async def candidates_found(self, event: CandidatesFound) -> None:
        """A catalog search that was refused leaves its batch's tracks unsearched, said in
        the report, and the run goes on with the others (found by an audit: one long
        Retry-After failed a whole run); the connectors send what they found to the matcher
        themselves."""
        asked = sync.step_of(event.correlation, event.request_id)
        if asked is None or asked.step != "match":
            return
        run = await self.store.get(
            "sync_runs", sync_run_key(event.user_id, asked.run_id), SyncRunRecord
        )
        if run is None or await self.stopped(run):
            return
        if event.error:
            now, refused = self.clock(), {event.request_id: event.error}
            await self.engine.answer(
                run.user_id,
                run.run_id,
                lambda r: sync.answered(
                    r,
                    event.request_id,
                    now,
                    msgspec.structs.replace(r, unsearched=r.unsearched | refused),
                ),
            )
            return
        # UPGRADE FALLBACK (remove in the release after the one in which the connectors
        # ask the matcher): candidates found by an older connectors, relayed.
        await self.bus.publish(
            RankRequested(
                user_id=event.user_id,
                event_id=f"{event.request_id}.rank",
                request_id=event.request_id,
                correlation=asked,
                items=event.items,
            )
        )

    async def _unsearched_tracks(self, run: SyncRunRecord, job: SyncJobRecord) -> dict[str, str]:
        """The tracks of the refused match requests (``<side>:<track id>``), and why: the
        batches are cut again, once, as they were asked (a refused one got no mapping)."""
        if not run.unsearched:
            return {}
        return {
            f"{side_of(correlation)}:{track.provider_id}": run.unsearched[match_id]
            for match_id, correlation, tracks in await self._match_batches(run, job, True)
            if match_id in run.unsearched
            for track in tracks
            if track.provider_id
        }

    async def ranked(self, event: Ranked) -> None:
        """Confident matches become mappings, uncertain ones review items; then, once every
        batch is in, the plan."""
        asked = sync.step_of(event.correlation, event.request_id)
        if asked is None or asked.step != "match":
            return
        run_id = asked.run_id
        run = await self.store.get("sync_runs", sync_run_key(event.user_id, run_id), SyncRunRecord)
        if run is None or await self.stopped(run):
            return
        job = await self.context(run)
        if job is None:
            return
        side: Side = asked.side or "a"
        source, target = provider_of(job, side)[1], provider_of(job, other(side))[1]
        options = job.options
        confident: dict[str | None, list[tuple[str, str, float, str | None]]] = {}
        for item in event.items:
            best = item.candidates[0] if item.candidates else None
            track_id = item.track.provider_id
            if best is None or not track_id or not best.track.provider_id:
                continue
            entity = item.track.entity
            if best.confidence >= options.auto_threshold:
                found = (track_id, best.track.provider_id, best.confidence, best.track.path)
                confident.setdefault(entity, []).append(found)
            elif best.confidence >= options.review_threshold:
                review_id = review_id_for(
                    id_space(source, entity), track_id, id_space(target, entity)
                )
                made = await self.store.create(
                    "reviews",
                    review_key(run.user_id, review_id),
                    ReviewRecord(
                        review_id=review_id,
                        user_id=run.user_id,
                        job_id=run.job_id,
                        run_id=run.run_id,
                        from_provider=source,
                        to_provider=target,
                        source=item.track,
                        candidates=list(item.candidates),
                        to_connection_id=provider_of(job, other(side))[0],
                    ),
                )
                if made:
                    self.metrics.reviews.inc()
        for kind, matches in confident.items():
            here, there = id_space(source, kind), id_space(target, kind)
            await save_matches(self.store, run.user_id, here, there, matches)
        now = self.clock()
        matched = len(event.items)
        await self.engine.answer(
            event.user_id,
            run_id,
            lambda r: sync.answered(
                r,
                event.request_id,
                now,
                msgspec.structs.replace(r, tracks_matched=r.tracks_matched + matched),
            ),
        )

    # --- planning ---------------------------------------------------------------------------

    async def _enter_planning(self, run: SyncRunRecord, job: SyncJobRecord) -> Entry[SyncRunRecord]:
        """Plan every pair's writes (kept with the run: each write reply needs it); a dry
        run ends here, showing the plan."""
        plan = SyncPlan()
        questions: list[ReviewRecord] = []
        notes: list[str] = []
        unsearched = await self._unsearched_tracks(run, job)
        conflict_reviews = [
            r
            for r in await self.store.values("reviews", f"{run.user_id}.*", ReviewRecord)
            if r.kind == "conflict" and r.job_id == run.job_id
        ]
        for index, pair in enumerate(run.pairs):
            if pair.skipped:  # keeps its place (plans are found by index), writes nothing
                plan.pairs.append(PairPlan(pair_key=pair.pair_key, name=pair.name))
                plan.not_synced.append(sync.skipped_line(job, pair))
                continue
            a = (await self._collection(run, index, "a")).tracks
            b = (await self._collection(run, index, "b")).tracks
            state = await self.store.get(
                "sync_pairs", sync_pair_key(run.user_id, run.job_id, pair.pair_key), SyncPairState
            )
            base = SyncBase()
            # A copy made again starts afresh: the last base described the deleted one.
            if state and state.base and not pair.remade:
                stored = await self.store.get_object("sync_bases", state.base)
                if stored is not None:
                    base = msgspec.msgpack.decode(stored, type=SyncBase)
            a_ids, b_ids = sync.ids_of(a), sync.ids_of(b)
            entity = KIND_ENTITY.get(pair.kind)
            ap = id_space(job.sides["a"].provider, entity)
            bp = id_space(job.sides["b"].provider, entity)
            from_a = await load_mappings(self.store, run.user_id, ap, a_ids, bp)
            from_b = await load_mappings(self.store, run.user_id, bp, b_ids, ap)
            reviews = {
                **await load_reviews(self.store, run.user_id, ap, a_ids, bp),
                **await load_reviews(self.store, run.user_id, bp, b_ids, ap),
            }
            settled = sync.settled_conflicts(job, pair, conflict_reviews)
            outcome = sync.plan_pair(
                job, pair, a, b, base, from_a, from_b, reviews, settled, run.run_id, unsearched
            )
            # What the plan view shows of the changes (titles, covers): additive, read here.
            outcome.plan.shown = shown_tracks(
                outcome.plan, a, b, sync.mapping_a_to_b(from_a, from_b)
            )
            plan.pairs.append(outcome.plan)
            plan.not_synced.extend(outcome.not_synced)
            plan.moved.extend(outcome.moved)
            questions.extend(outcome.questions)
            notes.extend(outcome.notes)
        for question in questions:  # asked once: a question already open stays as it is
            if await self.store.create(
                "reviews", review_key(run.user_id, question.review_id), question
            ):
                self.metrics.reviews.inc()
        await self.store.put_object("sync_plans", _plan_name(run), msgspec.msgpack.encode(plan))
        self._remember(run, plan)
        now = self.clock()
        counts = sync.counts(plan.pairs, plan.not_synced)
        if unsearched:
            counts["not_searched"] = len(unsearched)
        return Entry(lambda r: sync.planned(r, counts, now, notes))

    def _remember(self, run: SyncRunRecord, plan: SyncPlan) -> None:
        self._plans[run.run_id] = plan
        self._plans.move_to_end(run.run_id)
        while len(self._plans) > CACHED_PLANS:
            self._plans.popitem(last=False)

    async def _load_plan(self, run: SyncRunRecord) -> SyncPlan:
        if run.run_id in self._plans:
            return self._plans[run.run_id]
        stored = await self.store.get_object("sync_plans", _plan_name(run))
        if stored is None:
            raise Unprocessable("the run's plan is gone")
        plan = msgspec.msgpack.decode(stored, type=SyncPlan)
        self._remember(run, plan)
        return plan

    # --- applying ---------------------------------------------------------------------------

    def _steps(
        self, job: SyncJobRecord, run: SyncRunRecord, plan: SyncPlan, index: int, side: Side
    ) -> list[sync.WriteStep]:
        if not sync.receives(job, run.pairs[index], side):
            return []  # a side that receives nothing is never written, nor created
        return sync.write_steps(run.pairs[index], plan.pairs[index], side)

    async def _enter_applying(self, run: SyncRunRecord, job: SyncJobRecord) -> Entry[SyncRunRecord]:
        """Each side of each pair that receives something gets a chain of writes, sent one
        step after another (its first step may create the playlist)."""
        plan = await self._load_plan(run)
        chains = {
            sync.chain_key(index, side): WriteChain(
                steps=len(steps),
                playlist_id=pair.sides[side].playlist_id,
                sizes=[len(step.add) + len(step.remove) for step in steps],
            )
            for index, pair in enumerate(run.pairs)
            for side in sync.SIDES
            if (steps := self._steps(job, run, plan, index, side))
        }
        now = self.clock()
        applying = msgspec.structs.replace(run, chains=chains)
        return Entry(
            lambda r: sync.with_chains(r, chains, now),
            [self._write(applying, job, plan, key) for key in chains],
        )

    async def _writes(self, run: SyncRunRecord, job: SyncJobRecord) -> list[Request]:
        plan = await self._load_plan(run)
        return [
            self._write(run, job, plan, key)
            for key, chain in run.chains.items()
            if not sync.chain_finished(chain)
        ]

    def _write(self, run: SyncRunRecord, job: SyncJobRecord, plan: SyncPlan, key: str) -> Request:
        """The next write of chain ``key``."""
        chain = run.chains[key]
        index, side = sync.chain_of(key)
        step = self._steps(job, run, plan, index, side)[chain.done]
        write_id, correlation = sync.ask(run.run_id, "write", index, side, str(chain.done))
        pair = run.pairs[index]
        return self._to_connectors(
            ProviderWriteRequested,
            job,
            side,
            write_id,
            correlation,
            playlist_id=chain.playlist_id,
            create_name=step.create_name,
            add=step.add,
            remove=step.remove,
            order=step.order,
            collection=pair.kind if pair.kind in SET_KINDS else "playlist",
        )

    async def written(self, event: ProviderWritten) -> None:
        asked = sync.step_of(event.correlation, event.request_id)
        if asked is None or asked.step != "write" or asked.index is None:
            return
        run_id, index, side = asked.run_id, asked.index, asked.side or "a"
        try:
            step = int(asked.part)
        except ValueError:
            raise Unprocessable("a write's reply names no step of its chain") from None
        key = sync.chain_key(index, side)
        now = self.clock()
        run, applied = await self.engine.change(
            event.user_id,
            run_id,
            lambda r: sync.with_written(
                r, key, step, event.playlist_id, event.error, now, event.notes, event.unconfirmed
            ),
        )
        if run is None or key not in run.chains:
            return
        chain = run.chains[key]
        if step == 0 and chain.playlist_id and not run.pairs[index].sides[side].playlist_id:
            # A playlist made by this run (its first write) is remembered at once, even by
            # a run cancelled since: never made twice.
            await self._save_pair_state(run, index)

        async def next_write(run: SyncRunRecord, job: SyncJobRecord) -> list[Request]:
            # Sent again on a redelivered reply too: the write's request id makes the
            # connectors answer a repeated request from its record.
            if sync.chain_finished(run.chains[key]):
                return []
            return [self._write(run, job, await self._load_plan(run), key)]

        await self.engine.proceed(run, applied, next_write)

    async def _save_pair_state(
        self, run: SyncRunRecord, index: int, plan: SyncPlan | None = None
    ) -> None:
        """The pair's playlists, remembered for the next runs; with ``plan``, the run's
        outcome too, as their base."""
        pair = run.pairs[index]
        if pair.kind in SET_KINDS and plan is None:
            return
        ids = {
            side: found.playlist_id
            or (run.chains.get(sync.chain_key(index, side)) or WriteChain(steps=0)).playlist_id
            for side, found in pair.sides.items()
        }
        key = sync_pair_key(run.user_id, run.job_id, pair.pair_key)
        base_name = None
        if plan is not None:
            base_name = f"{run.user_id}.{run.job_id}.{pair.pair_key}"
            done = plan.pairs[index]
            await self.store.put_object(
                "sync_bases",
                base_name,
                msgspec.msgpack.encode(SyncBase(a=done.final_a, b=done.final_b)),
            )
        previous = await self.store.get("sync_pairs", key, SyncPairState)
        await self.store.put(
            "sync_pairs",
            key,
            SyncPairState(
                pair_key=pair.pair_key,
                name=pair.name,
                a_playlist_id=ids["a"],
                b_playlist_id=ids["b"],
                # A copy made again is described by no base until its run finishes.
                base=base_name or (previous.base if previous and not pair.remade else None),
                synced_at=self.clock() if plan else (previous.synced_at if previous else None),
            ),
        )

    async def _finish(self, run: SyncRunRecord, job: SyncJobRecord, plan: SyncPlan) -> None:
        """Record each pair whose writes were all confirmed as the next run's base; add a
        report line for every write that was refused; then end the run."""
        unwritten = []
        for index, pair in enumerate(run.pairs):
            if pair.skipped:
                continue
            chains = {side: run.chains.get(sync.chain_key(index, side)) for side in sync.SIDES}
            if all(c is None or c.error is None for c in chains.values()):
                await self._save_pair_state(run, index, plan)
                for review_id in plan.pairs[index].settled_reviews:  # answered and carried out
                    await self.store.delete("reviews", review_key(run.user_id, review_id))
                continue
            tracks = await self._target_tracks(run, job, index)
            for side, chain in chains.items():
                if chain is not None and chain.error:
                    steps = self._steps(job, run, plan, index, side)
                    unwritten += sync.unwritten(job, pair, side, chain, steps, tracks)
        listed = set(plan.not_synced)
        if any(line not in listed for line in unwritten):
            # Kept with the plan, so the run's report lists them (once, on redelivery too).
            plan.not_synced.extend(line for line in unwritten if line not in listed)
            await self.store.put_object("sync_plans", _plan_name(run), msgspec.msgpack.encode(plan))
            self._remember(run, plan)
        await self._playlist_files(run, job, plan)
        now = self.clock()
        count = len(unwritten)

        def ended(r: SyncRunRecord) -> SyncRunRecord | None:
            done = sync.finish(r, now, count)
            if done is not None and count:
                counts = {
                    **done.counts,
                    "not_written": count,
                    "not_synced": done.counts.get("not_synced", 0) + count,
                }
                done = msgspec.structs.replace(done, counts=counts)
            return done

        await self.engine.change(run.user_id, run.run_id, ended)

    async def _playlist_files(self, run: SyncRunRecord, job: SyncJobRecord, plan: SyncPlan) -> None:
        """Ask the downloader, who owns the library's files, for an M3U8 of each playlist
        synced with the job's media server (when the job asks for them), in the order the
        run left it; the run's downloads, if any are asked for, fill it in as they land."""
        library = sync.library_side(job)
        if run.dry_run or not job.options.playlist_files or library is None:
            return
        provider = provider_of(job, library)[1]
        for index, pair in enumerate(run.pairs):
            if pair.skipped or pair.kind != "playlist":
                continue
            held = (await self._collection(run, index, library)).tracks
            paths = {t.provider_id: t.path for t in held if t.provider_id and t.path}
            others = (await self._collection(run, index, other(library))).tracks
            source = provider_of(job, other(library))[1]
            mapped = await load_mappings(
                self.store, run.user_id, source, sync.ids_of(others), provider
            )
            for record in mapped.values():
                if record.target_path:
                    paths.setdefault(record.target_id, record.target_path)
            items = sync.playlist_file_items(
                run.run_id,
                library,
                plan.pairs[index],
                await self._target_tracks(run, job, index),
                paths,
                plan.not_synced,
            )
            await self.bus.publish(
                PlaylistFileRequested(
                    user_id=run.user_id,
                    event_id=f"{run.run_id}.playlist.{index}",
                    run_id=run.run_id,
                    name=pair.name,
                    items=items,
                    owner=job.owner,
                    part=str(index),
                )
            )

    async def _target_tracks(
        self, run: SyncRunRecord, job: SyncJobRecord, index: int
    ) -> dict[str, Track]:
        """Each target id of a pair's planned writes with its source track (for titles):
        through the mappings, from what each side held when read."""
        found: dict[str, Track] = {}
        entity = KIND_ENTITY.get(run.pairs[index].kind)
        for side in sync.SIDES:
            tracks = (await self._collection(run, index, side)).tracks
            found.update({t.provider_id: t for t in tracks if t.provider_id})
            source = id_space(provider_of(job, side)[1], entity)
            target = id_space(provider_of(job, other(side))[1], entity)
            ids = sync.ids_of(tracks)
            mapped = await load_mappings(self.store, run.user_id, source, ids, target)
            by_id = {t.provider_id: t for t in tracks}
            for source_id, record in mapped.items():
                if source_id in by_id:
                    found.setdefault(record.target_id, by_id[source_id])
        return found

    # --- failures ---------------------------------------------------------------------------

    async def given_up(self, user_id: str, asked: Correlation) -> None:
        """A sync request given up on fails its run, naming the step."""
        await self.engine.given_up(user_id, asked.run_id, asked.step)


def _plan_name(run: SyncRunRecord) -> str:
    return f"{run.user_id}.{run.run_id}"
