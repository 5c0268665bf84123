"""The one place that spells subjects, streams, durable consumers and buckets.

Subjects are ``tunebridge.v1.<domain>.<event>``, where ``<domain>.<event>`` is the event's
tag; IDs travel in payloads, never in subjects. There is one stream per domain
(``TUNEBRIDGE_<DOMAIN>``) and durable pull consumers are named
``<service>-<domain>-<event>``. An optional namespace prefixes everything, so that tests
and several installations can share one NATS server without seeing each other's messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.kernel.contracts import EVENT_TYPES, Event

VERSION = "v1"
ROOT = "tunebridge"

#: Streams by domain: how long messages are kept (seconds). Facts are kept a week for
#: replay and inspection; dead letters a month, for a person to look at.
STREAM_MAX_AGE = {
    "providers": 7 * 86400,
    "runs": 7 * 86400,
    "library": 7 * 86400,
    "matching": 7 * 86400,
    "downloads": 7 * 86400,
    "sync": 7 * 86400,
    "deadletter": 30 * 86400,
}

#: Key-value buckets and their time-to-live (seconds, 0 = kept). Heartbeats expire so a
#: dead instance disappears from health by itself; runs hold user content and expire.
KV_BUCKETS = {
    "services": 15,
    "runs": 30 * 86400,
    "results": 30 * 86400,
    # Connections hold encrypted tokens and stay until disconnected.
    "connections": 0,
    # An OAuth state lives ten minutes and is used once.
    "oauth_states": 600,
    # The outcome of each provider write, so a redelivered request is not written twice.
    "operations": 7 * 86400,
    # Downloads and their progress: the finished list is kept a month; so are the
    # playlists whose M3U8 is rewritten as their downloads land.
    "downloads": 30 * 86400,
    "playlist_files": 30 * 86400,
    # Sync jobs, the state of each synced pair and remembered track mappings are kept
    # until deleted: they are what makes the next run exact.
    "jobs": 0,
    "sync_pairs": 0,
    "mappings": 0,
    # Sync runs and their reports, like missing-tracks runs, are kept a month.
    "sync_runs": 30 * 86400,
    # Users (by id, and their names), API tokens (by digest) are kept until deleted;
    # browser sessions last two weeks.
    "users": 0,
    "usernames": 0,
    "api_tokens": 0,
    "sessions": 14 * 86400,
    # Schedules and webhooks are kept until deleted.
    "schedules": 0,
    "webhooks": 0,
    # Each webhook delivery id is accepted once within the five-minute signing window.
    "webhook_deliveries": 900,
    # Review items hold titles and artwork: a question unanswered for 90 days is dropped
    # (the track is simply asked about again by the next run).
    "reviews": 90 * 86400,
}

#: Object stores for documents too large for one message.
OBJECT_STORES = {
    "uploads": 7 * 86400,
    "snapshots": 7 * 86400,
    # The last synced state of each pair (ids only): the base of the next three-way diff.
    "sync_bases": 0,
    # A run's plan, track by track, for applying it and for its report.
    "sync_plans": 30 * 86400,
}

_NAMESPACE = re.compile(r"^[a-z0-9_]{0,32}$")


def tag_of(event_type: type[Event]) -> str:
    """The tag (``<domain>.<event>``) of an event type."""
    tag = event_type.__struct_config__.tag
    assert isinstance(tag, str), event_type
    return tag


@dataclass(frozen=True)
class Topology:
    """Names of every subject, stream, consumer and bucket, under an optional namespace."""

    namespace: str = ""

    def __post_init__(self) -> None:
        if not _NAMESPACE.match(self.namespace):
            raise ValueError("namespace must be 0-32 characters of a-z, 0-9 and _")

    @property
    def _prefix(self) -> str:
        return f"{self.namespace}." if self.namespace else ""

    def subject(self, event_type: type[Event], qualifier: str | None = None) -> str:
        """The subject an event type is published on; a qualifier (a provider's name, for
        per-provider work queues) is its last token."""
        subject = f"{self._prefix}{ROOT}.{VERSION}.{tag_of(event_type)}"
        return f"{subject}.{_qualifier(qualifier)}" if qualifier else subject

    def domain_of(self, event_type: type[Event]) -> str:
        """The domain (first tag part) of an event type."""
        return tag_of(event_type).split(".", 1)[0]

    def stream(self, domain: str) -> str:
        """The stream that holds a domain's messages."""
        prefix = f"{self.namespace.upper()}_" if self.namespace else ""
        return f"{prefix}TUNEBRIDGE_{domain.upper()}"

    def stream_subjects(self, domain: str) -> list[str]:
        """The subjects a domain's stream captures."""
        return [f"{self._prefix}{ROOT}.{VERSION}.{domain}.>"]

    def stream_for(self, event_type: type[Event]) -> str:
        """The stream an event type lands in."""
        return self.stream(self.domain_of(event_type))

    def durable(self, service: str, event_type: type[Event], qualifier: str | None = None) -> str:
        """The durable consumer name of ``service`` for ``event_type`` (no dots allowed)."""
        domain, event = tag_of(event_type).split(".", 1)
        prefix = f"{self.namespace}-" if self.namespace else ""
        suffix = f"-{_qualifier(qualifier)}" if qualifier else ""
        return f"{prefix}{service}-{domain}-{event}{suffix}"

    @property
    def dead_letter_subject(self) -> str:
        """Where consumers put the messages they give up on."""
        return f"{self._prefix}{ROOT}.{VERSION}.deadletter.message"

    def bucket(self, name: str) -> str:
        """The real name of a key-value bucket or object store."""
        if name not in KV_BUCKETS and name not in OBJECT_STORES:
            raise KeyError(name)
        prefix = f"{self.namespace}_" if self.namespace else ""
        return f"{prefix}tunebridge_{name}"


_QUALIFIER = re.compile(r"^[a-z0-9_-]{1,32}$")


def _qualifier(value: str) -> str:
    if not _QUALIFIER.match(value):
        raise ValueError(f"subject qualifier must be 1-32 of a-z, 0-9, _ and -: {value!r}")
    return value


def all_domains() -> list[str]:
    """Every domain that has a stream, dead letters included."""
    domains = {tag_of(event_type).split(".", 1)[0] for event_type in EVENT_TYPES}
    return sorted(domains | {"deadletter"})
