"""OGC API – Features Part 4 on editable collections (create, replace, update, delete),
with ETag / If-Match, plus each feature's history, diff, revert and restore, the layer's
JSON Schema, and what the caller may do. The rules live in :mod:`geoservice.editing`."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from ...catalog import LayerDef
from ...editing import Editing, Written
from ...editing.schema import feature_schema
from ...editing.service import READ_ONLY_ALLOW, allowed, etag, parse_if_match
from ...errors import InvalidParameter, PayloadTooLarge, UnsupportedMediaType
from ...export import _dumps
from ..auth import CallerDep, OptionalCallerDep, storage_of
from ..deps import StoreDep
from ..links import base_url
from ..problems import problem_response

router = APIRouter(prefix="/api", tags=["Édition (OGC API – Features Part 4)"])

GEOJSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"
MAX_BODY = 256 * 1024
MAX_REASON = 500
FeatureId = Annotated[str, Path(description="Identifiant de l'objet")]
CollectionId = Annotated[str, Path(description="Collection modifiable", examples=["besoins"])]
READ_ERRORS = {
    400: problem_response("Paramètre invalide"),
    401: problem_response("Réservé aux comptes (jeton ou session)"),
    404: problem_response("Collection, objet ou version introuvable"),
    405: problem_response("Couche de référence ou vue calculée : pas d'historique"),
}
WRITE_ERRORS = {
    400: problem_response("Corps JSON illisible ou en-tête invalide"),
    404: problem_response("Collection ou objet introuvable"),
    409: problem_response("L'objet existe déjà"),
    410: problem_response("Objet supprimé : le restaurer d'abord"),
    413: problem_response("Corps trop volumineux"),
    401: problem_response("Sans compte, ou jeton inconnu, expiré ou révoqué"),
    403: problem_response("Le rôle du compte ne permet pas cette action sur cette couche"),
    405: problem_response("Couche de référence ou vue calculée : lecture seule"),
    412: problem_response("If-Match périmé : le corps donne la version actuelle"),
    415: problem_response("Type de contenu non pris en charge"),
    422: problem_response("Objet contraire au schéma de la couche (champ nommé)"),
    428: problem_response("If-Match absent"),
}


def editing_service(request: Request, store: Any) -> Editing:
    """The write service on this replica's storage; each commit makes the snapshot catch
    up before the response (read-your-writes)."""
    readmodel = request.app.state.readmodel

    def caught_up(applied: list) -> None:
        readmodel.catch_up({a.collection: a.revision for a in applied})

    return Editing(storage_of(request), store.layers, request.app.state.settings.territoire,
                   on_commit=caught_up)


def _reason(request: Request) -> str | None:
    """``Geoservice-Reason``: why the change is made (percent-encoded UTF-8)."""
    raw = request.headers.get("geoservice-reason")
    if raw is None:
        return None
    text = unquote(raw, errors="strict") if "%" in raw else raw
    text = " ".join(text.split())
    if len(text) > MAX_REASON:
        raise InvalidParameter(f"Geoservice-Reason : {MAX_REASON} caractères au plus")
    return text or None


async def _json_body(request: Request, accepted: tuple[str, ...]) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in accepted:
        raise UnsupportedMediaType(f"Content-Type « {media or 'absent'} » : attendu "
                                   + " ou ".join(accepted))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"Corps de {declared} octets : {MAX_BODY} au plus")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise PayloadTooLarge(f"Corps de plus de {MAX_BODY} octets")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidParameter(f"Corps JSON illisible ({str(exc)[:80]})") from exc


def _item_href(request: Request, collection: str, fid: str) -> str:
    return f"{base_url(request)}/api/collections/{collection}/items/{quote(fid, safe='')}"


def _written(request: Request, written: Written, status: int) -> Response:
    headers = {"ETag": etag(written.version),
               "Location": _item_href(request, written.collection, written.fid)}
    if written.changeset is not None:
        headers["Geoservice-Changeset"] = str(written.changeset)
    if status == 204:
        return Response(status_code=204, headers=headers)
    return Response(_dumps(written.feature), status_code=status, media_type=GEOJSON,
                    headers=headers)


def _allow(layer: LayerDef, caller: Any, item: bool) -> str:
    actions = allowed(layer, caller)
    if not layer.editable:
        return READ_ONLY_ALLOW
    methods = ["GET", "HEAD", "OPTIONS"]
    if not item and "create" in actions:
        methods.append("POST")
    if item and "update" in actions:
        methods += ["PUT", "PATCH"]
    if item and "delete" in actions:
        methods.append("DELETE")
    return ", ".join(methods)


# -- what the caller may do --------------------------------------------------------------


@router.options("/collections/{collectionId}/items", summary="Méthodes permises (objets)",
                status_code=204, response_class=Response, responses=READ_ERRORS)
async def items_options(request: Request, collectionId: CollectionId,  # noqa: N803
                        store: StoreDep, caller: OptionalCallerDep) -> Response:
    allow = _allow(store.collection(collectionId).layer, caller, item=False)
    return Response(status_code=204, headers={"Allow": allow})


@router.options("/collections/{collectionId}/items/{featureId:path}",
                summary="Méthodes permises (un objet)", status_code=204,
                response_class=Response, responses=READ_ERRORS)
async def item_options(request: Request, collectionId: CollectionId,  # noqa: N803
                       featureId: FeatureId, store: StoreDep,  # noqa: N803
                       caller: OptionalCallerDep) -> Response:
    allow = _allow(store.collection(collectionId).layer, caller, item=True)
    headers = {"Allow": allow}
    if "PATCH" in allow:
        headers["Accept-Patch"] = MERGE_PATCH
    return Response(status_code=204, headers=headers)


@router.get("/me", summary="Le compte appelant et ce qu'il peut modifier",
            responses=READ_ERRORS)
async def me(request: Request, response: Response, store: StoreDep, caller: CallerDep
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


@router.get("/collections/{collectionId}/schema", summary="Schéma JSON des objets",
            response_class=Response,
            responses={200: {"content": {"application/schema+json": {}}}, **READ_ERRORS})
async def schema(request: Request, collectionId: CollectionId,  # noqa: N803
                 store: StoreDep) -> Response:
    layer = store.collection(collectionId).layer
    href = f"{base_url(request)}/api/collections/{collectionId}/schema"
    document = feature_schema(layer, href)
    document["x-editable"] = layer.editable
    return Response(_dumps(document), media_type="application/schema+json")


# -- Part 4 --------------------------------------------------------------------------------


@router.post("/collections/{collectionId}/items", status_code=201, response_class=Response,
             summary="Ajouter un objet (Part 4)", responses=WRITE_ERRORS)
async def create(request: Request, collectionId: CollectionId,  # noqa: N803
                 store: StoreDep, caller: CallerDep) -> Response:
    editing = editing_service(request, store)
    editing.require(collectionId, "create", caller)
    body = await _json_body(request, (GEOJSON, "application/json"))
    written = await run_in_threadpool(editing.create, collectionId, body, caller,
                                      _reason(request))
    return _written(request, written, 201)


@router.put("/collections/{collectionId}/items/{featureId:path}", response_class=Response,
            summary="Remplacer un objet (Part 4, If-Match requis)", responses=WRITE_ERRORS)
async def replace(request: Request, collectionId: CollectionId,  # noqa: N803
                  featureId: FeatureId, store: StoreDep, caller: CallerDep) -> Response:  # noqa: N803
    editing = editing_service(request, store)
    editing.require(collectionId, "update", caller)
    expected = parse_if_match(request.headers.get("if-match"))
    body = await _json_body(request, (GEOJSON, "application/json"))
    written = await run_in_threadpool(editing.replace, collectionId, featureId, body,
                                      expected, caller, _reason(request))
    return _written(request, written, 200)


@router.patch("/collections/{collectionId}/items/{featureId:path}", response_class=Response,
              summary="Modifier des champs (JSON Merge Patch, If-Match requis)",
              responses=WRITE_ERRORS)
async def update(request: Request, collectionId: CollectionId,  # noqa: N803
                 featureId: FeatureId, store: StoreDep, caller: CallerDep) -> Response:  # noqa: N803
    editing = editing_service(request, store)
    editing.require(collectionId, "update", caller)
    expected = parse_if_match(request.headers.get("if-match"))
    body = await _json_body(request, (MERGE_PATCH, "application/json"))
    written = await run_in_threadpool(editing.patch, collectionId, featureId, body,
                                      expected, caller, _reason(request))
    return _written(request, written, 200)


@router.delete("/collections/{collectionId}/items/{featureId:path}", status_code=204,
               response_class=Response, summary="Supprimer un objet (suppression douce)",
               responses=WRITE_ERRORS)
async def delete(request: Request, collectionId: CollectionId,  # noqa: N803
                 featureId: FeatureId, store: StoreDep, caller: CallerDep) -> Response:  # noqa: N803
    editing = editing_service(request, store)
    editing.require(collectionId, "delete", caller)
    expected = parse_if_match(request.headers.get("if-match"))
    written = await run_in_threadpool(editing.delete, collectionId, featureId, expected,
                                      caller, _reason(request))
    return _written(request, written, 204)
