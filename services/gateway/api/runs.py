"""Runs: start a missing-tracks check, and read a run's report."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Any

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
from services.gateway.domain.reports import RunView, run_view
from services.kernel.contracts import (
    MissingTracksCheckRequested,
    PlaylistFormat,
    TrackDocument,
    new_id,
)
from services.kernel.records import (
    BatchRecord,
    ConnectionRecord,
    RunRecord,
    connection_key,
    library_parts,
    run_key,
)

RunId = Annotated[str, Parameter(pattern=r"^[0-9a-f]{32}$", description="A run id")]
ConnectionId = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]
# The capability, as the connectors name it, of a provider whose library can be read.
SCAN_LIBRARY = "scan_library"


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
    tracks: list[TrackDocument] | None = None
    m3u: str | None = None
    csv: str | None = None
    spotify_export: dict[str, Any] | list[Any] | None = None


PLAYLIST_FIELDS = ("tracks", "m3u", "csv", "spotify_export")


def _document(data: MissingTracksRequest, field: str) -> tuple[bytes, PlaylistFormat]:
    """The uploaded playlist as the bytes the connectors will read, and its format."""
    if field == "m3u":
        return (data.m3u or "").encode(), "m3u"
    if field == "csv":
        return (data.csv or "").encode(), "csv"
    if field == "spotify_export":
        return msgspec.json.encode(data.spotify_export), "spotify"
    return msgspec.json.encode(data.tracks), "json"


async def _media_server(gateway: Gateway, user_id: str, connection_id: str) -> str:
    """The provider of a connection whose library can be read, or a clear 400."""
    connection = await gateway.ctx.store.get(
        "connections", connection_key(user_id, connection_id), ConnectionRecord
    )
    if connection is None:
        raise ValidationException(f"no connection {connection_id}")
    try:
        providers = (await gateway.clients.providers(user_id)).providers
    except ServiceUnavailable as error:
        raise ServiceUnavailableException("the connectors are not answering") from error
    if not any(p.name == connection.provider and SCAN_LIBRARY in p.capabilities for p in providers):
        raise ValidationException(
            f"a {connection.provider} connection has no music library to compare against"
        )
    return connection.provider


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
        user_id = gateway.current_user()
        media_server = (
            None
            if data.library_connection_id is None
            else await _media_server(gateway, user_id, data.library_connection_id)
        )
        folder = data.folder or ""
        run_id = new_id()
        upload_id = f"{user_id}.{run_id}"
        await gateway.ctx.store.put_object("uploads", upload_id, document)
        # Recorded before it is announced, so the URL we answer with never says "not found".
        await gateway.ctx.store.create(
            "runs",
            run_key(user_id, run_id),
            RunRecord(
                run_id=run_id,
                user_id=user_id,
                folder=folder,
                status="pending",
                library_parts=library_parts(folder, media_server),
            ),
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
        url = f"/api/v1/runs/{run_id}"
        return Response(
            RunAccepted(run_id=run_id, status="pending", url=url),
            status_code=202,
            headers={"Location": url},
        )

    @get("/{run_id:str}", summary="A run's progress and report")
    async def get_run(self, gateway: NamedDependency[Gateway], run_id: RunId) -> RunView:
        user_id = gateway.current_user()
        store = gateway.ctx.store
        run = await store.get("runs", run_key(user_id, run_id), RunRecord)
        if run is None:
            raise NotFoundException(f"no run {run_id}")
        batches = await store.values("results", f"{run_key(user_id, run_id)}.*", BatchRecord)
        return run_view(run, batches)
