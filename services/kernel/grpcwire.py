"""gRPC wiring shared by servers and clients: health, tracing, one way to start and dial."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor
from opentelemetry.sdk.trace import TracerProvider

from services.kernel.contracts import Track
from services.kernel.rpc.tunebridge.music.v1 import track_pb2


async def start_server(
    host: str,
    port: int,
    tracer_provider: TracerProvider,
    register: Callable[[grpc.aio.Server], None],
    service_names: list[str],
) -> tuple[grpc.aio.Server, int]:
    """Start an async gRPC server with tracing and the standard health service.

    Returns the server and the port it bound (``port`` 0 picks a free one).
    """
    server = grpc.aio.server(interceptors=[aio_server_interceptor(tracer_provider=tracer_provider)])
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


def channel(address: str, tracer_provider: TracerProvider) -> grpc.aio.Channel:
    """A traced async channel to ``host:port``."""
    return grpc.aio.insecure_channel(
        address, interceptors=aio_client_interceptors(tracer_provider=tracer_provider)
    )


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
    )
