"""Routes: point lookup (``GET /api/lookup``) and batch lookup (``POST /api/lookup``)."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from ...errors import PayloadTooLarge, UnsupportedMediaType
from ...numbers import ascii_int
from ...read.snapshot import Snapshot
from ...settings import Settings
from ...spatial import cached_locator, locator_for
from ...spatial.lookup import RESULT_COLUMNS, lookup_csv, lookup_json, max_body_bytes
from ..deps import AsciiCoordinates, SettingsDep, SnapshotDep
from ..http import only
from ..problems import problem_response

router = APIRouter(prefix="/api", tags=["lookup"])

CSV_TYPES = ("text/csv", "application/csv", "application/vnd.ms-excel")
JSON_TYPES = ("application/json",)
BATCH_GZIP_LEVEL = 1


class QpvRef(BaseModel):
    code_qp: str = Field(description="Code du QPV 2024", examples=["QN03107M"])
    lib_qp: str = Field(description="Nom du QPV", examples=["Grand Mirail"])


class NearestQpv(QpvRef):
    distance_m: int = Field(ge=0, description="Distance en mètres (Lambert-93), 0 dedans")


class CommuneRef(BaseModel):
    code: str = Field(description="Code INSEE", examples=["31555"])
    nom: str = Field(examples=["Toulouse"])


class Place(BaseModel):
    id: str
    nom: str
    type: str | None = None
    precision: str | None = Field(None, description="adresse, rue, quartier ou commune")
    distance_m: int = Field(ge=0, description="Distance en mètres (Lambert-93)")


class NearestPlaces(BaseModel):
    lieux_totems: list[Place]
    hebergement: list[Place]
    accompagnement: list[Place]
    projets: list[Place]
    besoins: list[Place]


class LookupResponse(BaseModel):
    """What is at a point: QPV (all of them if several overlap), commune, nearest QPV and
    nearest ESS places of each layer. A point on a QPV boundary counts as inside."""

    lon: float
    lat: float
    in_territory: bool = Field(description="Le point est dans une commune du territoire servi")
    qpv: QpvRef | None = Field(description="Le QPV contenant le point (le premier si plusieurs)")
    qpvs: list[QpvRef] = Field(description="Tous les QPV contenant le point")
    commune: CommuneRef | None
    nearest_qpv: NearestQpv | None
    nearest: NearestPlaces = Field(description="Lieux ESS localisés les plus proches, par couche")
    note: str | None = Field(description="Remarque en français (hors territoire, limite…)")


_ROW = {"type": "object", "additionalProperties": True,
        "properties": {"lon": {"type": ["number", "string", "null"]},
                       "lat": {"type": ["number", "string", "null"]}}}
_RESULT_ROW = {"type": "object", "additionalProperties": True,
               "properties": {name: {"type": ["string", "integer", "null"]}
                              for name in RESULT_COLUMNS}}
BATCH_OPENAPI = {
    "requestBody": {
        "required": True,
        "description": "Un CSV (UTF-8 avec ou sans BOM, séparateur « , » ou « ; », colonnes "
                       "lon/lat ou longitude/latitude) ou du JSON (liste d'objets avec lon et "
                       "lat, ou {\"points\": [...]}).",
        "content": {
            "text/csv": {"schema": {"type": "string"},
                         "example": "nom;lon;lat\nLe FIL;1.3996743;43.5666473\n"},
            "application/json": {"schema": {"oneOf": [
                {"type": "array", "items": _ROW},
                {"type": "object", "required": ["points"],
                 "properties": {"points": {"type": "array", "items": _ROW}}},
            ]}},
        },
    },
}
BATCH_RESPONSES = {
    200: {"description": "Les mêmes lignes avec les colonnes result_* ajoutées "
                         "(CSV → CSV, même séparateur ; JSON → JSON, même forme)",
          "content": {"text/csv": {"schema": {"type": "string"}},
                      "application/json": {"schema": {"oneOf": [
                          {"type": "array", "items": _RESULT_ROW},
                          {"type": "object", "properties": {
                              "points": {"type": "array", "items": _RESULT_ROW}}}]}}}},
    400: problem_response("Fichier illisible, colonnes lon/lat absentes"),
    413: problem_response("Trop de lignes ou corps trop volumineux"),
    415: problem_response("Type de contenu non pris en charge"),
}


@router.get("/lookup", operation_id="lookupPoint", response_model=LookupResponse,
            dependencies=[AsciiCoordinates, only("lon", "lat")],
            summary="Suis-je dans un QPV ? QPV, commune, QPV et lieux ESS les plus proches",
            responses={400: problem_response("lon/lat absents ou invalides")})
async def lookup_point(
    store: SnapshotDep,
    settings: SettingsDep,
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False,
                                description="Longitude WGS84", examples=[1.3996743])],
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False,
                                description="Latitude WGS84", examples=[43.5666473])],
) -> Response:
    # A lookup is well under a millisecond of CPU: run it on the event loop (the thread
    # pool hop would cost more than the work); only the first, index-building call goes
    # to a worker thread.
    locator = cached_locator(store) or await run_in_threadpool(locator_for, store)
    answer = locator.lookup(lon, lat, settings.lookup_nearest)
    # Serialised here: the answer is built to the documented model (tested against it);
    # validating it again through pydantic on every call costs more than the lookup.
    return Response(json.dumps(answer, ensure_ascii=False, allow_nan=False,
                               separators=(",", ":")), media_type="application/json")


def _kind(content_type: str | None) -> str:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in CSV_TYPES:
        return "csv"
    if media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json")):
        return "json"
    raise UnsupportedMediaType(
        f"Type de contenu « {media or 'absent'} » non pris en charge : envoyez le fichier "
        "en text/csv ou application/json.")


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it exceeds ``limit`` bytes."""
    too_large = PayloadTooLarge(
        f"Le corps de la requête dépasse {limit // 1024} Kio, le maximum accepté pour "
        "ce service : découpez le fichier.")
    declared = ascii_int(request.headers.get("content-length", ""))
    if declared is not None and declared > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/lookup", operation_id="lookupBatch", response_class=Response,
             summary="Recherche de QPV par lot (CSV ou JSON)",
             openapi_extra=BATCH_OPENAPI, responses=BATCH_RESPONSES)
async def lookup_batch(request: Request, store: SnapshotDep, settings: SettingsDep) -> Response:
    kind = _kind(request.headers.get("content-type"))
    # A batch holds several times its body in memory while it runs: at most
    # `batch_concurrency` run at once; the others wait *before* reading their body.
    async with _batch_slots(request.app, settings.batch_concurrency):
        try:
            return await _lookup_batch(request, store, settings, kind)
        finally:
            await run_in_threadpool(release_memory)


def _batch_slots(app, size: int) -> asyncio.Semaphore:  # type: ignore[no-untyped-def]
    slots = getattr(app.state, "batch_slots", None)
    if slots is None:
        slots = app.state.batch_slots = asyncio.Semaphore(size)
    return slots


def release_memory() -> None:
    """Give the memory of a finished batch back to the system (glibc keeps freed arenas)."""
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


async def _lookup_batch(request: Request, store: Snapshot, settings: Settings,
                        kind: str) -> Response:
    body = await _read_body(request, max_body_bytes(settings.lookup_max_rows))
    locator = await run_in_threadpool(locator_for, store)
    if kind == "csv":
        data, counts = await run_in_threadpool(lookup_csv, locator, body,
                                               settings.lookup_max_rows)
        headers = {"Content-Disposition": 'attachment; filename="qpv_resultats.csv"'}
        media = "text/csv; charset=utf-8"
    else:
        document, counts = await run_in_threadpool(lookup_json, locator, body,
                                                   settings.lookup_max_rows)
        data = json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8")
        headers, media = {}, "application/json"
    headers["X-Lookup-Counts"] = ",".join(f"{k}={v}" for k, v in counts.items())
    headers["Vary"] = "Accept-Encoding"
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        # compressed here, in a worker thread and fast (level 1: a batch answer is
        # megabytes of repetitive text), not by the middleware in the event loop
        data = await run_in_threadpool(gzip.compress, data, BATCH_GZIP_LEVEL)
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=media, headers=headers)
