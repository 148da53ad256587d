"""HTTP details every route shares: ``HEAD`` answered like ``GET`` without a body, CORS
for the public read API (writes stay same-origin), and unknown query parameters refused."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import InvalidParameter


class HeadAsGet:
    """RFC 9110 §9.3.2: ``HEAD`` gets the headers ``GET`` would (status, length, type),
    with no body. Pure ASGI: the GET route runs, its body is dropped."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        scope = {**scope, "method": "GET"}

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, headers_only)


def add_http_basics(app: FastAPI, allowed_hosts: list[str] | None = None) -> None:
    # An open-data API is read from other sites' pages: any origin may GET, without
    # credentials; no write method is allowed cross-origin.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=False,
                       allow_methods=["GET", "HEAD", "OPTIONS"], allow_headers=["Accept"],
                       expose_headers=["Content-Crs", "Link", "OGC-NumberMatched",
                                       "X-Request-Id"], max_age=3600)
    app.add_middleware(HeadAsGet)
    if allowed_hosts and "*" not in allowed_hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)


def only(*names: str) -> object:
    """A route dependency refusing query parameters other than ``names`` (400), the rule
    the items route already follows."""
    allowed = set(names)

    async def check(request: Request) -> None:
        refuse_unknown(request.query_params.keys(), allowed)

    return Depends(check)


def refuse_unknown(given: Iterable[str], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise InvalidParameter(f"Paramètre inconnu : « {unknown[0][:40]} » (possibles : "
                               f"{', '.join(sorted(allowed)) or 'aucun'})")
