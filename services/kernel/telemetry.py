"""OpenTelemetry tracing and structured logs.

Each service gets its own ``TracerProvider`` (named by ``service.name``), passed explicitly to
FastStream's middleware, the gRPC interceptors and Litestar's plugin, so several services can
share one process in tests. Spans go to OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or the
traces-specific variable) is set, and nowhere otherwise. Logs are JSON lines that carry the
current trace and span ids.

Secrets never reach a log line: every record of every logger (ours, httpx, httpcore,
uvicorn, grpc, FastStream, yt-dlp through ``LibraryLogger``) goes through the one handler
installed here, whose ``RedactingFormatter`` strips URL query strings (Deezer puts access
tokens there; webhooks their token), authorisation headers, cookies and any value named
like a secret (``token``, ``secret``, ``password``, ``code``...), in the message, the
``extra`` fields and tracebacks alike.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

#: LogRecord attributes that are not user-supplied ``extra`` fields.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def tracer_provider(service: str, processors: Sequence[SpanProcessor] = ()) -> TracerProvider:
    """A tracer provider for ``service``, exporting over OTLP when an endpoint is configured."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "service.namespace": "tunebridge"})
    )
    for processor in processors:
        provider.add_span_processor(processor)
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


REDACTED = "[redacted]"
#: Names whose values are secrets, as keys (``"token": …``), parameters (``token=…``) or
#: headers (``X-Plex-Token: …``).
_SECRET_NAME = (
    r"(?:[\w-]*(?:token|secret|password|passwd|api[_-]?key|apikey|auth[_-]?code|otp|totp|"
    r"cookie|session|signature|credential|private[_-]?key|code_verifier)[\w-]*|code|authorization|"
    r"x-plex-token|sig)"
)
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A URL's query string, absolute or a request path: "/me?access_token=…" (and a
    # fragment, where implicit OAuth grants put their tokens).
    (
        re.compile(r"((?:[a-z][a-z0-9+.-]*://[^\s/?#\"'<>]*)?/[^\s?#\"'<>]*)[?#][^\s\"'<>]+", re.I),
        rf"\1?{REDACTED}",
    ),
    # Credentials in a URL: "https://user:password@host".
    (re.compile(r"(://)[^\s/@\"'<>]+@", re.I), rf"\1{REDACTED}@"),
    # Authorisation schemes, wherever they appear.
    (
        re.compile(r"\b(Bearer|Basic|Digest|Token|Bot)\s+[A-Za-z0-9._~+/=-]{6,}", re.I),
        rf"\1 {REDACTED}",
    ),
    # name=value, name: value, "name": "value", 'name': 'value' (JSON and reprs).
    (
        re.compile(
            rf"(\b{_SECRET_NAME}\b\\?[\"']?\s*(?:=|:)\s*(?:b?\\?[\"'])?)"
            r"(?!\[redacted\]|//)[^\s\"'&,;)}\]\\]+",
            re.I,
        ),
        rf"\1{REDACTED}",
    ),
    # Header pairs as some libraries print them: (b'authorization', b'Bearer …').
    (re.compile(rf"(\(b?['\"]{_SECRET_NAME}['\"],\s*b?['\"])[^'\"]*", re.I), rf"\1{REDACTED}"),
)
_SECRET_KEY = re.compile(rf"^{_SECRET_NAME}$", re.I)


def redact(text: str) -> str:
    """``text`` without query strings, credentials in URLs, authorisation material or any
    value named like a secret."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _redacted(key: str, value: Any) -> Any:
    if _SECRET_KEY.match(key):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted("", v) for v in value]
    return value if isinstance(value, int | float | bool | None) else redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the service, the trace id and any ``extra`` fields;
    every value redacted (see ``redact``)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = _redacted(key, value)
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class LibraryLogger:
    """For libraries that take a logger object rather than using ``logging`` (yt-dlp):
    their output goes through the same handler, so it is redacted like the rest. Their
    chatter (which names every URL they open) is debug; warnings and errors stay."""

    def __init__(self, name: str) -> None:
        self.log = logging.getLogger(name)

    def debug(self, message: str) -> None:
        self.log.debug("%s", message)

    def info(self, message: str) -> None:
        self.log.debug("%s", message)

    def warning(self, message: str) -> None:
        self.log.warning("%s", message)

    def error(self, message: str) -> None:
        self.log.error("%s", message)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record to stderr as redacted JSON lines, through one handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # A library that set up its own handlers (and stopped propagating) would print past
    # the redaction: every logger known by now sends its records to the root's handler.
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger) and logger.handlers:
            logger.handlers.clear()
            logger.propagate = True
    logging.captureWarnings(True)
    root.setLevel(level.upper())
    # FastStream logs every message at INFO; that is noise at our scale of batches.
    logging.getLogger("faststream").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # nats-py warns on every filtered key listing, about servers older than the one we ship.
    logging.getLogger("nats.js.kv").setLevel(logging.ERROR)
