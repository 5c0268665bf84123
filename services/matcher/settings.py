"""The matcher's settings (section ``MATCHER``)."""

from __future__ import annotations

import msgspec


class MatcherSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    grpc_host: Interface the gRPC ``MatcherService`` listens on.
    grpc_port: Its port (0 picks a free one).
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    auto_threshold: Confidence at or above which a match is acted on.
    review_threshold: Confidence at or above which a person is asked.
    """

    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090
    auto_threshold: float = 0.90
    review_threshold: float = 0.30
