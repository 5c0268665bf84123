"""Downloads: queue a run's missing tracks, follow them, cancel one."""

from __future__ import annotations

from typing import Annotated

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
from services.gateway.api.live import follow
from services.gateway.api.runs import RunId
from services.gateway.domain.reports import playlist_items
from services.gateway.domain.titles import title_without_artist
from services.kernel.contracts import (
    DownloadRequested,
    PlannedDownload,
    PlaylistFileRequested,
    Track,
    TrackDocument,
    new_id,
    utcnow,
)
from services.kernel.records import (
    BatchRecord,
    DownloadRecord,
    RunRecord,
    download_key,
    run_download_id,
    run_key,
)

DownloadId = Annotated[
    str, Parameter(pattern=r"^[0-9a-f]{32}-\d{1,6}$", description="A download id")
]
FORMATS = ("mp3", "ogg", "flac", "opus", "m4a")
#: Where a download stops changing; and the ends worth another try.
FINISHED = ("done", "already_there", "review", "failed", "cancelled")
RETRYABLE = ("review", "failed", "cancelled")


class QueueDownloads(msgspec.Struct, kw_only=True):
    """Options for the downloads of a run's missing tracks; with ``playlist_name``, an M3U8
    of the whole playlist (tracks already there and the downloads, in its order) is kept
    in the library's ``Playlists`` folder as the downloads land."""

    audio_format: str | None = None
    playlist_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class QueuedDownloads(msgspec.Struct, kw_only=True):
    """The downloads queued (queuing the same run again queues nothing new)."""

    download_ids: list[str]


Artist = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Catalog = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class TrackDownload(msgspec.Struct, kw_only=True):
    """Download one track (a "matched download" when ``artist`` is given).

    ``artist`` is the artist chosen among the suggestions of ``/match/artists`` or found by
    ``/match/artists/search``: the track is looked up in ``catalog`` under that artist, and
    the catalog's record (title, album or single, numbering, artwork, ISRC) is what the
    file is tagged and filed with in the library; when the catalog has no confident match,
    the track's own metadata under that artist. Without an artist it is a plain download:
    the best source, saved as it is (untagged, its own title) in the downloads folder.
    """

    track: TrackDocument
    artist: Artist | None = None
    catalog: Catalog = "deezer"
    audio_format: str | None = None


class AlbumDownload(msgspec.Struct, kw_only=True):
    """Download many tracks (an album, or any set of songs) at once, each as a
    ``TrackDownload`` with the same ``artist``: matched, each track is filed by the
    catalog's record of it, so the tracks of one album end up in one folder."""

    tracks: Annotated[list[TrackDocument], msgspec.Meta(min_length=1, max_length=200)]
    artist: Artist | None = None
    catalog: Catalog = "deezer"
    audio_format: str | None = None


class TrackDownloadQueued(msgspec.Struct, kw_only=True):
    """The queued download, and the metadata it will be tagged and filed with (``plain``:
    saved as it is in the downloads folder)."""

    download_id: str
    track: Track
    matched: bool
    plain: bool = False


class DownloadView(msgspec.Struct, kw_only=True):
    """A download as a person follows it."""

    download_id: str
    title: str
    target_path: str
    status: str
    percent: float | None
    path: str | None
    place: str
    reason: str | None


def _check_format(audio_format: str | None) -> None:
    if audio_format is not None and audio_format not in FORMATS:
        raise ClientException(f"audio_format must be one of {', '.join(FORMATS)}")


async def _catalog_match(
    gateway: Gateway, user_id: str, wanted: Track, catalog: str
) -> Track | None:
    """The catalog's record of ``wanted`` when the matcher is confident it is the same
    recording, else None."""
    try:
        found = await gateway.clients.search_tracks(user_id, catalog, wanted, limit=10)
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
    if (best.album and best.track_number) or not best.provider_id:
        return best
    # Album or single is decided by the numbering, which search results may leave out.
    try:
        full = await gateway.clients.get_track(user_id, catalog, best.provider_id)
    except ServiceUnavailable:
        return best  # the search's record is still the right track
    return full or best


async def _enqueue(gateway: Gateway, request: DownloadRequested) -> None:
    """Record a download as queued, then announce it: following it never starts with "not
    found" (a download recorded before keeps its record)."""
    await gateway.ctx.store.create(
        "downloads",
        download_key(request.user_id, request.download_id),
        DownloadRecord(
            download_id=request.download_id,
            user_id=request.user_id,
            title=request.item.track.title,
            target_path=request.item.target_path,
            item=request.item,
            audio_format=request.audio_format,
            plain=request.plain,
        ),
    )
    await gateway.ctx.bus.publish(request)


def _view(record: DownloadRecord) -> DownloadView:
    return msgspec.convert(record, DownloadView, from_attributes=True)


def _titled(document: TrackDocument) -> Track:
    track = document.to_track()
    if not track.title.strip():
        raise ValidationException("every track needs a title")
    return track


async def _queue_track(
    gateway: Gateway,
    user_id: str,
    track: Track,
    artist: str | None,
    catalog: str,
    audio_format: str | None,
) -> TrackDownloadQueued:
    """Queue one track: matched to ``artist`` through ``catalog``, or plain."""
    matched = None
    if artist is not None:
        title = title_without_artist(track.title, artist)
        track = msgspec.structs.replace(track, title=title, artists=(artist,))
        matched = await _catalog_match(gateway, user_id, track, catalog)
    download_id = f"{new_id()}-0"
    await _enqueue(
        gateway,
        DownloadRequested(
            user_id=user_id,
            event_id=download_id,
            download_id=download_id,
            # Planned by the downloader, whose layout decides where it goes.
            item=PlannedDownload(
                position=0, track=matched or track, search_query="", target_path=""
            ),
            audio_format=audio_format,
            plain=artist is None,
        ),
    )
    return TrackDownloadQueued(
        download_id=download_id,
        track=matched or track,
        matched=matched is not None,
        plain=artist is None,
    )


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
        options = data or QueueDownloads()
        _check_format(options.audio_format)
        user_id = gateway.current_user()
        store = gateway.ctx.store
        run = await store.get("runs", run_key(user_id, run_id), RunRecord)
        if run is None:
            raise NotFoundException(f"no run {run_id}")
        if run.status != "completed":
            raise ClientException(
                f"the run is {run.status}; downloads need a completed run", status_code=409
            )
        ids = []
        batches = await store.values("results", f"{run_key(user_id, run_id)}.*", BatchRecord)
        for batch in batches:
            for item in batch.plan or []:
                download_id = run_download_id(run_id, item.position)
                # The id is the event id too: queuing a run twice stores each request once.
                await _enqueue(
                    gateway,
                    DownloadRequested(
                        user_id=user_id,
                        event_id=download_id,
                        download_id=download_id,
                        item=item,
                        audio_format=options.audio_format,
                    ),
                )
                ids.append(download_id)
        if options.playlist_name:
            await gateway.ctx.bus.publish(
                PlaylistFileRequested(
                    user_id=user_id,
                    run_id=run_id,
                    name=options.playlist_name,
                    items=playlist_items(run_id, batches),
                )
            )
        return QueuedDownloads(download_ids=sorted(ids, key=lambda d: int(d.rsplit("-", 1)[1])))

    @post("/downloads", status_code=202, summary="Download one track, matched to an artist")
    async def download_track(
        self, gateway: NamedDependency[Gateway], data: JSONBody[TrackDownload]
    ) -> TrackDownloadQueued:
        _check_format(data.audio_format)
        track = _titled(data.track)
        return await _queue_track(
            gateway, gateway.current_user(), track, data.artist, data.catalog, data.audio_format
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
        user_id = gateway.current_user()
        return [
            await _queue_track(gateway, user_id, t, data.artist, data.catalog, data.audio_format)
            for t in tracks
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

        return follow(read, lambda view: view.status in FINISHED)

    @post(
        "/downloads/{download_id:str}/retry",
        status_code=202,
        summary="Try a failed, cancelled or reviewed download again",
    )
    async def retry(
        self, gateway: NamedDependency[Gateway], download_id: DownloadId
    ) -> Response[DownloadView]:
        key = download_key(gateway.current_user(), download_id)
        record = await gateway.ctx.store.get("downloads", key, DownloadRecord)
        if record is None:
            raise NotFoundException(f"no download {download_id}")
        if record.status not in RETRYABLE or record.item is None:
            raise ClientException(
                f"only a failed, cancelled or reviewed download is retried (this one is "
                f"{record.status})",
                status_code=409,
            )
        item = record.item

        def again(current: DownloadRecord) -> DownloadRecord | None:
            if current.status not in RETRYABLE:
                return None  # retried (or moved on) since it was read
            return msgspec.structs.replace(
                current,
                status="queued",
                cancel_requested=False,
                percent=None,
                path=None,
                reason=None,
                attempts=current.attempts + 1,
                updated_at=utcnow(),
            )

        updated = await gateway.ctx.store.update("downloads", key, DownloadRecord, again)
        if updated is None or updated.status != "queued":
            raise ClientException("the download is already being retried", status_code=409)
        await gateway.ctx.bus.publish(
            DownloadRequested(
                user_id=updated.user_id,
                event_id=f"{download_id}.try{updated.attempts}",
                download_id=download_id,
                item=item,
                audio_format=updated.audio_format,
                plain=updated.plain,
            )
        )
        return Response(_view(updated), status_code=202)

    @post("/downloads/{download_id:str}/cancel", status_code=202, summary="Cancel a download")
    async def cancel(
        self, gateway: NamedDependency[Gateway], download_id: DownloadId
    ) -> Response[DownloadView]:
        changed = await gateway.ctx.store.update(
            "downloads",
            download_key(gateway.current_user(), download_id),
            DownloadRecord,
            lambda r: (
                None if r.cancel_requested else msgspec.structs.replace(r, cancel_requested=True)
            ),
        )
        if changed is None:
            raise NotFoundException(f"no download {download_id}")
        return Response(_view(changed), status_code=202)
