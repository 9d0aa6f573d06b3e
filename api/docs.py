"""Routes: /docs (Swagger UI) and /redoc (ReDoc) with their assets served from
``/static/vendor`` (an intranet has no CDN), and the security headers of every answer.

The Content-Security-Policy names no remote source: scripts, styles, fonts and fetches come
from the service itself. Inline scripts and styles stay allowed because the folium map pages
and Swagger UI's start-up are written inline; images may also be ``data:``/``blob:`` (the
density layer, Swagger UI's icons) or come from the configured basemap tile server and, when
the installation has a 天地图 key, from 天地图's tile hosts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.config import Settings
from api.tiles.tianditu import image_hosts

VENDOR = "/static/vendor"
OPENAPI_URL = "/openapi.json"
FAVICON = "/favicon.ico"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
TITLE = "gridwhistle"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI from local assets (no validator badge: it would call a remote service)."""
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{TITLE} — Swagger UI",
        swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=FAVICON,
        oauth2_redirect_url=OAUTH2_REDIRECT,
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(OAUTH2_REDIRECT)
def swagger_ui_redirect() -> HTMLResponse:
    """Swagger UI's OAuth2 redirect page."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc() -> HTMLResponse:
    """ReDoc from local assets, without web fonts."""
    return get_redoc_html(
        openapi_url=OPENAPI_URL,
        title=f"{TITLE} — ReDoc",
        redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
        redoc_favicon_url=FAVICON,
        with_google_fonts=False,
    )


def content_security_policy(settings: Settings) -> str:
    """The CSP of every answer: the service's own sources, plus the basemap's tile server
    (``{s}`` subdomains as ``*``) and 天地图's hosts for images when they are configured."""
    images = ["'self'", "data:", "blob:"]
    if settings.tile_url:
        tiles = urlsplit(settings.tile_url.replace("{s}", "*"))
        images.append(f"{tiles.scheme}://{tiles.netloc}")
    images += image_hosts(settings)
    directives = {
        "default-src": "'self'",
        "script-src": "'self' 'unsafe-inline'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": " ".join(images),
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": settings.frame_ancestors,
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeaders:
    """ASGI middleware: the same security headers on every HTTP answer."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(settings).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
