"""Browser login: local password and OpenID Connect (ProConnect or any standard provider),
both ending in a session cookie; logout. API clients use bearer tokens instead."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...auth.sessions import COOKIE
from ...errors import InvalidParameter, NotFound
from ...settings import Settings
from ..audit import note
from ..auth import CallerDep
from ..deps import AccountsDep, get_accounts
from ..http import only
from ..links import base_url
from ..problems import problem_response
from ..sessions import clear_cookie, set_cookie

router = APIRouter(prefix="/api/auth", tags=["Connexion"])
CALLBACK = "/api/auth/oidc/callback"


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _logged_in(request: Request, account_email: str, role: str, csrf: str, cookie: str,
               response: Response) -> dict:
    set_cookie(request, response, cookie, _settings(request).session_hours)
    response.headers["Cache-Control"] = "no-store"
    return {"authenticated": True, "email": account_email, "role": role, "via": "session",
            "csrf": csrf}


@router.get("", summary="Moyens de connexion proposés", dependencies=[only()])
async def methods(request: Request) -> dict:
    settings = _settings(request)
    oidc = ({"label": settings.oidc_label, "href": "/api/auth/oidc/login"}
            if settings.oidc_enabled else None)
    return {"password": settings.password_login, "oidc": oidc}


@router.post("/login", summary="Connexion par mot de passe (ouvre une session)",
             responses={400: problem_response("Adresse invalide"),
                        401: problem_response("Adresse ou mot de passe incorrect"),
                        404: problem_response("Connexion par mot de passe désactivée"),
                        429: problem_response("Trop d'essais : attendre Retry-After")})
async def login(request: Request, response: Response, body: Credentials,
                accounts: AccountsDep) -> dict:
    if not _settings(request).password_login:
        raise NotFound("Connexion par mot de passe désactivée sur ce service")
    address = request.client.host if request.client else None
    note(request.scope, who=body.email[:320], via="password")  # the audit line's who
    account, cookie, session = await run_in_threadpool(
        accounts.password_login, body.email, body.password, address)
    note(request.scope, who=account.email, role=account.role)
    return _logged_in(request, account.email, account.role, session.csrf, cookie, response)


@router.post("/logout", status_code=204, response_class=Response,
             summary="Fermer la session (sur tous les réplicas)",
             responses={403: problem_response("Jeton anti-CSRF absent ou invalide")})
async def logout(request: Request, caller: CallerDep) -> Response:
    cookie = request.cookies.get(COOKIE)
    if caller is not None and caller.via == "session" and cookie:  # CSRF checked
        accounts = await get_accounts(request)
        await run_in_threadpool(accounts.logout, cookie)
    response = Response(status_code=204)
    clear_cookie(request, response)
    return response


@router.get("/oidc/login", summary="Connexion OpenID Connect (redirige vers le fournisseur)",
            response_class=RedirectResponse, status_code=302,
            responses={404: problem_response("OpenID Connect non configuré"),
                       502: problem_response("Fournisseur injoignable")})
async def oidc_login(request: Request, accounts: AccountsDep,
                     next: Annotated[str | None, Query(max_length=500)] = None  # noqa: A002
                     ) -> RedirectResponse:
    accounts.oidc()  # 404 when not configured
    url = await run_in_threadpool(accounts.oidc_start, base_url(request) + CALLBACK, next)
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})


@router.get("/oidc/callback", summary="Retour du fournisseur OpenID Connect",
            response_class=RedirectResponse, status_code=303,
            responses={400: problem_response("state inconnu, expiré ou déjà utilisé"),
                       401: problem_response("Jeton d'identité refusé"),
                       403: problem_response("Aucun compte pour cette adresse"),
                       404: problem_response("OpenID Connect non configuré"),
                       502: problem_response("Fournisseur injoignable")})
async def oidc_callback(
    request: Request,
    accounts: AccountsDep,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=500)] = None,
) -> RedirectResponse:
    if error is not None:
        raise InvalidParameter(f"Connexion refusée par le fournisseur : {error}"
                               + (f" ({error_description})" if error_description else ""))
    accounts.oidc()  # 404 when not configured
    cookie, next_path = await run_in_threadpool(accounts.oidc_finish, code, state)
    response = RedirectResponse(next_path, status_code=303,
                                headers={"Cache-Control": "no-store"})
    set_cookie(request, response, cookie, _settings(request).session_hours)
    return response
