"""Merging two features that are the same place (moderators, administrators): the rules
live in :mod:`geoservice.editing.merge`. Registered before the Part 4 routes, whose
``{featureId:path}`` would otherwise read « id/merge » as an id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from ...editing.merge import merge as merge_features
from ..auth import CallerDep
from ..deps import EditingDep
from ..writes import WRITE_ERRORS, change_reason, expected_version, json_body, written_response

router = APIRouter(prefix="/api", tags=["Édition (OGC API – Features Part 4)"])
FeatureId = Annotated[str, Path(description="Identifiant de l'objet fusionné (il disparaît)")]
CollectionId = Annotated[str, Path(description="Collection modifiable",
                                   examples=["hebergement"])]


@router.post("/collections/{collectionId}/items/{featureId:path}/merge",
             response_class=Response,
             summary="Fusionner un objet dans un autre (même lieu) : If-Match porte sur "
                     "l'objet qui reste ; corps {\"into\": id, \"properties\": {…}}",
             responses=WRITE_ERRORS)
async def merge(request: Request, collectionId: CollectionId,  # noqa: N803
                featureId: FeatureId, caller: CallerDep,  # noqa: N803
                editing: EditingDep) -> Response:
    expected = expected_version(request)
    body = await json_body(request, ("application/json",))
    written = await run_in_threadpool(merge_features, editing, caller, collectionId,
                                      featureId, body, expected, change_reason(request))
    return written_response(request, written, 200)
