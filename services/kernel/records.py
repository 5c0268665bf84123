"""Records kept in the key-value store, shared by the service that writes them and the
gateway that reads them. Every record names its user; keys start with the user id."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from services.kernel.contracts import (
    MatchOutcome,
    PlannedDownload,
    PlaylistRef,
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


class OAuthState(msgspec.Struct, kw_only=True):
    """A consent in progress: kept ten minutes, used once."""

    user_id: str
    provider: str
    client_id: str
    redirect_uri: str
    code_verifier: str  # ciphertext: a verifier is as good as a code
    connection_id: str | None = None  # a connection being re-authorised
    created_at: datetime = msgspec.field(default_factory=utcnow)


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
    reason: str | None = None
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
    """

    policy: ConflictPolicy = "ask"
    prefer: Side = "a"
    propagate_removals: bool = True
    max_removals: Annotated[int, msgspec.Meta(ge=0)] | None = 100
    auto_threshold: Confidence = 0.9
    review_threshold: Confidence = 0.3


class PlaylistPair(msgspec.Struct, kw_only=True):
    """Two playlists kept in step, paired by id; a missing id is created on the first run."""

    a_playlist_id: PlaylistId | None = None
    b_playlist_id: PlaylistId | None = None


class SyncJobRecord(msgspec.Struct, kw_only=True):
    """A sync job: two connections, a direction, what to sync and how.

    Attributes:
        all_playlists: Every playlist the source side owns (both sides' in a both-ways
            job), each paired with one of its own on the other side.
        playlists: Chosen pairs (used when ``all_playlists`` is false).
        liked: Whether liked songs are synced too.
        recently_played: Whether each flowing side's listening history is kept, as a
            playlist that only grows, on the other side ("Recently played on <service>").
    """

    job_id: str
    user_id: str
    name: str
    a_connection_id: str
    a_provider: str
    b_connection_id: str
    b_provider: str
    direction: SyncDirection = "a_to_b"
    all_playlists: bool = False
    playlists: list[PlaylistPair] = msgspec.field(default_factory=list)
    liked: bool = False
    recently_played: bool = False
    options: SyncOptions = msgspec.field(default_factory=SyncOptions)
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)


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


class SyncBase(msgspec.Struct, kw_only=True):
    """Both sides of a pair as the last run left them (provider ids, in order)."""

    a: list[str] = msgspec.field(default_factory=list)
    b: list[str] = msgspec.field(default_factory=list)


MappingSource = Literal["matcher", "review"]

#: A mapping's target meaning "a person said: this recording is not on that service".
NOT_ON_SERVICE = "-"


class MappingRecord(msgspec.Struct, kw_only=True):
    """A track on one provider is this track on another (or ``NOT_ON_SERVICE`` there)."""

    target_id: str
    source: MappingSource
    confidence: float | None = None
    decided_at: datetime = msgspec.field(default_factory=utcnow)


ReviewStatus = Literal["pending", "decided", "skipped"]
ReviewDecision = Literal["accept", "choose", "skip", "not_on_service", "keep", "remove"]


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


SyncRunStatus = Literal["pending", "running", "planned", "completed", "failed", "cancelled"]
SyncPhase = Literal["listing", "reading", "matching", "planning", "applying", "done"]


class PairRun(msgspec.Struct, kw_only=True):
    """One pair within a run: what each side held when read. A ``recent`` pair copies the
    listening history of ``history_side`` into a playlist on the other side."""

    pair_key: str
    name: str
    kind: Literal["playlist", "liked", "recent"] = "playlist"
    history_side: Side | None = None
    a_playlist_id: str | None = None
    b_playlist_id: str | None = None
    a_snapshot: SnapshotRef | None = None
    b_snapshot: SnapshotRef | None = None


class WriteChain(msgspec.Struct, kw_only=True):
    """The writes to one side of one pair, sent one after another (order matters)."""

    steps: int
    done: int = 0
    playlist_id: str | None = None
    error: str | None = None


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
    chains: dict[str, WriteChain] = msgspec.field(default_factory=dict)
    counts: dict[str, int] = msgspec.field(default_factory=dict)
    cancel_requested: bool = False
    notes: list[str] = msgspec.field(default_factory=list)
    error: str | None = None


class NotSynced(msgspec.Struct, frozen=True, kw_only=True):
    """A track a run did not sync, and why (for the run report)."""

    pair: str
    side: Side
    title: str
    artists: tuple[str, ...] = ()
    provider_id: str | None = None
    reason: str
    review_id: str | None = None


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
    conflicts: int = 0
    withheld_removals: dict[str, int] = msgspec.field(default_factory=dict)
    settled_reviews: list[str] = msgspec.field(default_factory=list)  # answered conflicts used


class SyncPlan(msgspec.Struct, kw_only=True):
    """A run's whole plan and report (kept in the ``sync_plans`` object store)."""

    pairs: list[PairPlan] = msgspec.field(default_factory=list)
    not_synced: list[NotSynced] = msgspec.field(default_factory=list)


CatchUp = Literal["once", "skip"]


class ScheduleRecord(msgspec.Struct, kw_only=True):
    """When a job runs by itself: every ``interval_s`` seconds, or on a ``cron`` expression
    (in ``timezone``).

    Attributes:
        catch_up: What to do about fire times missed while Tunebridge was down: ``once``
            runs the job once on return, ``skip`` waits for the next time.
        next_fire_at: The next time it fires (None: the scheduler works it out from now,
            as after creation or a resume).
    """

    schedule_id: str
    user_id: str
    job_id: str
    interval_s: int | None = None
    cron: str | None = None
    timezone: str = "UTC"
    catch_up: CatchUp = "once"
    paused: bool = False
    next_fire_at: datetime | None = None
    last_fired_at: datetime | None = None
    last_run_id: str | None = None
    last_note: str | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)


WebhookKind = Literal["generic", "plex", "lidarr"]


class WebhookRecord(msgspec.Struct, kw_only=True):
    """An inbound endpoint that starts runs of ``job_ids`` when ``events`` arrive.

    Attributes:
        secret: ``SecretBox`` ciphertext (bound to the webhook id) of the signing secret
            (generic) or of the token the URL carries (Plex and Lidarr cannot sign).
        events: Event types that start runs (Plex ``event``, Lidarr ``eventType``);
            empty: every event (a generic webhook has none).
    """

    webhook_id: str
    user_id: str
    kind: WebhookKind
    job_ids: list[str]
    secret: str
    events: list[str] = msgspec.field(default_factory=list)
    deliveries: int = 0
    last_delivery_at: datetime | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)


def webhook_key(user_id: str, webhook_id: str) -> str:
    """Key of a webhook."""
    return f"{user_id}.{webhook_id}"


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


def mapping_key(user_id: str, from_provider: str, track_id: str, to_provider: str) -> str:
    """Key of what ``track_id`` on ``from_provider`` is on ``to_provider``."""
    return f"{user_id}.{from_provider}.{key_token(track_id)}.{to_provider}"


def review_key(user_id: str, review_id: str) -> str:
    """Key of a review item."""
    return f"{user_id}.{review_id}"


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

TokenScope = Literal["read", "write", "admin"]


class UserRecord(msgspec.Struct, kw_only=True):
    """A person who uses this installation. The password is kept only as a scrypt hash."""

    user_id: str
    username: str
    password_hash: str
    is_admin: bool = False
    totp_secret: str | None = None  # SecretBox ciphertext, bound to the user id
    totp_enabled: bool = False  # once a code from the secret has been confirmed
    created_at: datetime = msgspec.field(default_factory=utcnow)


class NameRecord(msgspec.Struct, kw_only=True):
    """Which user a (case-folded) name belongs to: names are unique."""

    user_id: str


class SessionRecord(msgspec.Struct, kw_only=True):
    """A browser's log-in, kept under a digest of its cookie; ``csrf_token`` must come
    back in ``X-CSRF-Token`` with every request that changes something."""

    user_id: str
    csrf_token: str
    created_at: datetime = msgspec.field(default_factory=utcnow)


class ApiTokenRecord(msgspec.Struct, kw_only=True):
    """An API token for scripts and the CLI, kept under a digest of it (shown once)."""

    token_id: str
    user_id: str
    name: str
    scopes: list[TokenScope]
    created_at: datetime = msgspec.field(default_factory=utcnow)


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
