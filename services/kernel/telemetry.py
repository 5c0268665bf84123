"""OpenTelemetry tracing and structured logs.

Each service gets its own ``TracerProvider`` (named by ``service.name``), passed explicitly to
FastStream's middleware, the gRPC interceptors and Litestar's plugin, so several services can
share one process in tests. Spans go to OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or the
traces-specific variable) is set, and nowhere otherwise. Logs are JSON lines that carry the
current trace and span ids.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

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


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the service, the trace id and any ``extra`` fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # FastStream logs every message at INFO; that is noise at our scale of batches.
    logging.getLogger("faststream").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # nats-py warns on every filtered key listing, about servers older than the one we ship.
    logging.getLogger("nats.js.kv").setLevel(logging.ERROR)
