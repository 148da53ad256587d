"""What every request leaves behind once answered: its metrics (:mod:`.metrics`) and, when
it writes, logs in or uses a token, its audit line (:mod:`.audit`). One pure ASGI
middleware, inside the request-id one (the audit line carries the id)."""

from __future__ import annotations

import time

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import audit
from .logs import SCOPE_KEY as REQUEST_ID
from .metrics import Metrics

OTHER = "other"
"""The route label of what no API route matched (static files, unknown paths): bounded."""


class Observe:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        headers: dict[str, str] = {}

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", ()):
                    if key in (b"etag", b"location"):
                        headers[key.decode()] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = getattr(scope.get("route"), "path_format", None)
            method = scope["method"]
            self.metrics.request(method, route or OTHER, status,
                                 time.perf_counter() - started)
            action = audit.action_of(scope, method, route)
            if action is not None:
                record = audit.line(scope, action, method, status, headers,
                                    scope.get(REQUEST_ID, "-"))
                if action in audit.WRITES:
                    self.metrics.write(action, record.get("collection", "-"),
                                       record["outcome"])
                audit.emit(record)


def add_observation(app: FastAPI, metrics: Metrics) -> None:
    app.add_middleware(Observe, metrics=metrics)
