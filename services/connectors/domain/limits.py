"""Provider limits, as pure logic: what an answer means, how long to wait, token buckets.

Providers signal trouble differently: Spotify with 429 + ``Retry-After`` (sometimes 0 or
missing) and ``"reason": "QUOTA_EXCEEDED"`` when a development-mode quota is spent; Deezer
with HTTP 200 and ``{"error": {"code": 4}}`` (50 requests per 5 s, no Retry-After). Each
answer is classified once, here, into an outcome the HTTP adapter acts on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

Outcome = Literal[
    "ok",
    "rate_limited",
    "quota_exceeded",
    "unauthorized",
    "forbidden",
    "not_found",
    "server_error",
    "client_error",
    "timeout",
    "redirected",  # a 3xx: never followed, it could point anywhere
    "blocked",  # the server's address is not one a user-given URL may reach
    "too_large",  # a write carried more items than the provider takes in one call
]
#: Outcomes worth trying again after a pause.
RETRYABLE: frozenset[Outcome] = frozenset({"rate_limited", "server_error", "timeout"})

#: Deezer counts 50 requests per 5 seconds; after its quota error, wait out the window.
DEEZER_QUOTA_WINDOW_S = 5.0
#: Deezer error codes that mean "too much, slow down" and "busy, try again".
DEEZER_QUOTA_CODES = frozenset({4})
DEEZER_BUSY_CODES = frozenset({700})
DEEZER_AUTH_CODES = frozenset({200, 300})
DEEZER_NOT_FOUND_CODES = frozenset({800})
#: ``ITEMS_LIMIT_EXCEEDED``: a write carried more tracks than this Deezer takes at once.
DEEZER_TOO_LARGE_CODES = frozenset({100})
#: Spotify's words for a request that carried too many ids.
_SPOTIFY_TOO_MANY = "too many ids"


@dataclass(frozen=True)
class Verdict:
    """What a provider's answer means.

    Attributes:
        outcome: The class of answer.
        retry_after: Seconds the provider asked us to wait (None when it did not say).
        message: The provider's own words, for a person (never containing tokens).
    """

    outcome: Outcome
    retry_after: float | None = None
    message: str | None = None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number, or an HTTP date; None if absent
    or unreadable. Negative and non-finite values count as 0."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def backoff_delay(attempt: int, base: float, cap: float, random: Callable[[], float]) -> float:
    """Full-jitter exponential back-off: uniform in [0, min(cap, base * 2**attempt)]."""
    return float(random() * min(cap, base * (2 ** max(0, attempt))))


def _by_status(status: int) -> Outcome:
    if status == 401:
        return "unauthorized"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "not_found"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    return "client_error" if status >= 400 else "ok"


def _message(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        message = error.get("message")
        return str(message) if message is not None else None
    if isinstance(error, str):
        return error
    return None


def classify_spotify(status: int, headers: Mapping[str, str], body: Any) -> Verdict:
    """Spotify: errors are ``{"error": {"status", "message", "reason"?}}``."""
    outcome = _by_status(status)
    retry_after = parse_retry_after(headers.get("retry-after"))
    error = body.get("error") if isinstance(body, Mapping) else None
    if status == 429 and isinstance(error, Mapping) and error.get("reason") == "QUOTA_EXCEEDED":
        outcome = "quota_exceeded"
    if status in (400, 413) and _SPOTIFY_TOO_MANY in (_message(body) or "").casefold():
        outcome = "too_large"
    return Verdict(outcome, retry_after, _message(body))


def classify_deezer(status: int, headers: Mapping[str, str], body: Any) -> Verdict:
    """Deezer: most errors arrive as HTTP 200 with ``{"error": {"type", "message", "code"}}``."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if status != 200 or not isinstance(error, Mapping):
        return Verdict(
            _by_status(status), parse_retry_after(headers.get("retry-after")), _message(body)
        )
    code = error.get("code")
    if code in DEEZER_QUOTA_CODES:
        # Not a spent quota but a 5-second window: a rate limit with a known pause.
        return Verdict("rate_limited", DEEZER_QUOTA_WINDOW_S, _message(body))
    if code in DEEZER_BUSY_CODES:
        return Verdict("server_error", None, _message(body))
    if code in DEEZER_AUTH_CODES:
        return Verdict("unauthorized", None, _message(body))
    if code in DEEZER_NOT_FOUND_CODES:
        return Verdict("not_found", None, _message(body))
    if code in DEEZER_TOO_LARGE_CODES:
        return Verdict("too_large", None, _message(body))
    return Verdict("client_error", None, _message(body))


def classify_generic(status: int, headers: Mapping[str, str], body: Any) -> Verdict:
    """Any provider that speaks plain HTTP status codes (Plex, Apple, Jellyfin...); 413, and
    414 (ids in the query string past the server's URL limit: Jellyfin), say a write
    carried too much at once."""
    return Verdict(
        "too_large" if status in (413, 414) else _by_status(status),
        parse_retry_after(headers.get("retry-after")),
        _message(body),
    )


def classify_tidal(status: int, headers: Mapping[str, str], body: Any) -> Verdict:
    """TIDAL (JSON:API ``errors[]``): a 400 about how many items ``data`` holds (its
    writes take 50, moves 20: assumptions) says a write carried too much at once."""
    verdict = classify_generic(status, headers, body)
    errors = body.get("errors") if isinstance(body, Mapping) else None
    if status == 400 and isinstance(errors, list):
        details = " ".join(str(e.get("detail") or "") for e in errors if isinstance(e, Mapping))
        if re.search(r"\bitems\b", details, re.I):
            return Verdict("too_large", verdict.retry_after, details[:200])
    return verdict


@dataclass(frozen=True)
class Bucket:
    """A token bucket's shape: up to ``capacity`` calls at once, ``per_second`` after.

    Attributes:
        key: What it limits, e.g. ``spotify:app:<client id>`` or ``deezer:ip``.
        capacity: Burst size.
        per_second: Refill rate.
    """

    key: str
    capacity: float
    per_second: float


def take(
    tokens: float, updated_at: float, bucket: Bucket, cost: float, now: float
) -> tuple[float, float, float]:
    """Refill a bucket up to ``now`` and try to take ``cost`` tokens.

    Returns ``(tokens, updated_at, wait)``: the new state, and 0 if the tokens were taken,
    else how many seconds until they would be (the state then is unchanged but refilled).
    """
    refilled = min(bucket.capacity, tokens + max(0.0, now - updated_at) * bucket.per_second)
    if refilled >= cost:
        return refilled - cost, now, 0.0
    return refilled, now, (cost - refilled) / bucket.per_second
