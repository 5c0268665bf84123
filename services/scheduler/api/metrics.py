"""The scheduler's sync metrics, for Prometheus."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from services.kernel.records import SyncRunRecord

ACTIONS = ("add_to_a", "remove_from_a", "add_to_b", "remove_from_b")


class SyncMetrics:
    """Runs by status, run duration, tracks by action, conflicts and review items."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.runs = Counter(
            "tunebridge_sync_runs",
            "Sync runs that ended, by status and what started them",
            ["status", "trigger"],
            registry=registry,
        )
        self.duration = Histogram(
            "tunebridge_sync_run_duration_seconds",
            "How long sync runs took, by how they ended",
            ["status"],
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200),
            registry=registry,
        )
        self.items = Counter(
            "tunebridge_sync_items",
            "Tracks sync runs added or removed (planned, for dry runs), by action",
            ["action", "dry_run"],
            registry=registry,
        )
        self.conflicts = Counter(
            "tunebridge_sync_conflicts", "Conflicts sync runs met", registry=registry
        )
        self.reviews = Counter(
            "tunebridge_sync_reviews", "Review items sync runs asked for", registry=registry
        )

    def ended(self, run: SyncRunRecord) -> None:
        """Count a run that has just ended."""
        trigger = run.trigger.split(":", 1)[0]
        self.runs.labels(run.status, trigger).inc()
        if run.finished_at:
            took = (run.finished_at - run.created_at).total_seconds()
            self.duration.labels(run.status).observe(max(took, 0.0))
        for action in ACTIONS:
            if run.counts.get(action):
                self.items.labels(action, str(run.dry_run).lower()).inc(run.counts[action])
        if run.counts.get("conflicts"):
            self.conflicts.inc(run.counts["conflicts"])
