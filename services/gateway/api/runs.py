"""Runs: start a missing-tracks check, and read a run's report."""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import (
    NotFoundException,
    ServiceUnavailableException,
    ValidationException,
)
from litestar.params import JSONBody, Parameter

from services.gateway.adapters.rpc import ServiceUnavailable
from services.gateway.api.dependencies import Gateway
from services.gateway.api.inputs import Document, JsonDocument, Label, Name, TrackInput
from services.gateway.api.owned import recorded
from services.gateway.api.profiles import ProfileName, profile_named
from services.gateway.domain.reports import BatchTally, RunView, handed_albums, run_view
from services.gateway.records import UserRecord
from services.kernel.contracts import (
    MAX_BATCH,
    MissingTracksCheckRequested,
    PlaylistFormat,
    new_id,
)
from services.kernel.library import OutsideLibrary, allowed_folder
from services.kernel.records import (
    BatchRecord,
    ConnectionRecord,
    DownloadRecord,
    RunRecord,
    batch_key,
    connection_key,
    run_key,
)

RunId = Annotated[str, Parameter(pattern=r"^[0-9a-f]{32}$", description="A run id")]
#: Tracks per page of a run's report: a 200,000-track report whole was 51 MB.
DEFAULT_REPORT_PAGE, MAX_REPORT_PAGE = 500, 2000
ReportLimit = Annotated[
    int, Parameter(ge=1, le=MAX_REPORT_PAGE, description="Tracks per page of the report")
]
ReportCursor = Annotated[
    str | None,
    Parameter(pattern=r"^[0-9]{1,9}$", description="Where the page starts (a next_cursor)"),
]
ConnectionId = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]
# The capability, as the connectors name it, of a provider whose library can be read.
SCAN_LIBRARY = "scan_library"
ADD_ALBUMS = "add_albums"  # whole albums taken (Lidarr)


class MissingTicket(msgspec.Struct, kw_only=True):
    """What the web UI says about a missing-tracks run it starts: the playlist's name,
    and how the tracks found missing are to be downloaded (``album_mode`` ``lidarr``: the
    albums two or more of them share go to your Lidarr connection ``lidarr_connection_id``,
    as ``POST /runs/{run_id}/downloads`` describes)."""

    name: Label
    album_mode: Literal["single", "album", "lidarr"] = "single"
    profile: ProfileName | None = None
    lidarr_connection_id: ConnectionId | None = None


def ticket_name(user_id: str, run_id: str) -> str:
    """Where a run's ticket is kept: beside its upload, in the gateway's upload store."""
    return f"{user_id}.{run_id}.ticket"


async def read_ticket(gateway: Gateway, user_id: str, run_id: str) -> MissingTicket | None:
    data = await gateway.ctx.store.get_object("uploads", ticket_name(user_id, run_id))
    return None if data is None else msgspec.json.decode(data, type=MissingTicket)


class MissingTracksRequest(msgspec.Struct, kw_only=True):
    """Which tracks of a playlist are missing from your library?

    The library is a music ``folder``, a media server (``library_connection_id``: a Plex
    connection), or both.

    Give the playlist as exactly one of: ``tracks`` (a list of tracks), ``m3u`` (the text
    of an M3U/M3U8 file), ``csv`` (the text of a CSV export, Exportify-style columns) or
    ``spotify_export`` (the JSON of a Spotify "download your data" file: YourLibrary,
    Playlist or StreamingHistory).
    """

    folder: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)] | None = None
    library_connection_id: ConnectionId | None = None
    tracks: list[TrackInput] | None = None
    m3u: Document | None = None
    csv: Document | None = None
    spotify_export: dict[Name, Any] | list[Any] | None = None
    #: From the web UI: the playlist's name and how its missing tracks are to be
    #: downloaded, kept with the run so any of the person's browsers shows and goes on
    #: with it (``GET /api/v1/runs``).
    ticket: MissingTicket | None = None


PLAYLIST_FIELDS = ("tracks", "m3u", "csv", "spotify_export")


def _document(data: MissingTracksRequest, field: str) -> tuple[bytes, PlaylistFormat]:
    """The uploaded playlist as the bytes the connectors will read, and its format."""
    if field == "m3u":
        return (data.m3u or "").encode(), "m3u"
    if field == "csv":
        return (data.csv or "").encode(), "csv"
    if field == "spotify_export":
        try:  # its files nest a few levels; a deeper document is not one of them
            msgspec.convert(data.spotify_export, JsonDocument)
        except msgspec.ValidationError:
            raise ValidationException("'spotify_export' is nested too deeply") from None
        return msgspec.json.encode(data.spotify_export), "spotify"
    return msgspec.json.encode(data.tracks), "json"


async def _album_handoff(gateway: Gateway, user_id: str, ticket: MissingTicket) -> None:
    """A ticket handing albums to Lidarr names a connection of the person's that takes
    whole albums (refused now with a clear 400, not when the downloads are queued)."""
    if ticket.album_mode != "lidarr":
        return
    if ticket.lidarr_connection_id is None:
        raise ValidationException("album_mode 'lidarr' needs lidarr_connection_id")
    await provider_that_can(
        gateway, user_id, ticket.lidarr_connection_id, ADD_ALBUMS, "takes no whole albums"
    )


async def _media_server(gateway: Gateway, user_id: str, connection_id: str) -> str:
    """The provider of a connection whose library can be read, or a clear 400."""
    return await provider_that_can(
        gateway, user_id, connection_id, SCAN_LIBRARY, "has no music library to compare against"
    )


async def provider_that_can(
    gateway: Gateway, user_id: str, connection_id: str, capability: str, lacking: str
) -> str:
    """The provider of the person's connection ``connection_id`` when its service has
    ``capability``; else a clear 400 (``lacking`` says what the service cannot do)."""
    connection = await gateway.ctx.store.get(
        "connections", connection_key(user_id, connection_id), ConnectionRecord
    )
    if connection is None:
        raise ValidationException(f"no connection {connection_id}")
    try:
        providers = (await gateway.clients.providers(user_id)).providers
    except ServiceUnavailable as error:
        raise ServiceUnavailableException("the connectors are not answering") from error
    if not any(p.name == connection.provider and capability in p.capabilities for p in providers):
        raise ValidationException(f"a {connection.provider} connection {lacking}")
    return connection.provider


async def _tallies(gateway: Gateway, run: RunRecord) -> list[BatchTally]:
    """Every planned batch's counts, each batch read once (later pages use the cache)."""
    known = gateway.report_tallies.known(run_key(run.user_id, run.run_id))
    for index in run.planned_batches:
        if index not in known:
            key = batch_key(run.user_id, run.run_id, index)
            batch = await gateway.ctx.store.get("results", key, BatchRecord)
            if batch is None or batch.plan is None:
                continue  # expired, or not planned after all: not counted, not remembered
            known[index] = BatchTally.of(batch)
    return [known[i] for i in run.planned_batches if i in known]


async def _library_folder(gateway: Gateway, folder: str) -> str:
    """``folder`` resolved (symlinks followed), if it lies in one of the current user's
    library roots; else a 400 that says the same whether or not the path exists."""
    user_id = gateway.current_user()
    user = await gateway.ctx.store.get("users", user_id, UserRecord)
    roots = gateway.library.roots_of(user.username if user else "")
    try:
        resolved, _ = await asyncio.to_thread(allowed_folder, folder, roots)
    except OutsideLibrary as refused:
        raise ValidationException(str(refused), extra=[{"key": "folder"}]) from None
    return resolved


class RunAccepted(msgspec.Struct, kw_only=True):
    """A run was accepted; poll ``url`` for its report."""

    run_id: str
    status: str
    url: str


class RunsController(Controller):
    """Runs and their reports."""

    path = "/api/v1/runs"
    tags = ["runs"]

    @post(
        "/missing-tracks", status_code=202, summary="Find a playlist's tracks missing from a folder"
    )
    async def start_missing_tracks(
        self, gateway: NamedDependency[Gateway], data: JSONBody[MissingTracksRequest]
    ) -> Response[RunAccepted]:
        given = [name for name in PLAYLIST_FIELDS if getattr(data, name) is not None]
        if len(given) != 1:
            raise ValidationException(
                "give the playlist as exactly one of " + ", ".join(map(repr, PLAYLIST_FIELDS))
            )
        if data.folder is None and data.library_connection_id is None:
            raise ValidationException("give a 'folder', a 'library_connection_id', or both")
        if data.folder is not None and (
            not PurePosixPath(data.folder).is_absolute() or "\x00" in data.folder
        ):
            raise ValidationException("'folder' must be an absolute path")
        document, playlist_format = _document(data, given[0])
        if not document.strip() or (data.tracks is not None and not data.tracks):
            raise ValidationException("the playlist is empty")
        if len(document) > gateway.settings.max_playlist_bytes:
            raise ValidationException(
                f"the playlist is larger than {gateway.settings.max_playlist_bytes} bytes"
            )
        folder = "" if data.folder is None else await _library_folder(gateway, data.folder)
        user_id = gateway.current_user()
        media_server = (
            None
            if data.library_connection_id is None
            else await _media_server(gateway, user_id, data.library_connection_id)
        )
        if data.ticket is not None:  # an unknown profile is refused now, not at the downloads
            await profile_named(gateway, user_id, data.ticket.profile)
            await _album_handoff(gateway, user_id, data.ticket)
        run_id = new_id()
        upload_id = f"{user_id}.{run_id}"
        await gateway.ctx.store.put_object("uploads", upload_id, document)
        if data.ticket is not None:
            await gateway.ctx.store.put_object(
                "uploads", ticket_name(user_id, run_id), msgspec.json.encode(data.ticket)
            )
        await gateway.ctx.bus.publish(
            MissingTracksCheckRequested(
                user_id=user_id,
                event_id=run_id,
                run_id=run_id,
                upload_id=upload_id,
                playlist_format=playlist_format,
                folder=folder,
                library_connection_id=data.library_connection_id,
                library_provider=media_server,
            )
        )
        # The scheduler owns runs and records this one: answer once it has, so the URL we
        # answer with does not say "not found" (or after a few seconds, when it is down).
        key = run_key(user_id, run_id)
        await recorded(gateway.ctx.store, "runs", key, RunRecord, lambda r: r is not None)
        url = f"/api/v1/runs/{run_id}"
        return Response(
            RunAccepted(run_id=run_id, status="pending", url=url),
            status_code=202,
            headers={"Location": url},
        )

    @get("/{run_id:str}", summary="A run's progress and one page of its report")
    async def get_run(
        self,
        gateway: NamedDependency[Gateway],
        run_id: RunId,
        limit: ReportLimit = DEFAULT_REPORT_PAGE,
        cursor: ReportCursor = None,
    ) -> RunView:
        """The run, its counts, and the tracks at positions ``cursor`` (0 when absent) to
        ``cursor + limit``; ``next_cursor`` asks for the next page (null after the last)."""
        view = await read_run(gateway, gateway.current_user(), run_id, limit, cursor)
        if view is None:
            raise NotFoundException(f"no run {run_id}")
        return view


async def read_run(
    gateway: Gateway,
    user_id: str,
    run_id: str,
    limit: int = DEFAULT_REPORT_PAGE,
    cursor: str | None = None,
) -> RunView | None:
    """A run of ``user_id`` with the page of its report at ``cursor``, or None."""
    store = gateway.ctx.store
    run = await store.get("runs", run_key(user_id, run_id), RunRecord)
    if run is None:
        return None
    start = int(cursor or 0)
    positions = range(start, start + limit)
    batches = []
    for index in range(start // MAX_BATCH, (positions.stop - 1) // MAX_BATCH + 1):
        if index in run.planned_batches:
            found = await store.get("results", batch_key(user_id, run_id, index), BatchRecord)
            if found is not None:
                batches.append(found)
    total = run.playlist.track_count if run.playlist else 0
    next_cursor = str(positions.stop) if positions.stop < total else None
    user = await store.get("users", user_id, UserRecord)
    downloads = await store.values("downloads", f"{user_id}.{run_id}-*", DownloadRecord)
    view = run_view(
        run,
        batches,
        await _tallies(gateway, run),
        positions=positions,
        next_cursor=next_cursor,
        # Paths from the reader's library roots down, not where the server keeps them.
        roots=gateway.library.roots_of(user.username if user else ""),
    )
    view.albums_handed = handed_albums(downloads)
    return view
