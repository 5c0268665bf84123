"""Sync: jobs, their runs (dry run or real), each run's plan and report, and the review
queue of uncertain matches."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import (
    ClientException,
    NotFoundException,
    ServiceUnavailableException,
    ValidationException,
)
from litestar.params import FromQuery, JSONBody, Parameter, QueryParameter
from litestar.response import ServerSentEvent

from services.gateway.adapters.rpc import ServiceUnavailable
from services.gateway.api.dependencies import Gateway
from services.gateway.api.live import follow
from services.kernel.contracts import (
    ScoredCandidate,
    SyncRunRequested,
    Track,
    new_id,
    utcnow,
)
from services.kernel.mappings import save_mapping
from services.kernel.records import (
    NOT_ON_SERVICE,
    ConnectionRecord,
    NotSynced,
    PlaylistPair,
    ReviewDecision,
    ReviewRecord,
    ScheduleRecord,
    SyncDirection,
    SyncJobRecord,
    SyncOptions,
    SyncPlan,
    SyncRunRecord,
    connection_key,
    job_key,
    review_key,
    schedule_key,
    sync_run_key,
)

Id = Annotated[str, Parameter(pattern=r"^[0-9a-f]{32}$")]
ConnectionId = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]
PlaylistId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
CONFLICT_DECISIONS = ("keep", "remove")
ENDED = ("planned", "completed", "failed", "cancelled")
#: Report lines returned with a run; the count says how many there are in all.
MAX_REPORT_LINES = 1000


class JobDocument(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A sync job: side A and side B (two connections), a direction, what, and how.

    Sync ``all_playlists`` (the ones a flowing side owns), chosen ``playlists`` pairs,
    ``liked`` songs, and the ``recently_played`` history (kept as a playlist that only
    grows on the other side, which has no history to write).
    """

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    a_connection_id: ConnectionId
    b_connection_id: ConnectionId
    direction: Literal["a_to_b", "b_to_a", "both"] = "a_to_b"
    all_playlists: bool = False
    playlists: Annotated[list[PlaylistPair], msgspec.Meta(max_length=500)] = msgspec.field(
        default_factory=list
    )
    liked: bool = False
    recently_played: bool = False
    options: SyncOptions = msgspec.field(default_factory=SyncOptions)


class JobView(msgspec.Struct, kw_only=True):
    """A sync job as stored."""

    job_id: str
    name: str
    a_connection_id: str
    a_provider: str
    b_connection_id: str
    b_provider: str
    direction: SyncDirection
    all_playlists: bool
    playlists: list[PlaylistPair]
    liked: bool
    recently_played: bool
    options: SyncOptions
    created_at: datetime
    updated_at: datetime


def _job_view(job: SyncJobRecord) -> JobView:
    return msgspec.convert(job, JobView, from_attributes=True)  # the record minus its owner


class RunRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Start a run; a ``dry_run`` makes the plan and writes nothing to either side."""

    dry_run: bool = False


class SyncRunAccepted(msgspec.Struct, kw_only=True):
    """A run was accepted; follow it at ``url``."""

    run_id: str
    status: str
    url: str


class PairSummary(msgspec.Struct, kw_only=True):
    """What a run does (or, dry, would do) to one pair."""

    name: str
    a_playlist_id: str | None
    b_playlist_id: str | None
    add_to_a: int = 0
    remove_from_a: int = 0
    add_to_b: int = 0
    remove_from_b: int = 0
    conflicts: int = 0
    withheld_removals: dict[str, int] = msgspec.field(default_factory=dict)


class RunProgress(msgspec.Struct, kw_only=True):
    """How far a run is within its phase: requests still unanswered (reads, match batches)
    and write batches confirmed out of those planned."""

    outstanding: int
    writes_done: int
    writes_total: int


class SyncRunView(msgspec.Struct, kw_only=True):
    """A sync run: where it stands, what it does, and every track it did not sync."""

    run_id: str
    job_id: str
    status: str
    phase: str
    dry_run: bool
    trigger: str
    created_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    counts: dict[str, int]
    progress: RunProgress
    pairs: list[PairSummary]
    not_synced: list[NotSynced]
    not_synced_total: int
    notes: list[str]
    error: str | None


class ReviewView(msgspec.Struct, kw_only=True):
    """A question waiting for a decision: an uncertain match (``kind`` ``match``) or a
    conflict (``conflict``: removed on side ``removed_on``, added on the other)."""

    review_id: str
    job_id: str
    kind: str
    status: str
    pair_key: str
    removed_on: str | None
    from_provider: str
    to_provider: str
    source: Track
    candidates: list[ScoredCandidate]
    decision: str | None
    chosen_id: str | None
    created_at: datetime


class Decision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A decision on a review item.

    For a match: ``accept`` takes the best candidate; ``choose`` takes ``candidate_id``
    (one of the candidates, or any id on the target service found by searching); ``skip``
    leaves the track unsynced and stops asking; ``not_on_service`` says the recording is
    not there. For a conflict: ``keep`` puts the track back on the side that removed it,
    ``remove`` takes it from the side that added it (the next run carries it out).
    """

    decision: Literal["accept", "choose", "skip", "not_on_service", "keep", "remove"]
    candidate_id: PlaylistId | None = None


class BulkDecision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The same decision for many review items (``choose`` needs one item at a time)."""

    review_ids: Annotated[
        list[Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]],
        msgspec.Meta(min_length=1, max_length=1000),
    ]
    decision: Literal["accept", "skip", "not_on_service", "keep", "remove"]


class BulkDecided(msgspec.Struct, kw_only=True):
    """How many items were decided, and which ids were not (not found, already decided,
    or a decision that does not fit them)."""

    decided: int
    not_found: list[str]


async def _connection(gateway: Gateway, user_id: str, connection_id: str) -> ConnectionRecord:
    found = await gateway.ctx.store.get(
        "connections", connection_key(user_id, connection_id), ConnectionRecord
    )
    if found is None:
        raise ValidationException(f"no connection {connection_id}")
    return found


async def _job_record(
    gateway: Gateway, user_id: str, data: JobDocument, job_id: str, created: datetime | None
) -> SyncJobRecord:
    if data.a_connection_id == data.b_connection_id:
        raise ValidationException("a job syncs two different connections")
    if not (data.all_playlists or data.playlists or data.liked or data.recently_played):
        raise ValidationException(
            "choose what to sync: all_playlists, playlists, liked or recently_played"
        )
    if data.options.review_threshold > data.options.auto_threshold:
        raise ValidationException("review_threshold must not be above auto_threshold")
    for pair in data.playlists:
        if not (pair.a_playlist_id or pair.b_playlist_id):
            raise ValidationException("each pair names a playlist on at least one side")
    a = await _connection(gateway, user_id, data.a_connection_id)
    b = await _connection(gateway, user_id, data.b_connection_id)
    now = utcnow()
    return SyncJobRecord(
        job_id=job_id,
        user_id=user_id,
        name=data.name,
        a_connection_id=a.connection_id,
        a_provider=a.provider,
        b_connection_id=b.connection_id,
        b_provider=b.provider,
        direction=data.direction,
        all_playlists=data.all_playlists,
        playlists=data.playlists,
        liked=data.liked,
        recently_played=data.recently_played,
        options=data.options,
        created_at=created or now,
        updated_at=now,
    )


async def start_run(
    gateway: Gateway,
    job: SyncJobRecord,
    dry_run: bool = False,
    trigger: str = "manual",
    run_id: str | None = None,
) -> str:
    """Record a run as pending, then ask the scheduler for it; its id."""
    run_id = run_id or new_id()
    # Recorded before it is announced, so the URL we answer with never says "not found".
    await gateway.ctx.store.create(
        "sync_runs",
        sync_run_key(job.user_id, run_id),
        SyncRunRecord(
            run_id=run_id, user_id=job.user_id, job_id=job.job_id, dry_run=dry_run, trigger=trigger
        ),
    )
    await gateway.ctx.bus.publish(
        SyncRunRequested(
            user_id=job.user_id,
            event_id=run_id,
            run_id=run_id,
            job_id=job.job_id,
            dry_run=dry_run,
            trigger=trigger,
        )
    )
    return run_id


class SyncController(Controller):
    """Sync jobs and their runs."""

    path = "/api/v1/sync"
    tags = ["sync"]

    async def _job(self, gateway: Gateway, job_id: str) -> SyncJobRecord:
        found = await gateway.ctx.store.get(
            "jobs", job_key(gateway.current_user(), job_id), SyncJobRecord
        )
        if found is None:
            raise NotFoundException(f"no job {job_id}")
        return found

    @post("/jobs", status_code=201, summary="Create a sync job")
    async def create_job(
        self, gateway: NamedDependency[Gateway], data: JSONBody[JobDocument]
    ) -> JobView:
        user_id = gateway.current_user()
        job = await _job_record(gateway, user_id, data, new_id(), None)
        await gateway.ctx.store.create("jobs", job_key(user_id, job.job_id), job)
        return _job_view(job)

    @get("/jobs", summary="Your sync jobs")
    async def list_jobs(self, gateway: NamedDependency[Gateway]) -> list[JobView]:
        jobs = await gateway.ctx.store.values("jobs", f"{gateway.current_user()}.*", SyncJobRecord)
        return [_job_view(job) for job in sorted(jobs, key=lambda j: j.created_at)]

    @get("/jobs/{job_id:str}", summary="A sync job")
    async def get_job(self, gateway: NamedDependency[Gateway], job_id: Id) -> JobView:
        return _job_view(await self._job(gateway, job_id))

    @put("/jobs/{job_id:str}", summary="Change a sync job (the pairs it made stay paired)")
    async def update_job(
        self, gateway: NamedDependency[Gateway], job_id: Id, data: JSONBody[JobDocument]
    ) -> JobView:
        existing = await self._job(gateway, job_id)
        user_id = gateway.current_user()
        job = await _job_record(gateway, user_id, data, job_id, existing.created_at)
        if (job.a_connection_id, job.b_connection_id) != (
            existing.a_connection_id,
            existing.b_connection_id,
        ):
            raise ValidationException("a job's connections cannot change; make a new job")
        await gateway.ctx.store.put("jobs", job_key(user_id, job_id), job)
        return _job_view(job)

    @delete("/jobs/{job_id:str}", status_code=204, summary="Delete a sync job")
    async def delete_job(self, gateway: NamedDependency[Gateway], job_id: Id) -> None:
        await self._job(gateway, job_id)
        user_id = gateway.current_user()
        store = gateway.ctx.store
        for key in await store.keys("sync_pairs", f"{user_id}.{job_id}.*"):
            await store.delete("sync_pairs", key)
        for schedule in await store.values("schedules", f"{user_id}.*", ScheduleRecord):
            if schedule.job_id == job_id:
                await store.delete("schedules", schedule_key(user_id, schedule.schedule_id))
        await store.delete("jobs", job_key(user_id, job_id))

    @post("/jobs/{job_id:str}/runs", status_code=202, summary="Run a job now (or plan it dry)")
    async def run_job(
        self,
        gateway: NamedDependency[Gateway],
        job_id: Id,
        data: JSONBody[RunRequest | None] = None,
    ) -> Response[SyncRunAccepted]:
        job = await self._job(gateway, job_id)
        run_id = await start_run(gateway, job, dry_run=bool(data and data.dry_run))
        url = f"/api/v1/sync/runs/{run_id}"
        return Response(
            SyncRunAccepted(run_id=run_id, status="pending", url=url),
            status_code=202,
            headers={"Location": url},
        )

    @get("/jobs/{job_id:str}/runs", summary="A job's runs, newest first")
    async def job_runs(self, gateway: NamedDependency[Gateway], job_id: Id) -> list[SyncRunView]:
        await self._job(gateway, job_id)
        runs = await gateway.ctx.store.values(
            "sync_runs", f"{gateway.current_user()}.*", SyncRunRecord
        )
        mine = sorted((r for r in runs if r.job_id == job_id), key=lambda r: r.created_at)
        return [await _run_view(gateway, run, with_report=False) for run in reversed(mine)]

    @get("/runs/{run_id:str}", summary="A sync run: progress, plan and report")
    async def get_run(self, gateway: NamedDependency[Gateway], run_id: Id) -> SyncRunView:
        return await _run_view(gateway, await self._run(gateway, run_id), with_report=True)

    @get(
        "/runs/{run_id:str}/events",
        summary="Follow a sync run live (Server-Sent Events: update..., end)",
    )
    async def follow_run(self, gateway: NamedDependency[Gateway], run_id: Id) -> ServerSentEvent:
        run = await self._run(gateway, run_id)  # 404 before the stream starts

        async def read() -> SyncRunView | None:
            found = await gateway.ctx.store.get(
                "sync_runs", sync_run_key(run.user_id, run_id), SyncRunRecord
            )
            ended = found is not None and found.status in ENDED
            return await _run_view(gateway, found, with_report=ended) if found else None

        return follow(read, lambda view: view.status in ENDED)

    async def _run(self, gateway: Gateway, run_id: str) -> SyncRunRecord:
        found = await gateway.ctx.store.get(
            "sync_runs", sync_run_key(gateway.current_user(), run_id), SyncRunRecord
        )
        if found is None:
            raise NotFoundException(f"no run {run_id}")
        return found

    @post("/runs/{run_id:str}/cancel", status_code=202, summary="Stop a run at its next step")
    async def cancel_run(self, gateway: NamedDependency[Gateway], run_id: Id) -> SyncRunView:
        run = await self._run(gateway, run_id)
        if run.status in ENDED:
            raise ClientException(f"the run has already ended ({run.status})", status_code=409)

        def cancel(current: SyncRunRecord) -> SyncRunRecord | None:
            if current.status not in ("pending", "running") or current.cancel_requested:
                return None
            now = utcnow()
            if current.status == "pending":  # not started: it never will
                return msgspec.structs.replace(
                    current,
                    status="cancelled",
                    cancel_requested=True,
                    updated_at=now,
                    finished_at=now,
                )
            return msgspec.structs.replace(current, cancel_requested=True, updated_at=now)

        updated = await gateway.ctx.store.update(
            "sync_runs", sync_run_key(run.user_id, run_id), SyncRunRecord, cancel
        )
        assert updated is not None
        return await _run_view(gateway, updated, with_report=False)


async def _run_view(gateway: Gateway, run: SyncRunRecord, with_report: bool) -> SyncRunView:
    plan = SyncPlan()
    if with_report and run.phase in ("planning", "applying", "done"):
        stored = await gateway.ctx.store.get_object("sync_plans", f"{run.user_id}.{run.run_id}")
        if stored is not None:
            plan = msgspec.msgpack.decode(stored, type=SyncPlan)
    by_key = {p.pair_key: p for p in plan.pairs}
    pairs = []
    for index, pair in enumerate(run.pairs):
        made = {side: run.chains.get(f"{index}.{side}") for side in ("a", "b")}
        summary = PairSummary(
            name=pair.name,
            a_playlist_id=pair.a_playlist_id or (made["a"].playlist_id if made["a"] else None),
            b_playlist_id=pair.b_playlist_id or (made["b"].playlist_id if made["b"] else None),
        )
        planned = by_key.get(pair.pair_key)
        if planned:
            summary.add_to_a, summary.remove_from_a = (
                len(planned.add_to_a),
                len(planned.remove_from_a),
            )
            summary.add_to_b, summary.remove_from_b = (
                len(planned.add_to_b),
                len(planned.remove_from_b),
            )
            summary.conflicts = planned.conflicts
            summary.withheld_removals = planned.withheld_removals
        pairs.append(summary)
    finished = run.finished_at
    return SyncRunView(
        run_id=run.run_id,
        job_id=run.job_id,
        status=run.status,
        phase=run.phase,
        dry_run=run.dry_run,
        trigger=run.trigger,
        created_at=run.created_at,
        finished_at=finished,
        duration_s=(finished - run.created_at).total_seconds() if finished else None,
        counts=run.counts,
        progress=RunProgress(
            outstanding=len(run.waiting),
            writes_done=sum(c.done for c in run.chains.values()),
            writes_total=sum(c.steps for c in run.chains.values()),
        ),
        pairs=pairs,
        not_synced=plan.not_synced[:MAX_REPORT_LINES],
        # Lists leave the report out; its size is in the run's counts.
        not_synced_total=len(plan.not_synced) if with_report else run.counts.get("not_synced", 0),
        notes=run.notes,
        error=run.error,
    )


def _review_view(review: ReviewRecord) -> ReviewView:
    return msgspec.convert(review, ReviewView, from_attributes=True)


async def _decide(
    gateway: Gateway,
    review: ReviewRecord,
    decision: ReviewDecision,
    candidate_id: str | None,
) -> ReviewRecord:
    """Record a decision as a mapping every later run honours (skip: no mapping, and the
    item stays, so the track is not asked about again); a conflict's answer is kept on the
    item for the next run of its job."""
    if (review.kind == "conflict") != (decision in CONFLICT_DECISIONS):
        raise ValidationException(
            f"a {review.kind} is decided with "
            + (
                " or ".join(CONFLICT_DECISIONS)
                if review.kind == "conflict"
                else "accept, choose, skip or not_on_service"
            )
        )
    source_id = review.source.provider_id or ""
    target: str | None = None
    if decision == "accept":
        if not review.candidates or not review.candidates[0].track.provider_id:
            raise ValidationException("this item has no candidate to accept")
        target = review.candidates[0].track.provider_id
    elif decision == "choose":
        if not candidate_id:
            raise ValidationException("'choose' needs a candidate_id")
        target = candidate_id
    elif decision == "not_on_service":
        target = NOT_ON_SERVICE
    if target is not None and review.kind == "match":
        await save_mapping(
            gateway.ctx.store,
            review.user_id,
            review.from_provider,
            source_id,
            review.to_provider,
            target,
            "review",
        )
    decided = msgspec.structs.replace(
        review,
        status="skipped" if decision == "skip" else "decided",
        decision=decision,
        chosen_id=target if target != NOT_ON_SERVICE else None,
        decided_at=utcnow(),
    )
    await gateway.ctx.store.put("reviews", review_key(review.user_id, review.review_id), decided)
    return decided


class ReviewsController(Controller):
    """The review queue: uncertain matches a person decides once, for every later run."""

    path = "/api/v1/reviews"
    tags = ["reviews"]

    @get("/", summary="Review items (pending by default)")
    async def list_reviews(
        self,
        gateway: NamedDependency[Gateway],
        status: FromQuery[Literal["pending", "decided", "skipped", "all"]] = "pending",
        job_id: Annotated[str | None, QueryParameter(pattern=r"^[0-9a-f]{32}$")] = None,
    ) -> list[ReviewView]:
        found = await gateway.ctx.store.values(
            "reviews", f"{gateway.current_user()}.*", ReviewRecord
        )
        chosen = [
            r
            for r in found
            if (status == "all" or r.status == status) and (job_id is None or r.job_id == job_id)
        ]
        return [_review_view(r) for r in sorted(chosen, key=lambda r: r.created_at)]

    async def _review(self, gateway: Gateway, review_id: str) -> ReviewRecord:
        found = await gateway.ctx.store.get(
            "reviews", review_key(gateway.current_user(), review_id), ReviewRecord
        )
        if found is None:
            raise NotFoundException(f"no review item {review_id}")
        return found

    @get("/{review_id:str}", summary="One review item")
    async def get_review(self, gateway: NamedDependency[Gateway], review_id: Id) -> ReviewView:
        return _review_view(await self._review(gateway, review_id))

    @get("/{review_id:str}/search", summary="Search the target service for other candidates")
    async def search(
        self,
        gateway: NamedDependency[Gateway],
        review_id: Id,
        q: Annotated[str | None, QueryParameter(min_length=1, max_length=300)] = None,
    ) -> list[ScoredCandidate]:
        """Candidates for the item's track on its target service, with the matcher's
        confidence in each (``q`` searches for what you type instead of the track)."""
        review = await self._review(gateway, review_id)
        query = Track(title=q) if q else review.source
        try:
            found = await gateway.clients.search_tracks(
                review.user_id,
                review.to_provider,
                query,
                limit=10,
                connection_id=review.to_connection_id,
            )
            ranked = await gateway.clients.rank(review.user_id, review.source, found)
        except ServiceUnavailable as error:
            if error.code().name in ("INVALID_ARGUMENT", "NOT_FOUND"):
                raise ValidationException(error.details() or "invalid request") from error
            raise ServiceUnavailableException(
                "the catalog or the matcher is not answering"
            ) from error
        return [
            ScoredCandidate(track=found[r.index], confidence=r.confidence) for r in ranked.ranked
        ]

    @post("/{review_id:str}/decision", status_code=200, summary="Decide one review item")
    async def decide(
        self, gateway: NamedDependency[Gateway], review_id: Id, data: JSONBody[Decision]
    ) -> ReviewView:
        review = await self._review(gateway, review_id)
        return _review_view(await _decide(gateway, review, data.decision, data.candidate_id))

    @post("/decisions", status_code=200, summary="Decide many review items at once")
    async def decide_many(
        self, gateway: NamedDependency[Gateway], data: JSONBody[BulkDecision]
    ) -> BulkDecided:
        user_id = gateway.current_user()
        decided, missing = 0, []
        for review_id in dict.fromkeys(data.review_ids):
            review = await gateway.ctx.store.get(
                "reviews", review_key(user_id, review_id), ReviewRecord
            )
            if review is None or review.status != "pending":
                missing.append(review_id)
                continue
            fits = (review.kind == "conflict") == (data.decision in CONFLICT_DECISIONS)
            if not fits or (data.decision == "accept" and not review.candidates):
                missing.append(review_id)
                continue
            await _decide(gateway, review, data.decision, None)
            decided += 1
        return BulkDecided(decided=decided, not_found=missing)
