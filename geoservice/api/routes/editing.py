"""OGC API – Features Part 4 on editable collections (create, replace, update, delete),
with ETag / If-Match, plus each feature's history, diff, revert and restore, the layer's
JSON Schema, and what the caller may do. The rules live in :mod:`geoservice.editing`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from ...catalog import LayerDef
from ...editing.schema import feature_schema
from ...editing.service import allowed
from ...read.export import dumps
from ..auth import CallerDep, OptionalCallerDep
from ..deps import EditingDep, SnapshotDep
from ..headers import allow
from ..http import LangDep, only
from ..links import base_url
from ..writes import (
    GEOJSON,
    MERGE_PATCH,
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


def _allow(layer: LayerDef, caller: Any, item: bool) -> str:
    return allow(allowed(layer, caller), item)


# -- what the caller may do --------------------------------------------------------------


@router.options("/collections/{collectionId}/items", summary="Méthodes permises (objets)",
                status_code=204, response_class=Response, responses=READ_ERRORS)
async def items_options(request: Request, collectionId: CollectionId,  # noqa: N803
                        store: SnapshotDep, caller: OptionalCallerDep) -> Response:
    allow = _allow(store.collection(collectionId).layer, caller, item=False)
    return Response(status_code=204, headers={"Allow": allow})


@router.options("/collections/{collectionId}/items/{featureId:path}",
                summary="Méthodes permises (un objet)", status_code=204,
                response_class=Response, responses=READ_ERRORS)
async def item_options(request: Request, collectionId: CollectionId,  # noqa: N803
                       featureId: FeatureId, store: SnapshotDep,  # noqa: N803
                       caller: OptionalCallerDep) -> Response:
    allow = _allow(store.collection(collectionId).layer, caller, item=True)
    headers = {"Allow": allow}
    if "PATCH" in allow:
        headers["Accept-Patch"] = MERGE_PATCH
    return Response(status_code=204, headers=headers)


@router.get("/me", summary="Le compte appelant et ce qu'il peut modifier",
            dependencies=[only()],
            responses=READ_ERRORS)
async def me(request: Request, response: Response, store: SnapshotDep, caller: CallerDep
             ) -> dict:
    response.headers["Cache-Control"] = "no-store"  # personal (and a session's CSRF token)
    if caller is None:
        return {"authenticated": False, "permissions": {}}
    permissions = {lid: allowed(layer, caller) for lid, layer in store.layers.items()
                   if layer.editable}
    out = {"authenticated": True, "email": caller.email, "role": caller.role,
           "via": caller.via, "permissions": permissions}
    if caller.csrf is not None:  # a browser session: its writes send X-CSRF-Token
        out["csrf"] = caller.csrf
    return out


@router.get("/collections/{collectionId}/schema",
            summary="Schéma des objets (OGC API – Features Part 5), en français ou en anglais",
            response_class=Response,
            responses={200: {"content": {"application/schema+json": {}}}, **READ_ERRORS})
async def schema(request: Request, collectionId: CollectionId,  # noqa: N803
                 store: SnapshotDep, lang: LangDep) -> Response:
    layer = store.collection(collectionId).layer
    layer = store.layers.get(collectionId, layer)  # with its staff-only properties
    href = f"{base_url(request)}/api/collections/{collectionId}/schema"
    document = feature_schema(layer, href, lang)
    document["x-editable"] = layer.editable
    return Response(dumps(document), media_type="application/schema+json",
                    headers={"Content-Language": lang, "Vary": "Accept-Language"})


# -- Part 4 --------------------------------------------------------------------------------


@router.post("/collections/{collectionId}/items", status_code=201, response_class=Response,
             summary="Ajouter un objet (Part 4)", responses=WRITE_ERRORS)
async def create(request: Request, collectionId: CollectionId,  # noqa: N803
                 caller: CallerDep, editing: EditingDep) -> Response:
    permit = editing.require(collectionId, "create", caller)
    body = await json_body(request, (GEOJSON, "application/json"))
    written = await run_in_threadpool(editing.create, permit, body, change_reason(request))
    return written_response(request, written, 201)


@router.put("/collections/{collectionId}/items/{featureId:path}", response_class=Response,
            summary="Remplacer un objet (Part 4, If-Match requis)", responses=WRITE_ERRORS)
async def replace(request: Request, collectionId: CollectionId,  # noqa: N803
                  featureId: FeatureId, caller: CallerDep,  # noqa: N803
                  editing: EditingDep) -> Response:
    permit = editing.require(collectionId, "update", caller)
    expected = expected_version(request)
    body = await json_body(request, (GEOJSON, "application/json"))
    written = await run_in_threadpool(editing.replace, permit, featureId, body, expected,
                                      change_reason(request))
    return written_response(request, written, 200)


@router.patch("/collections/{collectionId}/items/{featureId:path}", response_class=Response,
              summary="Modifier des champs (JSON Merge Patch, If-Match requis)",
              responses=WRITE_ERRORS)
async def update(request: Request, collectionId: CollectionId,  # noqa: N803
                 featureId: FeatureId, caller: CallerDep,  # noqa: N803
                 editing: EditingDep) -> Response:
    permit = editing.require(collectionId, "update", caller)
    expected = expected_version(request)
    body = await json_body(request, (MERGE_PATCH, "application/json"))
    written = await run_in_threadpool(editing.patch, permit, featureId, body, expected,
                                      change_reason(request))
    return written_response(request, written, 200)


@router.delete("/collections/{collectionId}/items/{featureId:path}", status_code=204,
               response_class=Response, summary="Supprimer un objet (suppression douce)",
               responses=WRITE_ERRORS)
async def delete(request: Request, collectionId: CollectionId,  # noqa: N803
                 featureId: FeatureId, caller: CallerDep,  # noqa: N803
                 editing: EditingDep) -> Response:
    permit = editing.require(collectionId, "delete", caller)
    written = await run_in_threadpool(editing.delete, permit, featureId,
                                      expected_version(request), change_reason(request))
    return written_response(request, written, 204)
