"""The Fabrique à initiatives' yearly figures (public: aggregates only). The figures are
counted by :func:`geoservice.fabrique.bilan.bilan`, like ``geoservice bilan``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...errors import InvalidParameter
from ...fabrique.bilan import FIRST_YEAR, LAST_YEAR, bilan, tables, to_csv
from ...parsing import parse_int
from ...sheets import ODS_TYPE, XLSX_TYPE, workbook
from ..deps import SnapshotDep
from ..http import only
from ..problems import problem_response

router = APIRouter(prefix="/api/fabrique", tags=["Fabrique à initiatives"])


class QpvFigures(BaseModel):
    code_qp: str | None = Field(description="Code du QPV 2024 ; null : besoins hors QPV")
    nom: str
    besoins_reperes: int
    explorations: int
    etudes_opportunite: int
    activites_lancees: int
    abandons: int
    reponses_existantes: int
    qpv_concerne: bool = Field(description="Une exploration ou une étude y a eu lieu")


class Laureats(BaseModel):
    total: int = Field(description="Lauréats de l'Appel à projets et des Prix ESS de l'année")
    qpv: int = Field(description="Ceux qui concernent un QPV (situés dans un QPV 2024, ou "
                     "dont le champ qpv nomme un QPV)")
    montant_eur: float
    montant_qpv_eur: float


class Bilan(BaseModel):
    annee: int
    besoins_reperes: int = Field(description="Besoins signalés dans l'année")
    explorations: int = Field(description="Besoins dont une étape « exploration » est datée "
                              "de l'année")
    etudes_opportunite: int
    qpv_concernes: int = Field(description="QPV distincts des besoins explorés ou étudiés")
    activites_lancees: int
    abandons: int
    reponses_existantes: int
    par_qpv: list[QpvFigures]
    laureats: Laureats
    phrase: str = Field(description="La phrase du bilan, en français")


CSV_RESPONSE = {"content": {"text/csv": {"schema": {"type": "string"}},
                            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                            ODS_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                "description": "CSV Excel-FR (f=csv) ou classeur XLSX/ODS avec sa feuille "
                               "« Dictionnaire » (f=xlsx, f=ods)"}


@router.get("/bilan", operation_id="getFabriqueBilan", response_model=Bilan,
            dependencies=[only("annee", "f")],
            summary="Bilan annuel de la Fabrique à initiatives (chiffres agrégés)",
            responses={200: CSV_RESPONSE, 400: problem_response("Paramètre invalide")})
async def fabrique_bilan(
    request: Request,
    store: SnapshotDep,
    annee: Annotated[str, Query(description=f"Année ({FIRST_YEAR}–{LAST_YEAR})",
                                examples=["2025"])],
    f: Annotated[str | None, Query(
        description="json (défaut), csv (Excel-FR), xlsx ou ods (avec la feuille "
                    "« Dictionnaire »)",
        json_schema_extra={"enum": ["json", "csv", "xlsx", "ods"]})] = None,
) -> Bilan | Response:
    """Explorations, études d'opportunité, activités lancées, abandons, réponses
    existantes et besoins repérés de l'année, par QPV, avec les lauréats et la phrase du
    bilan. Chaque étape compte dans l'année de sa date (etape_date, journal du besoin)."""
    fmt = (f or "json").lower()
    if fmt not in ("json", "csv", "xlsx", "ods"):
        raise InvalidParameter(f"Format inconnu : « {f} » (json, csv, xlsx ou ods)")
    year = parse_int("annee", annee, 0, FIRST_YEAR)
    if year > LAST_YEAR:
        raise InvalidParameter(f"« annee » doit être au plus {LAST_YEAR} (reçu {year})")
    storage = getattr(request.app.state.readmodel, "storage", None)
    features = storage.features if storage is not None else None
    figures = await run_in_threadpool(bilan, store, year, features)
    if fmt == "csv":
        return Response(to_csv(figures), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="bilan_fabrique_{year}.csv"'})
    if fmt in ("xlsx", "ods"):
        body = await run_in_threadpool(workbook, tables(figures), fmt)
        return Response(body, media_type=XLSX_TYPE if fmt == "xlsx" else ODS_TYPE,
                        headers={"Content-Disposition":
                                 f'attachment; filename="bilan_fabrique_{year}.{fmt}"'})
    return Bilan.model_validate(figures)
