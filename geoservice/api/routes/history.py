"""Each editable feature's history (who, role, when, why, fields changed), one old
version, the diff between two, revert (a new version restoring an old one) and restore
(after a soft delete); and changesets. Reading the history needs an account: it names
people."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ...editing.geojson import row_feature
from ...errors import InvalidParameter, Unauthorized
from ...parsing import parse_int
from ...read.export import dumps
from ...storage import Row
from ..auth import CallerDep
from ..deps import EditingDep
from ..writes import (
    GEOJSON,
    READ_ERRORS,
    WRITE_ERRORS,
    change_reason,
    expected_version,
    json_body,
    written_response,
)

router = APIRouter(prefix="/api", tags=["Édition (OGC API – Features Part 4)"])
FeatureId = Annotated[str, Path(description="Identifiant de l'objet")]
CollectionId = Annotated[str, Path(description="Collection modifiable", examples=["besoins"])]


def _signed_in(caller: object) -> None:
    if caller is None:
        raise Unauthorized("L'historique nomme les auteurs : il demande un compte",
                           bearer=True)


@router.get("/collections/{collectionId}/items/{featureId:path}/history",
            summary="Historique d'un objet (versions, auteurs, raisons)",
            responses=READ_ERRORS)
async def history(request: Request, collectionId: CollectionId,  # noqa: N803
                  featureId: FeatureId, caller: CallerDep,  # noqa: N803
                  editing: EditingDep) -> dict:
    _signed_in(caller)
    versions = await run_in_threadpool(editing.history, collectionId, featureId)
    return {"collection": collectionId, "id": featureId, "versions": versions}


@router.get("/collections/{collectionId}/items/{featureId:path}/history/{version}",
            summary="Une version d'un objet", response_class=Response,
            responses=READ_ERRORS)
async def version(request: Request, collectionId: CollectionId,  # noqa: N803
                  featureId: FeatureId, version: str, caller: CallerDep,  # noqa: N803
                  editing: EditingDep) -> Response:
    _signed_in(caller)
    number = parse_int("version", version, 1, 1)
    found = await run_in_threadpool(editing.version, collectionId, featureId, number)
    feature = row_feature(Row(featureId, found.properties, found.geometry))
    feature["geoservice:version"] = {"version": found.version, "op": found.op,
                                     "author": found.author, "role": found.role,
                                     "date": found.created_at, "reason": found.reason}
    return Response(dumps(feature), media_type=GEOJSON)


@router.get("/collections/{collectionId}/items/{featureId:path}/diff",
            summary="Différences entre deux versions d'un objet", responses=READ_ERRORS)
async def diff(request: Request, collectionId: CollectionId,  # noqa: N803
               featureId: FeatureId, caller: CallerDep, editing: EditingDep,  # noqa: N803
               from_: Annotated[str, Query(alias="from", description="Version de départ")],
               to: Annotated[str, Query(description="Version d'arrivée")]) -> dict:
    _signed_in(caller)
    old, new = parse_int("from", from_, 1, 1), parse_int("to", to, 1, 1)
    return await run_in_threadpool(editing.diff, collectionId, featureId, old, new)


@router.post("/collections/{collectionId}/items/{featureId:path}/revert",
             summary="Revenir à une version (crée une nouvelle version ; If-Match requis)",
             response_class=Response, responses=WRITE_ERRORS)
async def revert(request: Request, collectionId: CollectionId,  # noqa: N803
                 featureId: FeatureId, caller: CallerDep,  # noqa: N803
                 editing: EditingDep) -> Response:
    permit = editing.require(collectionId, "update", caller)
    expected = expected_version(request)
    body = await json_body(request, ("application/json",))
    target = body.get("version") if isinstance(body, dict) else None
    if not isinstance(target, int) or isinstance(target, bool) or target < 1:
        raise InvalidParameter("version : numéro de version (entier ≥ 1) attendu")
    written = await run_in_threadpool(editing.revert, permit, featureId, target, expected,
                                      change_reason(request))
    return written_response(request, written, 200)


@router.post("/collections/{collectionId}/items/{featureId:path}/restore",
             summary="Restaurer un objet supprimé (If-Match : version supprimée)",
             response_class=Response, responses=WRITE_ERRORS)
async def restore(request: Request, collectionId: CollectionId,  # noqa: N803
                  featureId: FeatureId, caller: CallerDep,  # noqa: N803
                  editing: EditingDep) -> Response:
    permit = editing.require(collectionId, "delete", caller)
    written = await run_in_threadpool(editing.restore, permit, featureId,
                                      expected_version(request), change_reason(request))
    return written_response(request, written, 200)


@router.get("/changesets/{changeset}", summary="Un ensemble de modifications",
            responses=READ_ERRORS)
async def changeset(request: Request, changeset: str, caller: CallerDep,
                    editing: EditingDep) -> dict:
    _signed_in(caller)
    number = parse_int("changeset", changeset, 1, 1)
    record, versions = await run_in_threadpool(editing.changeset, number)
    return {**record, "changes": [{"collection": v.collection, "id": v.fid,
                                   "version": v.version, "op": v.op, "reason": v.reason}
                                  for v in versions]}
