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
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.template.config import TemplateConfig

from services.gateway.adapters.rpc import ServiceClients
from services.gateway.api.auth import ApiAuthentication, AuthController
from services.gateway.api.connections import ConnectionsController
from services.gateway.api.dependencies import Gateway
from services.gateway.api.downloads import DownloadsController
from services.gateway.api.health import HealthController, MetricsController
from services.gateway.api.matching import CatalogController
from services.gateway.api.problems import document_problems, problem_details
from services.gateway.api.runs import RunsController
from services.gateway.api.schedules import SchedulesController
from services.gateway.api.sync import ReviewsController, SyncController
from services.gateway.api.webhooks import InboundWebhooksController, WebhooksController
from services.gateway.settings import GatewaySettings
from services.gateway.ui.pages import TEMPLATES, ui_router
from services.kernel.crypto import SecretBox, SecretsSettings
from services.kernel.runtime import ServiceContext


def create_http_app(gateway: Gateway) -> Litestar:
    """The HTTP API over ``gateway``'s connections, and the web UI over the API."""
    return Litestar(
        route_handlers=[
            HealthController,
            MetricsController,
            RunsController,
            CatalogController,
            DownloadsController,
            AuthController,
            ConnectionsController,
            SyncController,
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
            render_plugins=[SwaggerRenderPlugin()],
        ),
        request_max_body_size=gateway.settings.max_playlist_bytes * 2,
        on_startup=[document_problems],
        logging_config=None,  # keep the JSON logs configured for every service
    )


class GatewayApp:
    """The HTTP API; it publishes commands and reads the store, and asks over gRPC."""

    name: ClassVar[str] = "gateway"

    def __init__(self, settings: GatewaySettings, secrets: SecretsSettings | None = None) -> None:
        self.settings = settings
        keys = list((secrets or SecretsSettings()).keys)
        self._box = SecretBox(keys) if keys else None
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._clients: ServiceClients | None = None
        self.port: int | None = None

    def subscribe(self, ctx: ServiceContext) -> None:
        return None  # the gateway only publishes (live progress will subscribe here)

    async def start(self, ctx: ServiceContext) -> None:
        self._clients = ServiceClients(
            self.settings.matcher_address, self.settings.catalog_address, ctx.tracer_provider
        )
        gateway = Gateway(
            ctx=ctx,
            settings=self.settings,
            clients=self._clients,
            is_ready=lambda: self._server is not None and self._server.started,
            redis_url=ctx.bus_settings.redis_url,
            box=self._box,
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
        config = uvicorn.Config(
            create_http_app(gateway), log_config=None, access_log=False, lifespan="on"
        )
        self._server = uvicorn.Server(config)
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
        if self._clients:
            await self._clients.close()
