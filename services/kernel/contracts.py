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
from typing import Annotated, Any, Literal, TypedDict

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


class ArtistAlbum(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One album an artist's catalog page lists: what tells two artists of one name apart.

    Attributes:
        title: The album's title as the provider spells it.
        release_date: ISO date or year, where given.
        upc: Its Universal Product Code, where the listing gives one.
    """

    title: str
    release_date: str | None = None
    upc: str | None = None


class Track(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A provider-neutral track: what the matcher and the tagger need to know.

    Attributes:
        title: The title as the provider spells it.
        artists: Credited artists, main artist first.
        album: Album title, when the track belongs to one.
        album_artists: The album's credited artists.
        track_number: Position on its disc.
        disc_number: Disc of a multi-disc release.
        track_total: How many tracks its release has (for ``3/12`` numbering tags).
        disc_total: How many discs its release has.
        label: The record label that released it.
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
        artist_ids: The provider's ids of ``artists``, in the same order ("" where it has
            none): YouTube Music's channel ids.
        entry_id: This entry's own id in the playlist it was read from, where the provider
            has one (YouTube Music's ``setVideoId``, which its removals and moves name).
        path: The file's path, where its media server says: relative to its music folder
            (Subsonic's ``path``) or whole, as the server sees it (Jellyfin's ``Path``,
            Plex's ``Media``/``Part`` ``file``);
            what a playlist file of the library lists.
        entity: What the record stands for: None (or ``track``) a recording; ``album`` a
            release (``title`` its title, ``artists`` its artists, ``track_total`` its
            track count, ``upc``), saved in a library; ``artist`` an artist followed
            (``title`` its name). Saved albums and followed artists travel as these
            records, so that reads, matching, review and writes are the tracks' own.
        upc: An album's Universal Product Code, where the provider gives one.
        albums: An artist record's albums (a few, from its catalog), read only when
            another artist of its name has to be told apart from it.
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
    track_total: int | None = None
    disc_total: int | None = None
    label: str | None = None
    artist_ids: tuple[str, ...] = ()
    entry_id: str | None = None
    path: str | None = None
    entity: Literal["track", "album", "artist"] | None = None
    upc: str | None = None
    albums: tuple[ArtistAlbum, ...] = ()


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
        removals_refused: Why tracks cannot be taken out of this collection at its
            service, in a person's words ("Apple Music cannot remove tracks from a
            playlist"); None where they can. The sync planner plans no such removal.
        parts: A library made of snapshots (a music folder and media servers; none: an
            empty library), read one after the other as one; then ``snapshot_id`` names
            the whole and no object of that name is stored. None: a stored snapshot.
    """

    snapshot_id: str
    track_count: int
    checksum: str
    removals_refused: str | None = None
    parts: tuple[SnapshotRef, ...] | None = None


CollectionKind = Literal["playlist", "liked", "library", "albums", "artists"]


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


#: The flows a request can belong to: a sync run, a missing-tracks run, a matched album
#: handed to a service that imports albums.
FlowName = Literal["sync", "missing", "album"]


class Correlation(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Where a request belongs: which flow, which run, which step of it. The service
    asked copies it into its reply (``reply_to``) without reading it; the asker routes the
    reply by it alone (never by parsing an id). ``request_id``, where a request has one,
    stays what duplicates are recognised by.

    Attributes:
        flow: The kind of run.
        run_id: The run.
        step: The step of the run that asked (``list``, ``read``, ``match``, ``write``,
            ``import``, ``scan``, ``library``, ``plan``, ``handoff``).
        index: Which one of the step's requests: a pair, a batch, a track's position.
        side: The side of a sync job it is for.
        part: Anything else that names the request within its step (a write's number
            in its chain, the media server a library was read from).
    """

    flow: FlowName
    run_id: str
    step: str
    index: int | None = None
    side: Literal["a", "b"] | None = None
    part: str = ""


#: A user's id as keys are made of it (``{user_id}.…``): one key token, so that a message
#: naming "*" or ">" cannot reach every user's records through a key filter.
UserId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every bus message.

    Attributes:
        user_id: The user the message belongs to.
        event_id: Unique id; also the ``Nats-Msg-Id`` so a retried publish is stored once.
        occurred_at: When the producer emitted it.
        correlation: The flow step a request was sent by; its reply carries the same
            (None: a message no flow waits for).
    """

    user_id: UserId
    event_id: str = msgspec.field(default_factory=new_id)
    occurred_at: datetime = msgspec.field(default_factory=utcnow)
    correlation: Correlation | None = None


class ReplyFields(TypedDict):
    """What a reply takes from its request."""

    user_id: str
    event_id: str
    correlation: Correlation | None


def reply_to(request: Event) -> ReplyFields:
    """A reply's user, id and correlation: the id derives from the request's, so a
    redelivered request yields a reply that JetStream stores once; the correlation is the
    request's, so the asker knows what it answers."""
    return {
        "user_id": request.user_id,
        "event_id": f"{request.event_id}.done",
        "correlation": request.correlation,
    }


def fields_of(message: bytes) -> dict[str, Any] | None:
    """The fields of an encoded message that names its user (a dead letter's original,
    which may not decode as its type), or None."""
    try:
        payload = msgspec.json.decode(message)
    except (msgspec.DecodeError, RecursionError):  # nested too deeply to be one of ours
        return None
    if not isinstance(payload, dict):
        return None
    try:
        msgspec.convert(payload.get("user_id"), UserId)
    except msgspec.ValidationError:
        return None
    return payload


def correlation_of(message: bytes) -> tuple[str, Correlation] | None:
    """``(user_id, correlation)`` of an encoded message (a dead letter's original), or
    None when it has none or does not decode."""
    payload = fields_of(message)
    if payload is None:
        return None
    try:
        correlation = msgspec.convert(payload.get("correlation"), Correlation | None)
    except msgspec.ValidationError:
        return None
    return (payload["user_id"], correlation) if correlation is not None else None


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


class RunProgressed(Event, tag="runs.progressed", frozen=True):
    """A run's record changed (the scheduler publishes it after each change it stores):
    what live views follow, reading the run once per notice instead of polling it.

    Attributes:
        run_id: The run.
        kind: ``missing`` for a missing-tracks run (bucket ``runs``), ``sync`` for a sync
            run (``sync_runs``).
        status: The run's status after the change.
    """

    run_id: str
    kind: Literal["missing", "sync"]
    status: str = ""


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
    #: Why entries were left out, the first few, each naming its entry.
    skipped_reasons: tuple[str, ...] = ()


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


class MediaScanRequested(Event, tag="library.media_scan_requested", frozen=True):
    """Scheduler asks the connectors to have each of the user's media servers (Subsonic,
    Jellyfin, Plex connections) scan its folders, and to answer once every scan has ended.

    Attributes:
        scan_id: Identifies this scan; the reply carries it.
        downloads: How many downloads landed since the last scan (for the servers' notes).
    """

    scan_id: str
    downloads: int = 0


class MediaScanned(Event, tag="library.media_scanned", frozen=True):
    """Every media server of the user has scanned (or could not: ``notes`` say why, in a
    person's words); what was filed before ``scan_id`` was asked is in their libraries.

    Attributes:
        servers: The connections asked to scan, by id.
        notes: A server that could not scan, or was still scanning when given up on.
    """

    scan_id: str
    servers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


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


MissKind = Literal["not_found", "quality", "unsure", "refused", "network"]


#: The bitrates (kbps) a lossy copy can be encoded at, by format (the encoders' own range).
LOSSY_COPY_KBPS = {"mp3": (32, 320), "opus": (6, 512)}


class QualityProfileSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A user's quality profile as a download carries it.

    Attributes:
        name: What the user called it ("FLAC, else MP3 320").
        targets: Acceptable files, best first, written ``format[:kbps[:Hz[:bits]]]``
            (``flac``, ``mp3:320``, ``any``).
        accept_lower: Whether a later target may be taken (else only the first counts).
        lower_after_s: How long after a download is asked for a later target may be
            taken (until then only the first is looked for; 0: at once).
        lossy_copy: Also keep a lossy copy of a lossless download (``mp3:320``,
            ``opus:128``), in the downloader's copies folder.
    """

    name: str
    targets: tuple[str, ...]
    accept_lower: bool = True
    lower_after_s: float = 0.0
    lossy_copy: str | None = None


class PickedResult(msgspec.Struct, frozen=True, kw_only=True):
    """One result of a person's audio search (``DownloaderService.SearchAudio``): the
    search's id and the result's index in it. The downloader fetches that very upload or
    shared file, as it found it (never an address the request itself carries)."""

    search_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]
    index: Annotated[int, msgspec.Meta(ge=0, le=10_000)]


class DownloadRequested(Event, tag="downloads.requested", frozen=True):
    """Fetch, tag and file one planned track into the library.

    Attributes:
        download_id: Identifies the download (its record, its events).
        item: What to fetch and where it goes (a ``target_path`` of "" leaves the search
            and the place to the downloader's own layout: a single track asked for directly).
        audio_format: Convert to this format (None keeps the source's container).
        plain: A plain download (no artist was chosen for it): the best source is saved
            as it is, untagged and under its own title, in the downloads folder.
        profile: The quality every source is held to (None: the downloader's default).
        query: A search a person wrote, used by every source instead of its own.
        album_folder: Take this track from the same album folder of one share as the other
            tracks of its album in the run (album mode), not wherever it is best alone.
        pick: Fetch this result of the person's audio search, not the best source found.
    """

    download_id: str
    item: PlannedDownload
    audio_format: str | None = None
    plain: bool = False
    profile: QualityProfileSpec | None = None
    query: str | None = None
    album_folder: bool = False
    pick: PickedResult | None = None


class DownloadQueueRequested(Event, tag="downloads.queue_requested", frozen=True):
    """Gateway asks the downloader, who owns downloads, to take one: it records it queued
    (a download recorded before keeps its record), then puts ``request`` in its work
    queue; one handed over with an album (``handoff``, the hand-off's id) is recorded only.
    """

    request: DownloadRequested
    handoff: str | None = None


class DownloadRetryRequested(Event, tag="downloads.retry_requested", frozen=True):
    """Gateway asks the downloader to try a failed, cancelled or reviewed download again.

    Attributes:
        attempt: The try this makes (the record's tries + 1 when it was asked): asked
            twice, or redelivered, it is made once.
        profile: Another quality profile to hold it to (None: the one it had).
        query: Another search to find it by (None: none).
    """

    download_id: str
    attempt: int
    profile: QualityProfileSpec | None = None
    query: str | None = None


class DownloadCancelRequested(Event, tag="downloads.cancel_requested", frozen=True):
    """Gateway asks the downloader to stop a download (at once if on its way, else when
    its turn comes)."""

    download_id: str


class DownloadQueued(Event, tag="downloads.queued", frozen=True):
    """The downloader recorded a download as queued (new, or tried again): live views
    show it waiting."""

    download_id: str


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
    written at once and again as each of its downloads lands.

    Attributes:
        owner: Whose playlist it is (the user's name): each user's M3U8s are kept in a
            folder of their own, so two users' "Party" never overwrite each other (the
            user id when empty).
        part: Which of a run's playlists this is, when a run has several (a sync run's
            pairs); each part is a file of its own.
    """

    run_id: str
    name: str
    items: tuple[PlaylistFileItem, ...]
    owner: str = ""
    part: str = ""


class DownloadProgressed(Event, tag="downloads.progressed", frozen=True):
    """Live progress of a download (at most about once a second), published after the
    downloader stored it: everything a live view shows of a download on its way.

    Attributes:
        phase: ``searching`` (a try begins: no source yet), ``downloading``.
        size_bytes: The file's size, where its source says.
        source: The audio source chosen (``youtube``, ``soulseek``), once chosen.
        source_url: Where it comes from, once chosen.
    """

    download_id: str
    phase: Literal["searching", "downloading", "tagging"]
    percent: float | None = None
    downloaded_bytes: int = 0
    speed_bps: float | None = None
    size_bytes: int | None = None
    source: str | None = None
    source_url: str | None = None


class DownloadFinished(Event, tag="downloads.finished", frozen=True):
    """How a download ended.

    Attributes:
        status: ``done``, ``already_there``, ``review`` (no source is surely the track:
            a person chooses among ``candidates``), ``failed`` or ``cancelled``.
        path: Where the file is, relative to the library (or to the downloads folder,
            for a plain download: ``place``).
        miss: Why it was not downloaded, grouped: ``not_found`` (no source had it),
            ``quality`` (nothing met the profile), ``unsure`` (the match was unsure),
            ``refused`` (a source refused), ``network`` (a source could not be reached).
    """

    download_id: str
    status: Literal["done", "already_there", "review", "failed", "cancelled"]
    path: str | None = None
    place: Literal["library", "downloads"] = "library"
    source_url: str | None = None
    confidence: float | None = None
    reason: str | None = None
    candidates: tuple[tuple[str, float], ...] = ()
    miss: MissKind | None = None

    def ended(self) -> dict[str, Any]:
        """What this end makes of its download (the downloader's record of it, and the
        views of that record): the fields it sets, by name."""
        return {
            "status": self.status,
            "path": self.path,
            "place": self.place,
            "source_url": self.source_url,
            "reason": self.reason,
            "miss": self.miss,
            "percent": 100.0 if self.status == "done" else None,
            "speed_bps": None,  # no longer on its way
        }


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
            ``playlists`` (the list of playlists, not their tracks), ``library`` (a media
            server's whole music library), ``albums`` (saved albums) or ``artists``
            (followed artists), the last two as records with their ``entity``.
    """

    request_id: str
    connection_id: str
    provider: str
    collection: Literal["playlist", "liked", "recent", "playlists", "library", "albums", "artists"]
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
    or, with ``collection="liked"``, like ``add`` and unlike ``remove``; with ``albums``,
    save and unsave albums; with ``artists``, follow and unfollow artists.

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
    collection: Literal["playlist", "liked", "albums", "artists"] = "playlist"
    #: Then put the playlist's tracks in this order (its ids, each once): a library's
    #: playlist after its adds, so that they land in their places.
    order: tuple[str, ...] = ()


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
    #: What a person should know about a write that went through (sent in smaller
    #: batches than asked, say), in their words.
    notes: tuple[str, ...] = ()
    #: Tracks the provider said it added that the playlist, read back, does not hold
    #: (with ``error``): only they, not the whole step, are reported not written.
    unconfirmed: tuple[str, ...] = ()


class AlbumHandoffRequested(Event, tag="providers.album_handoff_requested", frozen=True):
    """Hand a whole album to a service that finds and imports albums itself (Lidarr)
    instead of downloading its tracks one by one: added monitored, searched, followed
    until imported; ``AlbumHandoffProgressed`` says how it goes.

    Attributes:
        request_id: The hand-off (its progress carries it).
        connection_id: The connection to that service.
        artist: The album's artist.
        album: The album's title.
        download_ids: The run's downloads of its tracks, which the hand-off stands for.
        quality_profile: The service's own quality profile, by name (None: its first).
        metadata_profile: Its metadata profile, by name (None: its first).
        root_folder: Its root folder, by path (None: its first).
        monitor: How the other albums of an artist new to it are monitored.
    """

    request_id: str
    connection_id: str
    provider: str
    artist: str
    album: str
    download_ids: tuple[str, ...] = ()
    quality_profile: str | None = None
    metadata_profile: str | None = None
    root_folder: str | None = None
    monitor: Literal["all", "future", "missing", "existing", "latest", "first", "none"] = "none"


class AlbumHandoffProgressed(Event, tag="downloads.album_handoff_progressed", frozen=True):
    """Where an album handed over stands: ``searching`` (added, its search started), then
    ``imported``, or ``not_found``, ``failed``, ``timed_out`` with ``reason`` in a
    person's words. The downloader records it on the downloads it stands for.

    Attributes:
        album_id: The service's id of the album (0: none).
    """

    request_id: str
    connection_id: str
    provider: str
    download_ids: tuple[str, ...]
    status: Literal["searching", "imported", "not_found", "failed", "timed_out"]
    reason: str | None = None
    album_id: int = 0


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


#: How a person answers a review item: a match (accept the best candidate, choose another,
#: skip, or say the track is not on the service) or a conflict (keep or remove).
ReviewDecision = Literal["accept", "choose", "skip", "not_on_service", "keep", "remove"]


class ReviewDecided(Event, tag="sync.review_decided", frozen=True):
    """Gateway tells the scheduler, who owns review items and mappings, what a person
    decided; the scheduler records the mapping (a match) and the item's answer. Applying it
    twice changes nothing.

    Attributes:
        review_id: The item decided.
        decision: The answer.
        chosen_id: The target track now mapped to (``"-"``: not on the service; None for
            skip and conflict answers).
        decided_at: When the person decided (the item's record carries it back).
    """

    review_id: str
    decision: ReviewDecision
    chosen_id: str | None = None
    decided_at: datetime = msgspec.field(default_factory=utcnow)


class SyncJobDeleted(Event, tag="sync.job_deleted", frozen=True):
    """Gateway tells the scheduler a sync job is gone: the scheduler forgets the state it
    kept of the job's pairs (what makes the next run exact has no next run).

    Attributes:
        job_id: The deleted job.
    """

    job_id: str


class SyncDownloadsQueued(Event, tag="sync.downloads_queued", frozen=True):
    """Gateway tells the scheduler it queued downloads of a sync run's tracks that are not
    in the user's library: the next runs of the user's jobs with a media server wait until
    they have landed and the servers have scanned them (nothing is downloaded twice).

    Attributes:
        run_id: The sync run whose report listed them.
        download_ids: The downloads queued.
    """

    run_id: str
    download_ids: tuple[str, ...]


class SyncRunCancelRequested(Event, tag="sync.run_cancel_requested", frozen=True):
    """Gateway asks the scheduler to stop a run at its next step (a run not started yet
    never starts).

    Attributes:
        run_id: The run to stop.
    """

    run_id: str


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


class UserRemoved(Event, tag="users.removed", frozen=True):
    """An admin removed a user (``user_id``): every service that keeps something of theirs
    deletes it, or stops it, so nothing of that user acts any more (their schedules do not
    fire, their runs and downloads stop). The gateway has ended their sessions, tokens,
    connections and webhooks before it says so.

    Attributes:
        removed_by: The admin who removed them.
    """

    removed_by: str = ""


class DeadLettered(msgspec.Struct, frozen=True, kw_only=True):
    """A message a consumer gave up on, by reference: the message itself stays in its
    stream (``stream`` at ``sequence``) and is never copied, so a message of any size can
    be dead-lettered. Readers fetch what they need from there (``Bus.DeadLetter.payload``).

    Not an ``Event``: the message it names may not decode, so it names no user of its own.
    Letters written before this shape (with ``data`` and ``headers``) still decode; their
    ``stream`` is empty.

    Attributes:
        stream: The stream holding the original.
        sequence: The original's sequence in that stream.
        subject: Where the message was published.
        consumer: The durable consumer that gave up.
        deliveries: How many times it was tried.
        reason: The decode error or the last exception, for a person to read (bounded).
        msg_id: The original's ``Nats-Msg-Id`` (its event id), when it had one.
        dead_at: When it was given up.
    """

    subject: str
    consumer: str
    deliveries: int
    reason: str
    stream: str = ""
    sequence: int = 0
    msg_id: str | None = None
    dead_at: datetime = msgspec.field(default_factory=utcnow)


#: Every event type, for the subjects module and for the compatibility tests.
EVENT_TYPES: tuple[type[Event], ...] = (
    MissingTracksCheckRequested,
    RunProgressed,
    RunCompleted,
    PlaylistImportRequested,
    PlaylistImported,
    FolderScanRequested,
    FolderScanned,
    MediaScanRequested,
    MediaScanned,
    MatchBatchRequested,
    MatchBatchCompleted,
    DownloadPlanRequested,
    DownloadPlanned,
    ProviderReadRequested,
    ProviderRead,
    ProviderWriteRequested,
    ProviderWritten,
    AlbumHandoffRequested,
    AlbumHandoffProgressed,
    DownloadRequested,
    DownloadQueueRequested,
    DownloadRetryRequested,
    DownloadCancelRequested,
    DownloadQueued,
    DownloadProgressed,
    DownloadFinished,
    PlaylistFileRequested,
    CandidatesRequested,
    CandidatesFound,
    SyncRunRequested,
    RankRequested,
    Ranked,
    UserRemoved,
    ReviewDecided,
    SyncJobDeleted,
    SyncRunCancelRequested,
    SyncDownloadsQueued,
)
