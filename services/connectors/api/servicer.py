"""gRPC edge of the connectors: the catalog questions asked interactively."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping

import grpc

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.factory import ProviderFactory
from services.connectors.adapters.http import ProviderError, RetriesExhausted
from services.connectors.adapters.provider import NotSupported, Provider
from services.connectors.adapters.spotify import NeedsReauthorisation
from services.connectors.domain.providers import PROVIDERS
from services.kernel.contracts import Track
from services.kernel.grpcwire import track_to_proto
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2, catalog_pb2_grpc

MAX_RESULTS = 50
DEFAULT_RESULTS = 10
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
        if not request.query.title:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "query.title is required")
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
        try:
            return await question  # type: ignore[no-any-return,misc]
        except NotSupported as error:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, str(error))
        except ProviderError as error:
            status = (
                grpc.StatusCode.RESOURCE_EXHAUSTED
                if error.verdict.outcome in ("quota_exceeded", "rate_limited")
                else grpc.StatusCode.UNAVAILABLE
            )
            await context.abort(status, str(error))
        raise AssertionError("unreachable")


class ConnectionsServicer(catalog_pb2_grpc.ConnectionsServiceServicer):
    """Implements ``tunebridge.catalog.v1.ConnectionsService``."""

    def __init__(
        self,
        accounts: Accounts | None,
        factory: ProviderFactory | None,
        account_providers: tuple[str, ...],
    ) -> None:
        self.accounts = accounts
        self.factory = factory
        self.account_providers = account_providers

    async def AddConnection(
        self, request: catalog_pb2.AddConnectionRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.AddConnectionResponse:
        if self.accounts is None or self.factory is None:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                "tokens cannot be stored: set TUNEBRIDGE_SECRETS__KEYS for the connectors",
            )
        assert self.accounts is not None and self.factory is not None
        if request.provider not in self.account_providers:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"no accounts at {request.provider!r}; known: {', '.join(self.account_providers)}",
            )
        if not request.access_token:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "access_token is required")
        if request.provider == "plex" and not request.server_url:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a Plex server needs server_url")
        record = await self.accounts.add_from_tokens(
            request.user_id,
            request.provider,
            request.access_token,
            request.refresh_token or None,
            request.expires_in_s or NEVER_EXPIRES_S,
            request.client_id or None,
            server_url=request.server_url or None,
        )
        try:
            profile = await self.factory.for_connection(record).profile()
        except NotSupported:
            profile = None  # nothing to check with: the first read will tell
        except (ProviderError, NeedsReauthorisation, RetriesExhausted) as error:
            await self.accounts.disconnect(request.user_id, record.connection_id)
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"{request.provider} refused these tokens: {error}",
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


async def _listed(question: Awaitable[Track | None]) -> list[Track]:
    """A one-track answer in the shape ``_ask`` takes."""
    found = await question
    return [found] if found else []
