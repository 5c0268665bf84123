"""gRPC edge of the connectors: the catalog questions asked interactively."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar

import grpc
import msgspec

from services.connectors.adapters.accounts import Accounts, Reauthorisation, StoredTokens
from services.connectors.adapters.deezer import SPEC as DEEZER
from services.connectors.adapters.factory import ProviderFactory
from services.connectors.adapters.http import ProviderError, RetriesExhausted
from services.connectors.adapters.provider import NotSupported, PlaylistInfo, Provider, Unreadable
from services.connectors.adapters.spec import DeviceAuthorisation, ProviderSpec
from services.connectors.adapters.spotify import NeedsReauthorisation
from services.connectors.adapters.subsonic import API_KEY_SCOPE
from services.connectors.domain.oauth import OAuthError, OAuthProvider
from services.connectors.domain.providers import AuthStrategy
from services.connectors.registry import ALL_PROVIDERS, REGISTRY, ProviderSettings
from services.kernel.contracts import Track
from services.kernel.grpcwire import track_from_proto, track_to_proto
from services.kernel.records import ConnectionRecord
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2, catalog_pb2_grpc

MAX_RESULTS = 50
DEFAULT_RESULTS = 10
#: Tracks per page when browsing an account.
DEFAULT_PAGE = 50
MAX_PAGE = 200
T = TypeVar("T")

#: Longest a consent may take (its state's time-to-live in the store).
CONSENT_LIFE_S = 600.0
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
                    auth=provider.auth.value,
                    app_needed=bool(self.accounts and self.accounts.app_needed(provider.name)),
                    public_catalog=provider.name in self.catalogs,
                )
                for provider in sorted(ALL_PROVIDERS, key=lambda p: p.name)
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
        limit = min(request.limit or DEFAULT_RESULTS, MAX_RESULTS)
        if request.query.entity in ("album", "artist"):
            # Albums or artists (as records of that entity), found as a move finds them.
            release = track_from_proto(request.query)
            query = Track(
                title=release.title,
                artists=release.artists,
                entity=release.entity,
                upc=release.upc,
                track_total=release.track_total,
                release_date=release.release_date,
            )
            tracks = await self._ask(context, provider.search_releases(query, limit))
        else:
            query = Track(title=request.query.title, artists=tuple(request.query.artists))
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
        providers: ProviderSettings,
    ) -> None:
        self.accounts = accounts
        self.factory = factory
        self.providers = providers

    def _oauth(self, provider: str) -> OAuthProvider | None:
        """The PKCE consent of ``provider`` where it is not Spotify's (TIDAL's)."""
        spec = REGISTRY.get(provider)
        return spec.oauth(self.providers.of(spec)) if spec and spec.oauth else None

    def _device(self, provider: str) -> DeviceAuthorisation | None:
        """The device-code consent of ``provider``, where it has one."""
        spec = REGISTRY.get(provider)
        return spec.device(self.providers.of(spec)) if spec and spec.device else None

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
        spec = REGISTRY.get(request.provider)
        auth = spec.info.auth if spec else AuthStrategy.NONE
        try:
            if auth is AuthStrategy.OAUTH_PKCE:
                url, state = await accounts.start_consent(
                    request.user_id,
                    request.redirect_uri,
                    request.client_id or None,
                    request.connection_id or None,
                    self._oauth(request.provider),
                )
            elif auth is AuthStrategy.OAUTH_SECRET:
                if not (request.client_id and request.app_secret):
                    raise OAuthError("a Deezer consent needs your app's id and secret")
                url, state = await accounts.start_deezer_consent(
                    request.user_id,
                    request.redirect_uri,
                    request.client_id,
                    request.app_secret,
                    self.providers.of(DEEZER).connect_url,
                )
            elif spec is not None and spec.signin is not None:
                try:
                    token = spec.signin(self.providers.of(spec))
                except ValueError as error:
                    raise OAuthError(str(error)) from None
                # The person signs in with Apple on the gateway's page, which hands the
                # Music-User-Token MusicKit JS gives it to AddConnection.
                return catalog_pb2.StartConsentResponse(
                    authorize_url=f"/connections/{request.provider}", developer_token=token
                )
            elif spec is not None and spec.device is not None:
                if not (request.client_id and request.app_secret):
                    raise OAuthError("a sign-in with Google needs your own client's id and secret")
                code, state = await accounts.start_device_consent(
                    request.user_id,
                    request.provider,
                    spec.device(self.providers.of(spec)),
                    request.client_id,
                    request.app_secret,
                    request.connection_id or None,
                )
                return catalog_pb2.StartConsentResponse(
                    authorize_url=code.verification_url,
                    state=state,
                    user_code=code.user_code,
                    interval_s=code.interval_s,
                    expires_in_s=min(code.expires_in_s, CONSENT_LIFE_S),
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
            if request.code:
                record = await accounts.complete_consent(request.state, request.code, self._oauth)
            else:  # a device-code consent: has the person answered yet?
                found = await accounts.poll_device_consent(request.state, self._device)
                if found is None:
                    return catalog_pb2.AddConnectionResponse(pending=True)
                if isinstance(found, Reauthorisation):
                    return await self._signed_in_again(
                        accounts, found.existing, found.tokens, context, client_id=found.client_id
                    )
                record = found
        except OAuthError as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        return await self._introduced(record, context)

    async def AddConnection(
        self, request: catalog_pb2.AddConnectionRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.AddConnectionResponse:
        accounts = await self._accounts(context)
        spec = REGISTRY.get(request.provider)
        if spec is None:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"no accounts at {request.provider!r}; known: {', '.join(REGISTRY)}",
            )
        assert spec is not None
        if spec.info.auth is AuthStrategy.SUBSONIC_PASSWORD:
            return await self._introduced(
                await self._with_password(accounts, spec.info.display_name, request, context),
                context,
            )
        if spec.login is not None and not request.access_token and request.password:
            return await self._logged_in(accounts, spec, request, context)
        if not request.access_token:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "access_token is required")
        if spec.info.auth is AuthStrategy.BROWSER_HEADERS and spec.pasted is not None:
            try:
                sealed = spec.pasted(request.access_token)  # only what signs in is kept
            except ValueError as error:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
            if request.connection_id:
                existing = await accounts.get(request.user_id, request.connection_id)
                if existing is None or existing.provider != request.provider:
                    await context.abort(grpc.StatusCode.NOT_FOUND, "no such connection")
                assert existing is not None
                tokens = StoredTokens(sealed, None, time.time() + NEVER_EXPIRES_S, NEVER_EXPIRES_S)
                return await self._signed_in_again(accounts, existing, tokens, context)
            made = await accounts.add_from_tokens(
                request.user_id, request.provider, sealed, None, NEVER_EXPIRES_S, None
            )
            return await self._introduced(made, context)
        if spec.info.auth is AuthStrategy.SERVER_TOKEN and not request.server_url:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"a {spec.info.display_name} connection needs its server's address (server_url)",
            )
        record = await accounts.add_from_tokens(
            request.user_id,
            request.provider,
            request.access_token,
            request.refresh_token or None,
            request.expires_in_s or NEVER_EXPIRES_S,
            request.client_id or None,
            server_url=request.server_url or None,
            # A server's API key acts as a user it names (Jellyfin); a user's token is one.
            account_id=request.username or None,
        )
        return await self._introduced(record, context)

    async def _logged_in(
        self,
        accounts: Accounts,
        spec: ProviderSpec[Any],
        request: catalog_pb2.AddConnectionRequest,
        context: grpc.aio.ServicerContext,
    ) -> catalog_pb2.AddConnectionResponse:
        """A user's log-in at a server, traded for its token at once: only the token is
        kept, never the password."""
        assert spec.login is not None and self.factory is not None
        if not (request.server_url and request.username):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"a {spec.info.display_name} log-in needs the server's address and a user name",
            )
        try:
            token = await spec.login(
                self.factory,
                request.server_url,
                request.username,
                request.password,
                self.providers.of(spec),
            )
        except (ProviderError, RetriesExhausted) as error:
            refused = error.verdict.outcome in ("unauthorized", "forbidden")
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"{request.provider} refused this user name and password"
                if refused
                else str(error),
            )
        record = await accounts.add_from_tokens(
            request.user_id,
            request.provider,
            token,
            None,
            NEVER_EXPIRES_S,
            None,
            server_url=request.server_url,
        )
        return await self._introduced(record, context)

    async def _with_password(
        self,
        accounts: Accounts,
        shown: str,
        request: catalog_pb2.AddConnectionRequest,
        context: grpc.aio.ServicerContext,
    ) -> ConnectionRecord:
        """A server that logs in with a user name and password (kept sealed like a token:
        each call is signed with it), or with an API key alone (``access_token``)."""
        if not request.server_url:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"a {shown} connection needs its server's address (server_url)",
            )
        by_key = bool(request.access_token) and not request.password
        if not by_key and not (request.username and request.password):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"a {shown} connection needs a username and password (or an API key)",
            )
        return await accounts.add_from_tokens(
            request.user_id,
            request.provider,
            request.access_token if by_key else request.password,
            None,
            NEVER_EXPIRES_S,
            None,
            scopes=[API_KEY_SCOPE] if by_key else None,
            server_url=request.server_url,
            account_id=None if by_key else request.username,
        )

    async def _signed_in_again(
        self,
        accounts: Accounts,
        existing: ConnectionRecord,
        tokens: StoredTokens,
        context: grpc.aio.ServicerContext,
        **changes: Any,
    ) -> catalog_pb2.AddConnectionResponse:
        """A new sign-in for an existing connection (same id, so its jobs keep working):
        fresh headers or a device-code grant, tried with the provider before it replaces
        the old one (a refused one changes nothing); ``changes``: its new client id."""
        if self.factory is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such connection")
        assert self.factory is not None
        trial = msgspec.structs.replace(
            existing, tokens=accounts.sealed_for(existing.connection_id, tokens), **changes
        )
        try:
            profile = await self.factory.for_connection(trial).profile()
        except (ProviderError, NeedsReauthorisation, RetriesExhausted) as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        user_id = existing.user_id
        await accounts.save_tokens(user_id, existing.connection_id, tokens, **changes)
        await accounts.set_profile(
            user_id, existing.connection_id, profile.account_id, profile.display_name
        )
        return catalog_pb2.AddConnectionResponse(
            connection_id=existing.connection_id,
            account_id=profile.account_id,
            display_name=profile.display_name or "",
        )

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
            refused = isinstance(error, NeedsReauthorisation) or (
                isinstance(error, ProviderError)
                and error.verdict.outcome in ("unauthorized", "forbidden")
            )
            # Plain words only: what the remote answered is never passed on.
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"{record.provider} refused these tokens"
                if refused and not isinstance(error, NeedsReauthorisation)
                else str(error),
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

    async def _marked(self, user_id: str, connection_id: str, question: Awaitable[T]) -> T:
        """The answer; a connection the provider no longer accepts is marked "needs
        re-authorisation" (with the reason) on the way, as a sync run would mark it."""
        try:
            return await question
        except NeedsReauthorisation as error:
            if self.accounts is not None:
                await self.accounts.needs_reauthorisation(user_id, connection_id, str(error))
            raise

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

    async def Disconnect(
        self, request: catalog_pb2.DisconnectRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.DisconnectResponse:
        if not request.user_id or not (request.connection_id or request.every_connection):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "name a user and a connection (or every one)"
            )
        if self.accounts is None:  # without sealing keys no connection was ever stored
            return catalog_pb2.DisconnectResponse(removed=0)
        if request.every_connection:
            removed = await self.accounts.disconnect_all(request.user_id)
        else:
            removed = await self.accounts.disconnect(request.user_id, request.connection_id)
        return catalog_pb2.DisconnectResponse(removed=removed)

    async def ListPlaylists(
        self, request: catalog_pb2.ListPlaylistsRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ListPlaylistsResponse:
        provider = await self._connected(request.user_id, request.connection_id, context)

        async def read() -> list[PlaylistInfo]:
            return [p async for p in provider.playlists()]

        found = await _ask(context, self._marked(request.user_id, request.connection_id, read()))
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
        page, more = await _ask(
            context,
            self._marked(
                request.user_id, request.connection_id, _page(tracks, request.offset, limit)
            ),
        )
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
    except Unreadable as error:
        await context.abort(_STATUS.get(error.outcome, grpc.StatusCode.NOT_FOUND), str(error))
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
