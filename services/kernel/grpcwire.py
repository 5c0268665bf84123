"""gRPC wiring shared by servers and clients: health, tracing, one way to start and dial."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor
from opentelemetry.sdk.trace import TracerProvider


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
