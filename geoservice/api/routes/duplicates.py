"""Likely duplicates, read before writing: the resident's « Proposer un lieu » and the
editor's form ask ``GET /api/duplicates`` while the name or the point changes, and show
« Ce lieu existe peut-être déjà ». The rule lives in :mod:`geoservice.editing.duplicates`
(the same one a Part 4 creation, a proposal and an import row meet)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ...errors import InvalidParameter
from ..deps import AsciiCoordinates, SnapshotDep
from ..http import only
from ..problems import problem_response
from ..services import snapshot_index

router = APIRouter(prefix="/api/duplicates", tags=["Doublons probables"])


@router.get("", operation_id="getDuplicates", summary="Doublons probables d'un lieu à créer "
            "(même règle que la création, les propositions et les imports)",
            dependencies=[AsciiCoordinates,
                          only("collection", "nom", "adresse", "commune", "siret", "lon",
                               "lat")],
            responses={400: problem_response("Paramètre invalide"),
                       404: problem_response("Collection inconnue")})
async def duplicates(
    request: Request, response: Response, store: SnapshotDep,
    collection: Annotated[str, Query(max_length=60, description="Couche visée",
                                     examples=["hebergement"])],
    nom: Annotated[str | None, Query(max_length=200, description="Nom du lieu")] = None,
    adresse: Annotated[str | None, Query(max_length=300, description="Adresse")] = None,
    commune: Annotated[str | None, Query(max_length=5, description="Code INSEE")] = None,
    siret: Annotated[str | None, Query(max_length=20, description="SIRET")] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
) -> dict:
    layer = store.collection(collection).layer  # 404 for an unknown collection
    if (lon is None) != (lat is None):
        raise InvalidParameter("lon et lat vont ensemble (degrés, WGS 84)")
    geometry = None if lon is None else {"type": "Point", "coordinates": [lon, lat]}
    props = {"nom": nom, "adresse": adresse, "commune": commune, "siret": siret}
    found = await run_in_threadpool(
        lambda: snapshot_index(store, layer.id).candidates(props, geometry))
    response.headers["Cache-Control"] = "no-store"
    return {"collection": layer.id, "candidates": found}
