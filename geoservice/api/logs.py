"""Request ids and logs: every request gets an id (the client's ``X-Request-Id`` when it is
sane, else a new one), echoed in the response and carried by every log line of that
request; every unexpected error is logged with its traceback (never sent to the client)."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("geoservice.api")
SCOPE_KEY = "geoservice.request_id"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """One handler for geoservice's loggers, each line with its request id."""
    logger = logging.getLogger("geoservice")
    if any(getattr(h, "_geoservice", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler._geoservice = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


class RequestIds:
    """Pure ASGI middleware (no per-request task or body copy, unlike ``@app.middleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for key, value in scope.get("headers", ()):
            if key == b"x-request-id":
                given = value.decode("latin-1")
                break
        rid = given if _SANE.match(given) else uuid.uuid4().hex[:16]
        scope[SCOPE_KEY] = rid  # for the 500 handler, which runs outside this middleware
        token = request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


def add_request_ids(app: FastAPI) -> None:
    app.add_middleware(RequestIds)


def log_unexpected(request: Request, exc: BaseException) -> str:
    """Log the error with its traceback under the request's id; return that id."""
    rid = request.scope.get(SCOPE_KEY, "-")
    token = request_id.set(rid)
    try:
        log.error("500 on %s %s", request.method, request.url.path,
                  exc_info=(type(exc), exc, exc.__traceback__))
    finally:
        request_id.reset(token)
    return rid
