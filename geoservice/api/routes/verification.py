"""The « à vérifier » list of imported open data and one decision for many features
(staff): the rules live in :mod:`geoservice.editing.verification`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ...editing import verification
from ...errors import NotFound
from ...read.snapshot import Snapshot
from ..auth import CallerDep
from ..deps import EditingDep, SnapshotDep
from ..http import only
from ..problems import problem_response
from ..writes import READ_ERRORS, WRITE_ERRORS, json_body

router = APIRouter(prefix="/api/verification", tags=["Vérification des données ouvertes"])


def _commune_names(store: Snapshot) -> dict[str, str]:
    try:
        communes = store.collection("communes")
    except NotFound:  # a snapshot without communes: codes only
        return {}
    return {str(r.get("code")): str(r.get("nom")) for r in communes.records}


@router.get("", operation_id="getVerification",
            summary="Objets à vérifier (filtrés par couche, commune, source) avec leurs "
                    "preuves : source, millésime, doublons probables",
            dependencies=[only("layer", "commune", "source", "limit", "offset")],
            responses={**READ_ERRORS, 403: problem_response(
                "Couche que le rôle ne peut pas modifier")})
async def pending(
    request: Request, response: Response, caller: CallerDep, editing: EditingDep,
    store: SnapshotDep,
    layer: Annotated[str | None, Query(max_length=60, description="Couche")] = None,
    commune: Annotated[str | None, Query(max_length=5, description="Code INSEE")] = None,
    source: Annotated[str | None, Query(max_length=300, description="Source (sans "
                                        "l'identifiant)")] = None,
    limit: Annotated[int, Query(ge=1, le=verification.MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    response.headers["Cache-Control"] = "no-store"
    return await run_in_threadpool(verification.pending, editing, caller, layer, commune,
                                   source, _commune_names(store), limit, offset)


@router.post("", operation_id="decideVerification",
             summary="Vérifier ou écarter plusieurs objets d'un coup, avec un motif (une "
                     "transaction, dans l'historique de chacun)",
             responses=WRITE_ERRORS)
async def decide(request: Request, caller: CallerDep, editing: EditingDep) -> dict:
    body = await json_body(request, ("application/json",))
    return await run_in_threadpool(verification.decide, editing, caller, body)
