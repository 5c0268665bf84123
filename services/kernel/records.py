"""Records kept in the key-value store, shared by the service that writes them and the
gateway that reads them. Every record names its user; keys start with the user id."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from services.kernel.contracts import MatchOutcome, PlannedDownload, SnapshotRef, utcnow

RunStatus = Literal["pending", "running", "completed", "failed"]


class RunRecord(msgspec.Struct, kw_only=True):
    """The header of a run: where it stands, and which batches have come back.

    Batch results live in their own keys (``BatchRecord``) so that writers of different
    batches never contend for this record. The library is made of parts (the folder, a
    media server): each part's snapshot arrives on its own, then one merged ``library``.
    """

    run_id: str
    user_id: str
    kind: Literal["missing_tracks"] = "missing_tracks"
    status: RunStatus = "pending"
    folder: str = ""
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)
    finished_at: datetime | None = None
    playlist: SnapshotRef | None = None
    library: SnapshotRef | None = None
    library_parts: list[str] = msgspec.field(default_factory=lambda: ["folder"])
    library_refs: dict[str, SnapshotRef] = msgspec.field(default_factory=dict)
    unreachable: list[str] = msgspec.field(default_factory=list)
    batch_count: int | None = None
    matched_batches: list[int] = msgspec.field(default_factory=list)
    planned_batches: list[int] = msgspec.field(default_factory=list)
    notes: list[str] = msgspec.field(default_factory=list)
    error: str | None = None


class BatchRecord(msgspec.Struct, kw_only=True):
    """What one batch of a run produced: match outcomes, then the download plan."""

    run_id: str
    user_id: str
    batch_index: int
    outcomes: list[MatchOutcome] = msgspec.field(default_factory=list)
    plan: list[PlannedDownload] | None = None


ConnectionStatus = Literal["connected", "needs_reauthorisation"]


class ConnectionRecord(msgspec.Struct, kw_only=True):
    """A user's account at a provider. Tokens are only ever stored encrypted.

    Attributes:
        client_id: The provider app the tokens belong to (users may bring their own:
            a Spotify development-mode app serves five users).
        server_url: For self-hosted providers (Plex), where the server is.
        tokens: ``SecretBox`` ciphertext of the token JSON, bound to the connection id.
        message: Why the connection needs attention, for a person.
    """

    connection_id: str
    user_id: str
    provider: str
    status: ConnectionStatus = "connected"
    account_id: str | None = None
    display_name: str | None = None
    client_id: str | None = None
    server_url: str | None = None
    tokens: str | None = None
    scopes: list[str] = msgspec.field(default_factory=list)
    message: str | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)


class OAuthState(msgspec.Struct, kw_only=True):
    """A consent in progress: kept ten minutes, used once."""

    user_id: str
    provider: str
    client_id: str
    redirect_uri: str
    code_verifier: str  # ciphertext: a verifier is as good as a code
    created_at: datetime = msgspec.field(default_factory=utcnow)


DownloadStatus = Literal[
    "queued",
    "searching",
    "downloading",
    "done",
    "already_there",
    "review",
    "failed",
    "cancelled",
]


class DownloadRecord(msgspec.Struct, kw_only=True):
    """A download, from request to its end; ``cancel_requested`` is set by whoever cancels."""

    download_id: str
    user_id: str
    title: str
    target_path: str
    status: DownloadStatus = "queued"
    percent: float | None = None
    path: str | None = None
    source_url: str | None = None
    reason: str | None = None
    cancel_requested: bool = False
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)


class ServiceStatus(msgspec.Struct, kw_only=True):
    """A service instance's heartbeat; the gateway's health aggregates these."""

    service: str
    instance: str
    ready: bool
    pid: int
    started_at: datetime
    at: datetime
    version: str = "0"
    detail: dict[str, str] = msgspec.field(default_factory=dict)


def library_parts(folder: str, media_server: str | None) -> list[str]:
    """What the library of a run is made of: the folder, a media server, or both."""
    return [*(["folder"] if folder else []), *([media_server] if media_server else [])]


def connection_key(user_id: str, connection_id: str) -> str:
    """Key of a user's connection to a provider."""
    return f"{user_id}.{connection_id}"


def download_key(user_id: str, download_id: str) -> str:
    """Key of a download's record."""
    return f"{user_id}.{download_id}"


def run_key(user_id: str, run_id: str) -> str:
    """Key of a run header."""
    return f"{user_id}.{run_id}"


def batch_key(user_id: str, run_id: str, batch_index: int) -> str:
    """Key of one batch's results."""
    return f"{user_id}.{run_id}.{batch_index}"
