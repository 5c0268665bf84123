"""Connections: accounts at providers, made from existing tokens, listed, removed.

Tokens go in and never come out: the connectors seal them, and no answer carries them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import grpc
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    ServiceUnavailableException,
    ValidationException,
)
from litestar.params import JSONBody, Parameter, QueryParameter

from services.gateway.adapters.rpc import ServiceUnavailable
from services.gateway.api.dependencies import Gateway
from services.kernel.contracts import Track
from services.kernel.records import ConnectionRecord, ConnectionStatus, connection_key
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2

ConnectionId = Annotated[str, Parameter(pattern=r"^[0-9a-f]{32}$", description="A connection id")]
Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
PastedHeaders = Annotated[str, msgspec.Meta(min_length=1, max_length=32_768)]


class TokensDocument(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An account's tokens obtained elsewhere (a headless set-up), or a Plex server's token
    and address. ``client_id`` is the Spotify app the tokens were issued to. A Subsonic
    server (Navidrome...) takes ``server_url``, ``username`` and ``password`` (or an
    OpenSubsonic API key as ``access_token``); the password is sealed like a token."""

    provider: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]{1,32}$")]
    access_token: Secret | None = None
    #: YouTube Music: the request headers of a signed-in music.youtube.com tab, as copied
    #: (only the sign-in cookie and account headers are kept, sealed like a token).
    headers: PastedHeaders | None = None
    #: With ``headers``: an existing connection to give them to instead of making another
    #: (it keeps its id, so the sync jobs using it keep working).
    connection_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")] | None = None
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    password: Secret | None = None
    refresh_token: Secret | None = None
    expires_in_s: Annotated[float, msgspec.Meta(ge=0, le=10 * 366 * 86400)] = 0
    client_id: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    server_url: Annotated[str, msgspec.Meta(pattern=r"^https?://", max_length=2000)] | None = None


class ConsentDocument(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Start connecting an account in the browser. Spotify: ``client_id`` of your own
    Spotify app (a development-mode app serves five people; the installation's is used
    when you give none). Deezer: your app's ``client_id`` and ``app_secret`` (Deezer closed
    new app registration in 2024; without an app, connect with tokens instead).
    ``redirect_uri`` defaults to this gateway's callback; it must be loopback or HTTPS and
    registered with your app. ``connection_id`` re-authorises an existing connection
    (Spotify's or TIDAL's consent, or YouTube Music's device code): it keeps its id, so the
    sync jobs using it keep working."""

    provider: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]{1,32}$")]
    redirect_uri: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    client_id: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    app_secret: Secret | None = None
    connection_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")] | None = None


class ConsentStarted(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Send the person to ``authorize_url``; the provider sends them back to the callback
    with ``state`` (single use, ten minutes). A device-code consent (YouTube Music with
    your own Google client) has no way back: show ``user_code`` to type in at
    ``authorize_url``, and ask ``POST …/consent/poll`` every ``interval_s`` seconds."""

    authorize_url: str
    state: str
    user_code: str | None = None
    interval_s: float | None = None
    expires_in_s: float | None = None
    #: A MusicKit sign-in (Apple Music): ``authorize_url`` is the gateway's sign-in page,
    #: whose script configures Apple's MusicKit JS with this developer token.
    developer_token: str | None = None


class PollDocument(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A device-code consent to ask about, by the ``state`` it started with."""

    state: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class ConsentPending(msgspec.Struct, kw_only=True):
    """Not answered yet on the provider's page: ask again in ``interval_s`` seconds."""

    status: str = "pending"
    interval_s: float = 5.0


class ConnectionView(msgspec.Struct, kw_only=True):
    """A connection as a person sees it (never its tokens)."""

    connection_id: str
    provider: str
    status: ConnectionStatus
    account_id: str | None
    display_name: str | None
    message: str | None
    created_at: datetime


def _view(record: ConnectionRecord) -> ConnectionView:
    return msgspec.convert(record, ConnectionView, from_attributes=True)


async def _connection(gateway: Gateway, connection_id: str) -> ConnectionView:
    found = await gateway.ctx.store.get(
        "connections", connection_key(gateway.current_user(), connection_id), ConnectionRecord
    )
    if found is None:
        raise NotFoundException(f"no connection {connection_id}")
    return _view(found)


class PlaylistView(msgspec.Struct, kw_only=True):
    """A playlist of a connected account, without its tracks."""

    playlist_id: str
    name: str
    track_count: int | None
    owned: bool


class TrackPage(msgspec.Struct, kw_only=True):
    """One page of tracks; ask for ``offset + limit`` next while ``has_more``."""

    tracks: list[Track]
    offset: int
    limit: int
    has_more: bool


Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]

#: How a connectors' refusal reads over HTTP.
_STATUS = {
    "NOT_FOUND": 404,
    "FAILED_PRECONDITION": 409,
    "UNIMPLEMENTED": 400,
    "INVALID_ARGUMENT": 400,
    "RESOURCE_EXHAUSTED": 429,
    "PERMISSION_DENIED": 403,
}


def _refused(error: ServiceUnavailable) -> HTTPException:
    code = _STATUS.get(error.code().name, 503)
    detail = error.details() or "the connectors are not answering"
    if code == 503:
        return ServiceUnavailableException(detail)
    return HTTPException(status_code=code, detail=detail)


async def _browse(
    gateway: Gateway, connection_id: str, collection: str, playlist_id: str, offset: int, limit: int
) -> TrackPage:
    await _connection(gateway, connection_id)  # 404 for another user's connection
    try:
        tracks, more = await gateway.clients.browse_tracks(
            catalog_pb2.BrowseTracksRequest(
                user_id=gateway.current_user(),
                connection_id=connection_id,
                collection=collection,
                playlist_id=playlist_id,
                offset=offset,
                limit=limit,
            )
        )
    except ServiceUnavailable as error:
        raise _refused(error) from None
    return TrackPage(tracks=tracks, offset=offset, limit=limit, has_more=more)


class ConnectionsController(Controller):
    """Your accounts at providers."""

    path = "/api/v1/connections"
    tags = ["connections"]

    @post("/", status_code=201, summary="Connect an account from existing tokens")
    async def add(
        self, gateway: NamedDependency[Gateway], data: JSONBody[TokensDocument]
    ) -> ConnectionView:
        user_id = gateway.current_user()
        try:
            made = await gateway.clients.add_connection(
                catalog_pb2.AddConnectionRequest(
                    user_id=user_id,
                    provider=data.provider,
                    access_token=data.headers or data.access_token or "",
                    username=data.username or "",
                    password=data.password or "",
                    connection_id=data.connection_id or "",
                    refresh_token=data.refresh_token or "",
                    expires_in_s=data.expires_in_s,
                    client_id=data.client_id or "",
                    server_url=data.server_url or "",
                )
            )
        except ServiceUnavailable as error:
            if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise ValidationException(error.details() or "refused") from None
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFoundException(error.details() or "no such connection") from None
            raise ServiceUnavailableException(
                error.details() or "the connectors are not answering"
            ) from None
        return await _connection(gateway, made.connection_id)

    @post("/consent", status_code=201, summary="Start connecting an account (OAuth consent)")
    async def start_consent(
        self,
        gateway: NamedDependency[Gateway],
        request: Request[Any, Any, Any],
        data: JSONBody[ConsentDocument],
    ) -> ConsentStarted:
        callback = str(request.base_url).rstrip("/") + f"{self.path}/consent/callback"
        try:
            started = await gateway.clients.start_consent(
                catalog_pb2.StartConsentRequest(
                    user_id=gateway.current_user(),
                    provider=data.provider,
                    redirect_uri=data.redirect_uri or callback,
                    client_id=data.client_id or "",
                    app_secret=data.app_secret or "",
                    connection_id=data.connection_id or "",
                )
            )
        except ServiceUnavailable as error:
            raise _refused(error) from None
        if started.user_code:
            return ConsentStarted(
                authorize_url=started.authorize_url,
                state=started.state,
                user_code=started.user_code,
                interval_s=started.interval_s,
                expires_in_s=started.expires_in_s,
            )
        if started.developer_token:
            return ConsentStarted(
                authorize_url=started.authorize_url,
                state=started.state,
                developer_token=started.developer_token,
            )
        return ConsentStarted(authorize_url=started.authorize_url, state=started.state)

    @post("/consent/poll", summary="Ask whether a device-code consent was given")
    async def poll_consent(
        self, gateway: NamedDependency[Gateway], data: JSONBody[PollDocument]
    ) -> Response[ConnectionView | ConsentPending]:
        """201 with the connection once given; 202 while not answered yet; 400 saying why
        when it was declined or the code expired (start again then)."""
        try:
            made = await gateway.clients.complete_consent(
                catalog_pb2.CompleteConsentRequest(user_id=gateway.current_user(), state=data.state)
            )
        except ServiceUnavailable as refusal:
            raise _refused(refusal) from None
        if made.pending:
            return Response(ConsentPending(), status_code=202)
        return Response(await _connection(gateway, made.connection_id), status_code=201)

    @get("/consent/callback", summary="Where the provider sends the person back")
    async def complete_consent(
        self,
        gateway: NamedDependency[Gateway],
        consent: Annotated[str, QueryParameter(name="state", min_length=1, max_length=200)],
        code: Annotated[str | None, QueryParameter(max_length=2000)] = None,
        error: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> ConnectionView:
        if error or not code:
            raise ValidationException(f"the provider did not give consent ({error or 'no code'})")
        try:
            made = await gateway.clients.complete_consent(
                catalog_pb2.CompleteConsentRequest(
                    user_id=gateway.current_user(), state=consent, code=code
                )
            )
        except ServiceUnavailable as refusal:
            raise _refused(refusal) from None
        return await _connection(gateway, made.connection_id)

    @get("/", summary="Your connections")
    async def list_connections(self, gateway: NamedDependency[Gateway]) -> list[ConnectionView]:
        found = await gateway.ctx.store.values(
            "connections", f"{gateway.current_user()}.*", ConnectionRecord
        )
        return [_view(r) for r in sorted(found, key=lambda r: r.created_at)]

    @get("/{connection_id:str}", summary="A connection and its status")
    async def get_connection(
        self, gateway: NamedDependency[Gateway], connection_id: ConnectionId
    ) -> ConnectionView:
        return await _connection(gateway, connection_id)

    @get("/{connection_id:str}/playlists", summary="A connected account's playlists")
    async def playlists(
        self, gateway: NamedDependency[Gateway], connection_id: ConnectionId
    ) -> list[PlaylistView]:
        await _connection(gateway, connection_id)
        try:
            found = await gateway.clients.list_playlists(gateway.current_user(), connection_id)
        except ServiceUnavailable as error:
            raise _refused(error) from None
        return [
            PlaylistView(
                playlist_id=p.playlist_id,
                name=p.name,
                track_count=None if p.track_count < 0 else p.track_count,
                owned=p.owned,
            )
            for p in found.playlists
        ]

    @get(
        "/{connection_id:str}/playlists/{playlist_id:str}/tracks",
        summary="A page of a playlist's tracks",
    )
    async def playlist_tracks(
        self,
        gateway: NamedDependency[Gateway],
        connection_id: ConnectionId,
        playlist_id: Annotated[str, Parameter(min_length=1, max_length=200)],
        offset: Offset = 0,
        limit: Limit = 50,
    ) -> TrackPage:
        return await _browse(gateway, connection_id, "playlist", playlist_id, offset, limit)

    @get("/{connection_id:str}/liked", summary="A page of the account's liked songs")
    async def liked(
        self,
        gateway: NamedDependency[Gateway],
        connection_id: ConnectionId,
        offset: Offset = 0,
        limit: Limit = 50,
    ) -> TrackPage:
        return await _browse(gateway, connection_id, "liked", "", offset, limit)

    @get("/{connection_id:str}/recent", summary="A page of the account's recent plays")
    async def recent(
        self,
        gateway: NamedDependency[Gateway],
        connection_id: ConnectionId,
        offset: Offset = 0,
        limit: Limit = 50,
    ) -> TrackPage:
        return await _browse(gateway, connection_id, "recent", "", offset, limit)

    @delete("/{connection_id:str}", status_code=204, summary="Disconnect (the tokens are erased)")
    async def remove(self, gateway: NamedDependency[Gateway], connection_id: ConnectionId) -> None:
        key = connection_key(gateway.current_user(), connection_id)
        if await gateway.ctx.store.get("connections", key, ConnectionRecord) is None:
            raise NotFoundException(f"no connection {connection_id}")
        # The connectors own connections: they erase it (the gateway only reads them).
        try:
            await gateway.clients.disconnect(gateway.current_user(), connection_id)
        except ServiceUnavailable as error:
            raise ServiceUnavailableException(
                "the connectors are not answering; the connection is kept, try again"
            ) from error
