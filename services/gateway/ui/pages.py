"""The pages of the web UI.

Each page is rendered here with its layout, navigation and forms; what it shows and
changes goes through the public API (``/api/v1``) from a small script per page, with the
session cookie and its CSRF token. So the UI can do exactly what the API allows, validated
once, and a person's browser and their scripts see the same answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.router import Router
from litestar.static_files import create_static_files_router

from services.gateway.adapters.rpc import ServiceUnavailable
from services.gateway.api.auth import SETUP_DONE, identify
from services.gateway.api.dependencies import Gateway
from services.gateway.api.headers import HEADERS, MUSICKIT_CONTENT_SECURITY_POLICY, MUSICKIT_SCRIPT
from services.gateway.api.runs import SCAN_LIBRARY
from services.gateway.records import NameRecord, UserRecord

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
#: Pages and their titles, in the order of the navigation.
NAVIGATION = {
    "dashboard": "Dashboard",
    "connections": "Connections",
    "library": "Library",
    "jobs": "Sync jobs",
    "moves": "Move library",
    "reviews": "Review",
    "downloads": "Downloads",
    "schedules": "Schedules",
    "webhooks": "Webhooks",
    "tokens": "API tokens",
    "settings": "Settings",
}
#: Pages not in the navigation, reached from others.
OTHER_PAGES = {"job": "Sync job", "run": "Sync run", "callback": "Connecting…"}


async def _is_set_up(gateway: Gateway) -> bool:
    return await gateway.ctx.store.get("usernames", SETUP_DONE, NameRecord) is not None


def _page(name: str, title: str, **context: Any) -> Template:
    return Template(
        template_name=f"{name}.html",
        context={"page": name, "title": title, "navigation": NAVIGATION, **context},
        headers=HEADERS,
    )


def _next_path(request: Request[Any, Any, Any]) -> str:
    """Where to go after logging in: back here (only ever a path on this site)."""
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


async def _signed_in_page(
    gateway: Gateway, request: Request[Any, Any, Any], name: str, title: str, **context: Any
) -> Template | Redirect:
    identity = await identify(gateway, request)
    if identity is None or identity.via != "session":
        if not await _is_set_up(gateway):
            return Redirect("/setup")
        return Redirect("/login", query_params={"next": _next_path(request)})
    user = await gateway.ctx.store.get("users", identity.user_id, UserRecord)
    providers = await _providers(gateway, identity.user_id)
    if name == "connections":
        context["providers"] = providers
    return _page(
        name,
        title,
        session_csrf=identity.csrf_token,
        username=user.username if user else "",
        is_admin=identity.is_admin,
        # Each page's script names services as people know them ("YouTube Music").
        provider_names={p["name"]: p["display_name"] for p in providers},
        # The services whose library a playlist can be compared against (Plex, Jellyfin...).
        library_providers=[p["name"] for p in providers if p["library"]],
        **context,
    )


async def _providers(gateway: Gateway, user_id: str) -> list[dict[str, str | bool]]:
    """The providers the connectors offer (the connect forms follow them); none while the
    connectors do not answer, which the page says."""
    try:
        response = await gateway.clients.providers(user_id)
    except ServiceUnavailable:
        return []
    return [
        {
            "name": p.name,
            "display_name": p.display_name,
            "auth": p.auth or "none",
            "app_needed": p.app_needed,
            "library": SCAN_LIBRARY in p.capabilities,
        }
        for p in response.providers
    ]


class PagesController(Controller):
    """Every page; none needs an API token (pages check the session themselves)."""

    include_in_schema = False
    opt = {"exclude_from_auth": True}

    @get("/setup")
    async def setup(self, gateway: NamedDependency[Gateway]) -> Template | Redirect:
        if await _is_set_up(gateway):
            return Redirect("/login")
        return _page("setup", "Welcome")

    @get("/login")
    async def login(self, gateway: NamedDependency[Gateway]) -> Template | Redirect:
        if not await _is_set_up(gateway):
            return Redirect("/setup")
        return _page("login", "Log in")

    @get(["/", "/dashboard"])
    async def dashboard(
        self, gateway: NamedDependency[Gateway], request: Request[Any, Any, Any]
    ) -> Template | Redirect:
        return await _signed_in_page(gateway, request, "dashboard", NAVIGATION["dashboard"])

    @get([f"/{name}" for name in NAVIGATION if name != "dashboard"] + ["/connections/callback"])
    async def section(
        self, gateway: NamedDependency[Gateway], request: Request[Any, Any, Any]
    ) -> Template | Redirect:
        name = request.url.path.rsplit("/", 1)[1]
        return await _signed_in_page(gateway, request, name, {**NAVIGATION, **OTHER_PAGES}[name])

    @get("/connections/applemusic")
    async def musickit(
        self, gateway: NamedDependency[Gateway], request: Request[Any, Any, Any]
    ) -> Template | Redirect:
        """Sign in with Apple: the one page whose policy lets Apple's MusicKit JS load."""
        page = await _signed_in_page(
            gateway, request, "musickit", "Connect Apple Music", musickit_url=MUSICKIT_SCRIPT
        )
        if isinstance(page, Template):
            page.headers["content-security-policy"] = MUSICKIT_CONTENT_SECURITY_POLICY
        return page

    @get(["/jobs/{item_id:str}", "/runs/{item_id:str}"])
    async def item(
        self,
        gateway: NamedDependency[Gateway],
        request: Request[Any, Any, Any],
        item_id: FromPath[str],
    ) -> Template | Redirect | Response[str]:
        # A job or a run by id; the page's script asks the API, which says if it exists.
        if not item_id.isalnum() or len(item_id) > 64:
            return _not_found()
        page = "job" if request.url.path.startswith("/jobs/") else "run"
        return await _signed_in_page(gateway, request, page, OTHER_PAGES[page], item_id=item_id)


def _not_found() -> Response[str]:
    return Response(
        "<!doctype html><title>Not found</title><p>No such page. "
        '<a href="/">Back to the dashboard</a>.',
        status_code=404,
        media_type="text/html",
        headers=HEADERS,
    )


def ui_router() -> Router:
    """The pages and their static files (``/ui/static``)."""
    static = create_static_files_router(
        path="/ui/static",
        directories=[HERE / "static"],
        include_in_schema=False,
        opt={"exclude_from_auth": True},
    )
    return Router(path="/", route_handlers=[PagesController, static])
