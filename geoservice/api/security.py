"""Security headers on every response, and the Content-Security-Policy of each kind of page.

The web map (``/``) runs only the service's own scripts (``script-src 'self'``, no inline
script); images may also come from the tile host set in ``GEOSERVICE_TILES_URL``. The API
documentation (``/docs``, Swagger UI from the installed package) runs under the same policy.
One kind of page gets a different policy, on purpose:

* folium report maps (``/api/maps/…html``) are standalone files with everything inline:
  they are served in a ``sandbox`` (a unique origin, no access to the service's cookies or
  storage), with inline script allowed and nothing loaded from elsewhere except tiles.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from ..maps import tile_origin
from ..settings import Settings

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


def report_csp(settings: Settings | None) -> str:
    """Policy of a standalone folium report map served by the API (sandboxed, inline only)."""
    return "; ".join([
        "default-src 'none'", "script-src 'unsafe-inline'", "style-src 'unsafe-inline'",
        f"img-src data: {tile_origin(settings) or ''}".rstrip(), "base-uri 'none'",
        "form-action 'none'", "frame-ancestors 'self'", "sandbox allow-scripts allow-popups",
    ])


def add_security_headers(app: FastAPI) -> None:
    """Set the security headers (and the right CSP) on every response."""

    @app.middleware("http")
    async def _headers(request: Request, call_next) -> Response:  # type: ignore[no-untyped-def]
        response = await call_next(request)
        settings = getattr(request.app.state, "settings", None)
        policy = map_csp(settings)
        response.headers.setdefault("Content-Security-Policy", policy)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
