"""Editors' CSV imports (``/api/imports``): upload a file for a layer, review the rows the
geocoding is unsure of, apply in one changeset. The rules live in
:mod:`geoservice.imports.service`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ...errors import InvalidParameter, PayloadTooLarge, UnsupportedMediaType
from ...imports.service import APPLIED, summary
from ...parsing import parse_int
from ..auth import CallerDep
from ..deps import ImportsDep
from ..links import base_url
from ..problems import problem_response
from ..writes import capped, json_body, parse_json

router = APIRouter(prefix="/api/imports", tags=["Imports CSV (éditeurs)"])
MAX_FILE = 64 * 1024 * 1024
"""64 Mio: a file of 100,000 rows or more."""
MAX_FORM_EXTRA = 64 * 1024
"""The form's other fields (layer, mapping, defaults…) and its multipart framing."""
PAGE = 500
"""Rows per page of an import's view (``?status=&offset=&limit=``); ``summary`` counts
them all."""
ImportId = Annotated[str, Path(description="Identifiant de l'import",
                               pattern=r"^imp-[0-9a-f]{10}$")]
ERRORS = {
    400: problem_response("Fichier, correspondance de colonnes ou paramètre invalide"),
    401: problem_response("Réservé aux comptes (jeton ou session)"),
    403: problem_response("Le rôle ne permet pas de créer dans cette couche"),
    404: problem_response("Import, couche ou ligne inconnue"),
    409: problem_response("Import déjà appliqué"),
    413: problem_response("Fichier trop volumineux"),
    415: problem_response("Formulaire multipart attendu"),
    502: problem_response("Géocodeur BAN injoignable"),
}


def view(request: Request, record: dict) -> dict:
    """An import with one page of its rows: ``status`` (one of the row statuses, or
    ``todo`` for the rows to review and the ones the next apply writes), ``offset``,
    ``limit`` (≤ :data:`PAGE`) from the query."""
    payload = record["payload"]
    rows = payload["rows"]
    wanted = request.query_params.get("status")
    if wanted:
        keep = {"todo": ("review", *APPLIED)}.get(wanted, (wanted,))
        rows = [row for row in rows if row["status"] in keep]
    offset = parse_int("offset", request.query_params.get("offset"), 0, 0)
    limit = min(parse_int("limit", request.query_params.get("limit"), PAGE, 1), PAGE)
    return {"rows_matched": len(rows), "offset": offset, "id": record["id"],
            "layer": record["layer"], "status": record["status"],
            "source_name": record["source_name"], "filename": payload["filename"],
            "author": record["author"], "created_at": record["created_at"],
            "changeset": record["changeset"], "header": payload["header"],
            "mapping": payload["mapping"], "mapped_from": payload["mapped_from"],
            "id_column": payload["id_column"], "summary": summary(payload["rows"]),
            "rows": [{k: v for k, v in row.items() if k not in ("invalid",)}
                     for row in rows[offset:offset + limit]],
            "href": f"{base_url(request)}/api/imports/{record['id']}"}


def _json_field(form: Any, name: str) -> Any:
    text = form.get(name)
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise InvalidParameter(f"« {name} » : texte JSON attendu")
    return parse_json(text, f"« {name} » : JSON")


def _text_field(form: Any, name: str) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidParameter(f"« {name} » : texte attendu")
    return value or None


@router.post("", status_code=201, summary="Importer un fichier CSV dans une couche (essai : "
             "rien n'est écrit avant apply)", responses={**ERRORS, 201: {
                 "description": "Import créé (Location) : lignes sûres, à revoir, rejetées"}})
async def create(request: Request, caller: CallerDep, service: ImportsDep) -> JSONResponse:
    # who calls is read from the headers before any byte of the body (401, 403)
    await run_in_threadpool(service.admit, caller)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise UnsupportedMediaType("Formulaire multipart/form-data attendu (champs layer, "
                                   "file, et facultatifs mapping, id_column, defaults, "
                                   "source_name)")
    form = await capped(request, MAX_FILE + MAX_FORM_EXTRA).form(max_files=1, max_fields=10)
    upload = form.get("file")
    layer = _text_field(form, "layer")
    if not isinstance(upload, UploadFile) or not layer:
        raise InvalidParameter("Champs « layer » et « file » (le fichier CSV) requis")
    data = await upload.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise PayloadTooLarge(f"Fichier de plus de {MAX_FILE} octets")
    record = await run_in_threadpool(
        service.create, layer, upload.filename or "import.csv", data, caller,
        _json_field(form, "mapping"), _text_field(form, "id_column"),
        _json_field(form, "defaults"), _text_field(form, "source_name"))
    out = view(request, record)
    return JSONResponse(out, status_code=201, headers={"Location": out["href"],
                                                       "Cache-Control": "no-store"})


@router.get("/{importId}", summary="Un import : résumé et une page de ses lignes "
            "(status, offset, limit ≤ 500)", responses=ERRORS)
async def one(request: Request, importId: ImportId, caller: CallerDep,  # noqa: N803
              service: ImportsDep,
              status: Annotated[str | None, Query(
                  description="Lignes d'un statut (sure, review, rejected, confirmed, placed, "
                              "excluded, applied) ou todo (à revoir et prêtes)",
                  pattern=r"^(todo|sure|review|rejected|confirmed|placed|excluded|applied)$"
              )] = None,
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
              limit: Annotated[int, Query(ge=1, le=PAGE)] = PAGE) -> JSONResponse:
    record = await run_in_threadpool(service.get, importId, caller)
    return JSONResponse(view(request, record), headers={"Cache-Control": "no-store"})


@router.post("/{importId}/rows/{line}", summary="Décider d'une ligne : confirm, place "
             "(lon, lat) ou exclude", responses=ERRORS)
async def decide(request: Request, importId: ImportId, line: int,  # noqa: N803
                 caller: CallerDep, service: ImportsDep) -> JSONResponse:
    body = await json_body(request, ("application/json",), 4096)
    if not isinstance(body, dict):
        raise InvalidParameter("Objet JSON attendu : {\"action\": …}")
    lon, lat = body.get("lon"), body.get("lat")
    for name, value in (("lon", lon), ("lat", lat)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidParameter(f"« {name} » : nombre attendu")
    record = await run_in_threadpool(service.decide, importId, line,
                                     str(body.get("action")), caller, lon, lat)
    return JSONResponse(view(request, record), headers={"Cache-Control": "no-store"})


@router.post("/{importId}/apply", summary="Appliquer : les lignes sûres et celles confirmées "
             "ou placées, en un seul lot de modifications", responses=ERRORS)
async def apply(request: Request, importId: ImportId, caller: CallerDep,  # noqa: N803
                service: ImportsDep) -> JSONResponse:
    done = await run_in_threadpool(service.apply, importId, caller)
    return JSONResponse(done, headers={"Cache-Control": "no-store"})
