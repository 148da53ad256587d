"""Browser sessions on the HTTP side: the cookie, and CSRF on writes.

:func:`geoservice.api.auth.get_caller` asks :func:`session_of` when a request carries no
bearer token. A write (POST, PUT, PATCH, DELETE) made with a
session must carry the session's CSRF token in ``X-CSRF-Token``; the cookie itself is
``HttpOnly``, ``SameSite=Lax`` and ``Secure`` when the service is served over HTTPS.
"""

from __future__ import annotations

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from ..auth.accounts import Caller
from ..auth.service import Accounts
from ..auth.sessions import COOKIE, csrf_matches
from ..errors import Forbidden
from .links import base_url

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "x-csrf-token"


async def session_of(request: Request, accounts: Accounts) -> Caller | None:
    """The caller of the request's session cookie (None: no valid session); 403 for a
    write without the session's CSRF token."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    caller = await run_in_threadpool(accounts.session_caller, cookie)
    if caller is None:
        return None
    if request.method not in SAFE_METHODS and \
            not csrf_matches(caller, request.headers.get(CSRF_HEADER)):
        raise Forbidden("Jeton anti-CSRF absent ou invalide (en-tête X-CSRF-Token, donné "
                        "par GET /api/me)")
    return caller


def _attributes(request: Request) -> dict:
    return {"path": "/", "httponly": True, "samesite": "lax",
            "secure": base_url(request).startswith("https:")}


def set_cookie(request: Request, response: Response, value: str, hours: float) -> None:
    response.set_cookie(COOKIE, value, max_age=int(hours * 3600), **_attributes(request))


def clear_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, **_attributes(request))
