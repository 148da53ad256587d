"""RFC 9457 problem+json responses: every error the API returns goes through here."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import GeoserviceError, status_of

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://geoservice.example/problemes/"
HTTP_TITLES = {
    400: "Requête invalide", 401: "Authentification requise", 403: "Action non autorisée",
    404: "Ressource introuvable", 405: "Méthode non autorisée",
    406: "Format non disponible", 413: "Requête trop volumineuse",
    415: "Type de contenu non pris en charge", 422: "Requête invalide", 500: "Erreur interne",
}


def problem(status: int, title: str, detail: str, slug: str, instance: str | None = None,
            **extra: object) -> JSONResponse:
    body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


_FRENCH = {
    "missing": "valeur requise",
    "float_parsing": "nombre attendu",
    "float_type": "nombre attendu",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "bool_parsing": "true ou false attendu",
    "finite_number": "nombre fini attendu",
    "string_too_short": "texte trop court",
    "string_too_long": "texte trop long",
    "literal_error": "valeur non admise",
    "enum": "valeur non admise",
    "json_invalid": "JSON invalide",
}
_BOUNDS = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤",
           "less_than": "<"}


def _french(error: dict) -> str:
    kind = error.get("type", "")
    if kind in _BOUNDS:
        bound = next(iter((error.get("ctx") or {}).values()), "")
        return f"doit être {_BOUNDS[kind]} {bound}"
    return _FRENCH.get(kind, "valeur invalide")


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{where or 'requête'} : {_french(error)}")
    return "Paramètre invalide — " + " ; ".join(parts)


PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "instance": {"type": "string"}},
}


def problem_response(description: str) -> dict:
    """An OpenAPI response object for a problem+json error (for ``responses=``)."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}


def amend_openapi(app: FastAPI, step: Callable[[dict], None]) -> None:
    """Change the OpenAPI document FastAPI builds, once, before it is cached and served
    (``step`` edits it in place); several steps chain in the order they are added."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        step(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_problems(schema: dict) -> None:
    """Make the OpenAPI document say what the handlers below do: a request that fails
    validation gets 400 problem+json (FastAPI would document 422 application/json)."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            if responses.pop("422", None) is not None and "400" not in responses:
                responses["400"] = problem_response("Paramètre invalide")


def _allowed(app: FastAPI, scope: dict) -> str:
    """The methods the routes matching this path accept (for ``Allow`` on a 405)."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods)) or "GET, HEAD"


def add_exception_handlers(app: FastAPI) -> None:
    amend_openapi(app, _document_problems)

    @app.exception_handler(GeoserviceError)
    async def _domain(request: Request, exc: GeoserviceError) -> JSONResponse:
        response = problem(status_of(exc), exc.title, exc.detail, exc.slug,
                           str(request.url.path), **exc.extra)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(400, "Paramètre invalide", _validation_detail(exc), "invalid-parameter",
                       str(request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "Erreur"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"Aucune ressource à l'adresse {request.url.path}"
        elif exc.status_code == 405:
            detail = f"Méthode {request.method} non autorisée pour {request.url.path}"
        title = HTTP_TITLES.get(exc.status_code, "Erreur")
        response = problem(exc.status_code, title, detail, f"http-{exc.status_code}",
                           str(request.url.path))
        if exc.status_code == 405:
            response.headers["Allow"] = (exc.headers or {}).get("Allow") \
                or _allowed(request.app, request.scope)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        from .logs import log_unexpected

        rid = log_unexpected(request, exc)
        response = problem(500, "Erreur interne", "Erreur interne du service (référence de "
                           f"la requête : {rid}).", "internal", str(request.url.path))
        response.headers["X-Request-Id"] = rid
        return response
