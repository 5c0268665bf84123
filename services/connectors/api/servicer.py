"""gRPC edge of the connectors: the catalog questions asked interactively."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import TypeVar

import grpc

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.factory import ProviderFactory
from services.connectors.adapters.http import ProviderError, RetriesExhausted
from services.connectors.adapters.provider import NotSupported, PlaylistInfo, Provider
from services.connectors.adapters.spotify import NeedsReauthorisation
from services.connectors.domain.oauth import OAuthError
from services.connectors.domain.providers import PROVIDERS
from services.kernel.contracts import Track
from services.kernel.grpcwire import track_to_proto
from services.kernel.records import ConnectionRecord
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2, catalog_pb2_grpc

MAX_RESULTS = 50
DEFAULT_RESULTS = 10
#: Tracks per page when browsing an account.
DEFAULT_PAGE = 50
MAX_PAGE = 200
T = TypeVar("T")

#: What a token that never expires is stored as (ten years).
NEVER_EXPIRES_S = 10 * 365 * 86400.0


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    """Implements ``tunebridge.catalog.v1.CatalogService`` over the catalog providers."""

    def __init__(
        self,
        catalogs: Mapping[str, Provider],
        accounts: Accounts | None = None,
        factory: ProviderFactory | None = None,
    ) -> None:
        self.catalogs = catalogs
        self.accounts = accounts
        self.factory = factory

    async def _provider(
        self,
        name: str,
        context: grpc.aio.ServicerContext,
        user_id: str = "",
        connection_id: str = "",
    ) -> Provider:
        if connection_id:
            record = (
                await self.accounts.get(user_id, connection_id)
                if self.accounts and self.factory
                else None
            )
            if record is None or record.provider != name:
                await context.abort(grpc.StatusCode.NOT_FOUND, "no such connection")
            assert record is not None and self.factory is not None
            return self.factory.for_connection(record)
        provider = self.catalogs.get(name)
        if provider is None:
            await context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"no catalog provider {name!r}; known: {', '.join(sorted(self.catalogs))}",
            )
        assert provider is not None
        return provider

    async def ListProviders(
        self, request: catalog_pb2.ListProvidersRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ListProvidersResponse:
        return catalog_pb2.ListProvidersResponse(
            providers=[
                catalog_pb2.Provider(
                    name=provider.name,
                    display_name=provider.display_name,
                    capabilities=[c.value for c in provider.capabilities],
                )
                for provider in sorted(PROVIDERS, key=lambda p: p.name)
            ]
        )

    async def SearchTracks(
        self, request: catalog_pb2.SearchTracksRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.SearchTracksResponse:
        provider = await self._provider(
            request.provider, context, request.user_id, request.connection_id
        )
        if not (request.query.title or request.query.artists):
            # An artist alone is a search too: the artists of a person's artist search.
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "a title or an artist is required"
            )
        query = Track(title=request.query.title, artists=tuple(request.query.artists))
        limit = min(request.limit or DEFAULT_RESULTS, MAX_RESULTS)
        tracks = await self._ask(context, provider.search(query, limit))
        return catalog_pb2.SearchTracksResponse(tracks=[track_to_proto(t) for t in tracks])

    async def LookupIsrc(
        self, request: catalog_pb2.LookupIsrcRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.LookupIsrcResponse:
        provider = await self._provider(
            request.provider, context, request.user_id, request.connection_id
        )
        tracks = await self._ask(context, provider.lookup_isrc(request.isrc))
        return catalog_pb2.LookupIsrcResponse(tracks=[track_to_proto(t) for t in tracks])

    async def GetTrack(
        self, request: catalog_pb2.GetTrackRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.GetTrackResponse:
        provider = await self._provider(
            request.provider, context, request.user_id, request.connection_id
        )
        found = await self._ask(context, _listed(provider.track(request.track_id)))
        if not found:
            return catalog_pb2.GetTrackResponse(found=False)
        return catalog_pb2.GetTrackResponse(found=True, track=track_to_proto(found[0]))

    async def _ask(self, context: grpc.aio.ServicerContext, question: object) -> list[Track]:
        return await _ask(context, question)  # type: ignore[arg-type]


class ConnectionsServicer(catalog_pb2_grpc.ConnectionsServiceServicer):
    """Implements ``tunebridge.catalog.v1.ConnectionsService``."""

    def __init__(
        self,
        accounts: Accounts | None,
        factory: ProviderFactory | None,
        account_providers: tuple[str, ...],
        deezer_connect_url: str = "https://connect.deezer.com",
    ) -> None:
        self.accounts = accounts
        self.factory = factory
        self.account_providers = account_providers
        self.deezer_connect_url = deezer_connect_url

    async def _accounts(self, context: grpc.aio.ServicerContext) -> Accounts:
        if self.accounts is None:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                "tokens cannot be stored: set TUNEBRIDGE_SECRETS__KEYS for the connectors",
            )
        assert self.accounts is not None
        return self.accounts

    async def StartConsent(
        self, request: catalog_pb2.StartConsentRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.StartConsentResponse:
        accounts = await self._accounts(context)
        try:
            if request.provider == "spotify":
                url, state = await accounts.start_consent(
                    request.user_id,
                    request.redirect_uri,
                    request.client_id or None,
                    request.connection_id or None,
                )
            elif request.provider == "deezer":
                if not (request.client_id and request.app_secret):
                    raise OAuthError("a Deezer consent needs your app's id and secret")
                url, state = await accounts.start_deezer_consent(
                    request.user_id,
                    request.redirect_uri,
                    request.client_id,
                    request.app_secret,
                    self.deezer_connect_url,
                )
            else:
                raise OAuthError(f"{request.provider!r} has no consent page: add its tokens")
        except OAuthError as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        return catalog_pb2.StartConsentResponse(authorize_url=url, state=state)

    async def CompleteConsent(
        self, request: catalog_pb2.CompleteConsentRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.AddConnectionResponse:
        accounts = await self._accounts(context)
        if await accounts.consent_owner(request.state) != request.user_id:
            # Another user's consent is as unknown to this one as a used or expired one.
            await context.abort(
                grpc.StatusCode.NOT_FOUND,
                "this consent link is unknown, used or expired: start again",
            )
        try:
            record = await accounts.complete_consent(request.state, request.code)
        except OAuthError as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        return await self._introduced(record, context)

    async def AddConnection(
        self, request: catalog_pb2.AddConnectionRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.AddConnectionResponse:
        accounts = await self._accounts(context)
        if request.provider not in self.account_providers:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"no accounts at {request.provider!r}; known: {', '.join(self.account_providers)}",
            )
        if not request.access_token:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "access_token is required")
        if request.provider == "plex" and not request.server_url:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a Plex server needs server_url")
        record = await accounts.add_from_tokens(
            request.user_id,
            request.provider,
            request.access_token,
            request.refresh_token or None,
            request.expires_in_s or NEVER_EXPIRES_S,
            request.client_id or None,
            server_url=request.server_url or None,
        )
        return await self._introduced(record, context)

    async def _introduced(
        self, record: ConnectionRecord, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.AddConnectionResponse:
        """Check a new connection with the provider's profile call, and remember who the
        account is; a connection the provider refuses is removed again."""
        assert self.accounts is not None and self.factory is not None
        try:
            profile = await self.factory.for_connection(record).profile()
        except NotSupported:
            profile = None  # nothing to check with: the first read will tell
        except (ProviderError, NeedsReauthorisation, RetriesExhausted) as error:
            await self.accounts.disconnect(record.user_id, record.connection_id)
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"{record.provider} refused these tokens: {error}",
            )
        if profile is not None:
            await self.accounts.set_profile(
                record.user_id, record.connection_id, profile.account_id, profile.display_name
            )
        return catalog_pb2.AddConnectionResponse(
            connection_id=record.connection_id,
            account_id=profile.account_id if profile else "",
            display_name=(profile.display_name or "") if profile else "",
        )

    async def _connected(
        self, user_id: str, connection_id: str, context: grpc.aio.ServicerContext
    ) -> Provider:
        record = await self.accounts.get(user_id, connection_id) if self.accounts else None
        if record is None or self.factory is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such connection")
        assert record is not None and self.factory is not None
        if record.status == "needs_reauthorisation":
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                record.message or "the connection needs re-authorisation",
            )
        return self.factory.for_connection(record)

    async def ListPlaylists(
        self, request: catalog_pb2.ListPlaylistsRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ListPlaylistsResponse:
        provider = await self._connected(request.user_id, request.connection_id, context)

        async def read() -> list[PlaylistInfo]:
            return [p async for p in provider.playlists()]

        found = await _ask(context, read())
        return catalog_pb2.ListPlaylistsResponse(
            playlists=[
                catalog_pb2.PlaylistSummary(
                    playlist_id=p.playlist_id,
                    name=p.name,
                    track_count=-1 if p.track_count is None else p.track_count,
                    owned=p.owned,
                )
                for p in found
            ]
        )

    async def BrowseTracks(
        self, request: catalog_pb2.BrowseTracksRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.BrowseTracksResponse:
        provider = await self._connected(request.user_id, request.connection_id, context)
        limit = min(request.limit or DEFAULT_PAGE, MAX_PAGE)
        if request.offset < 0 or limit < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "offset and limit are >= 0")
        if request.collection == "playlist" and request.playlist_id:
            tracks = provider.playlist_items(request.playlist_id)
        elif request.collection == "liked":
            tracks = provider.liked_tracks()
        elif request.collection == "recent":
            tracks = provider.recently_played()
        else:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "collection is 'playlist' (with playlist_id), 'liked' or 'recent'",
            )
        page, more = await _ask(context, _page(tracks, request.offset, limit))
        return catalog_pb2.BrowseTracksResponse(
            tracks=[track_to_proto(t) for t in page], has_more=more
        )


async def _ask(context: grpc.aio.ServicerContext, question: Awaitable[T]) -> T:
    """The provider's answer, or the call aborted with a status that says why not."""
    try:
        return await question
    except NotSupported as error:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, str(error))
    except NeedsReauthorisation as error:
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
    except ProviderError as error:
        await context.abort(
            _STATUS.get(error.verdict.outcome, grpc.StatusCode.UNAVAILABLE), str(error)
        )
    raise AssertionError("unreachable")


#: How a provider's refusal is told to the asker.
_STATUS = {
    "quota_exceeded": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "rate_limited": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "not_found": grpc.StatusCode.NOT_FOUND,
    "forbidden": grpc.StatusCode.PERMISSION_DENIED,
    "client_error": grpc.StatusCode.INVALID_ARGUMENT,
}


async def _page(tracks: AsyncIterator[Track], offset: int, limit: int) -> tuple[list[Track], bool]:
    """Tracks ``offset`` to ``offset + limit`` of a provider's list, and whether more follow
    (the list is read only as far as needed)."""
    page: list[Track] = []
    async with contextlib.aclosing(tracks) as reading:  # type: ignore[type-var]
        index = 0
        async for track in reading:
            if index >= offset:
                page.append(track)
                if len(page) > limit:
                    break
            index += 1
    return page[:limit], len(page) > limit


async def _listed(question: Awaitable[Track | None]) -> list[Track]:
    """A one-track answer in the shape ``_ask`` takes."""
    found = await question
    return [found] if found else []
