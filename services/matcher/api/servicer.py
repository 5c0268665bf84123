"""gRPC edge of the matcher: interactive ranking and artist suggestions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import grpc

from services.kernel.grpcwire import track_from_proto
from services.kernel.rpc.tunebridge.matcher.v1 import matcher_pb2, matcher_pb2_grpc
from services.kernel.rpc.tunebridge.music.v1 import track_pb2
from services.matcher.domain.artists import (
    ArtistOption,
    ArtistSuggestion,
    search_artists,
    suggest_artists,
)
from services.matcher.domain.releases import rank_release
from services.matcher.domain.scoring import Thresholds, rank

#: More than this many candidates (or options) is a misuse of an interactive call.
MAX_CANDIDATES = 500
DEFAULT_LIMIT = 5


def _option(message: track_pb2.Artist) -> ArtistOption:
    return ArtistOption(
        name=message.name,
        image_url=message.image_url or None,
        provider_id=message.provider_id or None,
    )


def _suggestions(found: Sequence[ArtistSuggestion]) -> list[matcher_pb2.ArtistSuggestion]:
    return [
        matcher_pb2.ArtistSuggestion(
            artist=track_pb2.Artist(
                name=s.artist.name,
                image_url=s.artist.image_url or "",
                provider_id=s.artist.provider_id or "",
            ),
            percent=s.percent,
            reasons=list(s.reasons),
        )
        for s in found
    ]


class MatcherServicer(matcher_pb2_grpc.MatcherServiceServicer):
    """Implements ``tunebridge.matcher.v1.MatcherService``."""

    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds

    async def _refuse_oversized(self, count: int, context: grpc.aio.ServicerContext) -> None:
        if count > MAX_CANDIDATES:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"at most {MAX_CANDIDATES} candidates"
            )

    async def RankCandidates(
        self, request: matcher_pb2.RankCandidatesRequest, context: grpc.aio.ServicerContext
    ) -> matcher_pb2.RankCandidatesResponse:
        if not request.source.title:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "source.title is required")
        await self._refuse_oversized(len(request.candidates), context)
        source = track_from_proto(request.source)
        candidates = [track_from_proto(candidate) for candidate in request.candidates]
        # An album or an artist (a saved one, followed) by its own rules, as a move's are.
        ranked = (
            rank_release(source, candidates)
            if source.entity in ("album", "artist")
            else rank(source, candidates, explain=request.explain)
        )
        decision = self.thresholds.decide(ranked[0][1].confidence) if ranked else "none"
        return matcher_pb2.RankCandidatesResponse(
            ranked=[
                matcher_pb2.RankedCandidate(
                    index=index,
                    confidence=score.confidence,
                    explain=[
                        matcher_pb2.Contribution(
                            feature=c.feature,
                            value="" if c.value is None else str(c.value),
                            contribution=c.contribution if math.isfinite(c.contribution) else 99.0,
                        )
                        for c in score.contributions
                    ],
                )
                for index, score in ranked
            ],
            decision=decision,
        )

    async def SuggestArtists(
        self, request: matcher_pb2.SuggestArtistsRequest, context: grpc.aio.ServicerContext
    ) -> matcher_pb2.SuggestArtistsResponse:
        if not request.title:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "title is required")
        await self._refuse_oversized(len(request.search_results) + len(request.options), context)
        found = suggest_artists(
            request.title,
            uploader=request.uploader or None,
            duration_ms=request.duration_ms or None,
            search_results=[track_from_proto(t) for t in request.search_results],
            options=[_option(o) for o in request.options],
            limit=request.limit or DEFAULT_LIMIT,
        )
        return matcher_pb2.SuggestArtistsResponse(suggestions=_suggestions(found))

    async def SearchArtists(
        self, request: matcher_pb2.SearchArtistsRequest, context: grpc.aio.ServicerContext
    ) -> matcher_pb2.SearchArtistsResponse:
        await self._refuse_oversized(len(request.options), context)
        found = search_artists(
            request.query,
            [_option(o) for o in request.options],
            limit=request.limit or DEFAULT_LIMIT,
        )
        return matcher_pb2.SearchArtistsResponse(suggestions=_suggestions(found))
