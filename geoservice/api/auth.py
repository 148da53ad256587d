"""Who is calling: ``Authorization: Bearer TOKEN`` (API clients) or a login session cookie
(the browser, with CSRF on writes; see :mod:`.sessions`). Residents send neither and may
only read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..auth.accounts import Caller
from ..auth.sessions import COOKIE
from ..errors import ServiceUnavailable, Unauthorized
from .audit import note
from .deps import get_accounts
from .sessions import session_of


async def get_caller(request: Request) -> Caller | None:
    """The authenticated caller, None without credentials; 401 for bad credentials."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("En-tête Authorization attendu : « Bearer JETON »",
                               bearer=True)
        accounts = await get_accounts(request)
        return _noted(request, await run_in_threadpool(accounts.token_caller, token.strip()))
    if COOKIE in request.cookies:
        return _noted(request, await session_of(request, await get_accounts(request)))
    return None


def _noted(request: Request, caller: Caller | None) -> Caller | None:
    """The caller, recorded for the request's audit line (e-mail, role, how)."""
    if caller is not None:
        note(request.scope, who=caller.email, role=caller.role, via=caller.via)
    return caller


async def optional_caller(request: Request) -> Caller | None:
    """Like :func:`get_caller`, but bad credentials only mean "no caller" (reads)."""
    try:
        return await get_caller(request)
    except (Unauthorized, ServiceUnavailable):
        return None


CallerDep = Annotated[Caller | None, Depends(get_caller)]
OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]
