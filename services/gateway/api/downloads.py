"""Downloads: queue a run's missing tracks, follow them, cancel one."""

from __future__ import annotations

import time
from collections import Counter
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import (
    ClientException,
    NotFoundException,
    ServiceUnavailableException,
    ValidationException,
)
from litestar.params import JSONBody, Parameter
from litestar.response import ServerSentEvent

from services.gateway.adapters.rpc import ServiceUnavailable
from services.gateway.api.dependencies import Gateway
from services.gateway.api.inputs import Catalog, CatalogConnection, Label, TrackInput
from services.gateway.api.live import follow
from services.gateway.api.owned import OWNER_WAIT_S, recorded
from services.gateway.api.profiles import ProfileName, profile_named
from services.gateway.api.runs import ADD_ALBUMS, RunId, provider_that_can
from services.gateway.api.sync import PlanReport, in_words
from services.gateway.domain.reports import playlist_items
from services.gateway.domain.titles import title_without_artist
from services.gateway.records import UserRecord
from services.kernel.contracts import (
    AlbumHandoffRequested,
    Correlation,
    DownloadCancelRequested,
    DownloadFinished,
    DownloadProgressed,
    DownloadQueued,
    DownloadQueueRequested,
    DownloadRequested,
    DownloadRetryRequested,
    Event,
    MissKind,
    PickedResult,
    PlannedDownload,
    PlaylistFileRequested,
    QualityProfileSpec,
    SyncDownloadsQueued,
    Track,
    new_id,
)
from services.kernel.records import (
    NOT_IN_LIBRARY,
    BatchRecord,
    DownloadRecord,
    NotSynced,
    RunRecord,
    SyncJobRecord,
    SyncRunRecord,
    download_key,
    job_key,
    run_download_id,
    run_key,
    sync_run_key,
)

DownloadId = Annotated[
    str, Parameter(pattern=r"^[0-9a-f]{32}-\d{1,6}$", description="A download id")
]
SyncRunId = Annotated[str, Parameter(pattern=r"^[0-9a-f]{32}$", description="A sync run id")]
FORMATS = ("mp3", "ogg", "flac", "opus", "m4a")
AudioFormat = Annotated[str, msgspec.Meta(max_length=8)]
#: Where a download stops changing; and the ends worth another try.
FINISHED = ("done", "already_there", "review", "failed", "cancelled")
RETRYABLE = ("review", "failed", "cancelled")


class QueueDownloads(msgspec.Struct, kw_only=True):
    """Options for the downloads of a run's missing tracks; with ``playlist_name``, an M3U8
    of the whole playlist (tracks already there and the downloads, in its order) is kept
    in the library's ``Playlists`` folder as the downloads land."""

    audio_format: AudioFormat | None = None
    playlist_name: Label | None = None
    #: One of your quality profiles (``/quality-profiles``); none: the installation's.
    profile: ProfileName | None = None
    #: When two or more missing tracks come from one album: ``album`` takes them from one
    #: consistent album folder of one share; ``single`` takes each where it is best alone;
    #: ``lidarr`` hands the whole album to your Lidarr (``lidarr``) to find and import.
    album_mode: Literal["single", "album", "lidarr"] = "single"
    lidarr: AlbumHandoff | None = None


AlbumMonitor = Literal["all", "future", "missing", "existing", "latest", "first", "none"]
LidarrName = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class AlbumHandoff(msgspec.Struct, kw_only=True):
    """Where whole albums go in ``album_mode`` ``lidarr``: your Lidarr connection, and
    how an album is added to it (Lidarr's own quality and metadata profiles and root
    folder, by name; none: its first), and how an artist new to it is monitored."""

    connection_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]
    quality_profile: LidarrName | None = None
    metadata_profile: LidarrName | None = None
    root_folder: LidarrName | None = None
    monitor: AlbumMonitor = "none"


class QueuedDownloads(msgspec.Struct, kw_only=True):
    """The downloads queued (queuing the same run again queues nothing new)."""

    download_ids: list[str]


Artist = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class TrackDownload(msgspec.Struct, kw_only=True):
    """Download one track (a "matched download" when ``artist`` is given).

    ``artist`` is the artist chosen among the suggestions of ``/match/artists`` or found by
    ``/match/artists/search``: the track is looked up in ``catalog`` under that artist, and
    the catalog's record (title, album or single, numbering, artwork, ISRC) is what the
    file is tagged and filed with in the library; when the catalog has no confident match,
    the track's own metadata under that artist. Without an artist it is a plain download:
    the best source, saved as it is (untagged, its own title) in the downloads folder.
    ``connection_id``: look it up in ``catalog`` as this connection of yours (``/catalogs``);
    ``catalog`` null: no catalog is looked up (the track's own metadata, under the artist).
    ``pick``: download this result of your ``/downloads/search``, not the best source found.
    """

    track: TrackInput
    artist: Artist | None = None
    catalog: Catalog | None = "deezer"
    connection_id: CatalogConnection | None = None
    audio_format: AudioFormat | None = None
    profile: ProfileName | None = None
    pick: PickedResult | None = None


class AlbumDownload(msgspec.Struct, kw_only=True):
    """Download many tracks (an album, or any set of songs) at once, each as a
    ``TrackDownload`` with the same ``artist``: matched, each track is filed by the
    catalog's record of it, so the tracks of one album end up in one folder. ``picks``,
    when given, names the search result each track is downloaded from (one per track)."""

    tracks: Annotated[list[TrackInput], msgspec.Meta(min_length=1, max_length=200)]
    artist: Artist | None = None
    catalog: Catalog | None = "deezer"
    connection_id: CatalogConnection | None = None
    audio_format: AudioFormat | None = None
    profile: ProfileName | None = None
    picks: Annotated[list[PickedResult], msgspec.Meta(max_length=200)] | None = None


class TrackDownloadQueued(msgspec.Struct, kw_only=True):
    """The queued download, and the metadata it will be tagged and filed with (``plain``:
    saved as it is in the downloads folder)."""

    download_id: str
    track: Track
    matched: bool
    plain: bool = False


Query = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class RetryOptions(msgspec.Struct, kw_only=True):
    """A retry's changes: a search written by hand (every source searches it instead of
    its own), another quality profile."""

    query: Query | None = None
    profile: ProfileName | None = None


class RetryMany(msgspec.Struct, kw_only=True):
    """Which missed downloads to try again: those of ``miss`` (a group), of ``run_id``,
    both, or (neither) every failed, cancelled or reviewed one."""

    miss: MissKind | None = None
    run_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")] | None = None
    profile: ProfileName | None = None


class DownloadView(msgspec.Struct, kw_only=True):
    """A download as a person follows it; a missed one says why (``reason``), grouped
    (``miss``: not_found, quality, unsure, refused, network)."""

    download_id: str
    title: str
    target_path: str
    status: str
    percent: float | None
    path: str | None
    place: str
    reason: str | None
    miss: str | None = None
    source_url: str | None = None
    #: The audio source (``youtube``, ``soulseek``), as soon as one is chosen.
    source: str | None = None
    #: While it downloads: bytes so far of ``size_bytes`` (null: not said), at
    #: ``speed_bps`` bytes a second.
    downloaded_bytes: int | None = None
    size_bytes: int | None = None
    speed_bps: float | None = None
    query: str | None = None
    profile: str | None = None


def _check_format(audio_format: str | None) -> None:
    if audio_format is not None and audio_format not in FORMATS:
        raise ClientException(f"audio_format must be one of {', '.join(FORMATS)}")


async def _catalog_match(
    gateway: Gateway, user_id: str, wanted: Track, catalog: str, connection_id: str = ""
) -> Track | None:
    """The catalog's record of ``wanted`` when the matcher is confident it is the same
    recording, else None (``connection_id``: searched as that connection)."""
    try:
        found = await gateway.clients.search_tracks(
            user_id, catalog, wanted, limit=10, connection_id=connection_id
        )
        if not found:
            return None
        ranking = await gateway.clients.rank(user_id, wanted, found)
    except ServiceUnavailable as error:
        if error.code().name in ("INVALID_ARGUMENT", "NOT_FOUND"):
            raise ValidationException(error.details() or "invalid request") from error
        raise ServiceUnavailableException("the catalog or matcher is not answering") from error
    if ranking.decision != "auto" or not ranking.ranked:
        return None
    best: Track = found[ranking.ranked[0].index]
    if not best.provider_id or (best.album and best.track_number and best.track_total):
        return best
    # Album or single is decided by the numbering, which search results may leave out; so
    # may they the release's track count and label, which the files are tagged with.
    try:
        full = await gateway.clients.get_track(
            user_id, catalog, best.provider_id, connection_id=connection_id
        )
    except ServiceUnavailable:
        return best  # the search's record is still the right track
    return full or best


async def _enqueue(
    gateway: Gateway, request: DownloadRequested, handoff: str | None = None
) -> None:
    """Ask the downloader to take a download: it records it queued, then puts it in its
    work queue (a download recorded before keeps its record). Part of an album
    ``handoff``, it is recorded only: the album is handed over instead."""
    await gateway.ctx.bus.publish(
        DownloadQueueRequested(
            user_id=request.user_id,
            event_id=f"{request.event_id}.queue",
            request=request,
            handoff=handoff,
        )
    )


def _unplanned(
    user_id: str,
    download_id: str,
    position: int,
    track: Track,
    audio_format: str | None,
    profile: QualityProfileSpec | None,
    plain: bool = False,
) -> DownloadRequested:
    """The request of a track not planned yet: the downloader, whose layout decides where
    it goes, plans it. Its id is the event id too: asked twice, it is stored once."""
    return DownloadRequested(
        user_id=user_id,
        event_id=download_id,
        download_id=download_id,
        item=PlannedDownload(position=position, track=track, search_query="", target_path=""),
        audio_format=audio_format,
        plain=plain,
        profile=profile,
    )


async def _recorded(gateway: Gateway, user_id: str, download_ids: list[str]) -> None:
    """Wait (a few seconds at most) until the downloader has recorded each of
    ``download_ids``, so that following one never starts with "not found"; past that the
    answer still stands: it records them when it is back."""
    deadline = time.monotonic() + OWNER_WAIT_S
    for download_id in download_ids:
        key = download_key(user_id, download_id)
        left = deadline - time.monotonic()
        if left <= 0:
            return
        await recorded(gateway.ctx.store, "downloads", key, DownloadRecord, _exists, left)


def _exists(record: DownloadRecord | None) -> bool:
    return record is not None


async def _album_service(gateway: Gateway, user_id: str, options: QueueDownloads) -> str:
    """The provider of the connection whole albums are handed to, or a clear 400."""
    if options.lidarr is None:
        raise ValidationException("album_mode 'lidarr' needs 'lidarr': your Lidarr connection")
    return await provider_that_can(
        gateway, user_id, options.lidarr.connection_id, ADD_ALBUMS, "takes no whole albums"
    )


def _view(record: DownloadRecord) -> DownloadView:
    return DownloadView(
        download_id=record.download_id,
        title=record.title,
        target_path=record.target_path,
        status=record.status,
        percent=record.percent,
        path=record.path,
        place=record.place,
        reason=record.reason,
        miss=record.miss,
        source_url=record.source_url,
        source=record.source,
        downloaded_bytes=record.downloaded_bytes,
        size_bytes=record.size_bytes,
        speed_bps=record.speed_bps,
        query=record.query,
        profile=record.profile.name if record.profile else None,
    )


#: The events a download's live view follows: progress and end carry what the view
#: shows; queued (new, or tried again) has it read.
DOWNLOAD_EVENTS = (DownloadQueued, DownloadProgressed, DownloadFinished)


def folded(view: DownloadView, event: Event) -> DownloadView | None:
    """A download's view after one of its events, as the downloader stored it before it
    published the event (None: an event that does not carry it; read it)."""
    if isinstance(event, DownloadProgressed):
        if view.status in FINISHED and event.phase != "searching":
            return view  # a late report never brings an ended download back
        downloading = event.phase == "downloading"
        return msgspec.structs.replace(
            view,
            status=event.phase,
            percent=event.percent,
            source=event.source,
            source_url=event.source_url,
            downloaded_bytes=event.downloaded_bytes if downloading else None,
            size_bytes=event.size_bytes,
            speed_bps=event.speed_bps,
        )
    if isinstance(event, DownloadFinished):
        return msgspec.structs.replace(view, **event.ended())  # as the downloader stored it
    return None


def folded_into(views: list[DownloadView], event: Event) -> list[DownloadView] | None:
    """A list of downloads after an event of one of them (None: a download not listed)."""
    for index, view in enumerate(views):
        if isinstance(event, DOWNLOAD_EVENTS) and view.download_id == event.download_id:
            changed = folded(view, event)
            return None if changed is None else [*views[:index], changed, *views[index + 1 :]]
    return None


def _titled(document: TrackInput) -> Track:
    track = document.to_track()
    if not track.title.strip():
        raise ValidationException("every track needs a title")
    return track


async def _queue_track(
    gateway: Gateway,
    user_id: str,
    track: Track,
    artist: str | None,
    catalog: str | None,
    audio_format: str | None,
    profile: QualityProfileSpec | None = None,
    connection_id: str = "",
    pick: PickedResult | None = None,
) -> TrackDownloadQueued:
    """Queue one track: matched to ``artist`` through ``catalog``, or plain."""
    matched = None
    if artist is not None:
        title = title_without_artist(track.title, artist)
        track = msgspec.structs.replace(track, title=title, artists=(artist,))
        if catalog is not None:
            matched = await _catalog_match(gateway, user_id, track, catalog, connection_id)
    download_id = f"{new_id()}-0"
    await _enqueue(
        gateway,
        msgspec.structs.replace(
            _unplanned(
                user_id, download_id, 0, matched or track, audio_format, profile, artist is None
            ),
            pick=pick,
        ),
    )
    await _recorded(gateway, user_id, [download_id])
    return TrackDownloadQueued(
        download_id=download_id,
        track=matched or track,
        matched=matched is not None,
        plain=artist is None,
    )


def _album_of(track: Track) -> tuple[str, str] | None:
    if not track.album:
        return None
    artist = (track.album_artists or track.artists or ("",))[0]
    return (artist.casefold(), track.album.casefold())


def _handoff_id(run_id: str, items: list[PlannedDownload]) -> str:
    """An album hand-off's id: its run's and its first track's position."""
    return f"{run_id}-album-{items[0].position}"


def _shared_albums(items: list[PlannedDownload]) -> set[tuple[str, str]]:
    """The albums two or more of ``items`` come from."""
    counts = Counter(a for a in (_album_of(i.track) for i in items) if a is not None)
    return {album for album, count in counts.items() if count >= 2}


async def _retry(
    gateway: Gateway,
    record: DownloadRecord,
    profile: QualityProfileSpec | None,
    query: str | None,
) -> int:
    """Ask the downloader to queue ``record`` again (with another profile or query, when
    given); the try it makes."""
    attempt = record.attempts + 1
    await gateway.ctx.bus.publish(
        DownloadRetryRequested(
            user_id=record.user_id,
            # Asked twice for the same try (two clicks), it is stored, and made, once.
            event_id=f"{record.download_id}.retry{attempt}",
            download_id=record.download_id,
            attempt=attempt,
            profile=profile or record.profile,
            query=query,
        )
    )
    return attempt


async def _queuing(
    gateway: Gateway, data: QueueDownloads | None
) -> tuple[QueueDownloads, str, QualityProfileSpec | None]:
    """How a run's downloads are to be queued (checked), for whom, and the profile named."""
    options = data or QueueDownloads()
    _check_format(options.audio_format)
    user_id = gateway.current_user()
    return options, user_id, await profile_named(gateway, user_id, options.profile)


class DownloadsController(Controller):
    """The download queue."""

    path = "/api/v1"
    tags = ["downloads"]

    @post(
        "/runs/{run_id:str}/downloads",
        status_code=202,
        summary="Queue the downloads of a run's missing tracks",
    )
    async def queue(
        self,
        gateway: NamedDependency[Gateway],
        run_id: RunId,
        data: JSONBody[QueueDownloads | None] = None,
    ) -> QueuedDownloads:
        options, user_id, profile = await _queuing(gateway, data)
        store = gateway.ctx.store
        run = await store.get("runs", run_key(user_id, run_id), RunRecord)
        if run is None:
            raise NotFoundException(f"no run {run_id}")
        if run.status != "completed":
            raise ClientException(
                f"the run is {run.status}; downloads need a completed run", status_code=409
            )
        lidarr = options.album_mode == "lidarr"
        service = await _album_service(gateway, user_id, options) if lidarr else None
        ids = []
        batches = await store.values("results", f"{run_key(user_id, run_id)}.*", BatchRecord)
        shared = _shared_albums([i for b in batches for i in b.plan or []])
        # In Lidarr mode, each shared album's tracks, handed over as one album.
        handed: dict[tuple[str, str], list[PlannedDownload]] = {}
        for batch in batches:
            for item in batch.plan or []:
                album = _album_of(item.track)
                if service is not None and album is not None and album in shared:
                    handed.setdefault(album, []).append(item)
        for batch in batches:
            for item in batch.plan or []:
                download_id = run_download_id(run_id, item.position)
                album = _album_of(item.track)
                # The id is the event id too: queuing a run twice stores each request once.
                await _enqueue(
                    gateway,
                    DownloadRequested(
                        user_id=user_id,
                        event_id=download_id,
                        download_id=download_id,
                        item=item,
                        audio_format=options.audio_format,
                        profile=profile,
                        album_folder=options.album_mode == "album" and album in shared,
                    ),
                    handoff=_handoff_id(run_id, handed[album]) if album in handed else None,
                )
                ids.append(download_id)
        # Recorded before an album is handed over: its progress finds its downloads.
        await _recorded(gateway, user_id, ids)
        for items in handed.values():
            assert options.lidarr is not None and service is not None
            first = items[0].track
            await gateway.ctx.bus.publish(
                AlbumHandoffRequested(
                    user_id=user_id,
                    event_id=_handoff_id(run_id, items),
                    request_id=_handoff_id(run_id, items),
                    correlation=Correlation(
                        flow="album", run_id=run_id, step="handoff", index=items[0].position
                    ),
                    connection_id=options.lidarr.connection_id,
                    provider=service,
                    artist=(first.album_artists or first.artists or ("",))[0],
                    album=first.album or "",
                    download_ids=tuple(run_download_id(run_id, i.position) for i in items),
                    quality_profile=options.lidarr.quality_profile,
                    metadata_profile=options.lidarr.metadata_profile,
                    root_folder=options.lidarr.root_folder,
                    monitor=options.lidarr.monitor,
                ),
                qualifier=service,  # the provider's own work queue
            )
        if options.playlist_name:
            user = await store.get("users", user_id, UserRecord)
            await gateway.ctx.bus.publish(
                PlaylistFileRequested(
                    user_id=user_id,
                    run_id=run_id,
                    name=options.playlist_name,
                    items=playlist_items(run_id, batches),
                    owner=user.username if user else "",  # each user's playlists apart
                )
            )
        return QueuedDownloads(download_ids=sorted(ids, key=lambda d: int(d.rsplit("-", 1)[1])))

    @post(
        "/sync/runs/{run_id:str}/downloads",
        status_code=202,
        summary="Download the tracks a sync run found not in your library",
    )
    async def queue_sync(
        self,
        gateway: NamedDependency[Gateway],
        run_id: SyncRunId,
        data: JSONBody[QueueDownloads | None] = None,
    ) -> QueuedDownloads:
        """Each track the run reported "not in your library" is downloaded into the
        library (the folder your media server scans); the scheduler awaits them, and the
        job's next run starts once they have landed and the server has scanned them, so
        it adds them and downloads nothing again. Asking twice queues nothing new."""
        options, user_id, profile = await _queuing(gateway, data)
        store = gateway.ctx.store
        run = await store.get("sync_runs", sync_run_key(user_id, run_id), SyncRunRecord)
        if run is None:
            raise NotFoundException(f"no run {run_id}")
        if run.status not in ("completed", "partial", "planned"):
            raise ClientException(
                f"the run is {run.status}; downloads need a run that has ended", status_code=409
            )
        if options.profile is None:  # none asked for: the one the run's job picked, if any
            job = await store.get("jobs", job_key(user_id, run.job_id), SyncJobRecord)
            profile = await profile_named(gateway, user_id, job.quality_profile if job else None)
        stored = await store.get_object("sync_plans", f"{user_id}.{run_id}")
        report = msgspec.msgpack.decode(stored, type=PlanReport) if stored else PlanReport()
        lines = [msgspec.msgpack.decode(line, type=NotSynced) for line in report.not_synced]
        wanted = [
            (position, line)
            for position, line in enumerate(await in_words(gateway, user_id, lines))
            # Tracks only: an album or an artist not on the server is not one download.
            if line.reason == NOT_IN_LIBRARY and line.kind not in ("albums", "artists")
        ]
        ids = [run_download_id(run_id, position) for position, _ in wanted]
        if ids:  # awaited before any of them can land
            await gateway.ctx.bus.publish(
                SyncDownloadsQueued(
                    user_id=user_id,
                    event_id=f"{run_id}.downloads",
                    run_id=run_id,
                    download_ids=tuple(ids),
                )
            )
        for download_id, (position, line) in zip(ids, wanted, strict=True):
            track = Track(
                title=line.title,
                artists=line.artists,
                album=line.album,
                duration_ms=line.duration_ms,
            )
            await _enqueue(
                gateway,
                _unplanned(user_id, download_id, position, track, options.audio_format, profile),
            )
        await _recorded(gateway, user_id, ids)
        return QueuedDownloads(download_ids=ids)

    @post("/downloads", status_code=202, summary="Download one track, matched to an artist")
    async def download_track(
        self, gateway: NamedDependency[Gateway], data: JSONBody[TrackDownload]
    ) -> TrackDownloadQueued:
        _check_format(data.audio_format)
        track = _titled(data.track)
        user_id = gateway.current_user()
        profile = await profile_named(gateway, user_id, data.profile)
        return await _queue_track(
            gateway,
            user_id,
            track,
            data.artist,
            data.catalog,
            data.audio_format,
            profile,
            data.connection_id or "",
            data.pick,
        )

    @post(
        "/downloads/album",
        status_code=202,
        summary="Download an album (or any set of tracks), matched to an artist",
    )
    async def download_album(
        self, gateway: NamedDependency[Gateway], data: JSONBody[AlbumDownload]
    ) -> list[TrackDownloadQueued]:
        _check_format(data.audio_format)
        tracks = [_titled(t) for t in data.tracks]  # all checked before any is queued
        picks: list[PickedResult | None] = [*data.picks] if data.picks else [None] * len(tracks)
        if len(picks) != len(tracks):
            raise ValidationException("picks names one search result per track")
        user_id = gateway.current_user()
        profile = await profile_named(gateway, user_id, data.profile)
        return [
            await _queue_track(
                gateway,
                user_id,
                t,
                data.artist,
                data.catalog,
                data.audio_format,
                profile,
                data.connection_id or "",
                pick,
            )
            for t, pick in zip(tracks, picks, strict=True)
        ]

    @get("/downloads", summary="Downloads, newest first")
    async def list_downloads(self, gateway: NamedDependency[Gateway]) -> list[DownloadView]:
        records = await gateway.ctx.store.values(
            "downloads", f"{gateway.current_user()}.*", DownloadRecord
        )
        return [_view(r) for r in sorted(records, key=lambda r: r.created_at, reverse=True)]

    @get("/downloads/{download_id:str}", summary="One download")
    async def get_download(
        self, gateway: NamedDependency[Gateway], download_id: DownloadId
    ) -> DownloadView:
        record = await gateway.ctx.store.get(
            "downloads", download_key(gateway.current_user(), download_id), DownloadRecord
        )
        if record is None:
            raise NotFoundException(f"no download {download_id}")
        return _view(record)

    @get(
        "/downloads/{download_id:str}/events",
        summary="Follow a download live (Server-Sent Events: update..., end)",
    )
    async def follow_download(
        self, gateway: NamedDependency[Gateway], download_id: DownloadId
    ) -> ServerSentEvent:
        key = download_key(gateway.current_user(), download_id)
        if await gateway.ctx.store.get("downloads", key, DownloadRecord) is None:
            raise NotFoundException(f"no download {download_id}")

        async def read() -> DownloadView | None:
            found = await gateway.ctx.store.get("downloads", key, DownloadRecord)
            return _view(found) if found else None

        def wants(event: Event) -> bool:
            return isinstance(event, DOWNLOAD_EVENTS) and event.download_id == download_id

        return follow(
            gateway.events,
            gateway.current_user(),
            wants,
            read,
            lambda view: view.status in FINISHED,
            folded,
        )

    @post(
        "/downloads/{download_id:str}/retry",
        status_code=202,
        summary="Try a failed, cancelled or reviewed download again",
    )
    async def retry(
        self,
        gateway: NamedDependency[Gateway],
        download_id: DownloadId,
        data: JSONBody[RetryOptions | None] = None,
    ) -> Response[DownloadView]:
        options = data or RetryOptions()
        user_id = gateway.current_user()
        record = await gateway.ctx.store.get(
            "downloads", download_key(user_id, download_id), DownloadRecord
        )
        if record is None:
            raise NotFoundException(f"no download {download_id}")
        if record.status not in RETRYABLE or record.item is None:
            raise ClientException(
                f"only a failed, cancelled or reviewed download is retried (this one is "
                f"{record.status})",
                status_code=409,
            )
        profile = await profile_named(gateway, user_id, options.profile)
        query = options.query.strip() if options.query else None
        attempt = await _retry(gateway, record, profile, query or None)

        def answered(current: DownloadRecord | None) -> bool:
            return current is None or current.attempts >= attempt or current.status != record.status

        key = download_key(user_id, download_id)
        updated, _ = await recorded(gateway.ctx.store, "downloads", key, DownloadRecord, answered)
        if updated is None:
            raise NotFoundException(f"no download {download_id}")
        if updated.attempts < attempt and updated.status not in RETRYABLE:
            # It moved on meanwhile (another retry took it): this one was not made.
            raise ClientException("the download is already being retried", status_code=409)
        # Not yet recorded (the downloader away): accepted, it is retried when back.
        return Response(_view(updated), status_code=202)

    @post(
        "/downloads/retry",
        status_code=202,
        summary="Try missed downloads again: a group of misses, a run's, or all",
    )
    async def retry_many(
        self, gateway: NamedDependency[Gateway], data: JSONBody[RetryMany | None] = None
    ) -> QueuedDownloads:
        options = data or RetryMany()
        user_id = gateway.current_user()
        profile = await profile_named(gateway, user_id, options.profile)
        pattern = f"{user_id}.{options.run_id}-*" if options.run_id else f"{user_id}.*"
        records = await gateway.ctx.store.values("downloads", pattern, DownloadRecord)
        ids = []
        for record in records:
            if record.status not in RETRYABLE or record.item is None:
                continue
            if options.miss is not None and record.miss != options.miss:
                continue
            await _retry(gateway, record, profile, record.query)
            ids.append(record.download_id)
        return QueuedDownloads(download_ids=sorted(ids))

    @post("/downloads/{download_id:str}/cancel", status_code=202, summary="Cancel a download")
    async def cancel(
        self, gateway: NamedDependency[Gateway], download_id: DownloadId
    ) -> Response[DownloadView]:
        user_id = gateway.current_user()
        key = download_key(user_id, download_id)
        if await gateway.ctx.store.get("downloads", key, DownloadRecord) is None:
            raise NotFoundException(f"no download {download_id}")
        # The downloader owns downloads: it stops this one (at once if on its way).
        await gateway.ctx.bus.publish(
            DownloadCancelRequested(user_id=user_id, download_id=download_id)
        )
        changed, _ = await recorded(
            gateway.ctx.store,
            "downloads",
            key,
            DownloadRecord,
            lambda r: r is None or r.cancel_requested or r.status in FINISHED,
        )
        if changed is None:
            raise NotFoundException(f"no download {download_id}")
        return Response(_view(changed), status_code=202)
