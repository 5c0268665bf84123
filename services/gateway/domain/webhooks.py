"""Inbound webhooks, checked before anything starts: signatures, freshness, events.

Generic webhooks are signed like Stripe's and GitHub's: ``X-Tunebridge-Signature:
sha256=<hex>`` is the HMAC-SHA256, with the webhook's secret, of ``<timestamp>.<body>``,
where ``X-Tunebridge-Timestamp`` is Unix seconds within five minutes of our clock and
``X-Tunebridge-Delivery`` names the delivery (accepted once). Plex and Lidarr cannot sign:
their URL carries a token of its own instead (``?token=...``).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

#: How far a signed timestamp may be from our clock.
WINDOW_S = 300

#: Events that start runs by default: new music in Plex, an import in Lidarr.
DEFAULT_EVENTS = {"generic": [], "plex": ["library.new"], "lidarr": ["Download"]}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Tunebridge-Signature`` value for a body sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signature_problem(
    secret: str, timestamp: str | None, body: bytes, given: str | None, now: float
) -> str | None:
    """Why a signed delivery is refused, or None if it is genuine and fresh."""
    if not timestamp or not given:
        return "missing X-Tunebridge-Timestamp or X-Tunebridge-Signature"
    try:
        sent = int(timestamp)
    except ValueError:
        return "X-Tunebridge-Timestamp is not Unix seconds"
    if abs(now - sent) > WINDOW_S:
        return "the timestamp is more than five minutes from now (replayed, or a clock is off)"
    if not hmac.compare_digest(signature(secret, timestamp, body), given):
        return "the signature does not match"
    return None


def event_of(kind: str, payload: Any) -> str | None:
    """The event type a Plex or Lidarr payload announces."""
    if not isinstance(payload, dict):
        return None
    value = payload.get("event" if kind == "plex" else "eventType")
    return value if isinstance(value, str) else None


def starts_runs(kind: str, events: list[str], event: str | None) -> bool:
    """Whether a delivery of ``event`` starts the webhook's jobs (Lidarr's ``Test`` never
    does: it is the button that checks the URL)."""
    if kind == "generic":
        return True
    if event is None or (kind == "lidarr" and event == "Test"):
        return False
    return not events or event in events
