"""gRPC edge of the matcher: interactive ranking for the gateway and the downloader."""

from __future__ import annotations

import grpc

from services.kernel.contracts import Track
from services.kernel.rpc.tunebridge.matcher.v1 import matcher_pb2, matcher_pb2_grpc
from services.kernel.rpc.tunebridge.music.v1 import track_pb2
from services.matcher.domain.scoring import Thresholds, rank

#: More than this many candidates is a misuse of an interactive call.
MAX_CANDIDATES = 500


def track_from_proto(message: track_pb2.Track) -> Track:
    """A proto track as a contract track."""
    return Track(
        title=message.title,
        artists=tuple(message.artists),
        album=message.album or None,
        duration_ms=message.duration_ms or None,
        isrc=message.isrc or None,
        explicit=message.explicit if message.HasField("explicit") else None,
        provider=message.provider or None,
        provider_id=message.provider_id or None,
    )


class MatcherServicer(matcher_pb2_grpc.MatcherServiceServicer):
    """Implements ``tunebridge.matcher.v1.MatcherService``."""

    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds

    async def RankCandidates(
        self, request: matcher_pb2.RankCandidatesRequest, context: grpc.aio.ServicerContext
    ) -> matcher_pb2.RankCandidatesResponse:
        if not request.source.title:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "source.title is required")
        if len(request.candidates) > MAX_CANDIDATES:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"at most {MAX_CANDIDATES} candidates"
            )
        ranked = rank(
            track_from_proto(request.source),
            [track_from_proto(candidate) for candidate in request.candidates],
        )
        decision = self.thresholds.decide(ranked[0][1]) if ranked else "none"
        return matcher_pb2.RankCandidatesResponse(
            ranked=[
                matcher_pb2.RankedCandidate(index=index, confidence=confidence)
                for index, confidence in ranked
            ],
            decision=decision,
        )
