"""Health is judged from fresh heartbeats of ready instances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.gateway.domain.health import DependencyHealth, assess_services, report
from services.kernel.records import ServiceStatus

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def beat(
    service: str, ready: bool = True, age_s: float = 1.0, instance: str = "a"
) -> ServiceStatus:
    return ServiceStatus(
        service=service,
        instance=instance,
        ready=ready,
        pid=1,
        started_at=NOW,
        at=NOW - timedelta(seconds=age_s),
    )


def test_a_service_is_ready_when_one_fresh_instance_is() -> None:
    services = assess_services(
        ["matcher", "scheduler", "downloader"],
        [
            beat("matcher", age_s=60, instance="old"),
            beat("matcher", instance="new"),
            beat("scheduler", ready=False),
        ],
        NOW,
    )
    assert services["matcher"].ready and services["matcher"].instances == 2
    assert services["matcher"].ready_instances == 1
    assert not services["scheduler"].ready
    assert not services["downloader"].ready and services["downloader"].last_seen_s is None


def test_overall_status_needs_every_service_and_dependency() -> None:
    services = assess_services(["matcher"], [beat("matcher")], NOW)
    assert report(services, DependencyHealth(ready=True), None).status == "ok"
    assert report(services, DependencyHealth(ready=False), None).status == "unavailable"
    down = DependencyHealth(ready=False, error="ConnectionError")
    assert report(services, DependencyHealth(ready=True), down).status == "unavailable"
