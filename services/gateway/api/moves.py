"""Moving a whole library from one service to another: playlists (all or chosen), liked
songs, saved albums and followed artists, previewed with counts per kind, run with live
progress, and one report of every item (CSV or JSON); later, the same pairs kept in step
both ways.

A move is a sync job of its own (``move``: one way, source to target, removing nothing),
made or found again for the same two connections: so a second move is that job's next
run, which finds everything paired and matched and changes nothing; its runs, their
events (``/api/v1/sync/runs/{id}/events``) and the review queue are the sync's own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import JSONBody, QueryParameter

from services.gateway.api.dependencies import Gateway
from services.gateway.api.sync import (
    ConnectionId,
    Id,
    JobDocument,
    JobView,
    PlaylistId,
    RunProgress,
    RunRequest,
    _connection,
    _job_record,
    _job_view,
    _no_silent_copies,
    _partners,
    _progress,
    in_words,
    start_run,
    unsupported_sets,
)
from services.gateway.domain.moves import (
    KindCounts,
    ReportLine,
    as_csv,
    counts_per_kind,
    report_lines,
)
from services.kernel.contracts import new_id, utcnow
from services.kernel.records import (
    NotSynced,
    PlaylistPair,
    SyncJobRecord,
    SyncOptions,
    SyncPlan,
    SyncRunRecord,
    job_key,
    sync_run_key,
)


class MoveDocument(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What to move, and from where to where.

    Attributes:
        playlists: The source's playlists to move, by id; none (null): every playlist
            the source account owns.
        liked: Move liked songs.
        albums: Move saved albums (none: when both services keep them).
        artists: Move followed artists (none: when both services keep them).
    """

    source_connection_id: ConnectionId
    target_connection_id: ConnectionId
    playlists: Annotated[list[PlaylistId], msgspec.Meta(max_length=500)] | None = None
    liked: bool = True
    albums: bool | None = None
    artists: bool | None = None


class MoveSide(msgspec.Struct, kw_only=True):
    """One side of a move: the connection and its service's name."""

    connection_id: str
    provider: str
    name: str


class MoveView(msgspec.Struct, kw_only=True):
    """A move: its two sides and what it carries. Once turned into a both-ways sync job it
    is no longer a move: it is in the sync jobs (``/api/v1/sync/jobs/{move_id}``)."""

    move_id: str
    name: str
    source: MoveSide
    target: MoveSide
    all_playlists: bool
    playlists: list[str]
    liked: bool
    albums: bool
    artists: bool
    created_at: datetime
    updated_at: datetime
    #: What the move leaves out because a service cannot keep it, in a person's words.
    left_out: list[str] = msgspec.field(default_factory=list)


class MoveRunAccepted(msgspec.Struct, kw_only=True):
    """A move's run (a preview when ``dry_run``) was accepted: follow it at ``url`` or
    live at ``events``; its report is at ``report``."""

    move_id: str
    run_id: str
    status: str
    dry_run: bool
    url: str
    events: str
    report: str


class MoveRunView(msgspec.Struct, kw_only=True):
    """A move's run: where it stands, and its items counted per kind (a preview's
    ``moved`` counts what the run would move)."""

    run_id: str
    move_id: str
    status: str
    phase: str
    dry_run: bool
    created_at: datetime
    finished_at: datetime | None
    progress: RunProgress
    kinds: list[KindCounts]
    not_moved_total: int
    notes: list[str]
    error: str | None
    report_csv: str
    report_json: str


class MoveReport(msgspec.Struct, kw_only=True):
    """A move's report as a person keeps it: every item moved and every item not moved,
    with the reason and the action left."""

    move_id: str
    run_id: str
    source: str
    target: str
    status: str
    dry_run: bool
    finished_at: datetime | None
    kinds: list[KindCounts]
    items: list[ReportLine]


ReportFormat = Annotated[
    Literal["json", "csv"], QueryParameter(description="json (the default) or csv")
]


def _side(job: SyncJobRecord, side: Literal["a", "b"]) -> MoveSide:
    found = job.sides[side]
    return MoveSide(
        connection_id=found.connection_id, provider=found.provider, name=job.provider_name(side)
    )


def _move_view(job: SyncJobRecord) -> MoveView:
    return MoveView(
        move_id=job.job_id,
        name=job.name,
        source=_side(job, "a"),
        target=_side(job, "b"),
        all_playlists=job.all_playlists,
        playlists=[p.a_playlist_id for p in job.playlists if p.a_playlist_id],
        liked=job.liked,
        albums=job.albums,
        artists=job.artists,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


class MovesController(Controller):
    """Whole-library moves."""

    path = "/api/v1/moves"
    tags = ["moves"]

    async def _move(self, gateway: Gateway, move_id: str) -> SyncJobRecord:
        found = await gateway.ctx.store.get(
            "jobs", job_key(gateway.current_user(), move_id), SyncJobRecord
        )
        if found is None or not found.move:
            raise NotFoundException(f"no move {move_id}")
        return found

    @post("/", status_code=201, summary="Make a move (or change the one between these two)")
    async def make_move(
        self, gateway: NamedDependency[Gateway], data: JSONBody[MoveDocument]
    ) -> MoveView:
        """A move from one connection to another; made again for the same two, it is the
        same move (so its next run finds what the last one moved, and moves the rest)."""
        user_id = gateway.current_user()
        source = await _connection(gateway, user_id, data.source_connection_id)
        target = await _connection(gateway, user_id, data.target_connection_id)
        refused = await unsupported_sets(gateway, source.provider, target.provider, "a_to_b")
        albums = data.albums if data.albums is not None else "albums" not in refused
        artists = data.artists if data.artists is not None else "artists" not in refused
        if not (data.playlists is None or data.playlists) and not (data.liked or albums or artists):
            raise ValidationException("choose what to move: playlists, liked, albums or artists")
        jobs = await gateway.ctx.store.values("jobs", f"{user_id}.*", SyncJobRecord)
        existing = next(
            (
                j
                for j in jobs
                if j.move
                and j.sides["a"].connection_id == data.source_connection_id
                and j.sides["b"].connection_id == data.target_connection_id
            ),
            None,
        )
        document = JobDocument(
            name="Move",
            a_connection_id=data.source_connection_id,
            b_connection_id=data.target_connection_id,
            direction="a_to_b",
            all_playlists=data.playlists is None,
            playlists=[PlaylistPair(a_playlist_id=p) for p in data.playlists or []],
            liked=data.liked,
            albums=albums,
            artists=artists,
            # A move adds to the target and takes nothing away from either side.
            options=SyncOptions(propagate_removals=False),
        )
        job_id = existing.job_id if existing else new_id()
        job = await _job_record(
            gateway,
            user_id,
            document,
            job_id,
            existing.created_at if existing else None,
            move=True,
        )
        job = msgspec.structs.replace(
            job, name=f"Move from {job.provider_name('a')} to {job.provider_name('b')}"
        )
        partners = await _partners(gateway, job) if existing else []
        await _no_silent_copies(gateway, job, partners)
        await gateway.ctx.store.put("jobs", job_key(user_id, job_id), job)
        view = _move_view(job)
        view.left_out = [
            f"{why}: left out"
            for kind, why in refused.items()
            if getattr(data, kind) is None and not getattr(job, kind)
        ]
        return view

    @get("/", summary="Your moves")
    async def list_moves(self, gateway: NamedDependency[Gateway]) -> list[MoveView]:
        jobs = await gateway.ctx.store.values("jobs", f"{gateway.current_user()}.*", SyncJobRecord)
        return [_move_view(j) for j in sorted(jobs, key=lambda j: j.created_at) if j.move]

    @get("/{move_id:str}", summary="A move")
    async def get_move(self, gateway: NamedDependency[Gateway], move_id: Id) -> MoveView:
        return _move_view(await self._move(gateway, move_id))

    @post("/{move_id:str}/runs", status_code=202, summary="Preview (dry_run) or run a move")
    async def run_move(
        self,
        gateway: NamedDependency[Gateway],
        move_id: Id,
        data: JSONBody[RunRequest | None] = None,
    ) -> Response[MoveRunAccepted]:
        job = await self._move(gateway, move_id)
        dry_run = bool(data and data.dry_run)
        run_id = await start_run(gateway, job, dry_run=dry_run)
        url = f"/api/v1/moves/{move_id}/runs/{run_id}"
        return Response(
            MoveRunAccepted(
                move_id=move_id,
                run_id=run_id,
                status="pending",
                dry_run=dry_run,
                url=url,
                events=f"/api/v1/sync/runs/{run_id}/events",
                report=f"{url}/report",
            ),
            status_code=202,
            headers={"Location": url},
        )

    async def _run(self, gateway: Gateway, job: SyncJobRecord, run_id: str) -> SyncRunRecord:
        found = await gateway.ctx.store.get(
            "sync_runs", sync_run_key(job.user_id, run_id), SyncRunRecord
        )
        if found is None or found.job_id != job.job_id:
            raise NotFoundException(f"no run {run_id} of this move")
        return found

    async def _lines(
        self, gateway: Gateway, job: SyncJobRecord, run: SyncRunRecord
    ) -> list[ReportLine]:
        if run.phase not in ("planning", "applying", "done"):
            return []
        stored = await gateway.ctx.store.get_object("sync_plans", f"{run.user_id}.{run.run_id}")
        if stored is None:
            return []
        plan = msgspec.msgpack.decode(stored, type=SyncPlan)
        not_synced = await in_words(gateway, run.user_id, plan.not_synced)
        return report_lines(plan.moved, _named(job, not_synced), run.dry_run)

    @get("/{move_id:str}/runs/{run_id:str}", summary="A move's run, counted per kind")
    async def get_move_run(
        self, gateway: NamedDependency[Gateway], move_id: Id, run_id: Id
    ) -> MoveRunView:
        job = await self._move(gateway, move_id)
        run = await self._run(gateway, job, run_id)
        lines = await self._lines(gateway, job, run)
        url = f"/api/v1/moves/{move_id}/runs/{run_id}/report"
        return MoveRunView(
            run_id=run.run_id,
            move_id=move_id,
            status=run.status,
            phase=run.phase,
            dry_run=run.dry_run,
            created_at=run.created_at,
            finished_at=run.finished_at,
            progress=_progress(run, job),
            kinds=counts_per_kind(lines, _collections(run)),
            not_moved_total=sum(1 for line in lines if line.status == "not moved"),
            notes=run.notes,
            error=run.error,
            report_csv=f"{url}?format=csv",
            report_json=f"{url}?format=json",
        )

    @get("/{move_id:str}/runs/{run_id:str}/report", summary="A move's report (JSON or CSV)")
    async def move_report(
        self,
        gateway: NamedDependency[Gateway],
        move_id: Id,
        run_id: Id,
        format: ReportFormat = "json",
    ) -> Response[bytes]:
        """Every item moved and every item not moved, with the reason and the action left;
        as a file to keep (``Content-Disposition: attachment``)."""
        job = await self._move(gateway, move_id)
        run = await self._run(gateway, job, run_id)
        lines = await self._lines(gateway, job, run)
        stamp = (run.finished_at or utcnow()).strftime("%Y-%m-%d")
        filename = f"tunebridge-move-{stamp}-{run_id[:8]}.{format}"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if format == "csv":
            return Response(
                as_csv(lines).encode(), media_type="text/csv; charset=utf-8", headers=headers
            )
        report = MoveReport(
            move_id=move_id,
            run_id=run_id,
            source=job.provider_name("a"),
            target=job.provider_name("b"),
            status=run.status,
            dry_run=run.dry_run,
            finished_at=run.finished_at,
            kinds=counts_per_kind(lines, _collections(run)),
            items=lines,
        )
        return Response(msgspec.json.encode(report), media_type="application/json", headers=headers)

    @post(
        "/{move_id:str}/both-ways",
        status_code=200,
        summary="Keep both services in step from now on: the move becomes a both-ways job",
    )
    async def both_ways(self, gateway: NamedDependency[Gateway], move_id: Id) -> JobView:
        """The move's job syncs both ways from now on, with the same pairs (the playlists
        it made, the liked songs, albums and artists it matched); changes on either
        service travel to the other, removals too (only those made since the last run)."""
        job = await self._move(gateway, move_id)
        # What the source's service cannot keep (a Plex library's albums, say) stays one
        # way no longer: it is left out of the job that writes both ways.
        refused = await unsupported_sets(
            gateway, job.sides["a"].provider, job.sides["b"].provider, "both"
        )
        both = msgspec.structs.replace(
            job,
            direction="both",
            move=False,
            albums=job.albums and "albums" not in refused,
            artists=job.artists and "artists" not in refused,
            name=f"{job.provider_name('a')} and {job.provider_name('b')} in step",
            options=msgspec.structs.replace(job.options, propagate_removals=True),
            updated_at=utcnow(),
        )
        await gateway.ctx.store.put("jobs", job_key(job.user_id, job.job_id), both)
        return _job_view(both, await _partners(gateway, both))


def _named(job: SyncJobRecord, lines: list[NotSynced]) -> list[NotSynced]:
    """Reasons that name a service by its key ("no match found on deezer") name it as
    people know it ("… on Deezer")."""
    names = {
        f" on {found.provider}": f" on {job.provider_name(side)}"
        for side, found in job.sides.items()
    }
    named = []
    for line in lines:
        reason = line.reason
        for key, name in names.items():
            if reason.endswith(key):
                reason = reason.removesuffix(key) + name
        named.append(
            msgspec.structs.replace(line, reason=reason) if reason != line.reason else line
        )
    return named


def _collections(run: SyncRunRecord) -> dict[str, int]:
    """How many pairs of each kind a run has (its playlists, say)."""
    found: dict[str, int] = {}
    for pair in run.pairs:
        found[pair.kind] = found.get(pair.kind, 0) + 1
    return found
