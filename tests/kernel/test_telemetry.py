"""Structured logs: one JSON object per line, carrying the trace id."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.kernel.telemetry import (
    JsonFormatter,
    LibraryLogger,
    configure_logging,
    redact,
    tracer_provider,
)


def test_log_lines_are_json_with_service_trace_id_and_extras() -> None:
    exporter = InMemorySpanExporter()
    provider = tracer_provider("matcher", [SimpleSpanProcessor(exporter)])
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "batch %s failed", ("7",), None)
    record.run_id = "r1"
    with provider.get_tracer("t").start_as_current_span("work") as span:
        line = JsonFormatter("matcher").format(record)
    entry = json.loads(line)
    assert entry["service"] == "matcher" and entry["level"] == "warning"
    assert entry["msg"] == "batch 7 failed" and entry["run_id"] == "r1"
    assert entry["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert exporter.get_finished_spans()[0].resource.attributes["service.name"] == "matcher"


SECRETS = {
    "query": "dzr-access-7b1f9a",
    "bearer": "sp-bearer-33c0e1",
    "plex": "plex-token-9d2a77",
    "cookie": "tb-session-51e0aa",
    "totp": "JBSWY3DPEHPK3PXP",
    "refresh": "rt-rotated-0f8e2c",
}


def _emit_everywhere() -> None:
    """Lines as our loggers and the libraries print them, each holding a secret."""
    logging.getLogger("httpx").info(
        'HTTP Request: GET https://api.deezer.com/user/me?access_token=%s&index=0 "200 OK"',
        SECRETS["query"],
    )
    logging.getLogger("httpcore.http11").debug(
        "send_request_headers.started request=%s",
        [(b"authorization", f"Bearer {SECRETS['bearer']}".encode())],
    )
    logging.getLogger("uvicorn.access").warning(
        '127.0.0.1 - "GET /api/v1/hooks/abc?token=%s HTTP/1.1" 401', SECRETS["plex"]
    )
    logging.getLogger("tunebridge.gateway").info(
        "signed in", extra={"cookie": f"tb_session={SECRETS['cookie']}", "user": "me"}
    )
    logging.getLogger("grpc._server").debug(
        "metadata %s", {"x-plex-token": SECRETS["plex"], "totp_secret": SECRETS["totp"]}
    )
    try:
        raise ValueError(f"refresh failed: {{'refresh_token': '{SECRETS['refresh']}'}}")
    except ValueError:
        logging.getLogger("tunebridge.connectors").exception("refresh went wrong")
    LibraryLogger("yt_dlp").error(
        f"ERROR: https://www.youtube.com/watch?v=x&sig={SECRETS['query']}"
    )


def test_no_logger_prints_a_secret_at_debug(capfd: pytest.CaptureFixture[str]) -> None:
    # A library that installs its own handler and stops propagating is brought back too.
    own = logging.getLogger("yt_dlp.own")
    own.addHandler(logging.StreamHandler(sys.stderr))
    own.propagate = False
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("gateway", "DEBUG")
    try:
        _emit_everywhere()
        own.warning("cookies %s", f"Cookie: SID={SECRETS['cookie']}")
        printed = capfd.readouterr().err
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        logging.captureWarnings(False)
    lines = printed.splitlines()
    assert len(lines) >= 8, printed
    assert all(json.loads(line)["service"] == "gateway" for line in lines)
    leaked = [name for name, secret in SECRETS.items() if secret in printed]
    assert leaked == [], printed
    # What is not a secret stays readable.
    assert "https://api.deezer.com/user/me?[redacted]" in printed
    assert '"user": "me"' in printed and "refresh went wrong" in printed


def test_redaction_keeps_ordinary_text() -> None:
    for text in (
        "session expired at 12:00",
        "scanned /music/Adele: 12 files",
        "provider call will be retried",
        "what is missing? three tracks",
    ):
        assert redact(text) == text
