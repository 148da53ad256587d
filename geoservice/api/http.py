"""HTTP details every route shares: ``HEAD`` answered like ``GET`` without a body, CORS
for the public read API (writes stay same-origin), ``Host`` headers the service does not
serve refused, and unknown query parameters refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import InvalidParameter, RequestTimeout, UntrustedHost
from .problems import problem
from .proxies import LOOPBACK_NAMES, default_hosts

BODY_RATE = 64 * 1024
"""Bytes per second a request body earns in time beyond ``GEOSERVICE_BODY_TIMEOUT``."""


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


def host_of(header: str) -> str:
    """The host name of a ``Host`` header, without its port (``[::1]:8000`` → ``[::1]``)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header.partition("]")[0] + "]"
    return header.partition(":")[0]


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """``carte.example.fr`` matches itself; ``*.example.fr`` matches its subdomains."""
    return any(host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
               for pattern in patterns)


class TrustedHosts:
    """Refuse a request whose ``Host`` is not one the service serves, with a problem+json
    400 like every other error (Starlette's TrustedHostMiddleware answers plain text).
    ``hosts`` empty: the address the connection came in on (:func:`.proxies.default_hosts`);
    the loopback names are always accepted. Its ``type`` is built from the public URL alone
    (relative without one): the refused ``Host`` never reaches a link."""

    def __init__(self, app: ASGIApp, hosts: list[str], public_url: str | None) -> None:
        self.app = app
        self.hosts = [host.lower() for host in hosts] + list(LOOPBACK_NAMES)
        self.automatic = not hosts
        self.base = (public_url or "").rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = host_of(Headers(scope=scope).get("host", ""))
            hosts = default_hosts(scope) if self.automatic else self.hosts
            if not host_allowed(host, hosts):
                response = problem(self.base, 400, UntrustedHost.title,
                                   f"Hôte non servi par ce service : « {host[:80]} » ; "
                                   "donnez son nom dans GEOSERVICE_ALLOWED_HOSTS ou "
                                   "GEOSERVICE_PUBLIC_URL", UntrustedHost.slug,
                                   scope.get("path"))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def add_trusted_hosts(app: FastAPI, allowed_hosts: list[str] | None,
                      public_url: str | None) -> None:
    """Add it before the security headers and request ids (middlewares added later wrap it),
    so a refused Host's answer carries them like every other answer. Without a list of
    hosts: with a public URL (links never read ``Host``) any is accepted, without one only
    the address the service is reached at and the loopback names."""
    if allowed_hosts and "*" in allowed_hosts or (not allowed_hosts and public_url):
        return
    app.add_middleware(TrustedHosts, hosts=allowed_hosts or [], public_url=public_url)


class BodyDeadline:
    """A request body must arrive within ``seconds`` of the app's first read of it, plus
    one second per :data:`BODY_RATE` bytes received (a large upload at a fair speed is never
    cut; a trickle is); a slower one gets :class:`RequestTimeout` (408) where the route
    reads it. Pure ASGI around ``receive``; once the body is complete, ``receive`` is left
    alone (waiting for a disconnect is not a body read)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started: float | None = None
        received = 0
        complete = False
        loop = asyncio.get_running_loop()

        async def timed() -> Message:
            nonlocal started, received, complete
            if complete:
                return await receive()
            if started is None:
                started = loop.time()
            deadline = started + self.seconds + received / BODY_RATE
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise RequestTimeout(f"Corps de la requête non reçu à temps ({received} octets "
                                     f"en {loop.time() - started:.0f} s) : connexion trop "
                                     "lente") from None
            received += len(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, timed, send)


def add_http_basics(app: FastAPI) -> None:
    # An open-data API is read from other sites' pages: any origin may GET, without
    # credentials; no write method is allowed cross-origin.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=False,
                       allow_methods=["GET", "HEAD", "OPTIONS"], allow_headers=["Accept"],
                       expose_headers=["Content-Crs", "Link", "OGC-NumberMatched",
                                       "Geoservice-Number-Undated", "X-Request-Id"],
                       max_age=3600)
    app.add_middleware(HeadAsGet)


def only(*names: str) -> object:
    """A route dependency refusing query parameters other than ``names`` (400), the rule
    the items route already follows."""
    allowed = set(names)

    async def check(request: Request) -> None:
        refuse_unknown(request.query_params.keys(), allowed)

    return Depends(check)


async def _json_only(request: Request, f: Annotated[
        Literal["json"] | None,
        Query(description="Format de la réponse : json, le seul proposé ici")] = None) -> None:
    refuse_unknown(request.query_params.keys(), {"f"})


JSON_ONLY = Depends(_json_only)
"""For documents offered in JSON only (landing page, conformance, collections,
queryables, schema): ``f=json`` as OGC clients send it, any other value or parameter 400."""


def accepted_lang(header: str | None, offered: tuple[str, ...] = ("fr", "en")) -> str:
    """The first of ``offered`` an ``Accept-Language`` header prefers (RFC 9110 §12.5.4,
    by weight then order), else the first offered (French)."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in offered and weight > 0:
            choices.append((-weight, position, primary))
    return min(choices)[2] if choices else offered[0]


async def _lang_param(request: Request, f: Annotated[
        Literal["json"] | None,
        Query(description="Format de la réponse : json, le seul proposé ici")] = None,
        lang: Annotated[Literal["fr", "en"] | None, Query(
            description="Langue des titres et des libellés : fr (par défaut) ou en ; sans ce "
                        "paramètre, l'en-tête Accept-Language choisit")] = None) -> str:
    refuse_unknown(request.query_params.keys(), {"f", "lang"})
    return lang or accepted_lang(request.headers.get("accept-language"))


LangDep = Annotated[str, Depends(_lang_param)]
"""A JSON document in French or English (``?lang=``, else ``Accept-Language``), ``f=json``
only, other parameters refused."""


async def refuse_repeated(request: Request) -> None:
    """A query parameter given twice is ambiguous (``lon=1.4&lon=2``: which one counts?):
    refused on every route, like a JSON object with both ``lon`` and ``LON``."""
    seen: set[str] = set()
    for key, _ in request.query_params.multi_items():
        if key in seen:
            raise InvalidParameter(f"Paramètre donné plusieurs fois : « {key[:40]} » ; "
                                   "donnez-le une seule fois")
        seen.add(key)


def refuse_unknown(given: Iterable[str], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise InvalidParameter(f"Paramètre inconnu : « {unknown[0][:40]} » (possibles : "
                               f"{', '.join(sorted(allowed)) or 'aucun'})")
