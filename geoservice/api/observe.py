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
        done = False

        def record() -> None:
            nonlocal done
            done = True
            route = getattr(scope.get("route"), "path_format", None)
            method = scope["method"]
            self.metrics.request(method, route or OTHER, status,
                                 time.perf_counter() - started)
            action = audit.action_of(scope, method, route)
            if action is not None:
                line = audit.line(scope, action, method, status, headers,
                                  scope.get(REQUEST_ID, "-"))
                if action in audit.WRITES:
                    self.metrics.write(action, line.get("collection", "-"), line["outcome"])
                audit.emit(line)

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", ()):
                    if key in (b"etag", b"location"):
                        headers[key.decode()] = value.decode("latin-1")
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                record()  # before the client has the whole answer: a scrape that follows
            await send(message)  # it counts it

        try:
            await self.app(scope, receive, observed)
        finally:
            if not done:  # an exception before the end of the answer (a 500)
                record()


def add_observation(app: FastAPI, metrics: Metrics) -> None:
    app.add_middleware(Observe, metrics=metrics)
