"""The shared ``__main__`` of every service: settings, logs, run until a signal."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from services.kernel import settings as settings_loader
from services.kernel.bus import BusSettings
from services.kernel.runtime import Runtime, ServiceApp
from services.kernel.telemetry import configure_logging

S = TypeVar("S", bound=msgspec.Struct)


def run_service(
    app_factory: Callable[[S], ServiceApp], settings_type: type[S], section: str
) -> None:
    """Load settings (exiting on a bad value), then run the service until SIGINT/SIGTERM."""
    configure_logging(section, os.environ.get("TUNEBRIDGE_LOG_LEVEL", "INFO"))
    bus_settings = settings_loader.load_or_exit(BusSettings, "bus")
    transport = settings_loader.load_or_exit(settings_loader.TransportSettings, "transport")
    service_settings = settings_loader.load_or_exit(settings_type, section)
    ops: Any = service_settings
    runtime = Runtime(
        app_factory(service_settings),
        bus_settings,
        ops_host=getattr(ops, "ops_host", "127.0.0.1"),
        ops_port=getattr(ops, "ops_port", None),
        transport=transport,
    )
    asyncio.run(runtime.serve_forever())
