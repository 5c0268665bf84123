"""The security headers every answer of the gateway carries: pages, API answers, the
OpenAPI document and Swagger UI alike (a handler's own header wins)."""

from __future__ import annotations

import html
from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.types import Message, Scope

#: Scripts and styles only from the gateway; pictures (artwork) from anywhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
#: Swagger UI's own scripts are the gateway's too (vendored), but it styles its elements
#: in place, so its page allows inline styles (never inline scripts).
SWAGGER_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
#: Apple's MusicKit JS, loaded by the Apple Music sign-in page and no other.
MUSICKIT_SCRIPT = "https://js-cdn.music.apple.com/musickit/v3/musickit.js"
#: The sign-in page's policy: the strict one, plus Apple's script, its API and its frames.
MUSICKIT_CONTENT_SECURITY_POLICY = (
    CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", "script-src 'self' https://js-cdn.music.apple.com"
    )
    + "; connect-src 'self' https://*.music.apple.com https://*.apple.com"
    + "; frame-src https://*.apple.com"
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}
SWAGGER_PATH = "/schema/swagger"
STATIC_PATH = "/ui/static/"


def headers_for(path: str) -> dict[str, str]:
    """The security headers of an answer to ``path``."""
    if path.startswith(SWAGGER_PATH):
        return {**HEADERS, "content-security-policy": SWAGGER_CONTENT_SECURITY_POLICY}
    if path.startswith(STATIC_PATH):  # the same for everyone: cached, checked each time
        return {**HEADERS, "cache-control": "no-cache"}
    return HEADERS


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: the security headers on every HTTP answer."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in headers_for(scope.get("path", "")).items():
        if name not in headers:
            headers[name] = value


class VendoredSwagger(SwaggerRenderPlugin):
    """Swagger UI from the gateway's own copy (``ui/static/swagger``, with its licence),
    started by a script file: no CDN, no inline script."""

    def __init__(self) -> None:
        base = f"{STATIC_PATH}swagger"
        super().__init__(
            js_url=f"{base}/swagger-ui-bundle.js",
            css_url=f"{base}/swagger-ui.css",
            standalone_preset_js_url=f"{base}/init.js",
            favicon=f"<link rel='icon' href='{STATIC_PATH}icon.svg'>",
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title>{self.favicon}"
            f"<link rel='stylesheet' href='{self.css_url}'></head>"
            "<body><div id='swagger-container'></div>"
            f"<script src='{self.js_url}'></script>"
            f"<script src='{self.standalone_preset_js_url}'></script></body></html>"
        ).encode()
