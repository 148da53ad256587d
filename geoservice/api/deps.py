"""Annotated dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from ..auth.service import Accounts
from ..editing import Editing
from ..editing.proposals import Proposals
from ..errors import InvalidParameter, ServiceUnavailable
from ..imports.service import Imports
from ..numbers import ascii_float
from ..read.export import prepared
from ..read.snapshot import Collection, Snapshot
from ..settings import Settings
from ..vocab import DEFI_LABELS
from .params import FeatureQuery, ItemsQuery, parse_feature, parse_items
from .services import Services

T = TypeVar("T")
READ_ONLY = "Ce service ne sert qu'en lecture (aucun magasin modifiable)"


async def get_snapshot(request: Request) -> Snapshot:
    """The replica's current snapshot (one whole snapshot per request)."""
    return request.app.state.readmodel.current


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_collection(
    store: Annotated[Snapshot, Depends(get_snapshot)],
    collectionId: Annotated[str, Path(description="Identifiant de la collection",
                                      examples=["qpv"])],  # noqa: N803
) -> Collection:
    # a view not computed yet, or a layer read whole, is built off the event loop
    return store.ready(collectionId) or await run_in_threadpool(prepared, store, collectionId)


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]


async def ascii_coordinates(request: Request) -> None:
    """``lon``/``lat`` written in ASCII digits (FastAPI's float would take ``1_4``)."""
    for name in ("lon", "lat"):
        text = request.query_params.get(name)
        if text is not None and ascii_float(text) is None:
            raise InvalidParameter(f"« {name} » doit être un nombre écrit en chiffres avec un "
                                   f"point décimal, pas « {text[:40]} »")


AsciiCoordinates = Depends(ascii_coordinates)
DefiQuery = Annotated[str | None, Query(
    description="Défi : " + ", ".join(DEFI_LABELS) + " (vide = tous)",
    json_schema_extra={"enum": ["", *DEFI_LABELS]})]
"""``defi`` of every route (checked by ``analysis.params.check_defi``)."""
RingQuery = Annotated[str | None, Query(
    description="Anneau « quartier vécu » autour du QPV, en mètres (0 à 5000 ; réglage "
                "GEOSERVICE_RING_M par défaut)", examples=["500"])]
"""``ring_m`` of every route: read as text, parsed once by ``analysis.params.parse_ring``."""
IncludeQuery = Annotated[str | None, Query(
    description="a_verifier : compter aussi les réponses encore à vérifier (données ouvertes "
                "importées) ; par défaut, seules les réponses vérifiées comptent",
    json_schema_extra={"enum": ["", "a_verifier"]})]
"""``include`` of the analysis routes (checked by ``analysis.params.parse_include``)."""
DateQuery = Annotated[str | None, Query(
    description="Jour AAAA-MM-JJ (pas à venir) : le classement tel que les données datées "
                "disent que les choses étaient ce jour-là (lieux ouverts, besoins signalés "
                "et pas encore couverts) ; le reste comme aujourd'hui (voir la réponse, "
                "membre date)", examples=["2022-06-30"])]
"""``date`` of the analysis routes (parsed by ``analysis.params.parse_day``)."""
SettingsDep = Annotated[Settings, Depends(get_settings)]
CollectionDep = Annotated[Collection, Depends(get_collection)]


async def get_items_query(request: Request, collection: CollectionDep,
                    settings: SettingsDep) -> ItemsQuery:
    """The parsed query of an items request (400/406 problem+json on a bad value)."""
    return parse_items(request.query_params, request.headers.get("accept"), collection,
                       settings)


async def get_feature_query(request: Request, collection: CollectionDep) -> FeatureQuery:
    return parse_feature(request.query_params, request.headers.get("accept"), collection)


ItemsQueryDep = Annotated[ItemsQuery, Depends(get_items_query)]
FeatureQueryDep = Annotated[FeatureQuery, Depends(get_feature_query)]


# -- the write side's services (built once, in the lifespan: see .services) -----------------


def services_of(request: Request) -> Services:
    return request.app.state.services


def _needed(service: T | None) -> T:
    if service is None:  # a replica serving a fixed snapshot has nothing to write to
        raise ServiceUnavailable(READ_ONLY)
    return service


async def get_editing(request: Request) -> Editing:
    return _needed(services_of(request).editing)


async def get_proposals(request: Request) -> Proposals:
    return _needed(services_of(request).proposals)


async def get_imports(request: Request) -> Imports:
    return _needed(services_of(request).imports)


async def get_accounts(request: Request) -> Accounts:
    return _needed(services_of(request).accounts)


EditingDep = Annotated[Editing, Depends(get_editing)]
ProposalsDep = Annotated[Proposals, Depends(get_proposals)]
ImportsDep = Annotated[Imports, Depends(get_imports)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
