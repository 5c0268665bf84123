"""Composition root of the matcher: the one place that wires concrete things."""

from __future__ import annotations

from typing import ClassVar

import grpc

from services.kernel import grpcwire
from services.kernel.contracts import MatchBatchRequested, RankRequested
from services.kernel.rpc.tunebridge.matcher.v1 import matcher_pb2_grpc
from services.kernel.runtime import ServiceContext
from services.matcher.api.servicer import MatcherServicer
from services.matcher.api.subscribers import BatchMatcher, CandidateRanker
from services.matcher.domain.scoring import Thresholds
from services.matcher.settings import MatcherSettings


class MatcherApp:
    """Batch matching on the bus, interactive ranking over gRPC."""

    name: ClassVar[str] = "matcher"

    def __init__(self, settings: MatcherSettings) -> None:
        self.settings = settings
        self.thresholds = Thresholds(auto=settings.auto_threshold, review=settings.review_threshold)
        self._server: grpc.aio.Server | None = None

    def subscribe(self, ctx: ServiceContext) -> None:
        ctx.bus.consume(MatchBatchRequested, BatchMatcher(ctx.bus, ctx.store, self.thresholds))
        ctx.bus.consume(RankRequested, CandidateRanker(ctx.bus), max_workers=2)

    async def start(self, ctx: ServiceContext) -> None:
        servicer = MatcherServicer(self.thresholds)
        self._server, port = await grpcwire.start_server(
            self.settings.grpc_host,
            self.settings.grpc_port,
            ctx.tracer_provider,
            lambda server: matcher_pb2_grpc.add_MatcherServiceServicer_to_server(servicer, server),
            ["tunebridge.matcher.v1.MatcherService"],
            ctx.grpc_auth,
        )
        ctx.detail["grpc_port"] = str(port)

    async def stop(self) -> None:
        if self._server:
            await self._server.stop(grace=5)
