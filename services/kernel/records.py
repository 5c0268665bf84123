"""Records kept in the key-value store, shared by the service that writes them and the
gateway that reads them. Every record names its user; keys start with the user id."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from services.kernel.contracts import (
    MatchOutcome,
    MissKind,
    PickedResult,
    PlannedDownload,
    PlaylistRef,
    QualityProfileSpec,
    ReviewDecision,
    ScoredCandidate,
    SnapshotRef,
    Track,
    utcnow,
)

RunStatus = Literal["pending", "running", "completed", "failed"]


class RunRecord(msgspec.Struct, kw_only=True):
    """The header of a run: where it stands, and which batches have come back.

    Batch results live in their own keys (``BatchRecord``) so that writers of different
    batches never contend for this record. The library is made of parts (the folder, a
    media server): each part's snapshot arrives on its own, then one merged ``library``.
    """

    run_id: str
    user_id: str
    kind: Literal["missing_tracks"] = "missing_tracks"
    status: RunStatus = "pending"
    folder: str = ""
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)
    finished_at: datetime | None = None
    playlist: SnapshotRef | None = None
    library: SnapshotRef | None = None
    library_parts: list[str] = msgspec.field(default_factory=lambda: ["folder"])
    library_refs: dict[str, SnapshotRef] = msgspec.field(default_factory=dict)
    unreachable: list[str] = msgspec.field(default_factory=list)
    batch_count: int | None = None
    matched_batches: list[int] = msgspec.field(default_factory=list)
    #: Tracks of the playlist compared with the library so far (those of matched batches).
    tracks_matched: int = 0
    planned_batches: list[int] = msgspec.field(default_factory=list)
    notes: list[str] = msgspec.field(default_factory=list)
    error: str | None = None


class BatchRecord(msgspec.Struct, kw_only=True):
    """What one batch of a run produced: match outcomes, then the download plan."""

    run_id: str
    user_id: str
    batch_index: int
    outcomes: list[MatchOutcome] = msgspec.field(default_factory=list)
    plan: list[PlannedDownload] | None = None


ConnectionStatus = Literal["connected", "needs_reauthorisation"]


class ConnectionRecord(msgspec.Struct, kw_only=True):
    """A user's account at a provider. Tokens are only ever stored encrypted.

    Attributes:
        client_id: The provider app the tokens belong to (users may bring their own:
            a Spotify development-mode app serves five users).
        server_url: For self-hosted providers (Plex), where the server is.
        tokens: ``SecretBox`` ciphertext of the token JSON, bound to the connection id.
        message: Why the connection needs attention, for a person.
    """

    connection_id: str
    user_id: str
    provider: str
    status: ConnectionStatus = "connected"
    account_id: str | None = None
    display_name: str | None = None
    client_id: str | None = None
    server_url: str | None = None
    tokens: str | None = None
    scopes: list[str] = msgspec.field(default_factory=list)
    message: str | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)


DownloadStatus = Literal[
    "queued",
    "searching",
    "downloading",
    "done",
    "already_there",
    "review",
    "failed",
    "cancelled",
]


class QualityProfileRecord(msgspec.Struct, kw_only=True):
    """A user's named quality profile (bucket ``quality_profiles``, key ``user.name-id``)."""

    user_id: str
    profile: QualityProfileSpec
    updated_at: datetime = msgspec.field(default_factory=utcnow)


def profile_key(user_id: str, name: str) -> str:
    """A profile's key: its name as hex, since a name holds characters keys may not."""
    return f"{user_id}.{name.encode().hex()}"


class DownloadRecord(msgspec.Struct, kw_only=True):
    """A download, from request to its end; ``cancel_requested`` is set by whoever cancels.
    ``item``, ``audio_format`` and ``plain`` are what was asked, so it can be retried."""

    download_id: str
    user_id: str
    title: str
    target_path: str
    item: PlannedDownload | None = None
    audio_format: str | None = None
    plain: bool = False
    attempts: int = 1
    status: DownloadStatus = "queued"
    percent: float | None = None
    path: str | None = None
    place: Literal["library", "downloads"] = "library"
    source_url: str | None = None
    #: The audio source it comes from (``youtube``, ``soulseek``), once one is chosen.
    source: str | None = None
    #: While it downloads: bytes so far, of ``size_bytes`` (when the source says), and
    #: the speed (bytes a second); the bytes and size stay once it is done.
    downloaded_bytes: int | None = None
    size_bytes: int | None = None
    speed_bps: float | None = None
    reason: str | None = None
    miss: MissKind | None = None  # why it was missed, grouped (see ``DownloadFinished``)
    profile: QualityProfileSpec | None = None
    query: str | None = None  # a search a person wrote for it (a retry with an edited query)
    album_folder: bool = False  # album mode: from one album folder with its album's others
    #: The album hand-off (to Lidarr) it is part of, instead of a download of its own.
    handoff: str | None = None
    #: The audio search result a person picked for it: a retry fetches it again (while the
    #: search is kept) rather than searching afresh; a retry with a query of its own does.
    pick: PickedResult | None = None
    cancel_requested: bool = False
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)


class ServiceStatus(msgspec.Struct, kw_only=True):
    """A service instance's heartbeat; the gateway's health aggregates these."""

    service: str
    instance: str
    ready: bool
    pid: int
    started_at: datetime
    at: datetime
    version: str = "0"
    detail: dict[str, str] = msgspec.field(default_factory=dict)


# --- sync -----------------------------------------------------------------------------------

Confidence = Annotated[float, msgspec.Meta(ge=0, le=1)]
PlaylistId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
SyncDirection = Literal["a_to_b", "b_to_a", "both"]
ConflictPolicy = Literal["skip", "source-wins", "merge", "ask"]
Side = Literal["a", "b"]


class SyncOptions(msgspec.Struct, kw_only=True):
    """How a job syncs (see the README's sync semantics).

    Attributes:
        policy: How a conflict (removed on one side, added on the other) is settled.
        prefer: The side whose action wins under ``source-wins``.
        propagate_removals: Whether removals travel at all.
        max_removals: Most removals one run may make on one side; more are all withheld.
        auto_threshold: Match confidence at or above which a match is taken without asking.
        review_threshold: Confidence at or above which a person is asked; below, unmatched.
        playlist_files: After each real run, keep an M3U8 of each playlist synced with a
            media server in the library folder (paths relative to it), rewritten as the
            run's downloads land.
    """

    policy: ConflictPolicy = "ask"
    prefer: Side = "a"
    propagate_removals: bool = True
    # Bounded as a 64-bit integer: the store's MessagePack holds no larger one.
    max_removals: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] | None = 100
    auto_threshold: Confidence = 0.9
    review_threshold: Confidence = 0.3
    playlist_files: bool = False


class PlaylistPair(msgspec.Struct, kw_only=True):
    """Two playlists kept in step, paired by id; a missing id is created on the first run."""

    a_playlist_id: PlaylistId | None = None
    b_playlist_id: PlaylistId | None = None
    #: Make the missing side even when the other service already has a playlist of the
    #: same name (without it, such a pair waits for a choice instead).
    new_copy: bool = False


class JobSide(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One side of a sync job: a connection and what its service is.

    Attributes:
        connection_id: The connection.
        provider: Its provider's key.
        name: Its service as people know it ("YouTube Music"), from the connectors'
            registry when the job was saved; empty in older records (see
            ``SyncJobRecord.provider_name``).
        library: Whether it is a library (a media server: Subsonic, Jellyfin, Plex), whose
            search finds only what the person has; from the registry when saved.
    """

    connection_id: str
    provider: str
    name: str = ""
    library: bool = False


class SyncJobRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A sync job: two connections, a direction, what to sync and how.

    Written with ``sides`` only; a record stored before (with ``a_connection_id``... and
    no ``sides``) decodes to the same job, its sides made from those fields.

    Attributes:
        sides: Each side (``a``, ``b``) of the job.
        all_playlists: Every playlist the source side owns (both sides' in a both-ways
            job), each paired with one of its own on the other side.
        playlists: Chosen pairs (used when ``all_playlists`` is false).
        liked: Whether liked songs are synced too.
        recently_played: Whether each flowing side's listening history is kept, as a
            playlist that only grows, on the other side ("Recently played on <service>").
        albums: Whether saved albums are synced too (matched as albums).
        artists: Whether followed artists are synced too (matched as artists).
        move: A whole-library move (made by the move flow, run one way, A to B): shown as
            a move, and turned into a both-ways job with the same pairs when asked.
    """

    job_id: str
    user_id: str
    name: str
    sides: dict[Side, JobSide] = msgspec.field(default_factory=dict)
    #: The user's name when the job was saved: the folder of its playlist files.
    owner: str = ""
    direction: SyncDirection = "a_to_b"
    all_playlists: bool = False
    playlists: list[PlaylistPair] = msgspec.field(default_factory=list)
    liked: bool = False
    recently_played: bool = False
    albums: bool = False
    artists: bool = False
    move: bool = False
    options: SyncOptions = msgspec.field(default_factory=SyncOptions)
    #: The name of one of the user's quality profiles: the downloads its runs offer (the
    #: tracks not in a media server's library) are held to it unless asked otherwise.
    quality_profile: str | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)
    # Older records' sides (read, never written: ``sides`` is made of them).
    a_connection_id: str | None = None
    a_provider: str | None = None
    b_connection_id: str | None = None
    b_provider: str | None = None
    a_provider_name: str | None = None
    b_provider_name: str | None = None
    a_library: bool | None = None
    b_library: bool | None = None

    def __post_init__(self) -> None:
        if not self.sides and self.a_connection_id and self.b_connection_id:
            self.sides = {
                "a": JobSide(
                    connection_id=self.a_connection_id,
                    provider=self.a_provider or "",
                    name=self.a_provider_name or "",
                    library=bool(self.a_library),
                ),
                "b": JobSide(
                    connection_id=self.b_connection_id,
                    provider=self.b_provider or "",
                    name=self.b_provider_name or "",
                    library=bool(self.b_library),
                ),
            }
        if set(self.sides) != {"a", "b"}:
            raise ValueError("a sync job has two sides, a and b")
        self.a_connection_id = self.a_provider = self.a_provider_name = self.a_library = None
        self.b_connection_id = self.b_provider = self.b_provider_name = self.b_library = None

    def provider_name(self, side: Side) -> str:
        """One side's service as people know it (its key, capitalised, in older jobs)."""
        found = self.sides[side]
        return found.name or found.provider.capitalize()


class SyncPairState(msgspec.Struct, kw_only=True):
    """What the last confirmed run left a pair as: the playlists' ids on both sides and
    the name of the base (both sides' track ids) that the next three-way diff starts from.
    """

    pair_key: str
    name: str
    a_playlist_id: str | None = None
    b_playlist_id: str | None = None
    base: str | None = None
    synced_at: datetime | None = None

    def playlist_id(self, side: Side) -> str | None:
        """One side's playlist."""
        return self.a_playlist_id if side == "a" else self.b_playlist_id


#: A mapping's target meaning "a person said: this recording is not on that service".
NOT_ON_SERVICE = "-"


ReviewStatus = Literal["pending", "decided", "skipped"]


class ReviewRecord(msgspec.Struct, kw_only=True):
    """A question for a person.

    ``match``: an uncertain match, the source track and its candidates; one per source
    track and target provider, whichever job or run asked: a decision is a mapping every
    later run honours. ``conflict``: a recording removed on one side (``removed_on``) and
    added on the other since the last sync of a pair, under the policy ``ask``; ``keep``
    puts it back where it was removed, ``remove`` takes it from where it was added, once.
    """

    review_id: str
    user_id: str
    job_id: str
    run_id: str
    from_provider: str
    to_provider: str
    source: Track
    candidates: list[ScoredCandidate] = msgspec.field(default_factory=list)
    to_connection_id: str = ""  # the account to search as, for more candidates
    kind: Literal["match", "conflict"] = "match"
    pair_key: str = ""
    removed_on: Side | None = None
    a_id: str = ""
    b_id: str = ""
    status: ReviewStatus = "pending"
    decision: ReviewDecision | None = None
    chosen_id: str | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    decided_at: datetime | None = None


#: ``partial``: the run ended, but not every planned write was confirmed (or a playlist
#: could not be read); its report says which tracks and why.
SyncRunStatus = Literal[
    "pending", "running", "planned", "completed", "partial", "failed", "cancelled"
]
SyncPhase = Literal["listing", "reading", "matching", "planning", "applying", "done"]


#: What a pair syncs: a playlist, liked songs, a listening history, saved albums or
#: followed artists (the last three are sets of a library, not playlists).
PairKind = Literal["playlist", "liked", "recent", "albums", "artists"]
#: Pairs that are a library's set (no playlist to make): liked songs, albums, artists.
SET_KINDS = ("liked", "albums", "artists")


class PairSide(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One side of a pair within a run: its playlist (None: not made yet, or the side's
    library set: liked songs, albums, artists, or its history) and what it held when read
    (None: not read yet)."""

    playlist_id: str | None = None
    snapshot: SnapshotRef | None = None


class PairRun(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One pair within a run: what each side held when read. A ``recent`` pair copies the
    listening history of ``history_side`` into a playlist on the other side.

    ``sides`` holds both sides (``a`` and ``b``); a record stored before (``a_playlist_id``...
    and no ``sides``) decodes to the same pair; records are written with ``sides`` only.
    """

    pair_key: str
    name: str
    kind: PairKind = "playlist"
    history_side: Side | None = None
    sides: dict[Side, PairSide] = msgspec.field(default_factory=dict)
    #: Why this pair is left out of the run (a playlist that could not be read, a name
    #: already taken on the other service), in a person's words.
    skipped: str | None = None
    #: The side whose copy was deleted since the last run: it is made again and filled.
    remade: Side | None = None
    # Older records' sides (read, never written: ``sides`` is made of them).
    a_playlist_id: str | None = None
    b_playlist_id: str | None = None
    a_snapshot: SnapshotRef | None = None
    b_snapshot: SnapshotRef | None = None

    def __post_init__(self) -> None:
        if not self.sides:
            self.sides = {
                "a": PairSide(playlist_id=self.a_playlist_id, snapshot=self.a_snapshot),
                "b": PairSide(playlist_id=self.b_playlist_id, snapshot=self.b_snapshot),
            }
        else:
            self.sides = {"a": PairSide(), "b": PairSide(), **self.sides}
        self.a_playlist_id = self.b_playlist_id = self.a_snapshot = self.b_snapshot = None

    def with_side(self, side: Side, **change: Any) -> PairRun:
        """The same pair with one side changed (``playlist_id``, ``snapshot``)."""
        changed = msgspec.structs.replace(self.sides[side], **change)
        return msgspec.structs.replace(self, sides={**self.sides, side: changed})

    def read_sides(self) -> list[Side]:
        """The sides a run reads (each that exists); none for a pair left out."""
        if self.skipped:
            return []
        sides: tuple[Side, Side] = ("a", "b")
        return [
            side
            for side in sides
            if self.kind in SET_KINDS or self.history_side == side or self.sides[side].playlist_id
        ]


class WriteChain(msgspec.Struct, kw_only=True):
    """The writes to one side of one pair, sent one after another (order matters)."""

    steps: int
    done: int = 0
    playlist_id: str | None = None
    error: str | None = None
    #: Tracks each step adds or removes (empty in older records).
    sizes: list[int] = msgspec.field(default_factory=list)
    #: The refused step's adds that the provider accepted but did not keep (the rest of
    #: its adds landed); empty: the whole step is not done.
    unconfirmed: list[str] = msgspec.field(default_factory=list)

    @property
    def finished(self) -> bool:
        """True when it has nothing more to send (every step confirmed, or one refused)."""
        return self.error is not None or self.done >= self.steps


class SyncRunRecord(msgspec.Struct, kw_only=True):
    """A sync run: where it stands, what it waits for, and what it did.

    Attributes:
        listings: Each side's playlists, when the job syncs all of them.
        waiting: Request ids (reads, match batches) not yet answered in this phase.
        chains: Write chains by ``<pair index>.<side>``.
        counts: What the run did or (dry run) would do, by action.
    """

    run_id: str
    user_id: str
    job_id: str
    dry_run: bool = False
    trigger: str = "manual"
    status: SyncRunStatus = "pending"
    phase: SyncPhase = "listing"
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)
    finished_at: datetime | None = None
    listings: dict[str, list[PlaylistRef]] = msgspec.field(default_factory=dict)
    pairs: list[PairRun] = msgspec.field(default_factory=list)
    waiting: list[str] = msgspec.field(default_factory=list)
    match_batches: int = 0
    #: Tracks sent to the other side's catalog to be matched, and those answered so far.
    tracks_to_match: int = 0
    tracks_matched: int = 0
    #: Match requests whose catalog search was refused, and the refusal: their tracks are
    #: not synced this run (found again when it is planned); the rest of the run goes on.
    unsearched: dict[str, str] = msgspec.field(default_factory=dict)
    chains: dict[str, WriteChain] = msgspec.field(default_factory=dict)
    counts: dict[str, int] = msgspec.field(default_factory=dict)
    cancel_requested: bool = False
    notes: list[str] = msgspec.field(default_factory=list)
    error: str | None = None


#: Why a track found nowhere on a media server (its search is the person's library) was
#: not synced there.
NOT_IN_LIBRARY = "not in your library"


class NotSynced(msgspec.Struct, frozen=True, kw_only=True):
    """A track a run did not sync, and why (for the run report)."""

    pair: str
    side: Side
    title: str
    artists: tuple[str, ...] = ()
    provider_id: str | None = None
    reason: str
    review_id: str | None = None
    #: What a download of it needs besides its title and artists.
    album: str | None = None
    duration_ms: int | None = None
    #: The kind of its pair (``playlist``, ``liked``, ``albums``, ``artists``...).
    kind: str | None = None


class MovedItem(msgspec.Struct, frozen=True, kw_only=True):
    """An item of a one-way run's source that is on the target once the run is done:
    ``added`` by the run, or ``already_there`` (matched to what the target held).

    Attributes:
        pair: The pair's name ("Road trip", "Saved albums").
        kind: The pair's kind.
        source_id: The item's id on the source.
        target_id: Its counterpart's id on the target.
    """

    pair: str
    kind: str
    title: str
    artists: tuple[str, ...] = ()
    source_id: str
    target_id: str
    status: Literal["added", "already_there"]


class ShownTrack(msgspec.Struct, kw_only=True, frozen=True):
    """A track a pair's plan adds or removes, as the plan view shows it.

    Attributes:
        change: The list it is in: ``add_to_a``, ``remove_from_a``, ``add_to_b`` or
            ``remove_from_b``.
        track_id: Its id in that list (the target side's own).
        artwork_url: Its smallest cover (a thumbnail), as its provider gives it.
    """

    change: str
    track_id: str
    title: str
    artists: tuple[str, ...] = ()
    artwork_url: str | None = None


class PairPlan(msgspec.Struct, kw_only=True):
    """What a run does to one pair, and the state both sides end in once it is done."""

    pair_key: str
    name: str
    add_to_a: list[str] = msgspec.field(default_factory=list)
    remove_from_a: list[str] = msgspec.field(default_factory=list)
    add_to_b: list[str] = msgspec.field(default_factory=list)
    remove_from_b: list[str] = msgspec.field(default_factory=list)
    final_a: list[str] = msgspec.field(default_factory=list)
    final_b: list[str] = msgspec.field(default_factory=list)
    #: B's tracks in A's order, when B is a library the run reorders after its writes
    #: (a one-way sync into a media server: new tracks land in their places); empty when
    #: B is in that order already.
    order_b: list[str] = msgspec.field(default_factory=list)
    conflicts: int = 0
    withheld_removals: dict[str, int] = msgspec.field(default_factory=dict)
    settled_reviews: list[str] = msgspec.field(default_factory=list)  # answered conflicts used
    #: The first tracks of each change list, with what a person recognises them by.
    shown: list[ShownTrack] = msgspec.field(default_factory=list)

    def of(self, side: Side) -> tuple[list[str], list[str], list[str]]:
        """What the run writes to one side: ``(adds, removals, order)`` (an order only
        for B)."""
        if side == "a":
            return self.add_to_a, self.remove_from_a, []
        return self.add_to_b, self.remove_from_b, self.order_b


class SyncPlan(msgspec.Struct, kw_only=True):
    """A run's whole plan and report (kept in the ``sync_plans`` object store)."""

    pairs: list[PairPlan] = msgspec.field(default_factory=list)
    not_synced: list[NotSynced] = msgspec.field(default_factory=list)
    #: A one-way run's source items that are (or, planned dry, would be) on the target.
    moved: list[MovedItem] = msgspec.field(default_factory=list)


CatchUp = Literal["once", "skip"]


class ScheduleRecord(msgspec.Struct, kw_only=True):
    """When a job runs by itself: every ``interval_s`` seconds, or on a ``cron`` expression
    (in ``timezone``). The gateway's: a person's definition; where its firing stands is the
    scheduler's ``ScheduleFire``.

    Attributes:
        catch_up: What to do about fire times missed while Tunebridge was down: ``once``
            runs the job once on return, ``skip`` waits for the next time.
        since: When it was made or last resumed: its first fire is the first time after.
    """

    schedule_id: str
    user_id: str
    job_id: str
    interval_s: int | None = None
    cron: str | None = None
    timezone: str = "UTC"
    catch_up: CatchUp = "once"
    paused: bool = False
    since: datetime = msgspec.field(default_factory=utcnow)
    created_at: datetime = msgspec.field(default_factory=utcnow)


class ScheduleFire(msgspec.Struct, kw_only=True, frozen=True):
    """Where a schedule's firing stands: the scheduler's, shown by the gateway.

    Attributes:
        since: The definition's ``since`` this was worked out for: a resumed schedule's
            next time is worked out afresh.
        next_fire_at: The next time it fires.
    """

    since: datetime
    next_fire_at: datetime
    last_fired_at: datetime | None = None
    last_run_id: str | None = None
    last_note: str | None = None


def schedule_key(user_id: str, schedule_id: str) -> str:
    """Key of a schedule."""
    return f"{user_id}.{schedule_id}"


def job_key(user_id: str, job_id: str) -> str:
    """Key of a sync job."""
    return f"{user_id}.{job_id}"


def sync_run_key(user_id: str, run_id: str) -> str:
    """Key of a sync run."""
    return f"{user_id}.{run_id}"


def sync_pair_key(user_id: str, job_id: str, pair_key: str) -> str:
    """Key of a synced pair's state."""
    return f"{user_id}.{job_id}.{pair_key}"


def review_key(user_id: str, review_id: str) -> str:
    """Key of a review item."""
    return f"{user_id}.{review_id}"


#: What a pair of each kind holds: recordings, or (saved albums, followed artists) the
#: album and artist records whose ids live apart from the tracks'.
KIND_ENTITY: dict[str, str] = {"albums": "album", "artists": "artist"}


def id_space(provider: str, entity: str | None) -> str:
    """Where a provider's ids of one kind of record are remembered (mappings, review
    items): its tracks' under its name, its albums and artists apart (``deezer-album``),
    for one service may number an album and a track alike."""
    return f"{provider}-{entity}" if entity in ("album", "artist") else provider


def review_id_for(from_provider: str, track_id: str, to_provider: str) -> str:
    """The one review item for a track and a target provider (so asking twice asks once)."""
    return hashlib.sha256(f"{from_provider}\0{track_id}\0{to_provider}".encode()).hexdigest()[:32]


def conflict_review_id(job_id: str, pair_key: str, a_id: str, b_id: str) -> str:
    """The one review item for a conflict over a recording in a pair."""
    return hashlib.sha256(f"{job_id}\0{pair_key}\0{a_id}\0{b_id}".encode()).hexdigest()[:32]


_KEY_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def key_token(value: str) -> str:
    """``value`` as one key token: kept when it is already safe, else a digest of it."""
    if _KEY_SAFE.match(value):
        return value
    return "h" + hashlib.sha256(value.encode()).hexdigest()[:40]


def library_parts(folder: str, media_server: str | None) -> list[str]:
    """What the library of a run is made of: the folder, a media server, or both."""
    return [*(["folder"] if folder else []), *([media_server] if media_server else [])]


def connection_key(user_id: str, connection_id: str) -> str:
    """Key of a user's connection to a provider."""
    return f"{user_id}.{connection_id}"


# --- users -----------------------------------------------------------------------------------


def run_download_id(run_id: str, position: int) -> str:
    """The download of the track at ``position`` of a missing-tracks run."""
    return f"{run_id}-{position}"


def download_key(user_id: str, download_id: str) -> str:
    """Key of a download's record."""
    return f"{user_id}.{download_id}"


def run_key(user_id: str, run_id: str) -> str:
    """Key of a run header."""
    return f"{user_id}.{run_id}"


def batch_key(user_id: str, run_id: str, batch_index: int) -> str:
    """Key of one batch's results."""
    return f"{user_id}.{run_id}.{batch_index}"
