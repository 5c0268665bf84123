"""Interactive questions answered by other services over gRPC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException, ValidationException
from litestar.params import JSONBody

from services.gateway.adapters.rpc import ServiceUnavailable
from services.gateway.api.dependencies import Gateway
from services.gateway.api.inputs import (
    Catalog,
    CatalogConnection,
    IntDurationMs,
    Name,
    TrackInput,
)
from services.gateway.domain.titles import catalog_queries
from services.kernel.contracts import Track


class ProviderView(msgspec.Struct, kw_only=True):
    """A provider and what it can do."""

    name: str
    display_name: str
    capabilities: list[str]
    #: How an account is connected (``oauth_pkce``, ``server_token``...; ``none``: a local
    #: source with no account).
    auth: str = "none"


class RankRequest(msgspec.Struct, kw_only=True):
    """A source track and up to 500 candidates."""

    source: TrackInput
    candidates: Annotated[list[TrackInput], msgspec.Meta(max_length=500)]


class RankedView(msgspec.Struct, kw_only=True):
    """A candidate's place: its index in the request and the confidence."""

    index: int
    confidence: float


class RankResponse(msgspec.Struct, kw_only=True):
    """Candidates best first, and the decision for the best one."""

    decision: str
    ranked: list[RankedView]


class ArtistQuestion(msgspec.Struct, kw_only=True):
    """A raw track whose artist is unknown (a video title, its uploader, its length).

    ``catalog`` names a provider whose search results help (e.g. ``deezer``); none by default.
    ``connection_id``: search it as this connection of yours (``/catalogs``).
    """

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    uploader: Annotated[str, msgspec.Meta(max_length=500)] = ""
    duration_ms: IntDurationMs = 0
    catalog: Catalog | None = None
    connection_id: CatalogConnection | None = None


class ArtistSearch(msgspec.Struct, kw_only=True):
    """A person's artist search: among ``names`` given, and the artists ``catalog`` (e.g.
    ``deezer``) finds for the query, when one is named (as ``connection_id``, one of
    yours)."""

    query: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    names: Annotated[list[Name], msgspec.Meta(max_length=500)] = msgspec.field(default_factory=list)
    catalog: Catalog | None = None
    connection_id: CatalogConnection | None = None


class ArtistSuggestionView(msgspec.Struct, kw_only=True):
    """A likely artist: name, picture, how likely (0..100) and why."""

    name: str
    image_url: str | None
    percent: float
    reasons: list[str]


def artist_options(results: list[Track], names: Sequence[str] = ()) -> list[tuple[str, str]]:
    """Each artist named by ``results`` (then ``names``) once, as ``(name, image URL)``: the
    cover of their first release among the results stands for them."""
    seen: dict[str, tuple[str, str]] = {}
    for track in results:
        for artist in track.artists:
            seen.setdefault(artist.casefold(), (artist, next(iter(track.artwork_urls), "")))
    for name in names:
        seen.setdefault(name.casefold(), (name, ""))
    return list(seen.values())


def _suggestions(found: Any) -> list[ArtistSuggestionView]:
    return [
        ArtistSuggestionView(
            name=s.artist.name,
            image_url=s.artist.image_url or None,
            percent=s.percent,
            reasons=list(s.reasons),
        )
        for s in found.suggestions
    ]


class CatalogController(Controller):
    """Providers and matching, asked of the connectors and the matcher."""

    path = "/api/v1"
    tags = ["catalog"]

    @get("/providers", summary="Providers and their capabilities")
    async def providers(self, gateway: NamedDependency[Gateway]) -> list[ProviderView]:
        try:
            response = await gateway.clients.providers(gateway.current_user())
        except ServiceUnavailable as error:
            raise ServiceUnavailableException("the connectors are not answering") from error
        return [
            ProviderView(
                name=p.name,
                display_name=p.display_name,
                capabilities=list(p.capabilities),
                auth=p.auth or "none",
            )
            for p in response.providers
        ]

    @post("/match/artists", status_code=200, summary="The five most likely artists of a track")
    async def suggest_artists(
        self, gateway: NamedDependency[Gateway], data: JSONBody[ArtistQuestion]
    ) -> list[ArtistSuggestionView]:
        user_id = gateway.current_user()
        try:
            results: list[Track] = []
            for query in catalog_queries(data.title) if data.catalog else []:
                results += await gateway.clients.search_tracks(
                    user_id,
                    data.catalog or "",
                    Track(title=query),
                    limit=10,
                    connection_id=data.connection_id or "",
                )
            found = await gateway.clients.suggest_artists(
                user_id,
                data.title,
                data.uploader,
                data.duration_ms,
                results,
                artist_options(results),
            )
        except ServiceUnavailable as error:
            if error.code().name in ("INVALID_ARGUMENT", "NOT_FOUND"):
                raise ValidationException(error.details() or "invalid request") from error
            raise ServiceUnavailableException("the matcher or catalog is not answering") from error
        return _suggestions(found)

    @post("/match/artists/search", status_code=200, summary="Rank artists against a search")
    async def search_artists(
        self, gateway: NamedDependency[Gateway], data: JSONBody[ArtistSearch]
    ) -> list[ArtistSuggestionView]:
        user_id = gateway.current_user()
        try:
            results = (
                await gateway.clients.search_tracks(
                    user_id,
                    data.catalog,
                    Track(title="", artists=(data.query,)),
                    limit=10,
                    connection_id=data.connection_id or "",
                )
                if data.catalog
                else []
            )
            found = await gateway.clients.search_artists(
                user_id, data.query, artist_options(results, data.names)
            )
        except ServiceUnavailable as error:
            if error.code().name in ("INVALID_ARGUMENT", "NOT_FOUND"):
                raise ValidationException(error.details() or "invalid request") from error
            raise ServiceUnavailableException("the matcher or catalog is not answering") from error
        return _suggestions(found)

    @post("/match/rank", status_code=200, summary="Rank candidates for a track")
    async def rank(
        self, gateway: NamedDependency[Gateway], data: JSONBody[RankRequest]
    ) -> RankResponse:
        try:
            response = await gateway.clients.rank(
                gateway.current_user(),
                data.source.to_track(),
                [candidate.to_track() for candidate in data.candidates],
            )
        except ServiceUnavailable as error:
            if error.code().name == "INVALID_ARGUMENT":
                raise ValidationException(error.details() or "invalid request") from error
            raise ServiceUnavailableException("the matcher is not answering") from error
        return RankResponse(
            decision=response.decision,
            ranked=[RankedView(index=r.index, confidence=r.confidence) for r in response.ranked],
        )
