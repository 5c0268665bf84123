"""The gateway's own records, which no other service reads or may forge: users and their
names, browser sessions, API tokens, webhooks (``subjects.ACCESS`` gives those buckets to
the gateway alone)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Literal

import msgspec

from services.kernel.contracts import utcnow

WebhookKind = Literal["generic", "plex", "lidarr"]


class WebhookRecord(msgspec.Struct, kw_only=True):
    """An inbound endpoint that starts runs of ``job_ids`` when ``events`` arrive.

    Attributes:
        secret: ``SecretBox`` ciphertext (bound to the webhook id) of the signing secret
            (generic) or of the token the URL carries (Plex and Lidarr cannot sign).
        events: Event types that start runs (Plex ``event``, Lidarr ``eventType``);
            empty: every event (a generic webhook has none).
    """

    webhook_id: str
    user_id: str
    kind: WebhookKind
    job_ids: list[str]
    secret: str
    events: list[str] = msgspec.field(default_factory=list)
    deliveries: int = 0
    last_delivery_at: datetime | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)


def webhook_key(user_id: str, webhook_id: str) -> str:
    """Key of a webhook."""
    return f"{user_id}.{webhook_id}"


TokenScope = Literal["read", "write", "admin"]


class UserRecord(msgspec.Struct, kw_only=True):
    """A person who uses this installation. The password is kept only as a scrypt hash."""

    user_id: str
    username: str
    password_hash: str
    is_admin: bool = False
    totp_secret: str | None = None  # SecretBox ciphertext, bound to the user id
    totp_enabled: bool = False  # once a code from the secret has been confirmed
    created_at: datetime = msgspec.field(default_factory=utcnow)


class NameRecord(msgspec.Struct, kw_only=True):
    """Which user a (case-folded) name belongs to: names are unique (see ``name_key``)."""

    user_id: str


#: What a NATS key may hold as it is ("@", allowed in names, is not among it).
_KEY_AS_IS = re.compile(r"^[-/_=A-Za-z0-9]+(\.[-/_=A-Za-z0-9]+)*$")


def name_key(username: str) -> str:
    """Where a user name is kept: the case-folded name where a key can hold it, else its
    digest (an e-mail address as a name)."""
    name = username.casefold()
    return name if _KEY_AS_IS.match(name) else "h" + hashlib.sha256(name.encode()).hexdigest()


class SessionRecord(msgspec.Struct, kw_only=True):
    """A browser's log-in, kept under a digest of its cookie; ``csrf_token`` must come
    back in ``X-CSRF-Token`` with every request that changes something."""

    user_id: str
    csrf_token: str
    created_at: datetime = msgspec.field(default_factory=utcnow)


class ApiTokenRecord(msgspec.Struct, kw_only=True):
    """An API token for scripts and the CLI, kept under a digest of it (shown once)."""

    token_id: str
    user_id: str
    name: str
    scopes: list[TokenScope]
    created_at: datetime = msgspec.field(default_factory=utcnow)
