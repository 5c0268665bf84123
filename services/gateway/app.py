"""Composition root of the gateway: the Litestar app, served by uvicorn next to the bus."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import ClassVar

import uvicorn
from litestar import Litestar
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.template.config import TemplateConfig
from redis.asyncio import Redis

from services.gateway.adapters.http_server import server_config
from services.gateway.adapters.limits import shared_limits
from services.gateway.adapters.passwords import PasswordWorkers
from services.gateway.adapters.rpc import ServiceClients
from services.gateway.api.audio_search import AudioSearchController
from services.gateway.api.auth import ApiAuthentication, AuthController
from services.gateway.api.catalogs import CatalogsController
from services.gateway.api.connections import ConnectionsController
from services.gateway.api.dependencies import Gateway
from services.gateway.api.downloads import DownloadsController
from services.gateway.api.following import FollowingController
from services.gateway.api.headers import VendoredSwagger, add_security_headers
from services.gateway.api.health import HealthController, MetricsController
from services.gateway.api.inputs import BoundedRequest
from services.gateway.api.links import document_links
from services.gateway.api.live import LiveEvents
from services.gateway.api.matching import CatalogController
from services.gateway.api.moves import MovesController
from services.gateway.api.problems import document_problems, problem_details
from services.gateway.api.profiles import QualityProfilesController
from services.gateway.api.runs import RunsController
from services.gateway.api.schedules import SchedulesController
from services.gateway.api.sync import ReviewsController, SyncController
from services.gateway.api.webhooks import InboundWebhooksController, WebhooksController
from services.gateway.settings import GatewaySettings
from services.gateway.ui.pages import TEMPLATES, ui_router
from services.kernel.crypto import SecretBox, SecretsSettings
from services.kernel.library import LibrarySettings
from services.kernel.runtime import ServiceContext


def create_http_app(gateway: Gateway) -> Litestar:
    """The HTTP API over ``gateway``'s connections, and the web UI over the API."""
    return Litestar(
        route_handlers=[
            HealthController,
            MetricsController,
            RunsController,
            CatalogController,
            CatalogsController,
            AudioSearchController,
            DownloadsController,
            FollowingController,
            QualityProfilesController,
            AuthController,
            ConnectionsController,
            SyncController,
            MovesController,
            ReviewsController,
            SchedulesController,
            WebhooksController,
            InboundWebhooksController,
            ui_router(),
        ],
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        dependencies={"gateway": Provide(lambda: gateway, sync_to_thread=False)},
        middleware=[DefineMiddleware(ApiAuthentication, gateway=gateway)],
        plugins=[
            OpenTelemetryPlugin(OpenTelemetryConfig(tracer_provider=gateway.ctx.tracer_provider)),
            problem_details(),
        ],
        openapi_config=OpenAPIConfig(
            title="Tunebridge",
            version="1.0.0",
            path="/schema",
            render_plugins=[VendoredSwagger()],
        ),
        request_max_body_size=gateway.settings.max_playlist_bytes * 2,
        request_class=BoundedRequest,
        before_send=[add_security_headers],
        on_startup=[document_problems, document_links],
        logging_config=None,  # keep the JSON logs configured for every service
    )


class GatewayApp:
    """The HTTP API; it publishes commands and reads the store, and asks over gRPC."""

    name: ClassVar[str] = "gateway"

    def __init__(
        self,
        settings: GatewaySettings,
        secrets: SecretsSettings | None = None,
        library: LibrarySettings | None = None,
    ) -> None:
        self.settings = settings
        self.library = library or LibrarySettings()
        keys = list((secrets or SecretsSettings()).keys)
        self._box = SecretBox(keys) if keys else None
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._clients: ServiceClients | None = None
        self._passwords: PasswordWorkers | None = None
        self._redis: Redis | None = None  # shared limits, when REDIS_URL is set
        self._live: LiveEvents | None = None
        self.port: int | None = None

    @property
    def live(self) -> LiveEvents | None:
        """The events its live views follow, once started."""
        return self._live

    def subscribe(self, ctx: ServiceContext) -> None:
        return None  # no durable of its own: live views listen (LiveEvents) once started

    async def start(self, ctx: ServiceContext) -> None:
        self._clients = ServiceClients(
            self.settings.matcher_address,
            self.settings.catalog_address,
            ctx.tracer_provider,
            ctx.grpc_auth,
            self.settings.downloader_address,
        )
        self._passwords = PasswordWorkers(self.settings.login_workers, self.settings.login_queue)
        self._live = LiveEvents(ctx.bus)
        await self._live.start()
        gateway = Gateway(
            ctx=ctx,
            settings=self.settings,
            clients=self._clients,
            is_ready=lambda: self._server is not None and self._server.started,
            redis_url=ctx.bus_settings.redis_url,
            box=self._box,
            passwords=self._passwords,
            library=self.library,
            live=self._live,
        )
        if gateway.redis_url:  # replicas share one count of log-ins and deliveries
            gateway.login_limits, gateway.webhook_deliveries, self._redis = shared_limits(
                gateway.redis_url, ctx.bus_settings.namespace
            )
        # Bind here rather than in uvicorn, so a taken port is a clear error, not an exit.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.settings.host, self.settings.port))
        except OSError as error:
            sock.close()
            raise OSError(
                f"cannot listen on {self.settings.host}:{self.settings.port}: {error.strerror}"
            ) from None
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(server_config(create_http_app(gateway), self.settings))
        self._serving = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._serving.done():
                await self._serving  # surfaces the startup error
            await asyncio.sleep(0.02)
        ctx.detail["http"] = f"http://{self.settings.host}:{self.port}"

    async def stop(self) -> None:
        if self._server and self._serving:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._serving
        if self._live:
            await self._live.stop()
        if self._clients:
            await self._clients.close()
        if self._passwords:
            self._passwords.close()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
