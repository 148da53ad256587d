"""Security headers on every response, and the Content-Security-Policy of each kind of page.

The web map (``/``) runs only the service's own scripts (``script-src 'self'``, no inline
script); images may also come from the tile host set in ``GEOSERVICE_TILES_URL``. The API
documentation (``/docs``, Swagger UI from the installed package) runs under the same policy.
One kind of page gets a different policy, on purpose:

* folium report maps (``/api/maps/…html``) are standalone files with everything inline:
  they are served in a ``sandbox`` (a unique origin, no access to the service's cookies or
  storage), with inline script allowed and nothing loaded from elsewhere except tiles.
* the light map for partners' sites (``/embed``) may be framed by the sites listed in
  ``GEOSERVICE_EMBED_ORIGINS`` (``frame-ancestors``), and by no other; every other page
  keeps ``frame-ancestors 'self'`` and ``X-Frame-Options: SAMEORIGIN``.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..maps.web import tile_origin
from ..settings import Settings

EMBED_PATH = "/embed"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=(), payment=(), usb=()",
}


def _img_src(settings: Settings | None) -> str:
    origin = tile_origin(settings) if settings is not None else None
    return "'self' data:" + (f" {origin}" if origin else "")


def map_csp(settings: Settings | None) -> str:
    """Policy of the web map and of every API response."""
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'",
        f"img-src {_img_src(settings)}", "connect-src 'self'", "font-src 'self'",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def embed_csp(settings: Settings | None) -> str:
    """Policy of the light map ``/embed``: the map's, except that the sites listed in
    ``GEOSERVICE_EMBED_ORIGINS`` may frame it (no ``X-Frame-Options`` there: it cannot
    name a list of sites, and browsers give ``frame-ancestors`` precedence anyway)."""
    origins = list(settings.embed_origins) if settings is not None else []
    ancestors = "*" if "*" in origins else " ".join(["'self'", *origins])
    return map_csp(settings).replace("frame-ancestors 'self'", f"frame-ancestors {ancestors}")


def report_csp(settings: Settings | None) -> str:
    """Policy of a standalone folium report map served by the API (sandboxed, inline only)."""
    return "; ".join([
        "default-src 'none'", "script-src 'unsafe-inline'", "style-src 'unsafe-inline'",
        f"img-src data: {tile_origin(settings) or ''}".rstrip(), "base-uri 'none'",
        "form-action 'none'", "frame-ancestors 'self'", "sandbox allow-scripts allow-popups",
    ])


class SecurityHeaders:
    """Pure ASGI middleware: the security headers and the map's CSP on every response that
    does not set its own (no per-request task, unlike ``@app.middleware``)."""

    def __init__(self, app: ASGIApp, settings: Settings | None) -> None:
        self.app = app
        self.headers = [(b"content-security-policy", map_csp(settings).encode()),
                        *((k.lower().encode(), v.encode()) for k, v in HEADERS.items())]
        self.embed_headers = [(b"content-security-policy", embed_csp(settings).encode()),
                              *((k, v) for k, v in self.headers[1:]
                                if k != b"x-frame-options")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = self.embed_headers if scope["path"] == EMBED_PATH else self.headers

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def add_security_headers(app: FastAPI, settings: Settings | None = None) -> None:
    """Set the security headers (and the right CSP) on every response."""
    app.add_middleware(SecurityHeaders, settings=settings)
