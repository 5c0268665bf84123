"""Sync: jobs, their runs (dry run or real), each run's plan and report, and the review
queue of uncertain matches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

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
from services.gateway.api.inputs import Label
from services.gateway.api.live import follow
from services.gateway.api.owned import recorded
from services.gateway.api.profiles import ProfileName, profile_named
from services.gateway.domain.playlist_links import playlist_url
from services.gateway.records import UserRecord
from services.kernel.contracts import (
    Event,
    ReviewDecided,
    ReviewDecision,
    RunProgressed,
    ScoredCandidate,
    SyncJobDeleted,
    SyncRunCancelRequested,
    SyncRunRequested,
    Track,
    new_id,
    utcnow,
)
from services.kernel.records import (
    NOT_IN_LIBRARY,
    NOT_ON_SERVICE,
    ConnectionRecord,
    JobSide,
    NotSynced,
    PlaylistPair,
    ReviewRecord,
    ScheduleRecord,
    ShownTrack,
    Side,
    SyncDirection,
    SyncJobRecord,
    SyncOptions,
    SyncPairState,
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
ENDED = ("planned", "completed", "partial", "failed", "cancelled")
#: Report lines per page of a run (``limit``); the total says how many there are in all.
DEFAULT_REPORT_LINES, MAX_REPORT_LINES = 500, 2000
ReportLimit = Annotated[
    int, QueryParameter(ge=1, le=MAX_REPORT_LINES, description="Report lines per page")
]
ReportCursor = Annotated[
    str | None,
    QueryParameter(pattern=r"^[0-9]{1,9}$", description="Where the page starts (a next_cursor)"),
]


class JobDocument(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A sync job: side A and side B (two connections), a direction, what, and how.

    Sync ``all_playlists`` (the ones a flowing side owns), chosen ``playlists`` pairs,
    ``liked`` songs, the ``recently_played`` history (kept as a playlist that only
    grows on the other side, which has no history to write), saved ``albums`` and
    followed ``artists``.
    """

    name: Label
    a_connection_id: ConnectionId
    b_connection_id: ConnectionId
    direction: Literal["a_to_b", "b_to_a", "both"] = "a_to_b"
    all_playlists: bool = False
    playlists: Annotated[list[PlaylistPair], msgspec.Meta(max_length=500)] = msgspec.field(
        default_factory=list
    )
    liked: bool = False
    recently_played: bool = False
    albums: bool = False
    artists: bool = False
    options: SyncOptions = msgspec.field(default_factory=SyncOptions)
    #: One of your quality profiles (``/quality-profiles``): the downloads this job's runs
    #: offer are held to it (none: the installation's).
    quality_profile: ProfileName | None = None


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
    quality_profile: str | None = None
    albums: bool = False
    artists: bool = False
    #: Made by the move flow (``/api/v1/moves``) and not yet turned into a both-ways job.
    move: bool = False
    #: Each playlist's current partner on the other side (what earlier runs paired it
    #: with, or made for it), for the editor to show.
    partners: list[PlaylistPair] = msgspec.field(default_factory=list)


def _job_view(job: SyncJobRecord, partners: list[PlaylistPair] | None = None) -> JobView:
    # The record minus its owner, each side's fields as the API has always named them.
    fields = msgspec.structs.asdict(job)
    for side, found in job.sides.items():
        fields[f"{side}_connection_id"] = found.connection_id
        fields[f"{side}_provider"] = found.provider
    view = msgspec.convert(fields, JobView)
    view.partners = partners or []
    return view


async def _partners(gateway: Gateway, job: SyncJobRecord) -> list[PlaylistPair]:
    """The playlist pairs earlier runs of ``job`` made or kept."""
    states = await gateway.ctx.store.values(
        "sync_pairs", f"{job.user_id}.{job.job_id}.*", SyncPairState
    )
    return [
        PlaylistPair(a_playlist_id=s.a_playlist_id, b_playlist_id=s.b_playlist_id)
        for s in states
        if s.a_playlist_id and s.b_playlist_id
    ]


async def _no_silent_copies(
    gateway: Gateway, job: SyncJobRecord, partners: list[PlaylistPair]
) -> None:
    """Refuse (409) a chosen playlist whose partner would be made where the other service
    already has a playlist of that name: the person chooses that one as its partner, or
    a second copy (``new_copy``). Checked again by every run, which waits for the choice."""
    known = {p.a_playlist_id for p in partners} | {p.b_playlist_id for p in partners}
    lonely = [
        (index, pair)
        for index, pair in enumerate(job.playlists)
        if not pair.new_copy
        and bool(pair.a_playlist_id) != bool(pair.b_playlist_id)
        and (pair.a_playlist_id or pair.b_playlist_id) not in known
    ]
    if not lonely:
        return
    sides = {side: found.connection_id for side, found in job.sides.items()}
    try:
        names = {
            side: {
                p.playlist_id: p.name
                for p in (await gateway.clients.list_playlists(job.user_id, cid)).playlists
            }
            for side, cid in sides.items()
        }
    except ServiceUnavailable:
        return  # the run checks again
    for index, pair in lonely:
        source: Side
        target: Side
        source, target = ("a", "b") if pair.a_playlist_id else ("b", "a")
        if job.direction not in ("both", f"{source}_to_{target}"):
            continue
        name = names[source].get(pair.a_playlist_id or pair.b_playlist_id or "")
        same = [i for i, n in names[target].items() if name and n.casefold() == name.casefold()]
        if same:
            raise ClientException(
                f"{job.provider_name(target)} already has a playlist called “{name}” "
                f"({same[0]}): choose it as the partner (playlists[{index}]."
                f"{target}_playlist_id), or set playlists[{index}].new_copy to make a second one",
                status_code=409,
            )


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
    #: ``playlist``, ``liked``, ``recent``, ``albums`` or ``artists``.
    kind: str = "playlist"
    add_to_a: int = 0
    remove_from_a: int = 0
    add_to_b: int = 0
    remove_from_b: int = 0
    conflicts: int = 0
    withheld_removals: dict[str, int] = msgspec.field(default_factory=dict)
    #: Each side's playlist on its service's own web player, where it has one.
    a_url: str | None = None
    b_url: str | None = None
    #: The first tracks of each change (``change`` names its list), as a person knows
    #: them; a cover only when its address is https (the page loads nothing else).
    tracks: list[ShownTrack] = msgspec.field(default_factory=list)


class RunProgress(msgspec.Struct, kw_only=True):
    """How far a run is within its phase: requests still unanswered (reads, match batches)
    and write batches confirmed out of those planned."""

    outstanding: int
    writes_done: int
    writes_total: int
    #: Playlists read so far (each side of each pair) of those to read, and the tracks
    #: they hold.
    playlists_read: int = 0
    playlists_to_read: int = 0
    tracks_read: int = 0
    #: Tracks sent to be matched on the other side (those no earlier run matched), and
    #: those answered so far: "matched 412 of 1,000".
    tracks_to_match: int = 0
    tracks_matched: int = 0
    #: The playlists being read or written right now (``"<name>" on <service>``).
    working_on: list[str] = msgspec.field(default_factory=list)
    #: Writes confirmed for each playlist being written, in the order of the pairs.
    playlists: list[PlaylistWrites] = msgspec.field(default_factory=list)


class PlaylistWrites(msgspec.Struct, kw_only=True):
    """The writes of one playlist on one side: ``done`` of ``total`` batches confirmed,
    and the tracks they add or remove: ``tracks_done`` of ``tracks_total``."""

    name: str
    service: str
    done: int
    total: int
    tracks_done: int = 0
    tracks_total: int = 0


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
    next_cursor: str | None = None


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


#: What a job's saved albums and followed artists need of each side: to read them (both
#: sides are read) and, where they are written, to save or follow.
_SET_NEEDS = {
    "albums": ("read_albums", "save_albums", "saved albums"),
    "artists": ("read_artists", "follow_artists", "followed artists"),
}


async def unsupported_sets(
    gateway: Gateway, a_provider: str, b_provider: str, direction: str
) -> dict[str, str]:
    """Why a job between these services cannot carry saved albums or followed artists,
    by kind, in a person's words (empty while the connectors do not answer: a run says)."""
    try:
        listed = (await gateway.clients.providers("")).providers
    except ServiceUnavailable:
        return {}
    known = {p.name: (p.display_name, set(p.capabilities)) for p in listed}
    receiving = {"a_to_b": ("b",), "b_to_a": ("a",)}.get(direction, ("a", "b"))
    found: dict[str, str] = {}
    for kind, (read, write, shown) in _SET_NEEDS.items():
        for side, provider in (("a", a_provider), ("b", b_provider)):
            name, capabilities = known.get(provider, (provider, set()))
            if read not in capabilities:
                found[kind] = f"{name} cannot read {shown}"
            elif side in receiving and write not in capabilities:
                found[kind] = f"{name} cannot keep {shown}"
            if kind in found:
                break
    return found


async def _job_record(
    gateway: Gateway,
    user_id: str,
    data: JobDocument,
    job_id: str,
    created: datetime | None,
    move: bool = False,
) -> SyncJobRecord:
    if data.a_connection_id == data.b_connection_id:
        raise ValidationException("a job syncs two different connections")
    if not (
        data.all_playlists
        or data.playlists
        or data.liked
        or data.recently_played
        or data.albums
        or data.artists
    ):
        raise ValidationException(
            "choose what to sync: all_playlists, playlists, liked, recently_played, albums "
            "or artists"
        )
    if data.options.review_threshold > data.options.auto_threshold:
        raise ValidationException("review_threshold must not be above auto_threshold")
    for pair in data.playlists:
        if not (pair.a_playlist_id or pair.b_playlist_id):
            raise ValidationException("each pair names a playlist on at least one side")
    a = await _connection(gateway, user_id, data.a_connection_id)
    b = await _connection(gateway, user_id, data.b_connection_id)
    if data.albums or data.artists:
        refused = await unsupported_sets(gateway, a.provider, b.provider, data.direction)
        for kind in ("albums", "artists"):
            if getattr(data, kind) and kind in refused:
                raise ValidationException(f"{refused[kind]}: leave {kind} out of this job")
    await profile_named(gateway, user_id, data.quality_profile)  # a 400 unless it is yours
    try:
        shown = await gateway.clients.display_names()
        libraries = await gateway.clients.libraries()
    except ServiceUnavailable:
        shown, libraries = {}, set()  # the record's default: each key, capitalised
    library = {a.provider, b.provider} & libraries
    if data.options.playlist_files and libraries and not library:
        raise ValidationException("playlist_files needs a media server on one side of the job")
    user = await gateway.ctx.store.get("users", user_id, UserRecord)
    now = utcnow()
    connections: dict[Side, ConnectionRecord] = {"a": a, "b": b}
    return SyncJobRecord(
        job_id=job_id,
        user_id=user_id,
        owner=user.username if user else "",  # each user's playlist files apart
        name=data.name,
        sides={
            side: JobSide(
                connection_id=found.connection_id,
                provider=found.provider,
                name=shown.get(found.provider, ""),
                library=found.provider in libraries,
            )
            for side, found in connections.items()
        },
        direction=data.direction,
        all_playlists=data.all_playlists,
        playlists=data.playlists,
        liked=data.liked,
        recently_played=data.recently_played,
        albums=data.albums,
        artists=data.artists,
        move=move,
        options=data.options,
        quality_profile=data.quality_profile,
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
    """Ask the scheduler, who owns runs, for a run; its id, once the scheduler has recorded
    it (so the URL we answer with does not say "not found"), or after a few seconds of
    waiting for a scheduler that is down (it records the run when it is back)."""
    run_id = run_id or new_id()
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
    key = sync_run_key(job.user_id, run_id)
    await recorded(gateway.ctx.store, "sync_runs", key, SyncRunRecord, lambda r: r is not None)
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
        await _no_silent_copies(gateway, job, [])
        await gateway.ctx.store.create("jobs", job_key(user_id, job.job_id), job)
        return _job_view(job)

    @get("/jobs", summary="Your sync jobs")
    async def list_jobs(self, gateway: NamedDependency[Gateway]) -> list[JobView]:
        jobs = await gateway.ctx.store.values("jobs", f"{gateway.current_user()}.*", SyncJobRecord)
        return [_job_view(job) for job in sorted(jobs, key=lambda j: j.created_at)]

    @get("/jobs/{job_id:str}", summary="A sync job")
    async def get_job(self, gateway: NamedDependency[Gateway], job_id: Id) -> JobView:
        job = await self._job(gateway, job_id)
        return _job_view(job, await _partners(gateway, job))

    @put("/jobs/{job_id:str}", summary="Change a sync job (the pairs it made stay paired)")
    async def update_job(
        self, gateway: NamedDependency[Gateway], job_id: Id, data: JSONBody[JobDocument]
    ) -> JobView:
        existing = await self._job(gateway, job_id)
        user_id = gateway.current_user()
        job = await _job_record(
            gateway, user_id, data, job_id, existing.created_at, move=existing.move
        )
        if any(
            job.sides[side].connection_id != existing.sides[side].connection_id
            for side in ("a", "b")
        ):
            raise ValidationException("a job's connections cannot change; make a new job")
        partners = await _partners(gateway, job)
        await _no_silent_copies(gateway, job, partners)
        await gateway.ctx.store.put("jobs", job_key(user_id, job_id), job)
        return _job_view(job, partners)

    @delete("/jobs/{job_id:str}", status_code=204, summary="Delete a sync job")
    async def delete_job(self, gateway: NamedDependency[Gateway], job_id: Id) -> None:
        await self._job(gateway, job_id)
        user_id = gateway.current_user()
        store = gateway.ctx.store
        # The pairs' state is the scheduler's: it forgets it when told.
        await gateway.ctx.bus.publish(SyncJobDeleted(user_id=user_id, job_id=job_id))
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

    @get("/runs/{run_id:str}", summary="A sync run: progress, plan and a page of its report")
    async def get_run(
        self,
        gateway: NamedDependency[Gateway],
        run_id: Id,
        limit: ReportLimit = DEFAULT_REPORT_LINES,
        cursor: ReportCursor = None,
    ) -> SyncRunView:
        """The run, and the lines ``cursor`` (0 when absent) to ``cursor + limit`` of the
        tracks it did not sync; ``next_cursor`` asks for the next page (null after the last)."""
        run = await self._run(gateway, run_id)
        lines = range(int(cursor or 0), int(cursor or 0) + limit)
        return await _run_view(gateway, run, with_report=True, lines=lines)

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

        def wants(event: Event) -> bool:
            return (
                isinstance(event, RunProgressed) and event.kind == "sync" and event.run_id == run_id
            )

        return follow(gateway.events, run.user_id, wants, read, lambda view: view.status in ENDED)

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
        # The scheduler owns runs: it stops this one at its next step.
        await gateway.ctx.bus.publish(SyncRunCancelRequested(user_id=run.user_id, run_id=run_id))
        updated, _ = await recorded(
            gateway.ctx.store,
            "sync_runs",
            sync_run_key(run.user_id, run_id),
            SyncRunRecord,
            lambda r: r is None or r.cancel_requested or r.status in ENDED,
        )
        return await _run_view(gateway, updated or run, with_report=False)


#: How the scheduler reports a track it found no match for on the other side.
_NO_MATCH = "no match found on "


async def in_words(gateway: Gateway, user_id: str, lines: list[NotSynced]) -> list[NotSynced]:
    """A track with no match on a provider whose library is read (a media server) is
    simply not in the person's library: say so (the capability, not a list of names)."""
    if not any(line.reason.startswith(_NO_MATCH) for line in lines):
        return lines
    try:
        providers = (await gateway.clients.providers(user_id)).providers
    except ServiceUnavailable:
        return lines
    libraries = {p.name for p in providers if "scan_library" in p.capabilities}
    return [
        msgspec.structs.replace(line, reason=NOT_IN_LIBRARY)
        if line.reason.removeprefix(_NO_MATCH) in libraries and line.reason.startswith(_NO_MATCH)
        else line
        for line in lines
    ]


class PairCounts(msgspec.Struct, kw_only=True):
    """What the report needs of a pair's plan: how much it changes (each id left encoded;
    the pair's final states are not read at all)."""

    pair_key: str
    add_to_a: list[msgspec.Raw] = msgspec.field(default_factory=list)
    remove_from_a: list[msgspec.Raw] = msgspec.field(default_factory=list)
    add_to_b: list[msgspec.Raw] = msgspec.field(default_factory=list)
    remove_from_b: list[msgspec.Raw] = msgspec.field(default_factory=list)
    conflicts: int = 0
    withheld_removals: dict[str, int] = msgspec.field(default_factory=dict)
    shown: list[ShownTrack] = msgspec.field(default_factory=list)


class PlanReport(msgspec.Struct, kw_only=True):
    """A stored ``SyncPlan`` as a page of its report reads it: every line of the report left
    encoded until it is on the page asked for, so a long report is never decoded whole."""

    pairs: list[PairCounts] = msgspec.field(default_factory=list)
    not_synced: list[msgspec.Raw] = msgspec.field(default_factory=list)


async def _run_view(
    gateway: Gateway,
    run: SyncRunRecord,
    with_report: bool,
    lines: range = range(DEFAULT_REPORT_LINES),
) -> SyncRunView:
    plan = PlanReport()
    # For the services' names in the live detail ("2 of 4 batches written to Deezer").
    job = await gateway.ctx.store.get("jobs", job_key(run.user_id, run.job_id), SyncJobRecord)
    if with_report and run.phase in ("planning", "applying", "done"):
        stored = await gateway.ctx.store.get_object("sync_plans", f"{run.user_id}.{run.run_id}")
        if stored is not None:
            plan = msgspec.msgpack.decode(stored, type=PlanReport)
    by_key = {p.pair_key: p for p in plan.pairs}
    services = await _side_services(gateway, run.user_id, job)
    pairs = []
    for index, pair in enumerate(run.pairs):
        made = {side: run.chains.get(f"{index}.{side}") for side in ("a", "b")}
        ids = {
            side: found.playlist_id or (chain.playlist_id if (chain := made[side]) else None)
            for side, found in pair.sides.items()
        }
        summary = PairSummary(
            name=pair.name, kind=pair.kind, a_playlist_id=ids["a"], b_playlist_id=ids["b"]
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
            summary.tracks = [shown_safely(track) for track in planned.shown]
        summary.a_url = playlist_url(services["a"], summary.a_playlist_id)
        summary.b_url = playlist_url(services["b"], summary.b_playlist_id)
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
        progress=_progress(run, job),
        pairs=pairs,
        not_synced=await in_words(
            gateway,
            run.user_id,
            [
                msgspec.msgpack.decode(line, type=NotSynced)
                for line in plan.not_synced[lines.start : lines.stop]
            ],
        ),
        next_cursor=str(lines.stop) if lines.stop < len(plan.not_synced) else None,
        # Lists leave the report out; its size is in the run's counts.
        not_synced_total=len(plan.not_synced) if with_report else run.counts.get("not_synced", 0),
        notes=run.notes,
        error=run.error,
    )


def shown_safely(track: ShownTrack) -> ShownTrack:
    """``track`` with its cover only when the address is https: a page never loads an
    image over plain http, nor a ``javascript:`` or ``data:`` address a provider sent."""
    if track.artwork_url is None:
        return track
    try:
        address = urlsplit(track.artwork_url)
        safe = address.scheme == "https" and bool(address.hostname)
    except ValueError:  # not an address at all
        safe = False
    return track if safe else msgspec.structs.replace(track, artwork_url=None)


async def _side_services(
    gateway: Gateway, user_id: str, job: SyncJobRecord | None
) -> dict[str, str]:
    """The provider of each side of ``job`` ("" when it is gone)."""
    found = {"a": "", "b": ""}
    if job is None:
        return found
    for side, connection_id in ((s, found.connection_id) for s, found in job.sides.items()):
        record = await gateway.ctx.store.get(
            "connections", connection_key(user_id, connection_id), ConnectionRecord
        )
        found[side] = record.provider if record else ""
    return found


def _progress(run: SyncRunRecord, job: SyncJobRecord | None) -> RunProgress:
    snapshots = [s.snapshot for p in run.pairs for s in p.sides.values() if s.snapshot is not None]
    sides: tuple[Side, ...] = ("a", "b")

    def service(side: Side) -> str:
        return job.provider_name(side) if job else ""

    writes = [
        (
            PlaylistWrites(
                name=pair.name,
                service=service(side),
                done=chain.done,
                total=chain.steps,
                tracks_done=sum(chain.sizes[: chain.done]),
                tracks_total=sum(chain.sizes),
            ),
            chain,
        )
        for index, pair in enumerate(run.pairs)
        for side in sides
        if (chain := run.chains.get(f"{index}.{side}")) is not None and chain.steps
    ]
    to_read = [(pair, side) for pair in run.pairs for side in pair.read_sides()]
    # A pair left out after one side was read still counts that read.
    read_then_left = sum(
        1 for p in run.pairs if p.skipped for s in p.sides.values() if s.snapshot is not None
    )
    if run.status in ENDED:
        working_on = []
    elif run.phase == "reading":
        working_on = [
            f"“{pair.name}” on {service(side)}"
            for pair, side in to_read
            if pair.sides[side].snapshot is None
        ]
    elif run.phase == "applying":
        working_on = [f"“{w.name}” on {w.service}" for w, chain in writes if not chain.finished]
    else:
        working_on = []
    return RunProgress(
        outstanding=len(run.waiting),
        writes_done=sum(c.done for c in run.chains.values()),
        writes_total=sum(c.steps for c in run.chains.values()),
        playlists_read=len(snapshots),
        playlists_to_read=len(to_read) + read_then_left,
        tracks_read=sum(s.track_count for s in snapshots),
        tracks_to_match=run.tracks_to_match,
        tracks_matched=run.tracks_matched,
        working_on=working_on,
        playlists=[w for w, _ in writes],
    )


def _review_view(review: ReviewRecord) -> ReviewView:
    return msgspec.convert(review, ReviewView, from_attributes=True)


def _decision(
    review: ReviewRecord, decision: ReviewDecision, candidate_id: str | None
) -> ReviewDecided:
    """The command recording a decision, checked: the scheduler, who owns review items,
    makes it a mapping every later run honours (skip: no mapping, and the item stays, so
    the track is not asked about again); a conflict's answer is kept on the item for the
    next run of its job."""
    if (review.kind == "conflict") != (decision in CONFLICT_DECISIONS):
        raise ValidationException(
            f"a {review.kind} is decided with "
            + (
                " or ".join(CONFLICT_DECISIONS)
                if review.kind == "conflict"
                else "accept, choose, skip or not_on_service"
            )
        )
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
    return ReviewDecided(
        user_id=review.user_id,
        review_id=review.review_id,
        decision=decision,
        chosen_id=target if review.kind == "match" else None,
    )


def _answers(command: ReviewDecided) -> Callable[[ReviewRecord | None], bool]:
    """Whether an item holds ``command``'s answer (or a later one), or is gone."""
    return lambda r: r is None or (r.decided_at is not None and r.decided_at >= command.decided_at)


async def _decided(gateway: Gateway, commands: list[ReviewDecided]) -> list[ReviewRecord]:
    """Send decisions to the scheduler; the items as it has recorded them (a moment later:
    an item it has not recorded yet is still pending, and will be decided when it is)."""
    for command in commands:
        await gateway.ctx.bus.publish(command)
    items = []
    for command in commands:
        item, _ = await recorded(
            gateway.ctx.store,
            "reviews",
            review_key(command.user_id, command.review_id),
            ReviewRecord,
            _answers(command),
        )
        if item is not None:
            items.append(item)
    return items


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
        # An album or an artist is searched for as one (``q``: its title or name).
        query = Track(title=q, entity=review.source.entity) if q else review.source
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
            if error.code().name in ("INVALID_ARGUMENT", "NOT_FOUND", "UNIMPLEMENTED"):
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
    ) -> Response[ReviewView]:
        """200 with the decided item; 202 with it still pending when the scheduler has not
        recorded the decision within a few seconds (it will when it is back)."""
        review = await self._review(gateway, review_id)
        command = _decision(review, data.decision, data.candidate_id)
        found = await _decided(gateway, [command])
        item = found[0] if found else review
        applied = _answers(command)(item)
        return Response(_review_view(item), status_code=200 if applied else 202)

    @post("/decisions", status_code=200, summary="Decide many review items at once")
    async def decide_many(
        self, gateway: NamedDependency[Gateway], data: JSONBody[BulkDecision]
    ) -> BulkDecided:
        user_id = gateway.current_user()
        commands, missing = [], []
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
            commands.append(_decision(review, data.decision, None))
        await _decided(gateway, commands)
        return BulkDecided(decided=len(commands), not_found=missing)
