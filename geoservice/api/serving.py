"""Running the app under uvicorn with the service's own limits on slow clients.

- **Headers**: uvicorn closes an idle keep-alive connection, but a client that trickles
  one byte now and then — or connects and sends nothing — keeps a connection forever.
  Here a connection must deliver a request's complete headers within
  ``GEOSERVICE_HEADER_TIMEOUT`` seconds of connecting (or of the previous response), else
  it is closed.
- **Bodies**: :class:`~.http.BodyDeadline` gives a body ``GEOSERVICE_BODY_TIMEOUT``
  seconds (408 problem+json).
- **Proxy headers**: uvicorn's own handling (which believes ``X-Forwarded-For`` from
  127.0.0.1 by default) is off: :class:`~.proxies.ProxyHeaders` believes only
  ``GEOSERVICE_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # uvicorn[standard]'s faster parser, when installed
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - h11 only
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

from ..settings import Settings


@cache
def header_timeout() -> float:
    """Read once per process (each ``--workers`` process reads the same environment)."""
    return Settings().header_timeout


class _HeaderDeadline:
    """Mixed into a uvicorn HTTP protocol: close a connection whose request headers are
    not complete within :func:`header_timeout` seconds."""

    _deadline: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        # the next request's headers are awaited (unless a pipelined one already started)
        if not self.transport.is_closing() and (self.cycle is None
                                                or self.cycle.response_complete):
            self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(header_timeout(), self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


class DeadlineH11(_HeaderDeadline, H11Protocol):
    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()  # a request's headers arrived


if HttpToolsProtocol is not None:
    class DeadlineHttpTools(_HeaderDeadline, HttpToolsProtocol):
        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

    PROTOCOL = "geoservice.api.serving:DeadlineHttpTools"
else:  # pragma: no cover
    PROTOCOL = "geoservice.api.serving:DeadlineH11"


def run(app: Any, host: str, port: int, workers: int = 1) -> None:
    """``uvicorn.run`` with the protocol above and without uvicorn's proxy headers
    (``app``: the app, or with ``workers`` > 1 the import path of its factory)."""
    import uvicorn

    from .server_log import log_config

    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info",
                               "http": PROTOCOL, "proxy_headers": False,
                               "log_config": log_config()}
    if workers > 1:
        options.update(factory=True, workers=workers)
    uvicorn.run(app, **options)
