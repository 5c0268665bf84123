"""Bus edge of sync runs: list, read, match, plan, apply, record.

Every request a run sends has an id that names the run and the step; every publish uses
that id as its ``Nats-Msg-Id``, and every record change is a compare-and-set guarded by
the run's phase. So a redelivered reply, or a scheduler killed anywhere and restarted,
repeats nothing that was done and loses nothing that was not: a step whose answer is in
moves the run on, whoever sees it first.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

import msgspec
from prometheus_client import CollectorRegistry

from services.kernel.bus import Bus, Unprocessable
from services.kernel.contracts import (
    CandidatesFound,
    CandidatesRequested,
    Collection,
    DeadLettered,
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
from services.kernel.mappings import load_mappings, load_reviews, save_matches
from services.kernel.records import (
    ReviewRecord,
    Side,
    SyncBase,
    SyncJobRecord,
    SyncPairState,
    SyncPlan,
    SyncRunRecord,
    WriteChain,
    job_key,
    review_id_for,
    review_key,
    sync_pair_key,
    sync_run_key,
)
from services.kernel.store import Store, load_collection
from services.scheduler.api.metrics import SyncMetrics
from services.scheduler.domain import sync
from services.scheduler.domain.sync import flows, other, provider_of

log = logging.getLogger("tunebridge.scheduler.sync")

#: Plans kept in memory while their runs apply (each write reply needs its run's plan).
CACHED_PLANS = 8


class SyncHandlers:
    """One method per event of a sync run."""

    def __init__(
        self,
        bus: Bus,
        store: Store,
        metrics: SyncMetrics | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.bus = bus
        self.store = store
        self.metrics = metrics or SyncMetrics(CollectorRegistry())
        self.clock = clock
        self._plans: OrderedDict[str, SyncPlan] = OrderedDict()

    # --- records ----------------------------------------------------------------------------

    async def _update(
        self,
        user_id: str,
        run_id: str,
        change: Callable[[SyncRunRecord], SyncRunRecord | None],
    ) -> tuple[SyncRunRecord | None, bool]:
        """The run after ``change`` (None if there is no such run), and whether this call
        changed it (False: the change was made before, e.g. by an earlier delivery)."""
        applied = False

        def tracked(run: SyncRunRecord) -> SyncRunRecord | None:
            nonlocal applied
            changed = change(run)
            applied = changed is not None
            return changed

        record = await self.store.update(
            "sync_runs", sync_run_key(user_id, run_id), SyncRunRecord, tracked
        )
        if applied and record is not None and sync.ended(record):
            self.metrics.ended(record)  # no change leaves an ended run: counted once
        return record, applied

    async def _fail(self, run: SyncRunRecord, error: str) -> None:
        now = self.clock()
        await self._update(run.user_id, run.run_id, lambda r: sync.fail(r, error, now))
        log.info("sync run failed", extra={"run_id": run.run_id, "reason": error[:200]})

    async def _job(self, run: SyncRunRecord) -> SyncJobRecord | None:
        job = await self.store.get("jobs", job_key(run.user_id, run.job_id), SyncJobRecord)
        if job is None:
            await self._fail(run, "the job was deleted while it ran")
        return job

    async def _stopped(self, run: SyncRunRecord) -> bool:
        """True if the run has ended, or was asked to stop (it stops now)."""
        if sync.ended(run):
            return True
        if run.cancel_requested:
            now = self.clock()
            await self._update(run.user_id, run.run_id, lambda r: sync.stop_cancelled(r, now))
            return True
        return False

    async def _collection(self, run: SyncRunRecord, index: int, side: Side) -> Collection:
        """One side of a pair as read in this run (a side that does not exist is empty)."""
        ref = getattr(run.pairs[index], f"{side}_snapshot")
        if ref is None:
            return Collection(user_id=run.user_id, kind="playlist", tracks=())
        found = await load_collection(self.store, ref)
        if found is None:
            raise Unprocessable("a snapshot of this run expired before it was used")
        return found

    async def _advance(
        self,
        run: SyncRunRecord | None,
        user_id: str,
        run_id: str,
        redelivered: bool = False,
    ) -> None:
        """Take the run's next step once nothing is outstanding in its phase. Safe to call
        again: each step's record change is guarded by the phase it leaves. A redelivered
        message (its change was already recorded) may mean the last handler died before it
        sent its requests: the outstanding ones are sent again (their ids make that safe)."""
        run = run or await self.store.get("sync_runs", sync_run_key(user_id, run_id), SyncRunRecord)
        if run is None or await self._stopped(run):
            return
        job = await self._job(run)
        if job is None:
            return
        if run.waiting:
            if redelivered:
                await self._send_outstanding(run, job)
            return
        if run.phase == "listing":
            await self._pair_and_read(run, job)
        elif run.phase == "reading":
            await self._match(run, job)
        elif run.phase == "matching":
            await self._plan(run, job)
        elif run.phase == "planning":
            await self._apply(run, job, await self._load_plan(run))
        elif run.phase == "applying":
            plan = await self._load_plan(run)
            for key, chain in run.chains.items():
                if not sync.chain_finished(chain):
                    await self._send_step(run, job, plan, key)
            if all(sync.chain_finished(c) for c in run.chains.values()):
                await self._finish(run, job, plan)

    async def _send_outstanding(self, run: SyncRunRecord, job: SyncJobRecord) -> None:
        if run.phase == "listing":
            for side in sync.SIDES:
                list_id = sync.request_id(run.run_id, "list", side)
                if list_id in run.waiting:
                    await self._read(job, side, list_id, "playlists")
        elif run.phase == "reading":
            await self._send_reads(run, job, set(run.waiting))
        elif run.phase == "matching":
            batches = await self._match_batches(run, job, keep_empty=True)
            await self._send_matches(job, [b for b in batches if b[0] in run.waiting])

    # --- start and reads --------------------------------------------------------------------

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
        if run is None or await self._stopped(run):
            return
        job = await self._job(run)
        if job is None:
            return
        if run.phase != "listing" or run.waiting:
            await self._advance(run, run.user_id, run.run_id, redelivered=True)
            return
        if not (job.all_playlists or job.playlists or job.recently_played):
            await self._pair_and_read(run, job)  # liked songs only: no playlists to list
            return
        ids = [sync.request_id(run.run_id, "list", side) for side in ("a", "b")]
        updated, _ = await self._update(
            run.user_id,
            run.run_id,
            lambda r: (
                sync.awaiting(r, "listing", ids, now)
                if r.phase == "listing" and not r.waiting and not r.listings and not sync.ended(r)
                else None
            ),
        )
        if updated is not None and updated.phase == "listing":
            await self._send_outstanding(updated, job)

    async def _read(
        self,
        job: SyncJobRecord,
        side: Side,
        read_id: str,
        collection: str,
        playlist_id: str | None = None,
    ) -> None:
        connection_id, provider = provider_of(job, side)
        await self.bus.publish(
            ProviderReadRequested(
                user_id=job.user_id,
                event_id=read_id,
                request_id=read_id,
                connection_id=connection_id,
                provider=provider,
                collection=collection,  # type: ignore[arg-type]
                playlist_id=playlist_id,
            ),
            qualifier=provider,
        )

    async def _send_reads(self, run: SyncRunRecord, job: SyncJobRecord, wanted: set[str]) -> None:
        for read_id, index, side in sync.reads(run):
            if read_id not in wanted:
                continue
            pair = run.pairs[index]
            if pair.kind == "liked":
                await self._read(job, side, read_id, "liked")
            elif pair.history_side == side:
                await self._read(job, side, read_id, "recent")
            else:
                await self._read(
                    job, side, read_id, "playlist", getattr(pair, f"{side}_playlist_id")
                )

    async def provider_read(self, event: ProviderRead) -> bool:
        """A read for a sync run; False if the read is not one of ours."""
        parsed = sync.parse_request(event.request_id)
        if parsed is None or parsed[1] not in ("list", "read"):
            return False
        run_id, step, rest = parsed
        run = await self.store.get("sync_runs", sync_run_key(event.user_id, run_id), SyncRunRecord)
        if run is None or await self._stopped(run):
            return True
        side: Side = "b" if rest[-1] == "b" else "a"
        if event.error:
            again = " (re-authorise the connection)" if event.needs_reauthorisation else ""
            await self._fail(
                run, f"side {side} ({event.provider}) could not be read: {event.error}{again}"
            )
            return True
        now = self.clock()
        if step == "list":
            listed = list(event.playlists)
            _, applied = await self._update(
                event.user_id,
                run_id,
                lambda r: sync.answered(
                    r,
                    event.request_id,
                    now,
                    msgspec.structs.replace(r, listings={**r.listings, side: listed}),
                ),
            )
        else:
            if event.snapshot is None:
                raise Unprocessable("a read reply with neither a snapshot nor an error")
            snapshot, index = event.snapshot, int(rest[0])
            _, applied = await self._update(
                event.user_id,
                run_id,
                lambda r: sync.with_read(r, event.request_id, index, side, snapshot, now),
            )
        await self._advance(None, event.user_id, run_id, redelivered=not applied)
        return True

    async def _pair_and_read(self, run: SyncRunRecord, job: SyncJobRecord) -> None:
        states = await self.store.values(
            "sync_pairs", f"{run.user_id}.{run.job_id}.*", SyncPairState
        )
        pairing = sync.resolve_pairs(job, states, run.listings)
        now = self.clock()

        def begin_reading(r: SyncRunRecord) -> SyncRunRecord | None:
            if sync.ended(r) or r.phase != "listing" or r.waiting:
                return None
            paired = msgspec.structs.replace(
                r, pairs=pairing.pairs, notes=[*r.notes, *pairing.notes]
            )
            return sync.awaiting(paired, "reading", [i for i, _, _ in sync.reads(paired)], now)

        updated, applied = await self._update(run.user_id, run.run_id, begin_reading)
        if updated is None or not applied:
            return
        await self._send_reads(updated, job, set(updated.waiting))
        if not updated.waiting:
            await self._match(updated, job)

    # --- matching ---------------------------------------------------------------------------

    async def _match_batches(
        self, run: SyncRunRecord, job: SyncJobRecord, keep_empty: bool = False
    ) -> list[tuple[str, Side, tuple[Track, ...]]]:
        """The match requests of a run: each flowing side's tracks in a fixed order, cut
        into fixed batches, each holding only the tracks with no mapping yet (so sending
        one again after a crash asks only for what is still unknown)."""
        batches: list[tuple[str, Side, tuple[Track, ...]]] = []
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
            ids = sync.ids_of(unique)
            mapped = await load_mappings(self.store, run.user_id, source, ids, target)
            unmapped = [i for i in ids if i not in mapped]
            reviews = await load_reviews(self.store, run.user_id, source, unmapped, target)
            for n, batch in enumerate(sync.batched(unique)):
                wanted = tuple(sync.to_match(batch, mapped, reviews))
                if wanted or keep_empty:
                    match_id = sync.request_id(run.run_id, "match", side, n)
                    batches.append((match_id, side, wanted))
        return batches

    async def _send_matches(
        self, job: SyncJobRecord, batches: list[tuple[str, Side, tuple[Track, ...]]]
    ) -> None:
        for match_id, side, tracks in batches:
            connection_id, provider = provider_of(job, other(side))
            await self.bus.publish(
                CandidatesRequested(
                    user_id=job.user_id,
                    event_id=match_id,
                    request_id=match_id,
                    connection_id=connection_id,
                    provider=provider,
                    tracks=tracks,
                ),
                qualifier=provider,
            )

    async def _match(self, run: SyncRunRecord, job: SyncJobRecord) -> None:
        """Send every track that has no mapping yet to the other side's catalog."""
        batches = await self._match_batches(run, job)
        now = self.clock()
        updated, applied = await self._update(
            run.user_id,
            run.run_id,
            lambda r: (
                sync.awaiting(r, "matching", [b[0] for b in batches], now)
                if r.phase == "reading" and not r.waiting and not sync.ended(r)
                else None
            ),
        )
        if updated is None or not applied:
            return
        await self._send_matches(job, [b for b in batches if b[0] in updated.waiting])
        if not updated.waiting:
            await self._plan(updated, job)

    async def candidates_found(self, event: CandidatesFound) -> None:
        parsed = sync.parse_request(event.request_id)
        if parsed is None or parsed[1] != "match":
            return
        run = await self.store.get(
            "sync_runs", sync_run_key(event.user_id, parsed[0]), SyncRunRecord
        )
        if run is None or await self._stopped(run):
            return
        if event.error:
            await self._fail(run, f"searching {event.provider} failed: {event.error}")
            return
        await self.bus.publish(
            RankRequested(
                user_id=event.user_id,
                event_id=f"{event.request_id}.rank",
                request_id=event.request_id,
                items=event.items,
            )
        )

    async def ranked(self, event: Ranked) -> None:
        """Confident matches become mappings, uncertain ones review items; then, once every
        batch is in, the plan."""
        parsed = sync.parse_request(event.request_id)
        if parsed is None or parsed[1] != "match":
            return
        run_id, _, rest = parsed
        run = await self.store.get("sync_runs", sync_run_key(event.user_id, run_id), SyncRunRecord)
        if run is None or await self._stopped(run):
            return
        job = await self._job(run)
        if job is None:
            return
        side: Side = "b" if rest[0] == "b" else "a"
        source, target = provider_of(job, side)[1], provider_of(job, other(side))[1]
        options = job.options
        confident: list[tuple[str, str, float]] = []
        for item in event.items:
            best = item.candidates[0] if item.candidates else None
            track_id = item.track.provider_id
            if best is None or not track_id or not best.track.provider_id:
                continue
            if best.confidence >= options.auto_threshold:
                confident.append((track_id, best.track.provider_id, best.confidence))
            elif best.confidence >= options.review_threshold:
                review_id = review_id_for(source, track_id, target)
                asked = await self.store.create(
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
                if asked:
                    self.metrics.reviews.inc()
        await save_matches(self.store, run.user_id, source, target, confident)
        now = self.clock()
        _, applied = await self._update(
            event.user_id, run_id, lambda r: sync.answered(r, event.request_id, now)
        )
        await self._advance(None, event.user_id, run_id, redelivered=not applied)

    # --- planning ---------------------------------------------------------------------------

    async def _plan(self, run: SyncRunRecord, job: SyncJobRecord) -> None:
        if await self._stopped(run):
            return
        plan = SyncPlan()
        questions: list[ReviewRecord] = []
        conflict_reviews = [
            r
            for r in await self.store.values("reviews", f"{run.user_id}.*", ReviewRecord)
            if r.kind == "conflict" and r.job_id == run.job_id
        ]
        for index, pair in enumerate(run.pairs):
            a = (await self._collection(run, index, "a")).tracks
            b = (await self._collection(run, index, "b")).tracks
            state = await self.store.get(
                "sync_pairs", sync_pair_key(run.user_id, run.job_id, pair.pair_key), SyncPairState
            )
            base = SyncBase()
            if state and state.base:
                stored = await self.store.get_object("sync_bases", state.base)
                if stored is not None:
                    base = msgspec.msgpack.decode(stored, type=SyncBase)
            a_ids, b_ids = sync.ids_of(a), sync.ids_of(b)
            ap, bp = job.a_provider, job.b_provider
            from_a = await load_mappings(self.store, run.user_id, ap, a_ids, bp)
            from_b = await load_mappings(self.store, run.user_id, bp, b_ids, ap)
            reviews = {
                **await load_reviews(self.store, run.user_id, ap, a_ids, bp),
                **await load_reviews(self.store, run.user_id, bp, b_ids, ap),
            }
            settled = sync.settled_conflicts(job, pair, conflict_reviews)
            outcome = sync.plan_pair(
                job, pair, a, b, base, from_a, from_b, reviews, settled, run.run_id
            )
            plan.pairs.append(outcome.plan)
            plan.not_synced.extend(outcome.not_synced)
            questions.extend(outcome.questions)
        for question in questions:  # asked once: a question already open stays as it is
            if await self.store.create(
                "reviews", review_key(run.user_id, question.review_id), question
            ):
                self.metrics.reviews.inc()
        await self.store.put_object("sync_plans", _plan_name(run), msgspec.msgpack.encode(plan))
        self._remember(run, plan)
        now = self.clock()
        counts = sync.counts(plan.pairs, plan.not_synced)
        updated, applied = await self._update(
            run.user_id,
            run.run_id,
            lambda r: sync.planned(r, counts, now) if r.phase == "matching" else None,
        )
        if updated is None or not applied or updated.phase != "planning":
            return
        await self._apply(updated, job, plan)

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

    async def _apply(self, run: SyncRunRecord, job: SyncJobRecord, plan: SyncPlan) -> None:
        chains = {
            sync.chain_key(index, side): WriteChain(
                steps=len(steps), playlist_id=getattr(pair, f"{side}_playlist_id")
            )
            for index, pair in enumerate(run.pairs)
            for side in ("a", "b")
            if (steps := self._steps(job, run, plan, index, side))
        }
        now = self.clock()
        updated, applied = await self._update(
            run.user_id, run.run_id, lambda r: sync.with_chains(r, chains, now)
        )
        if updated is None or not applied:
            return  # another delivery got here first and sends the writes
        for key in chains:
            await self._send_step(updated, job, plan, key)
        if not chains:
            await self._finish(updated, job, plan)

    async def _send_step(
        self, run: SyncRunRecord, job: SyncJobRecord, plan: SyncPlan, key: str
    ) -> None:
        chain = run.chains[key]
        index_text, side_text = key.split(".")
        index, side = int(index_text), "b" if side_text == "b" else "a"
        step = self._steps(job, run, plan, index, side)[chain.done]  # type: ignore[arg-type]
        connection_id, provider = provider_of(job, side)  # type: ignore[arg-type]
        write_id = sync.request_id(run.run_id, "write", index, side, chain.done)
        pair = run.pairs[index]
        await self.bus.publish(
            ProviderWriteRequested(
                user_id=run.user_id,
                event_id=write_id,
                request_id=write_id,
                connection_id=connection_id,
                provider=provider,
                playlist_id=chain.playlist_id,
                create_name=step.create_name,
                add=step.add,
                remove=step.remove,
                collection="liked" if pair.kind == "liked" else "playlist",
            ),
            qualifier=provider,
        )

    async def written(self, event: ProviderWritten) -> None:
        parsed = sync.parse_request(event.request_id)
        if parsed is None or parsed[1] != "write":
            return
        run_id, _, rest = parsed
        index, side, step = int(rest[0]), rest[1], int(rest[2])
        key = sync.chain_key(index, "b" if side == "b" else "a")
        now = self.clock()
        run, _ = await self._update(
            event.user_id,
            run_id,
            lambda r: sync.with_written(r, key, step, event.playlist_id, event.error, now),
        )
        if run is None or sync.ended(run) or key not in run.chains:
            return
        job = await self._job(run)
        if job is None:
            return
        plan = await self._load_plan(run)
        chain = run.chains[key]
        if step == 0 and chain.playlist_id and not getattr(run.pairs[index], f"{side}_playlist_id"):
            # A playlist made by this run (its first write) is remembered at once: never
            # made twice.
            await self._save_pair_state(run, index, plan)
        if run.cancel_requested:
            await self._stopped(run)
            return
        if not sync.chain_finished(chain):
            # Sent again on a redelivered reply too: the write's request id makes the
            # connectors answer a repeated request from its record.
            await self._send_step(run, job, plan, key)
            return
        if all(sync.chain_finished(c) for c in run.chains.values()):
            await self._finish(run, job, plan)

    async def _save_pair_state(
        self, run: SyncRunRecord, index: int, plan: SyncPlan, with_base: bool = False
    ) -> None:
        pair = run.pairs[index]
        if pair.kind == "liked" and not with_base:
            return
        ids = {
            side: getattr(pair, f"{side}_playlist_id")
            or (run.chains.get(sync.chain_key(index, side)) or WriteChain(steps=0)).playlist_id
            for side in ("a", "b")
        }
        key = sync_pair_key(run.user_id, run.job_id, pair.pair_key)
        base_name = None
        if with_base:
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
                base=base_name or (previous.base if previous else None),
                synced_at=self.clock() if with_base else (previous.synced_at if previous else None),
            ),
        )

    async def _finish(self, run: SyncRunRecord, job: SyncJobRecord, plan: SyncPlan) -> None:
        """Record each pair whose writes were all confirmed as the next run's base, then
        end the run."""
        for index in range(len(run.pairs)):
            chains = [run.chains.get(sync.chain_key(index, side)) for side in ("a", "b")]
            if all(c is None or c.error is None for c in chains):
                await self._save_pair_state(run, index, plan, with_base=True)
                for review_id in plan.pairs[index].settled_reviews:  # answered and carried out
                    await self.store.delete("reviews", review_key(run.user_id, review_id))
        now = self.clock()
        await self._update(run.user_id, run.run_id, lambda r: sync.finish(r, now))

    # --- failures ---------------------------------------------------------------------------

    async def message_dead(self, letter: DeadLettered) -> bool:
        """A sync request given up on fails its run, naming the step; False if the
        message was not a sync request."""
        try:
            payload = msgspec.json.decode(letter.data)
        except msgspec.DecodeError:
            return False
        if not isinstance(payload, dict):
            return False
        request, user_id = payload.get("request_id"), payload.get("user_id")
        if not isinstance(request, str) or not isinstance(user_id, str):
            return False
        parsed = sync.parse_request(request)
        if parsed is None:
            return False
        run = await self.store.get("sync_runs", sync_run_key(user_id, parsed[0]), SyncRunRecord)
        if run is not None:
            reason = (
                f"the {parsed[1]} step was given up on after several tries ({letter.reason[:200]})"
            )
            await self._fail(run, reason)
        return True


def _plan_name(run: SyncRunRecord) -> str:
    return f"{run.user_id}.{run.run_id}"
