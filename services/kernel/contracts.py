"""Bus contracts, version 1: every message that crosses a service boundary.

Rules (see msgspec's schema-evolution guide): structs are frozen; each event's tag is its
subject tail (``subjects.subject_for`` builds the subject from it); new fields get
defaults; a field never changes type; unknown fields are tolerated so that an older
consumer can read a newer producer. A breaking change is a new ``v2`` module, never an edit.
Every message names the user it belongs to.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal, TypedDict

import msgspec

#: Providers' own batch size; tracks travel in batches no larger than this.
MAX_BATCH = 100

#: Playlist documents the connectors can read: M3U/M3U8, a JSON list of tracks, a CSV
#: export, or a Spotify "download your data" file.
PlaylistFormat = Literal["m3u", "json", "csv", "spotify"]


def new_id() -> str:
    """A fresh opaque identifier (also used as ``Nats-Msg-Id``)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


class Track(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A provider-neutral track: what the matcher and the tagger need to know.

    Attributes:
        title: The title as the provider spells it.
        artists: Credited artists, main artist first.
        album: Album title, when the track belongs to one.
        album_artists: The album's credited artists.
        track_number: Position on its disc.
        disc_number: Disc of a multi-disc release.
        duration_ms: Length in milliseconds.
        isrc: International Standard Recording Code.
        explicit: True for explicit, False for clean, None when unknown.
        release_date: ISO date or year, as precise as the provider knows.
        provider: Where this record came from (``spotify``, ``folder``, ``m3u``...).
        provider_id: The provider's identifier, or a file path for local files.
        kind: ``song`` for an official audio track, ``video`` for a video upload.
        views: Play or view count, where the provider gives one.
        genres: Genres, where the provider gives them.
        artwork_urls: Cover art, largest first.
    """

    title: str
    artists: tuple[str, ...] = ()
    album: str | None = None
    album_artists: tuple[str, ...] = ()
    track_number: int | None = None
    disc_number: int | None = None
    duration_ms: int | None = None
    isrc: str | None = None
    explicit: bool | None = None
    release_date: str | None = None
    provider: str | None = None
    provider_id: str | None = None
    kind: Literal["song", "video"] | None = None
    views: int | None = None
    genres: tuple[str, ...] = ()
    artwork_urls: tuple[str, ...] = ()


class TrackDocument(msgspec.Struct, kw_only=True):
    """A track as people and scripts write one in JSON (playlists, the matcher CLI, the API).

    Unknown fields are ignored, so richer exports can be passed as they are.
    """

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
    # A single credit string is taken as one artist; exports are not always tidy.
    artists: list[Annotated[str, msgspec.Meta(max_length=10_000)]] | str | None = None
    album: str | None = None
    duration_ms: Annotated[float, msgspec.Meta(ge=0)] | None = None
    isrc: str | None = None
    explicit: bool | None = None
    kind: Literal["song", "video"] | None = None
    views: Annotated[int, msgspec.Meta(ge=0)] | None = None

    def to_track(self, provider: str | None = None) -> Track:
        """The same track as a provider-neutral record."""
        artists = [self.artists] if isinstance(self.artists, str) else self.artists or []
        return Track(
            title=self.title,
            artists=tuple(artist for artist in artists if artist),
            album=self.album,
            duration_ms=round(self.duration_ms) if self.duration_ms is not None else None,
            isrc=self.isrc,
            explicit=self.explicit,
            kind=self.kind,
            views=self.views,
            provider=provider,
        )


class SnapshotRef(msgspec.Struct, frozen=True, kw_only=True):
    """Where a stored collection snapshot lives (an object in the snapshot store).

    Attributes:
        snapshot_id: Object name in the snapshot store.
        track_count: Number of tracks in it.
        checksum: SHA-256 of the stored bytes, to detect change without reading it.
    """

    snapshot_id: str
    track_count: int
    checksum: str


CollectionKind = Literal["playlist", "liked", "library"]


class Collection(msgspec.Struct, frozen=True, kw_only=True):
    """An ordered list of tracks: a playlist, liked songs, or a scanned library.

    Attributes:
        user_id: Owner.
        kind: ``playlist``, ``liked`` or ``library``.
        name: Human name, when there is one.
        tracks: The tracks, in order.
        source: Where it came from (provider or import format).
    """

    user_id: str
    kind: CollectionKind
    tracks: tuple[Track, ...]
    name: str | None = None
    source: str | None = None


class MatchOutcome(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The matcher's verdict for one source track against one candidate set.

    Attributes:
        position: Index of the source track in its collection.
        track: The source track.
        best: The best candidate, if any scored above zero.
        confidence: 0..1 confidence that ``best`` is the same recording.
        decision: ``auto`` (safe to act on), ``review`` or ``none``.
    """

    position: int
    track: Track
    confidence: float
    decision: Literal["auto", "review", "none"]
    best: Track | None = None


class PlannedDownload(msgspec.Struct, frozen=True, kw_only=True):
    """One track the downloader would fetch, and where it would file it.

    Attributes:
        position: Index of the source track in its playlist.
        track: The track to fetch.
        search_query: What the downloader would search for.
        target_path: Path relative to the library root, already sanitised.
    """

    position: int
    track: Track
    search_query: str
    target_path: str


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every bus message.

    Attributes:
        user_id: The user the message belongs to.
        event_id: Unique id; also the ``Nats-Msg-Id`` so a retried publish is stored once.
        occurred_at: When the producer emitted it.
    """

    user_id: str
    event_id: str = msgspec.field(default_factory=new_id)
    occurred_at: datetime = msgspec.field(default_factory=utcnow)


class ReplyFields(TypedDict):
    """What a reply takes from its request."""

    user_id: str
    event_id: str


def reply_to(request: Event) -> ReplyFields:
    """A reply's user and id: the id derives from the request's, so a redelivered request
    yields a reply that JetStream stores once."""
    return {"user_id": request.user_id, "event_id": f"{request.event_id}.done"}


# --- runs -----------------------------------------------------------------------------------


class MissingTracksCheckRequested(Event, tag="runs.missing_check_requested", frozen=True):
    """Gateway asks the scheduler: which tracks of this playlist are missing from a folder?

    Attributes:
        run_id: The run to create.
        upload_id: Object name of the uploaded playlist document in the upload store.
        playlist_format: ``m3u``, ``json``, ``csv`` or ``spotify`` (an export file).
        folder: Absolute path of the music folder to compare against ("" for none).
        library_connection_id: A media server connection (Plex) whose library counts too.
        library_provider: That connection's provider (the work queue to ask).
    """

    run_id: str
    upload_id: str
    playlist_format: PlaylistFormat
    folder: str
    library_connection_id: str | None = None
    library_provider: str | None = None


class RunCompleted(Event, tag="runs.completed", frozen=True):
    """A run finished, successfully or not.

    Attributes:
        run_id: The run.
        status: ``completed`` or ``failed``.
        error: Why it failed, for a person to read.
    """

    run_id: str
    status: Literal["completed", "failed"]
    error: str | None = None


# --- library (connectors) -------------------------------------------------------------------


class PlaylistImportRequested(Event, tag="library.playlist_import_requested", frozen=True):
    """Scheduler asks the connectors to parse an uploaded playlist into a snapshot."""

    run_id: str
    upload_id: str
    playlist_format: PlaylistFormat


class PlaylistImported(Event, tag="library.playlist_imported", frozen=True):
    """The uploaded playlist was parsed and stored (``snapshot``), or could not be (``error``)."""

    run_id: str
    snapshot: SnapshotRef | None = None
    error: str | None = None
    skipped_entries: int = 0


class SkippedFile(msgspec.Struct, frozen=True):
    """A file that gave no track, and why (for a person to fix).

    Attributes:
        path: Path relative to the scanned folder.
        reason: E.g. "empty file", "not an audio file", "unreadable tags".
    """

    path: str
    reason: str


class FolderScanRequested(Event, tag="library.folder_scan_requested", frozen=True):
    """Scheduler asks the connectors to scan a music folder's tags into a snapshot."""

    run_id: str
    folder: str


class FolderScanned(Event, tag="library.folder_scanned", frozen=True):
    """The folder was scanned (``snapshot``), or could not be (``error``).

    Attributes:
        unreadable_files: Files that gave no track (empty, not audio, broken tags).
        skipped: The first of those, by name, with the reason.
        read_files: Files whose tags were read this time.
        unchanged_files: Files not read again because they had not changed.
    """

    run_id: str
    snapshot: SnapshotRef | None = None
    error: str | None = None
    unreadable_files: int = 0
    skipped: tuple[SkippedFile, ...] = ()
    read_files: int = 0
    unchanged_files: int = 0


# --- matching -------------------------------------------------------------------------------


class MatchBatchRequested(Event, tag="matching.batch_requested", frozen=True):
    """Scheduler asks the matcher to find each track in a library snapshot.

    Attributes:
        run_id: The run.
        batch_index: 0-based index of this batch within the run.
        first_position: Playlist position of ``tracks[0]``.
        tracks: Up to ``MAX_BATCH`` source tracks.
        library: The snapshot to search.
    """

    run_id: str
    batch_index: int
    first_position: int
    tracks: tuple[Track, ...]
    library: SnapshotRef


class MatchBatchCompleted(Event, tag="matching.batch_completed", frozen=True):
    """The matcher's outcomes for one batch, in the batch's order."""

    run_id: str
    batch_index: int
    outcomes: tuple[MatchOutcome, ...]


# --- downloads ------------------------------------------------------------------------------


class DownloadPlanRequested(Event, tag="downloads.plan_requested", frozen=True):
    """Scheduler asks the downloader to plan fetching the tracks missing from one batch.

    Attributes:
        positions: Playlist position of each track in ``tracks``.
    """

    run_id: str
    batch_index: int
    tracks: tuple[Track, ...]
    positions: tuple[int, ...]


class DownloadPlanned(Event, tag="downloads.planned", frozen=True):
    """The downloader's plan for one batch (nothing is fetched yet)."""

    run_id: str
    batch_index: int
    items: tuple[PlannedDownload, ...]


class DownloadRequested(Event, tag="downloads.requested", frozen=True):
    """Fetch, tag and file one planned track into the library.

    Attributes:
        download_id: Identifies the download (its record, its events).
        item: What to fetch and where it goes (a ``target_path`` of "" leaves the search
            and the place to the downloader's own layout: a single track asked for directly).
        audio_format: Convert to this format (None keeps the source's container).
        plain: A plain download (no artist was chosen for it): the best source is saved
            as it is, untagged and under its own title, in the downloads folder.
    """

    download_id: str
    item: PlannedDownload
    audio_format: str | None = None
    plain: bool = False


class PlaylistFileItem(msgspec.Struct, frozen=True, kw_only=True):
    """One track of a playlist file: a file already in the library (``path``, absolute),
    or the download that brings it (``download_id``)."""

    position: int
    title: str
    artists: tuple[str, ...] = ()
    duration_ms: int | None = None
    path: str | None = None
    download_id: str | None = None


class PlaylistFileRequested(Event, tag="downloads.playlist_requested", frozen=True):
    """Keep an M3U8 of a run's playlist in the library, in the playlist's order; it is
    written at once and again as each of its downloads lands."""

    run_id: str
    name: str
    items: tuple[PlaylistFileItem, ...]


class DownloadProgressed(Event, tag="downloads.progressed", frozen=True):
    """Live progress of a download (at most about once a second)."""

    download_id: str
    phase: Literal["searching", "downloading", "tagging"]
    percent: float | None = None
    downloaded_bytes: int = 0
    speed_bps: float | None = None


class DownloadFinished(Event, tag="downloads.finished", frozen=True):
    """How a download ended.

    Attributes:
        status: ``done``, ``already_there``, ``review`` (no source is surely the track:
            a person chooses among ``candidates``), ``failed`` or ``cancelled``.
        path: Where the file is, relative to the library (or to the downloads folder,
            for a plain download: ``place``).
    """

    download_id: str
    status: Literal["done", "already_there", "review", "failed", "cancelled"]
    path: str | None = None
    place: Literal["library", "downloads"] = "library"
    source_url: str | None = None
    confidence: float | None = None
    reason: str | None = None
    candidates: tuple[tuple[str, float], ...] = ()


# --- providers (per-provider work queues: the subject's last token is the provider) ------


class PlaylistRef(msgspec.Struct, frozen=True, kw_only=True):
    """A playlist at a provider, without its tracks."""

    playlist_id: str
    name: str
    track_count: int | None = None
    owned: bool = True
    snapshot: str | None = None


class ProviderReadRequested(Event, tag="providers.read_requested", frozen=True):
    """Read a collection of a connected account into a snapshot.

    Attributes:
        request_id: Identifies the request; the reply carries it.
        collection: ``playlist`` (with ``playlist_id``), ``liked``, ``recent``,
            ``playlists`` (the list of playlists, not their tracks) or ``library`` (a media
            server's whole music library).
    """

    request_id: str
    connection_id: str
    provider: str
    collection: Literal["playlist", "liked", "recent", "playlists", "library"]
    playlist_id: str | None = None


class ProviderRead(Event, tag="providers.read", frozen=True):
    """What a read found (``snapshot`` or ``playlists``), or why it could not (``error``)."""

    request_id: str
    connection_id: str
    provider: str
    snapshot: SnapshotRef | None = None
    playlists: tuple[PlaylistRef, ...] = ()
    error: str | None = None
    needs_reauthorisation: bool = False


class ProviderWriteRequested(Event, tag="providers.write_requested", frozen=True):
    """Change a playlist: create it (``create_name``), append ``add``, remove ``remove``;
    or, with ``collection="liked"``, like ``add`` and unlike ``remove``.

    ``request_id`` makes the write idempotent: a request seen before is answered again
    from its recorded outcome, never written twice. Tracks travel at most ``MAX_BATCH``
    per request.
    """

    request_id: str
    connection_id: str
    provider: str
    playlist_id: str | None = None
    create_name: str | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    collection: Literal["playlist", "liked"] = "playlist"


class ProviderWritten(Event, tag="providers.written", frozen=True):
    """The outcome of a write."""

    request_id: str
    connection_id: str
    provider: str
    playlist_id: str | None = None
    added: int = 0
    removed: int = 0
    error: str | None = None
    needs_reauthorisation: bool = False


class CandidatesRequested(Event, tag="providers.candidates_requested", frozen=True):
    """Find each track's likely equivalents in a provider's catalog (ISRC first, then a
    search), for the matcher to judge.

    Attributes:
        request_id: Identifies the request; the reply carries it.
        connection_id: The account to search as (its market and its rate allowance).
        tracks: Up to ``MAX_BATCH`` source tracks.
    """

    request_id: str
    connection_id: str
    provider: str
    tracks: tuple[Track, ...]


class RankItem(msgspec.Struct, frozen=True, kw_only=True):
    """A source track and the candidates to judge for it."""

    track: Track
    candidates: tuple[Track, ...]


class CandidatesFound(Event, tag="providers.candidates_found", frozen=True):
    """Each requested track with its candidates, in the request's order (or ``error``)."""

    request_id: str
    connection_id: str
    provider: str
    items: tuple[RankItem, ...] = ()
    error: str | None = None


# --- sync -----------------------------------------------------------------------------------


class SyncRunRequested(Event, tag="sync.run_requested", frozen=True):
    """Run a sync job: plan it, and apply the plan unless ``dry_run``.

    Attributes:
        run_id: The run to create (the gateway records it as pending first).
        job_id: The job to run.
        dry_run: Stop once the plan is made; write nothing to either side.
        trigger: What started it (``manual``, ``schedule``, ``webhook``).
    """

    run_id: str
    job_id: str
    dry_run: bool = False
    trigger: str = "manual"


class ScoredCandidate(msgspec.Struct, frozen=True, kw_only=True):
    """A candidate and the matcher's confidence that it is the same recording."""

    track: Track
    confidence: float


class RankedItem(msgspec.Struct, frozen=True, kw_only=True):
    """The matcher's verdict for one ``RankItem``: its candidates, best first, scored (the
    asker decides with its own thresholds)."""

    track: Track
    candidates: tuple[ScoredCandidate, ...] = ()


class RankRequested(Event, tag="matching.rank_requested", frozen=True):
    """Ask the matcher to rank each item's candidates."""

    request_id: str
    items: tuple[RankItem, ...]


class Ranked(Event, tag="matching.ranked", frozen=True):
    """The verdicts, in the request's order."""

    request_id: str
    items: tuple[RankedItem, ...]


# --- dead letters ---------------------------------------------------------------------------


class DeadLettered(msgspec.Struct, frozen=True, kw_only=True):
    """A message a consumer gave up on, kept whole for a person or a replay tool.

    Not an ``Event``: it wraps bytes that may not decode, so it names no user of its own.

    Attributes:
        subject: Where the message was published.
        consumer: The durable consumer that gave up.
        deliveries: How many times it was tried.
        reason: The decode error or the last exception, for a person to read.
        headers: The original headers (trace context, ``Nats-Msg-Id``).
        data: The original payload, byte for byte.
        dead_at: When it was given up.
    """

    subject: str
    consumer: str
    deliveries: int
    reason: str
    headers: dict[str, str]
    data: bytes
    dead_at: datetime = msgspec.field(default_factory=utcnow)


#: Every event type, for the subjects module and for the compatibility tests.
EVENT_TYPES: tuple[type[Event], ...] = (
    MissingTracksCheckRequested,
    RunCompleted,
    PlaylistImportRequested,
    PlaylistImported,
    FolderScanRequested,
    FolderScanned,
    MatchBatchRequested,
    MatchBatchCompleted,
    DownloadPlanRequested,
    DownloadPlanned,
    ProviderReadRequested,
    ProviderRead,
    ProviderWriteRequested,
    ProviderWritten,
    DownloadRequested,
    DownloadProgressed,
    DownloadFinished,
    PlaylistFileRequested,
    CandidatesRequested,
    CandidatesFound,
    SyncRunRequested,
    RankRequested,
    Ranked,
)
