"""``GET /api/v1/health``: 200 when every service and dependency is ready, else 503; and
``GET /metrics``: the gateway's Prometheus metrics (every service also serves its own on its
ops port)."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.gateway.api.dependencies import Gateway
from services.gateway.domain.health import (
    DependencyHealth,
    HealthReport,
    assess_services,
    report,
)
from services.kernel.contracts import utcnow
from services.kernel.records import ServiceStatus
from services.kernel.runtime import SERVICE_NAMES


async def _redis_health(url: str) -> DependencyHealth:
    import redis.asyncio as redis

    client = redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
        return DependencyHealth(ready=True)
    except Exception as error:  # report, never raise: health must answer
        return DependencyHealth(ready=False, error=type(error).__name__)
    finally:
        await client.aclose()


def _nats_down(connection: Any) -> str:
    """Why the gateway has no NATS connection, in words (never the server's address)."""
    if connection is None:
        return "not connected to NATS"
    last = connection.last_error
    cause = f" (last error: {type(last).__name__})" if last is not None else ""
    if connection.is_reconnecting:
        return f"NATS is unreachable; reconnecting{cause}"
    return f"not connected to NATS{cause}"


class HealthController(Controller):
    """Installation health."""

    path = "/api/v1/health"
    tags = ["operations"]

    @get(summary="Health of every service and dependency", exclude_from_auth=True)
    async def health(self, gateway: NamedDependency[Gateway]) -> Response[HealthReport]:
        connection = gateway.ctx.bus.broker.config.connection_state.connection
        nats = DependencyHealth(ready=bool(connection and connection.is_connected))
        if not nats.ready:  # say why: down and being waited for, or given up on
            nats = DependencyHealth(ready=False, error=_nats_down(connection))
        statuses: list[ServiceStatus] = []
        if nats.ready:
            try:
                statuses = await asyncio.wait_for(
                    gateway.ctx.store.values("services", ">", ServiceStatus), timeout=3
                )
            except Exception as error:
                nats = DependencyHealth(ready=False, error=type(error).__name__)
        services = assess_services(SERVICE_NAMES, statuses, utcnow())
        # The gateway answers this request, so its own word counts more than its beat.
        services["gateway"].ready = bool(gateway.is_ready()) and nats.ready
        redis = await _redis_health(gateway.redis_url) if gateway.redis_url else None
        body = report(services, nats, redis)
        return Response(body, status_code=200 if body.status == "ok" else 503)


class MetricsController(Controller):
    """Prometheus metrics of the gateway."""

    path = "/metrics"
    tags = ["operations"]

    @get(summary="Prometheus metrics", media_type=CONTENT_TYPE_LATEST, exclude_from_auth=True)
    async def metrics(
        self, gateway: NamedDependency[Gateway], request: Request[Any, Any, Any]
    ) -> bytes:
        """Open on this machine by default; with ``TUNEBRIDGE_GATEWAY__METRICS_TOKEN`` set
        (a gateway reachable from outside), only with ``Authorization: Bearer <it>``."""
        wanted = gateway.settings.metrics_token
        if wanted:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {wanted}".encode()):
                raise NotAuthorizedException(
                    "metrics need 'Authorization: Bearer <TUNEBRIDGE_GATEWAY__METRICS_TOKEN>'"
                )
        return generate_latest(gateway.ctx.registry)
