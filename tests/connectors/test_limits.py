"""Reading providers' trouble signals, and token-bucket arithmetic."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.connectors.domain.limits import (
    Bucket,
    backoff_delay,
    classify_deezer,
    classify_spotify,
    parse_retry_after,
    take,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "providers"


def fixture(provider: str, name: str) -> object:
    return json.loads((DATA / provider / name).read_text())


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("-4", 0.0),
        ("2.5", 2.5),
        ("", None),
        (None, None),
        ("soon", None),
        ("Sun, 22 Nov 2026 01:00:30 GMT", 30.0),
        ("Sun, 22 Nov 2026 00:59:00 GMT", 0.0),
        ("inf", None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(value: str | None, seconds: float | None) -> None:
    now = datetime(2026, 11, 22, 1, 0, 0, tzinfo=UTC)
    assert parse_retry_after(value, now) == seconds


def test_spotify_rate_limit_and_quota_are_told_apart() -> None:
    limited = classify_spotify(
        429, {"retry-after": "7"}, fixture("spotify", "error_429_rate_limit.json")
    )
    quota = classify_spotify(429, {}, fixture("spotify", "error_429_quota_exceeded.json"))
    assert (limited.outcome, limited.retry_after) == ("rate_limited", 7.0)
    assert quota.outcome == "quota_exceeded" and quota.message == "Too many requests"
    assert classify_spotify(401, {}, None).outcome == "unauthorized"
    assert classify_spotify(503, {}, None).outcome == "server_error"
    assert classify_spotify(200, {}, {"items": []}).outcome == "ok"


def test_deezer_errors_inside_http_200_are_read() -> None:
    quota = classify_deezer(200, {}, fixture("deezer", "error_4_quota_exceeded.json"))
    assert (quota.outcome, quota.retry_after) == ("rate_limited", 5.0)
    assert (
        classify_deezer(200, {}, fixture("deezer", "error_800_no_data.json")).outcome == "not_found"
    )
    assert classify_deezer(200, {}, fixture("deezer", "search_track_advanced.json")).outcome == "ok"
    assert classify_deezer(404, {}, {"error": "Not Found"}).outcome == "not_found"


def test_backoff_is_exponential_jittered_and_capped() -> None:
    assert backoff_delay(0, 0.5, 30, lambda: 1.0) == 0.5
    assert backoff_delay(3, 0.5, 30, lambda: 1.0) == 4.0
    assert backoff_delay(20, 0.5, 30, lambda: 1.0) == 30.0
    assert backoff_delay(3, 0.5, 30, lambda: 0.25) == 1.0


def test_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    bucket = Bucket("spotify:app:x", capacity=3, per_second=2)
    tokens, at = 3.0, 0.0
    waits = []
    for _ in range(4):
        tokens, at, wait = take(tokens, at, bucket, 1, 0.0)
        waits.append(wait)
    assert waits == [0.0, 0.0, 0.0, 0.5]
    tokens, at, wait = take(tokens, at, bucket, 1, 0.5)
    assert wait == 0.0 and tokens == pytest.approx(0.0)
