"""A second gateway on a running installation's bus, with settings of the test's own
(trusted proxies, a metrics token, a short request deadline)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from services.gateway.app import GatewayApp
from services.gateway.settings import GatewaySettings
from services.kernel.runtime import Runtime
from tests.support.installation import Installation


@contextlib.asynccontextmanager
async def second_gateway(installation: Installation, **settings: Any) -> AsyncIterator[str]:
    """Another gateway beside the installation's, with these settings; its base URL."""
    app = GatewayApp(GatewaySettings(port=0, **settings))
    runtime = Runtime(app, installation.bus_settings)
    await runtime.start()
    try:
        yield f"http://127.0.0.1:{app.port}"
    finally:
        await runtime.stop()
