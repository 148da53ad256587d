"""Request ids and logs: every request gets an id (the client's ``X-Request-Id`` when it is
sane, else a new one), echoed in the response and carried by every log line of that
request; every unexpected error is logged with its traceback (never sent to the client)."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from fastapi import FastAPI, Request, Response

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("geoservice.api")


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


def add_request_ids(app: FastAPI) -> None:
    @app.middleware("http")
    async def _request_id(request: Request, call_next):  # type: ignore[no-untyped-def]
        given = request.headers.get("x-request-id", "")
        rid = given if _SANE.match(given) else uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        try:
            response: Response = await call_next(request)
        finally:
            request_id.reset(token)
        response.headers["X-Request-Id"] = rid
        return response


def log_unexpected(request: Request, exc: BaseException) -> None:
    log.error("500 on %s %s", request.method, request.url.path,
              exc_info=(type(exc), exc, exc.__traceback__))
