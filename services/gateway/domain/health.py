"""Health: is every service of the installation ready, judged from their heartbeats."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from services.kernel.records import ServiceStatus

#: A heartbeat older than this means the instance is gone or stuck (beats every 5 s).
STALE_AFTER_S = 15.0


class ServiceHealth(msgspec.Struct, kw_only=True):
    """One service: ready if at least one instance is ready and recently heard from."""

    ready: bool
    instances: int
    ready_instances: int
    last_seen_s: float | None = None
    #: What the owner should act on (Apple's developer token nearing its end).
    warnings: list[str] = msgspec.field(default_factory=list)


class DependencyHealth(msgspec.Struct, kw_only=True):
    """An infrastructure dependency."""

    ready: bool
    error: str | None = None


class HealthReport(msgspec.Struct, kw_only=True):
    """The answer of ``GET /api/v1/health``."""

    status: str
    services: dict[str, ServiceHealth]
    nats: DependencyHealth
    redis: DependencyHealth | None = None


def assess_services(
    names: Iterable[str], statuses: Iterable[ServiceStatus], now: datetime
) -> dict[str, ServiceHealth]:
    """Each named service's health from the heartbeats of its instances."""
    by_service: dict[str, list[ServiceStatus]] = {}
    for status in statuses:
        by_service.setdefault(status.service, []).append(status)
    report = {}
    for name in names:
        beats = by_service.get(name, [])
        ages = [(now - beat.at).total_seconds() for beat in beats]
        ready = sum(
            1 for beat, age in zip(beats, ages, strict=True) if beat.ready and age <= STALE_AFTER_S
        )
        report[name] = ServiceHealth(
            ready=ready > 0,
            instances=len(beats),
            ready_instances=ready,
            last_seen_s=round(min(ages), 3) if ages else None,
            warnings=sorted(
                {v for beat in beats for k, v in beat.detail.items() if k.startswith("warning.")}
            ),
        )
    return report


def report(
    services: dict[str, ServiceHealth], nats: DependencyHealth, redis: DependencyHealth | None
) -> HealthReport:
    """The whole report; ``ok`` only when every service and dependency is ready."""
    ready = (
        all(s.ready for s in services.values()) and nats.ready and (redis is None or redis.ready)
    )
    return HealthReport(
        status="ok" if ready else "unavailable", services=services, nats=nats, redis=redis
    )
