"""All five services in this process, against a real NATS: no stand-ins for our own parts.

Each service runs through the same ``Runtime`` its ``__main__`` uses, with its own tracer
provider, so one in-memory exporter can see a trace cross every service.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.sdk.trace import SpanProcessor

from services.connectors.app import ConnectorsApp, ProviderSettings
from services.connectors.settings import ConnectorsSettings, DeezerSettings
from services.downloader.adapters.search import AudioSearch
from services.downloader.app import DownloaderApp
from services.downloader.settings import DownloaderSettings
from services.gateway.app import GatewayApp
from services.gateway.settings import GatewaySettings
from services.kernel.bus import BusSettings
from services.kernel.runtime import Runtime
from services.matcher.app import MatcherApp
from services.matcher.settings import MatcherSettings
from services.scheduler.app import SchedulerApp
from services.scheduler.settings import SchedulerSettings
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.scripted import serving
from tests.support.users import sign_in


@dataclass
class Installation:
    """A running installation: its HTTP base URL, each service's runtime, and the signed-in
    admin (its user id, and the API token its clients carry)."""

    base_url: str
    runtimes: dict[str, Runtime]
    bus_settings: BusSettings
    user_id: str = ""
    token: str = ""

    def client(self, **options: Any) -> httpx.AsyncClient:
        """An HTTP client of the API, acting as the signed-in admin."""
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            **options,
        )


def fast_bus_settings(nats_url: str, namespace: str, redis_url: str | None = None) -> BusSettings:
    """Delivery settings with short back-off, so retry paths run in test time."""
    return BusSettings(
        nats_url=nats_url,
        redis_url=redis_url,
        namespace=namespace,
        max_deliver=3,
        retry_backoff_s=(0.1, 0.2),
        ack_wait_s=30,
    )


@contextlib.asynccontextmanager
async def running_installation(
    nats_url: str,
    namespace: str,
    span_processors: Sequence[SpanProcessor] = (),
    redis_url: str | None = None,
    providers: ProviderSettings | None = None,
    search: AudioSearch | None = None,
    library_dir: Path | None = None,
) -> AsyncIterator[Installation]:
    """Start the five services (gateway last, on a free port) and stop them afterwards."""
    bus = fast_bus_settings(nats_url, namespace, redis_url)
    runtimes: dict[str, Runtime] = {}

    def runtime(app: object) -> Runtime:
        made = Runtime(app, bus, span_processors=span_processors)  # type: ignore[arg-type]
        runtimes[made.app.name] = made
        return made

    try:
        await runtime(
            ConnectorsApp(ConnectorsSettings(grpc_port=0), providers or ProviderSettings())
        ).start()
        await runtime(MatcherApp(MatcherSettings(grpc_port=0))).start()
        matcher = f"127.0.0.1:{runtimes['matcher'].context.detail['grpc_port']}"
        library = library_dir or Path(tempfile.mkdtemp(prefix="library-")) / "Music"
        downloads = DownloaderSettings(
            library_dir=str(library),
            downloads_dir=str(library.parent / "Downloads"),
            matcher_address=matcher,
        )
        await runtime(DownloaderApp(downloads, search)).start()
        await runtime(SchedulerApp(SchedulerSettings(schedule_tick_s=0.2))).start()
        gateway_app = GatewayApp(
            GatewaySettings(
                port=0,
                matcher_address=matcher,
                catalog_address=f"127.0.0.1:{runtimes['connectors'].context.detail['grpc_port']}",
            ),
            (providers or ProviderSettings()).secrets,
        )
        await runtime(gateway_app).start()
        base_url = f"http://127.0.0.1:{gateway_app.port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as api:
            user_id = await sign_in(api)
            token = api.headers["Authorization"].removeprefix("Bearer ")
        yield Installation(base_url, runtimes, bus, user_id, token)
    finally:
        for made in reversed(list(runtimes.values())):
            await made.stop()


@contextlib.asynccontextmanager
async def installation_with_deezer(
    nats_url: str,
    namespace: str,
    state: DeezerState | None = None,
    search: AudioSearch | None = None,
    library_dir: Path | None = None,
) -> AsyncIterator[Installation]:
    """A running installation whose Deezer catalog is the emulator serving ``state``."""
    async with (
        serving(deezer_app(state or DeezerState())) as deezer_url,
        running_installation(
            nats_url,
            namespace,
            providers=ProviderSettings(deezer=DeezerSettings(api_url=deezer_url)),
            search=search,
            library_dir=library_dir,
        ) as installation,
    ):
        yield installation
