"""Structured logs: one JSON object per line, carrying the trace id."""

from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.kernel.telemetry import JsonFormatter, tracer_provider


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
