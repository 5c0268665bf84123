"""Interactive questions answered by other services over gRPC."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException, ValidationException
from litestar.params import JSONBody

from services.gateway.adapters.rpc import ServiceUnavailable
from services.gateway.api.dependencies import Gateway
from services.kernel.contracts import TrackDocument


class ProviderView(msgspec.Struct, kw_only=True):
    """A provider and what it can do."""

    name: str
    display_name: str
    capabilities: list[str]


class RankRequest(msgspec.Struct, kw_only=True):
    """A source track and up to 500 candidates."""

    source: TrackDocument
    candidates: list[TrackDocument]


class RankedView(msgspec.Struct, kw_only=True):
    """A candidate's place: its index in the request and the confidence."""

    index: int
    confidence: float


class RankResponse(msgspec.Struct, kw_only=True):
    """Candidates best first, and the decision for the best one."""

    decision: str
    ranked: list[RankedView]


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
                name=p.name, display_name=p.display_name, capabilities=list(p.capabilities)
            )
            for p in response.providers
        ]

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
