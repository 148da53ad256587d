"""RFC 9457 problem+json responses: every error the API returns goes through here."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import errors
from ..errors import STATUS, GeoserviceError, InternalError, InvalidParameter, status_of
from .headers import error_headers, error_members
from .links import base_url

PROBLEM_JSON = "application/problem+json"
TYPES_PATH = "/api/problemes"
"""Where each problem type is described: a ``type`` URI resolves to a page of this service."""


PROBLEM_TYPES: dict[str, type[GeoserviceError]] = {
    kind.slug: kind for kind in vars(errors).values()
    if isinstance(kind, type) and issubclass(kind, GeoserviceError)}
"""Every problem type the API can answer, by slug: the error classes of
:mod:`geoservice.errors` (subclasses elsewhere, such as the storage's, share their parent's
type)."""

_BY_STATUS = {status: kind for kind, status in reversed(STATUS.items())}
"""The type of a framework error (404, 405…): the first kind of STATUS with its status."""


def type_uri(base: str, slug: str) -> str:
    return f"{base}{TYPES_PATH}/{slug}"


def problem(base: str, status: int, title: str, detail: str, slug: str,
            instance: str | None = None, **extra: object) -> JSONResponse:
    """A problem+json response; ``base`` is the service's public root (``""`` gives a
    relative ``type``)."""
    body = {"type": type_uri(base, slug), "title": title, "status": status, "detail": detail}
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
        path = str(request.url.path)
        response = problem(base_url(request), status_of(exc), exc.title, exc.detail,
                           exc.slug, path, **{**exc.extra, **error_members(exc)})
        response.headers.update(error_headers(exc, path))
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(base_url(request), 400, InvalidParameter.title,
                       _validation_detail(exc), InvalidParameter.slug, str(request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "Erreur"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"Aucune ressource à l'adresse {request.url.path}"
        elif exc.status_code == 405:
            detail = f"Méthode {request.method} non autorisée pour {request.url.path}"
        kind = _BY_STATUS.get(exc.status_code, GeoserviceError)
        response = problem(base_url(request), exc.status_code, kind.title, detail, kind.slug,
                           str(request.url.path))
        if exc.status_code == 405:
            response.headers["Allow"] = (exc.headers or {}).get("Allow") \
                or _allowed(request.app, request.scope)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        from .logs import log_unexpected

        rid = log_unexpected(request, exc)
        response = problem(base_url(request), 500, InternalError.title,
                           f"Erreur interne du service (référence de la requête : {rid}).",
                           InternalError.slug, str(request.url.path))
        response.headers["X-Request-Id"] = rid
        return response
