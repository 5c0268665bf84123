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

from services.kernel import contracts
from services.kernel.contracts import EVENT_TYPES, DeadLettered, Event

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
    # A user's removal, read by each service that keeps something of theirs.
    "users": 7 * 86400,
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
    # A run's album-mode choices (which share's folder each album comes from), kept as
    # long as its downloads, so a restarted downloader keeps to them.
    "album_folders": 30 * 86400,
    # A person's audio searches, kept an hour so a download can name one of the results.
    "audio_searches": 3600,
    # Users' named quality profiles stay until deleted.
    "quality_profiles": 0,
    # Sync jobs, the state of each synced pair and remembered track mappings are kept
    # until deleted: they are what makes the next run exact.
    "jobs": 0,
    "sync_pairs": 0,
    "mappings": 0,
    # Sync runs and their reports, like missing-tracks runs, are kept a month.
    "sync_runs": 30 * 86400,
    # Per user: downloads awaited and landed since their media servers last scanned, and
    # the runs waiting for that scan; a day is long enough for any scan.
    "library_scans": 86400,
    # Users (by id, and their names), API tokens (by digest) are kept until deleted;
    # browser sessions last two weeks.
    "users": 0,
    "usernames": 0,
    "api_tokens": 0,
    "sessions": 14 * 86400,
    # Schedules and webhooks are kept until deleted.
    "schedules": 0,
    "schedule_fires": 0,
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

    def dead_letter_subject(self, service: str) -> str:
        """Where ``service``'s consumers put the messages they give up on: a subject of
        its own, so that a letter says truly which service wrote it."""
        return f"{self.dead_letters}.{service}"

    @property
    def dead_letters(self) -> str:
        """Every service's dead letters (``dead_letter_subject``) under one prefix."""
        return f"{self._prefix}{ROOT}.{VERSION}.deadletter.message"

    def may_dead_letter(self, writer: str, letter: DeadLettered) -> bool:
        """Whether ``writer`` (the service whose subject a letter came on) may say that
        one of its consumers gave up on the message the letter names: the consumer is its
        own, and the message's subject is in a stream the service consumes."""
        own = f"{self.namespace}-{writer}-" if self.namespace else f"{writer}-"
        events = f"{self._prefix}{ROOT}.{VERSION}."
        domain = letter.subject.removeprefix(events).split(".", 1)[0]
        return (
            letter.consumer.startswith(own)
            and letter.subject.startswith(events)
            and domain in CONSUMES.get(writer, ())
            and letter.stream == self.stream(domain)
        )

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


# --- Who may do what: the tables NATS permissions are generated from -------------------

#: The identities of an installation: the five services, and ``admin`` (the operator's and
#: the test suite's key to everything; no service runs as it).
ADMIN = "admin"


@dataclass(frozen=True)
class Access:
    """Who may touch one bucket or object store.

    ``owner`` declares it and is the one to write it (others change an owner's state by a
    command on the bus or a gRPC call); ``readers`` may only read it, and only where it is
    a read model its owner publishes.
    """

    owner: str
    readers: tuple[str, ...] = ()

    @property
    def writing(self) -> tuple[str, ...]:
        return (self.owner,)

    @property
    def everyone(self) -> tuple[str, ...]:
        return (*self.writing, *self.readers)


#: The bucket every service writes its heartbeat in, each only under its own name.
HEARTBEATS = "services"

#: Each bucket's and object store's access. Users, their names, API tokens, sessions and
#: webhooks are the gateway's alone: no other identity can read or forge them.
ACCESS: dict[str, Access] = {
    HEARTBEATS: Access("gateway"),  # every service also writes ``<its name>.*`` keys
    # Published read models: the gateway shows missing-tracks runs and their results; it
    # starts one by MissingTracksCheckRequested, which the scheduler records.
    "runs": Access("scheduler", readers=("gateway",)),
    "results": Access("scheduler", readers=("gateway",)),  # read model: a run's report
    # Published read model: the gateway lists connections and their state; it disconnects
    # through the connectors' ConnectionsService.Disconnect.
    "connections": Access("connectors", readers=("gateway",)),
    "oauth_states": Access("connectors"),
    "operations": Access("connectors"),
    # Published read model: the gateway lists downloads and their progress; it queues,
    # retries and cancels them by command (DownloadQueueRequested, DownloadRetryRequested,
    # DownloadCancelRequested), which the downloader checks and records.
    "downloads": Access("downloader", readers=("gateway",)),
    "playlist_files": Access("downloader"),
    "album_folders": Access("downloader"),
    "audio_searches": Access("downloader"),
    "quality_profiles": Access("gateway"),  # each user's; a download carries its profile
    # Read model: a job's definition, which the scheduler runs.
    "jobs": Access("gateway", readers=("scheduler",)),
    # Published read models: the gateway shows each job's pairs (their current partners)
    # and its runs; it asks the scheduler by command (SyncRunRequested, SyncJobDeleted,
    # SyncRunCancelRequested) to start, forget or stop them.
    "sync_pairs": Access("scheduler", readers=("gateway",)),
    "mappings": Access("scheduler"),
    "sync_runs": Access("scheduler", readers=("gateway",)),
    # The scheduler's alone: it debounces the scans downloads call for (DownloadFinished,
    # SyncDownloadsQueued in; MediaScanRequested out) and holds runs until they end.
    "library_scans": Access("scheduler"),
    "users": Access("gateway"),
    "usernames": Access("gateway"),
    "api_tokens": Access("gateway"),
    "sessions": Access("gateway"),
    # A person's schedules, which the scheduler fires; where each one's firing stands (its
    # next time, its last run) is the scheduler's, shown by the gateway.
    "schedules": Access("gateway", readers=("scheduler",)),
    "schedule_fires": Access("scheduler", readers=("gateway",)),
    "webhooks": Access("gateway"),
    "webhook_deliveries": Access("gateway"),
    # Published read model: the gateway lists review items; a person's answer goes to the
    # scheduler as ReviewDecided, which records it and its mapping.
    "reviews": Access("scheduler", readers=("gateway",)),
    # Object stores.
    # Read model: an uploaded playlist document, handed to the connectors to import.
    "uploads": Access("gateway", readers=("connectors",)),
    # Read model: the collections the connectors read, which the matcher matches (a library
    # of several parts is read as one: nobody stores the whole).
    "snapshots": Access("connectors", readers=("matcher", "scheduler")),
    "sync_bases": Access("scheduler"),
    "sync_plans": Access("scheduler", readers=("gateway",)),  # read model: a run's report
}

#: The events each service publishes.
PUBLISHES: dict[str, tuple[type[Event], ...]] = {
    "gateway": (
        contracts.MissingTracksCheckRequested,
        contracts.SyncRunRequested,
        contracts.DownloadQueueRequested,
        contracts.DownloadRetryRequested,
        contracts.DownloadCancelRequested,
        contracts.PlaylistFileRequested,
        contracts.UserRemoved,
        contracts.ReviewDecided,
        contracts.SyncJobDeleted,
        contracts.SyncRunCancelRequested,
        contracts.AlbumHandoffRequested,
        contracts.SyncDownloadsQueued,
    ),
    "connectors": (
        contracts.PlaylistImported,
        contracts.FolderScanned,
        contracts.ProviderRead,
        contracts.ProviderWritten,
        contracts.CandidatesFound,  # a search that failed, told to the asker
        contracts.RankRequested,  # the candidates found, straight to the matcher
        contracts.AlbumHandoffProgressed,
        contracts.MediaScanned,
    ),
    "matcher": (contracts.MatchBatchCompleted, contracts.Ranked),
    "downloader": (
        contracts.DownloadRequested,  # into its own work queue, once recorded
        contracts.DownloadQueued,
        contracts.DownloadPlanned,
        contracts.DownloadProgressed,
        contracts.DownloadFinished,
    ),
    "scheduler": (
        contracts.PlaylistImportRequested,
        contracts.FolderScanRequested,
        contracts.ProviderReadRequested,
        contracts.ProviderWriteRequested,
        contracts.CandidatesRequested,
        contracts.MatchBatchRequested,
        contracts.RankRequested,  # UPGRADE FALLBACK: relaying an older connectors' answer
        contracts.DownloadPlanRequested,
        contracts.MediaScanRequested,
        contracts.PlaylistFileRequested,
        contracts.SyncRunRequested,
        contracts.RunProgressed,
        contracts.RunCompleted,
    ),
}

#: The domains whose streams each service consumes from (dead letters included).
CONSUMES: dict[str, tuple[str, ...]] = {
    "gateway": (),
    "connectors": ("library", "providers"),
    "matcher": ("matching",),
    # Dead letters: a download given up on is marked failed, so it can be retried.
    "downloader": ("downloads", "deadletter", "users"),
    "scheduler": (
        "runs",
        "library",
        "matching",
        "downloads",
        "providers",
        "sync",
        "deadletter",
        "users",
    ),
}

#: The events a service hears as they are published (``Bus.listen``: plain subscriptions,
#: no durable): the gateway's live views follow downloads and runs by them.
LISTENS: dict[str, tuple[type[Event], ...]] = {
    "gateway": (
        contracts.DownloadQueued,
        contracts.DownloadProgressed,
        contracts.DownloadFinished,
        contracts.RunProgressed,
        contracts.RunCompleted,
    ),
}

#: The streams whose consumers a service may look at without consuming (the gateway
#: tells a queued download's place from the downloader's consumer).
INSPECTS: dict[str, tuple[str, ...]] = {"gateway": ("downloads",)}

#: Which services may call each gRPC service (the interceptor refuses everyone else).
GRPC_CALLERS: dict[str, tuple[str, ...]] = {
    "tunebridge.matcher.v1.MatcherService": ("gateway", "downloader"),
    "tunebridge.catalog.v1.CatalogService": ("gateway",),
    "tunebridge.catalog.v1.ConnectionsService": ("gateway",),
    "tunebridge.downloader.v1.DownloaderService": ("gateway",),
}


def buckets_of(service: str) -> list[str]:
    """The buckets and object stores ``service`` opens (all of them for ``admin``)."""
    if service == ADMIN:
        return list(ACCESS)
    return [name for name, access in ACCESS.items() if service in access.everyone] + (
        [HEARTBEATS] if service not in ACCESS[HEARTBEATS].everyone else []
    )


def inbox_prefix(service: str) -> str:
    """Where replies to ``service`` arrive: its own, so no one else can read them."""
    return f"_INBOX.{service}"


def _stream_api(stream: str, write: bool) -> list[str]:
    """The JetStream API subjects reading (and writing) a bucket's stream needs."""
    api = "$JS.API"
    allowed = [
        f"{api}.STREAM.INFO.{stream}",
        f"{api}.STREAM.CREATE.{stream}",  # declaring is idempotent: the same config each time
        f"{api}.DIRECT.GET.{stream}",
        f"{api}.DIRECT.GET.{stream}.>",
        f"{api}.STREAM.MSG.GET.{stream}",
        f"{api}.CONSUMER.CREATE.{stream}",
        f"{api}.CONSUMER.CREATE.{stream}.>",
        f"{api}.CONSUMER.INFO.{stream}.>",
        f"{api}.CONSUMER.DELETE.{stream}.>",
        f"$JS.FC.{stream}.>",
    ]
    if write:
        allowed += [f"{api}.STREAM.PURGE.{stream}", f"{api}.STREAM.MSG.DELETE.{stream}"]
    return allowed


def nats_permissions(service: str, topology: Topology) -> dict[str, dict[str, list[str]]]:
    """The ``permissions`` block of ``service``'s NATS user, from the tables above.

    Publishing is allowed only where the service publishes, acks and reads; subscribing only
    to its own inbox and the events it listens to. ``admin`` may do everything.
    """
    if service == ADMIN:
        return {"publish": {"allow": [">"]}, "subscribe": {"allow": [">"]}}
    api = "$JS.API"
    publish: list[str] = [f"{api}.INFO", f"{api}.STREAM.NAMES"]
    # A service makes an event stream missing at start (bus.declare_streams), but never
    # changes one: an update could make a stream copy a bucket, or another stream's
    # messages under new subjects, where the service may read or publish them.
    for domain in all_domains():
        stream = topology.stream(domain)
        publish += [f"{api}.STREAM.INFO.{stream}", f"{api}.STREAM.CREATE.{stream}"]
    for event_type in PUBLISHES.get(service, ()):
        subject = topology.subject(event_type)
        publish += [subject, f"{subject}.*"]  # the bare subject and per-provider queues
    publish.append(topology.dead_letter_subject(service))
    consumed = CONSUMES.get(service, ())
    if "deadletter" in consumed:  # a dead letter names its message: read it where it is
        for domain in all_domains():
            stream = topology.stream(domain)
            publish += [f"{api}.STREAM.MSG.GET.{stream}", f"{api}.DIRECT.GET.{stream}"]
    for domain in INSPECTS.get(service, ()):
        publish.append(f"{api}.CONSUMER.INFO.{topology.stream(domain)}.>")
    for domain in consumed:
        stream = topology.stream(domain)
        publish += [
            f"{api}.CONSUMER.CREATE.{stream}.>",
            f"{api}.CONSUMER.DURABLE.CREATE.{stream}.>",
            f"{api}.CONSUMER.INFO.{stream}.>",
            f"{api}.CONSUMER.MSG.NEXT.{stream}.>",
            f"{api}.STREAM.MSG.GET.{stream}",
            f"$JS.ACK.{stream}.>",
        ]
    for name in buckets_of(service):
        real = topology.bucket(name)
        kind, prefix = ("OBJ", "$O") if name in OBJECT_STORES else ("KV", "$KV")
        writes = service in ACCESS[name].writing
        publish += _stream_api(f"{kind}_{real}", writes)
        if writes:
            publish.append(f"{prefix}.{real}.>")
        elif name == HEARTBEATS:
            publish.append(f"{prefix}.{real}.{service}.>")
    heard = [topology.subject(event_type) for event_type in LISTENS.get(service, ())]
    return {
        "publish": {"allow": sorted(set(publish))},
        "subscribe": {"allow": [f"{inbox_prefix(service)}.>", *heard]},
    }
