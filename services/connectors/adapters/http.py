"""Calling a provider politely: buckets before, classification after, bounded retries.

Every call takes a token from each of its buckets (per app, per account...), is sent,
and its answer classified by the provider's own rules. Rate limits wait what the provider
asked (``Retry-After``; a 0 or missing value still waits a jittered back-off, because
users have seen Spotify send both); server errors and timeouts back off exponentially with
jitter; both are bounded. A spent quota is not retried: it is raised for the user to see.
Every call is counted by provider, endpoint and outcome. URLs are never logged with their
query strings, where Deezer puts access tokens (``services/kernel/telemetry.py`` redacts
them for every logger).

A server whose address a user gave (a Plex URL) is reached through the kernel's
``GuardedTransport`` (``services/kernel/netguard.py``): the name is resolved there, every
address checked against the ``AddressPolicy`` (public ones, plus what an administrator
allowed), and the connection made to the checked address itself, so a name that resolves
to a private address, or a rebinding between a check and the connection, gets nowhere.
Redirects are never followed: they are failures, so a server cannot send us (and its
token header) elsewhere. Errors say what happened in plain words and never carry what
the remote answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter

from services.connectors.adapters.ratelimit import TokenBuckets, acquire
from services.connectors.domain.limits import RETRYABLE, Bucket, Outcome, Verdict, backoff_delay
from services.kernel.addresses import AddressPolicy
from services.kernel.netguard import BlockedAddress, guarded_client

log = logging.getLogger("tunebridge.connectors.http")

Classifier = Callable[[int, Mapping[str, str], Any], Verdict]


#: What each failure means, for a person. The provider's own words never reach an error
#: (a remote body can hold anything, a metadata endpoint's secret included).
SENTENCES: dict[Outcome, str] = {
    "ok": "answered",
    "rate_limited": "is asking us to slow down; try again in a minute",
    "quota_exceeded": "says this app's allowance is spent for now; try again later",
    "unauthorized": "refused the token (expired or revoked)",
    "forbidden": "refused: this account may not do that",
    "not_found": "has no such item",
    "server_error": "could not be reached or failed; try again later",
    "client_error": "refused the request",
    "timeout": "did not answer in time",
    "too_large": "refused a request that carried too many items at once",
    "redirected": "answered with a redirect elsewhere, which is not followed: "
    "give the server's own address",
    "blocked": "is at an address that is not allowed (loopback, private or link-local); "
    "an administrator can allow it with TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS",
}


class ProviderError(Exception):
    """A provider call failed; ``verdict`` says how. Its text is a plain sentence."""

    def __init__(
        self, provider: str, endpoint: str, verdict: Verdict, ours: str | None = None
    ) -> None:
        self.provider = provider
        self.endpoint = endpoint
        self.verdict = verdict
        self.ours = ours
        # ``ours``: a sentence of our own, for a refusal made here before any call (the
        # provider's words, in ``verdict.message``, never reach the text).
        sentence = ours or f"{provider} {SENTENCES.get(verdict.outcome, 'failed')}"
        super().__init__(f"{sentence} ({verdict.outcome})")


class QuotaExceeded(ProviderError):
    """The app's or account's quota is spent: retrying now would only make it worse."""


class Unauthorized(ProviderError):
    """The token was refused (expired or revoked)."""


class RetriesExhausted(ProviderError):
    """Still rate-limited or failing after every allowed attempt."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try.

    Attributes:
        attempts: Tries per call, the first included.
        base_s: First back-off step.
        cap_s: Longest single back-off.
        max_retry_after_s: Longest ``Retry-After`` honoured; longer is treated as a quota.
        timeout_s: Per-request timeout.
    """

    attempts: int = 6
    base_s: float = 0.5
    cap_s: float = 30.0
    max_retry_after_s: float = 120.0
    timeout_s: float = 20.0


class CallCounter:
    """``tunebridge_provider_calls_total{provider, endpoint, outcome}``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.counter = Counter(
            "tunebridge_provider_calls",
            "Calls to providers, by provider, endpoint and outcome",
            ["provider", "endpoint", "outcome"],
            registry=registry,
        )

    def count(self, provider: str, endpoint: str, outcome: str) -> None:
        self.counter.labels(provider, endpoint, outcome).inc()

    def value(self, provider: str, endpoint: str, outcome: str) -> float:
        """Current count (for reports and benchmarks)."""
        return float(self.counter.labels(provider, endpoint, outcome)._value.get())


class ProviderHttp:
    """One provider's HTTP API, called within its limits."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        classify: Classifier,
        buckets: TokenBuckets,
        counter: CallCounter,
        policy: RetryPolicy = RetryPolicy(),
        client: httpx.AsyncClient | None = None,
        jitter: Callable[[], float] = random.random,
        addresses: AddressPolicy | None = None,
    ) -> None:
        """``addresses``: the policy for a server whose address a user gave (None for the
        providers' own addresses, which an administrator configures)."""
        self.provider = provider
        # One server a person runs says nothing of another's limits (found by an audit: a
        # server refusing pages over 100 made every user's server be read 62 at a time).
        self.limits_scope = (
            provider
            if addresses is None
            else f"{provider}.{hashlib.sha256(base_url.encode()).hexdigest()[:16]}"
        )
        self.classify = classify
        self.buckets = buckets
        self.counter = counter
        self.policy = policy
        self.jitter = jitter
        if client is None and addresses is not None:
            client = guarded_client(addresses, base_url, policy.timeout_s)
        self._client = client or httpx.AsyncClient(
            base_url=base_url, timeout=policy.timeout_s, follow_redirects=False
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        buckets: Sequence[Bucket] = (),
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send a request and return its decoded JSON body (None when empty).

        A request that is not idempotent (POST, unless said otherwise) is retried only when
        it surely was not carried out (a rate limit, or a connection never made); after a
        server error or a timeout the provider may have done it, so the caller is told
        (``ProviderError``) and must look before trying again.

        ``data``: a form body (Subsonic's long lists, kept out of the URL).

        Raises ``QuotaExceeded``, ``Unauthorized``, ``RetriesExhausted`` or
        ``ProviderError`` with the provider's verdict.
        """
        repeatable = method.upper() != "POST" if idempotent is None else idempotent
        verdict = Verdict("server_error")
        for attempt in range(self.policy.attempts):
            for bucket in buckets:
                await acquire(self.buckets, bucket)
            try:
                response = await self._client.request(
                    method, path, params=params, json=json, headers=headers, data=data
                )
            except BlockedAddress:
                verdict = Verdict("blocked")
                self.counter.count(self.provider, endpoint, verdict.outcome)
                raise ProviderError(self.provider, endpoint, verdict) from None
            except httpx.ConnectError as error:  # never reached the provider: safe to repeat
                verdict = Verdict("server_error", None, type(error).__name__)
                body: Any = None
                not_sent = True
            except (httpx.TimeoutException, httpx.TransportError) as error:
                verdict = Verdict("timeout", None, type(error).__name__)
                body = None
                not_sent = False
            else:
                body = _decode(response)
                verdict = self.classify(response.status_code, response.headers, body)
                if response.is_redirect:  # never followed: it could point anywhere
                    verdict = Verdict("redirected")
                not_sent = verdict.outcome == "rate_limited"
            self.counter.count(self.provider, endpoint, verdict.outcome)
            if verdict.outcome == "ok":
                return body
            if verdict.outcome == "quota_exceeded" or (
                verdict.outcome == "rate_limited"
                and (verdict.retry_after or 0) > self.policy.max_retry_after_s
            ):
                raise QuotaExceeded(self.provider, endpoint, verdict)
            if verdict.outcome == "unauthorized":
                raise Unauthorized(self.provider, endpoint, verdict)
            if verdict.outcome not in RETRYABLE or not (repeatable or not_sent):
                raise ProviderError(self.provider, endpoint, verdict)
            if attempt + 1 < self.policy.attempts:
                delay = self._delay(verdict, attempt)
                log.warning(
                    "provider call will be retried",
                    extra={
                        "provider": self.provider,
                        "endpoint": endpoint,
                        "outcome": verdict.outcome,
                        "delay_s": round(delay, 2),
                    },
                )
                await asyncio.sleep(delay)
        raise RetriesExhausted(self.provider, endpoint, verdict)

    def _delay(self, verdict: Verdict, attempt: int) -> float:
        jittered = backoff_delay(attempt, self.policy.base_s, self.policy.cap_s, self.jitter)
        if verdict.outcome == "rate_limited" and verdict.retry_after:
            return verdict.retry_after + jittered * 0.1  # spread replicas that were told alike
        return jittered if jittered > 0 else self.policy.base_s


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None  # not JSON: nothing of it is kept, so nothing of it can be echoed
