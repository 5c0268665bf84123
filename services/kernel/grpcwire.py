"""gRPC wiring shared by servers and clients: health, tracing, authentication, one way to
start and dial.

Every call carries its caller's token (``TUNEBRIDGE_TRANSPORT__GRPC_TOKEN``) in metadata;
every server knows its peers by the SHA-256 of their tokens and lets a caller reach only
the services ``subjects.GRPC_CALLERS`` allows it. A call without a known token is refused
``UNAUTHENTICATED``; a known caller at a service not its own ``PERMISSION_DENIED``. Only
the standard health service answers anyone (it says nothing but "serving").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor
from opentelemetry.sdk.trace import TracerProvider

from services.kernel.contracts import Track
from services.kernel.rpc.tunebridge.music.v1 import track_pb2
from services.kernel.subjects import GRPC_CALLERS

#: The metadata key of the caller's token.
TOKEN_KEY = "x-tunebridge-token"
_OPEN_SERVICES = frozenset({"grpc.health.v1.Health"})


def token_digest(token: str) -> str:
    """How a server knows a peer's token without holding it."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class GrpcAuth:
    """A service's gRPC credentials: its own token, and its peers' token digests by name."""

    token: str = ""
    peers: dict[str, str] = field(default_factory=dict)  # digest -> service name

    def __repr__(self) -> str:  # never print the token
        return (
            f"GrpcAuth(token={'***' if self.token else ''!r}, peers={sorted(self.peers.values())})"
        )

    @classmethod
    def parse(cls, token: str, peers: Iterable[str]) -> GrpcAuth:
        """From settings: each peer is ``name=sha256:<hex>`` or ``name=<token>``."""
        known = {}
        for entry in peers:
            name, sep, value = entry.partition("=")
            if not sep or not name or not value:
                raise ValueError("a gRPC peer is name=sha256:<hex> or name=<token>")
            digest = value.removeprefix("sha256:") if value.startswith("sha256:") else None
            known[digest or token_digest(value)] = name.strip()
        return cls(token=token, peers=known)

    def caller(self, metadata: Iterable[tuple[str, Any]] | None) -> str | None:
        """The peer that presented one of the known tokens, or None."""
        for key, value in metadata or ():
            if key == TOKEN_KEY and isinstance(value, str):
                presented = token_digest(value)
                for digest, name in self.peers.items():
                    if hmac.compare_digest(presented, digest):
                        return name
        return None


def _refusal(code: grpc.StatusCode, details: str) -> grpc.RpcMethodHandler:
    async def refuse(request: object, context: grpc.aio.ServicerContext) -> None:
        await context.abort(code, details)

    return grpc.unary_unary_rpc_method_handler(refuse)


class _Authenticate(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Lets through only known callers, each only to the services it may call."""

    def __init__(self, auth: GrpcAuth) -> None:
        self._auth = auth

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        service = details.method.lstrip("/").split("/", 1)[0]
        if service in _OPEN_SERVICES:
            return await continuation(details)
        caller = self._auth.caller(details.invocation_metadata)
        if caller is None:
            return _refusal(grpc.StatusCode.UNAUTHENTICATED, "caller not authenticated")
        if caller not in GRPC_CALLERS.get(service, ()):
            return _refusal(grpc.StatusCode.PERMISSION_DENIED, f"{caller} may not call this")
        return await continuation(details)


class _Present(
    grpc.aio.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.aio.UnaryStreamClientInterceptor,  # type: ignore[misc]
):
    """Adds the caller's token to every call."""

    def __init__(self, token: str) -> None:
        self._token = token

    def _details(self, details: Any) -> Any:
        metadata = [*(details.metadata or ()), (TOKEN_KEY, self._token)]
        return details._replace(metadata=metadata)

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


async def start_server(
    host: str,
    port: int,
    tracer_provider: TracerProvider,
    register: Callable[[grpc.aio.Server], None],
    service_names: list[str],
    auth: GrpcAuth,
) -> tuple[grpc.aio.Server, int]:
    """Start an async gRPC server with tracing, authentication and the standard health
    service.

    Returns the server and the port it bound (``port`` 0 picks a free one).
    """
    # Without peers (nothing configured) every call is refused: closed, never open.
    server = grpc.aio.server(
        interceptors=[_Authenticate(auth), aio_server_interceptor(tracer_provider=tracer_provider)]
    )
    register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind gRPC server to {host}:{port}")
    await server.start()
    for name in ["", *service_names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, bound


def channel(address: str, tracer_provider: TracerProvider, auth: GrpcAuth) -> grpc.aio.Channel:
    """A traced async channel to ``host:port`` whose calls carry this service's token."""
    interceptors: list[Any] = list(aio_client_interceptors(tracer_provider=tracer_provider))
    if auth.token:
        interceptors.insert(0, _Present(auth.token))
    return grpc.aio.insecure_channel(address, interceptors=interceptors)


def track_to_proto(track: Track) -> track_pb2.Track:
    """A contract track as the gRPC ``Track`` message."""
    message = track_pb2.Track(
        title=track.title,
        artists=list(track.artists),
        album=track.album or "",
        duration_ms=track.duration_ms or 0,
        isrc=track.isrc or "",
        provider=track.provider or "",
        provider_id=track.provider_id or "",
        kind=track.kind or "",
        views=track.views or 0,
        album_artists=list(track.album_artists),
        track_number=track.track_number or 0,
        disc_number=track.disc_number or 0,
        release_date=track.release_date or "",
        genres=list(track.genres),
        artwork_urls=list(track.artwork_urls),
        track_total=track.track_total or 0,
        disc_total=track.disc_total or 0,
        label=track.label or "",
        entity=track.entity or "",
        upc=track.upc or "",
    )
    if track.explicit is not None:
        message.explicit = track.explicit
    return message


def track_from_proto(message: track_pb2.Track) -> Track:
    """A gRPC ``Track`` message as a contract track (empty fields read as unknown)."""
    return Track(
        title=message.title,
        artists=tuple(message.artists),
        album=message.album or None,
        duration_ms=message.duration_ms or None,
        isrc=message.isrc or None,
        explicit=message.explicit if message.HasField("explicit") else None,
        provider=message.provider or None,
        provider_id=message.provider_id or None,
        kind=message.kind if message.kind in ("song", "video") else None,  # type: ignore[arg-type]
        views=message.views or None,
        album_artists=tuple(message.album_artists),
        track_number=message.track_number or None,
        disc_number=message.disc_number or None,
        release_date=message.release_date or None,
        genres=tuple(message.genres),
        artwork_urls=tuple(message.artwork_urls),
        track_total=message.track_total or None,
        disc_total=message.disc_total or None,
        label=message.label or None,
        entity=message.entity if message.entity in ("album", "artist") else None,  # type: ignore[arg-type]
        upc=message.upc or None,
    )
