"""Asking the matcher (over gRPC) which uploads are the planned recording."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import TracerProvider

from services.downloader.domain.sources import Source
from services.kernel import grpcwire
from services.kernel.contracts import PlannedDownload
from services.kernel.rpc.tunebridge.matcher.v1 import matcher_pb2, matcher_pb2_grpc

TIMEOUT_S = 20.0


class MatcherRanking:
    """Ranks search results for a planned track, best first."""

    def __init__(
        self, address: str, tracer_provider: TracerProvider, auth: grpcwire.GrpcAuth
    ) -> None:
        self._channel = grpcwire.channel(address, tracer_provider, auth)
        self._stub = matcher_pb2_grpc.MatcherServiceStub(self._channel)  # type: ignore[no-untyped-call]

    async def __call__(
        self, item: PlannedDownload, sources: Sequence[Source]
    ) -> list[tuple[int, float]]:
        response = await self._stub.RankCandidates(
            matcher_pb2.RankCandidatesRequest(
                source=grpcwire.track_to_proto(item.track),
                candidates=[grpcwire.track_to_proto(s.track) for s in sources],
            ),
            timeout=TIMEOUT_S,
        )
        return [(r.index, r.confidence) for r in response.ranked]

    async def close(self) -> None:
        await self._channel.close()
