"""Routes: the underserved ranking (now or at a date), each QPV's evolution and the
territory summary (thin: parse, call, format).

The query is parsed once into an :class:`~geoservice.analysis.service.AnalysisRequest`;
:func:`~geoservice.analysis.service.run` gives the snapshot's diagnosis for it (cached).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...analysis import DEFIS, service
from ...analysis.evolution import evolution, parse_years
from ...analysis.evolution import table as evolution_table
from ...analysis.evolution import to_csv as evolution_csv
from ...analysis.report import header, items, to_csv
from ...analysis.service import AnalysisRequest, dating, run
from ...analysis.summary import summary
from ...errors import InvalidParameter
from ...read.export import MEDIA_TYPES, to_sheet
from ...sheets import workbook
from ..deps import DateQuery, DefiQuery, IncludeQuery, RingQuery, SettingsDep, SnapshotDep
from ..http import only
from ..problems import problem_response

router = APIRouter(prefix="/api/analysis", tags=["analysis"])



class Components(BaseModel):
    """Each component in 0–1 (1 = underserved), null when not available."""

    need: float | None
    answer: float | None
    distance: float | None
    access: float | None
    demand: float | None


class Measures(BaseModel):
    population: float | None = Field(
        description="Population du QPV 2024 (INSEE 2024, ou report 2015 couvrant tout le "
        "quartier) ; null quand seule une partie du quartier est connue")
    people_counted: float | None = Field(
        description="Habitants comptés : tout le QPV si population_complete, sinon la partie "
        "couverte par des QPV 2015 seulement")
    people_in_poverty: float | None = Field(
        description="Habitants sous le seuil de pauvreté parmi people_counted (taux × "
        "habitants)")
    population_complete: bool = Field(description="people_counted couvre-t-il tout le QPV ?")
    indicator_source: str | None = Field(
        description="insee_2024, report_2015 ou insee_2024_et_report_2015")
    tp60: float | None = Field(description="Taux de pauvreté (%)")
    tx_tot_empl: float | None = Field(description="Taux d'emploi des 15-64 ans (%)")
    jobseekers_per_100: float | None
    answers: int = Field(description="Réponses ESS du Défi dans le QPV ou son anneau")
    answers_1km: int = Field(description="Réponses ESS du Défi à moins de 1 km (cumulé)")
    answers_unverified: int = Field(description="Réponses ESS du Défi dans le QPV ou son "
                                    "anneau encore à vérifier (données ouvertes importées)")
    answers_inclusion: int
    answers_economie_circulaire: int
    answers_alimentation_durable: int
    unmet_needs: int
    covered_share: float
    dist_lieu_totem_m: float | None
    dist_hebergement_m: float | None
    dist_accompagnement_m: float | None
    dist_station_m: float | None
    nearest_lieu_totem: str | None
    nearest_hebergement: str | None
    nearest_accompagnement: str | None
    nearest_station: str | None
    nearest_station_kind: str | None = Field(description="Modes de la station (métro, tram, "
                                             "train au tarif urbain)")


class OpenNeed(BaseModel):
    id: str
    nom: str
    defi: list[str]


class StagedNeed(OpenNeed):
    etape: str = Field(description="Étape de la Fabrique à initiatives")


class AnsweredNeed(StagedNeed):
    reponse: str | None = Field(description="« collection/identifiant » de la réponse")
    reponse_nom: str | None = Field(description="Nom de la réponse (null : introuvable)")


class UnderservedItem(BaseModel):
    rank: int | None = Field(description="1 = le plus mal servi ; null si besoin inconnu")
    code_qp: str
    lib_qp: str
    score: float | None = Field(description="0–100, null si besoin inconnu")
    need_known: bool
    indicator_coverage: float
    components: Components
    measures: Measures
    reasons: list[str]
    needs: list[OpenNeed] = Field(description="Besoins signalés non couverts du QPV (dans "
                                  "le QPV ou son anneau, ou le nommant), pour le Défi choisi")
    needs_in_progress: list[StagedNeed] = Field(
        [], description="Parmi ces besoins, ceux que la Fabrique à initiatives travaille "
        "(exploration … accompagnement), avec leur étape")
    needs_answered: list[AnsweredNeed] = Field(
        [], description="Besoins du QPV auxquels une activité répond désormais (lancée ou "
        "réponse existante), avec cette réponse")
    rank_range: list[int] | None = Field(
        description="[meilleur, pire] rang quand les poids varient (×0,5 à ×1,5) ; pour un "
        "besoin inconnu, rang possible parmi les QPV classés")
    top5_share: float | None = Field(description="Part des tirages où le QPV est dans les 5 "
                                     "premiers")
    robustness: str | None = Field(description="robuste ou fragile")
    drivers: str | None = Field(description="Les deux composantes qui poussent le score au-"
                                "dessus de la moyenne des QPV classés, en points")


class DocumentFirst(BaseModel):
    code_qp: str
    lib_qp: str
    rank_range: list[int] | None
    top5_share: float | None


class SensitivityInfo(BaseModel):
    draws: int
    seed: int
    weight_factor: list[float]
    robust_span: int
    description: str


class Goalpost(BaseModel):
    low: float
    high: float
    low_means: str
    high_means: str


class IndicatorFacts(BaseModel):
    sources: dict[str, int] = Field(description="QPV de besoin connu par source d'indicateurs")
    vintages_2015: str
    benchmark: dict[str, float | None] = Field(
        description="Repère du territoire : moyennes de ses QPV pondérées par les habitants")
    people_in_poverty_counted: int
    goalposts: dict[str, Goalpost] = Field(
        description="Bornes fixes de chaque mesure du besoin (0 au niveau bas, 1 au plafond)")
    text: str


class AccessFacts(BaseModel):
    modes: list[str]
    urban_rail: list[str] = Field(description="Gares au tarif urbain (réglage du territoire)")
    urban_rail_line: str | None
    stations: int
    osm_features_merged: int


class DatedCount(BaseModel):
    dated: int = Field(description="Objets datés")
    undated: int = Field(description="Objets dont les dates ne disent rien ce jour-là")
    undated_rule: str = Field(description="Comment ils sont comptés")
    open_then: int | None = Field(None, description="Réponses ouvertes ce jour-là (datées ou "
                                  "comptées selon leur statut actuel)")
    reported_by_then: int | None = Field(None, description="Besoins signalés ce jour-là au "
                                         "plus tard")
    answered_after: int | None = Field(None, description="Besoins répondus (ou abandonnés) "
                                       "après ce jour : encore non couverts alors")


class DatedInputs(BaseModel):
    date: str = Field(description="Le jour de l'analyse (AAAA-MM-JJ)")
    answers: DatedCount
    needs: DatedCount
    not_dated: dict[str, str] = Field(description="Entrées sans date, prises comme "
                                      "aujourd'hui")


class Underserved(BaseModel):
    territoire: str
    date: DatedInputs | None = Field(
        None, description="Avec date= : les entrées datées, celles qui ne le sont pas, et "
        "comment les objets sans date sont comptés")
    defi: str | None
    ring_m: float
    weights: dict[str, float]
    effective_weights: dict[str, float | None] = Field(
        description="Part de chaque composante dans l'écart des scores entre QPV classés "
        "(somme 1) : ce qui fait vraiment le classement")
    answers_unverified: dict[str, int] = Field(
        description="Réponses ESS localisées encore à vérifier, par Défi (hors score sauf "
        "include=a_verifier)")
    unverified_included: bool = Field(description="Le score compte-t-il les réponses à "
                                      "vérifier (include=a_verifier) ?")
    answers_located: dict[str, int] = Field(
        description="Réponses ESS localisées (au moins au quartier) par Défi")
    notes: list[str]
    indicators: IndicatorFacts
    access: AccessFacts
    sensitivity: SensitivityInfo
    to_document_first: list[DocumentFirst] = Field(
        description="QPV sans indicateurs INSEE, avec leur rang possible : à documenter en "
        "priorité")
    method: str
    items: list[UnderservedItem]


class LayerFigures(BaseModel):
    total: int
    located: int
    unlocated: int
    by_defi: dict[str, int]
    by_precision: dict[str, int]


class ProjectsInQpv(BaseModel):
    total: int
    located: int
    in_qpv_2024: int
    in_qpv_2015: int
    share_in_qpv_2024: float | None
    share_of_located_in_qpv_2024: float | None
    note: str


class DocumentedFigure(BaseModel):
    id: str
    figure: str
    value: int | None
    total: int | None
    share: float | None
    period: str | None
    source: str


class TerritoryRef(BaseModel):
    id: str
    nom: str
    epci: str


class QpvFigures(BaseModel):
    qpv_2024: int
    qpv_2015: int
    need_unknown: list[str]


class Summary(BaseModel):
    territoire: TerritoryRef
    qpv: QpvFigures
    layers: dict[str, LayerFigures]
    projects_in_qpv: ProjectsInQpv
    documented_figures: list[DocumentedFigure]
    caveat: str


DEFI_HELP = "Défi : " + ", ".join(DEFIS) + " (vide = tous)"
CSV_RESPONSE = {"content": {"text/csv": {"schema": {"type": "string"}}},
                "description": "CSV (UTF-8 avec BOM, séparateur ;, virgule décimale) si f=csv"}
BINARY = {"schema": {"type": "string", "format": "binary"}}
TABLE_RESPONSE = {"content": {"text/csv": {"schema": {"type": "string"}},
                              MEDIA_TYPES["xlsx"]: BINARY, MEDIA_TYPES["ods"]: BINARY},
                  "description": "CSV Excel-FR (f=csv), classeur XLSX ou ODS avec sa feuille "
                                 "« Dictionnaire » (f=xlsx, f=ods)"}


@router.get("/underserved", operation_id="getUnderserved", response_model=Underserved,
            dependencies=[only("defi", "ring_m", "weights", "f", "include", "date")],
            summary="Classement des QPV sous-desservis par l'ESS",
            responses={200: TABLE_RESPONSE, 400: problem_response("Paramètre invalide")})
def underserved(
    store: SnapshotDep,
    settings: SettingsDep,
    defi: DefiQuery = None,
    ring_m: RingQuery = None,
    weights: Annotated[str | None, Query(
        description="Poids, ex. need:2,answer:1,distance:1,access:0.5,demand:1",
        examples=["need:2,answer:1"])] = None,
    f: Annotated[str | None, Query(
        description="json (défaut), csv (Excel-FR), xlsx ou ods (tableurs : cellules typées, "
                    "libellés français, feuille « Dictionnaire »)",
        json_schema_extra={"enum": ["json", "csv", "xlsx", "ods"]})] = None,
    include: IncludeQuery = None,
    date: DateQuery = None,
) -> Underserved | Response:
    """Chaque QPV avec son score, son rang, ses composantes et ses raisons en clair ; avec
    date=AAAA-MM-JJ, tel que les données datées disent que les choses étaient ce jour-là."""
    fmt = (f or "json").lower()
    if fmt not in ("json", "csv", "xlsx", "ods"):
        raise InvalidParameter(f"Format inconnu : « {f} » (json, csv, xlsx ou ods)")
    request = AnalysisRequest.parse(defi=defi, ring_m=ring_m, weights=weights,
                                    include=include, settings=settings, day=date)
    result = run(store, request)
    when = f"_au_{request.day.isoformat()}" if request.day else ""
    name = f"diagnostic_qpv_{request.defi or 'tous'}_{request.ring_m:g}m{when}.{fmt}"
    if fmt in ("xlsx", "ods"):
        collection = service.collection(store, request)
        body = to_sheet(collection, range(len(collection)), fmt)
        return Response(body, media_type=MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    if fmt == "csv":
        return Response(to_csv(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Underserved(territoire=store.territory.id, date=dating(store, request),
                       defi=request.defi, ring_m=request.ring_m,
                       weights=request.weights, method=result.method, **header(result),
                       items=[UnderservedItem.model_validate(i) for i in items(result)])


@router.get("/summary", operation_id="getAnalysisSummary", response_model=Summary,
            dependencies=[only()],
            summary="Chiffres du territoire (ESS par Défi, projets en QPV, chiffres cités)")
def analysis_summary(store: SnapshotDep) -> Summary:
    """Comptes par Défi et par couche, objets localisés ou non, projets situés en QPV, et
    chiffres rapportés par les documents (avec leur source), distincts des données."""
    return Summary.model_validate(summary(store))


class Move(BaseModel):
    event: str = Field(description="ouverture, fermeture, besoin_signale, besoin_lance, "
                       "besoin_abandonne ou reponse_existante")
    collection: str
    id: str
    nom: str
    date: str | None = Field(description="La date telle qu'elle est écrite (AAAA, AAAA-MM ou "
                             "AAAA-MM-JJ)")
    etape: str | None = None
    text: str


class EvolutionStep(BaseModel):
    date: str = Field(description="Le jour du pas : 31 décembre (aujourd'hui pour l'année "
                      "en cours)")
    rank: int | None
    score: float | None
    answers: int = Field(description="Réponses ESS ouvertes ce jour-là dans le QPV ou son "
                         "anneau")
    needs_open: int = Field(description="Besoins signalés et pas encore couverts ce jour-là")
    needs_in_progress: int
    needs_answered: int
    moved: list[Move] = Field(description="Ce qui a bougé à portée du QPV depuis le pas "
                              "précédent")


class QpvEvolution(BaseModel):
    code_qp: str
    lib_qp: str
    series: list[EvolutionStep]


class UndatedStep(BaseModel):
    date: str
    answers: int = Field(description="Réponses dont les dates ne disent rien ce jour-là "
                         "(comptées selon leur statut actuel)")
    needs: int = Field(description="Besoins sans date de signalement (gardés)")


class Evolution(BaseModel):
    model_config = {"populate_by_name": True}
    territoire: str
    defi: str | None
    ring_m: float
    from_: int = Field(alias="from")
    to: int
    step: str
    undated: list[UndatedStep]
    undated_rule: str | None
    not_dated: dict[str, str]
    code_qp: str | None = None
    lib_qp: str | None = None
    series: list[EvolutionStep] | None = Field(None, description="Avec qpv= : la série")
    qpv: list[QpvEvolution] | None = Field(None, description="Sans qpv= : chaque QPV")


@router.get("/evolution", operation_id="getEvolution", response_model=Evolution,
            dependencies=[only("qpv", "defi", "from", "to", "ring_m", "weights", "include",
                               "f")],
            summary="Évolution d'un QPV (ou de chacun) année par année",
            responses={200: TABLE_RESPONSE, 400: problem_response("Paramètre invalide"),
                       404: problem_response("QPV inconnu")})
def evolution_route(
    store: SnapshotDep,
    settings: SettingsDep,
    qpv: Annotated[str | None, Query(description="Code du QPV 2024 (vide = chaque QPV)",
                                     examples=["QN03107M"])] = None,
    defi: DefiQuery = None,
    from_: Annotated[str | None, Query(alias="from", description="Première année AAAA "
                                       "(défaut : il y a 5 ans)", examples=["2020"])] = None,
    to: Annotated[str | None, Query(description="Dernière année AAAA (défaut : cette "
                                    "année)", examples=["2025"])] = None,
    ring_m: RingQuery = None,
    weights: Annotated[str | None, Query(description="Poids, comme pour underserved")] = None,
    include: IncludeQuery = None,
    f: Annotated[str | None, Query(
        description="json (défaut), csv (Excel-FR), xlsx ou ods (avec la feuille "
                    "« Dictionnaire »)",
        json_schema_extra={"enum": ["json", "csv", "xlsx", "ods"]})] = None,
) -> Evolution | Response:
    """Rang, score, réponses ouvertes et besoins non couverts au 31 décembre de chaque année
    (aujourd'hui pour l'année en cours), et ce qui a bougé entre deux pas : lieu ou projet
    ouvert ou fermé à portée, besoin signalé, lancé, abandonné."""
    fmt = (f or "json").lower()
    if fmt not in ("json", "csv", "xlsx", "ods"):
        raise InvalidParameter(f"Format inconnu : « {f} » (json, csv, xlsx ou ods)")
    request = AnalysisRequest.parse(defi=defi, ring_m=ring_m, weights=weights,
                                    include=include, settings=settings)
    first, last = parse_years(from_, to)
    code = (qpv or "").strip() or None
    result = evolution(store, request, first, last, code)
    name = f"evolution_{code or 'qpv'}_{first}-{last}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(evolution_csv(result), media_type="text/csv; charset=utf-8",
                        headers=disposition)
    if fmt in ("xlsx", "ods"):
        return Response(workbook([evolution_table(result)], fmt), media_type=MEDIA_TYPES[fmt],
                        headers=disposition)
    return Evolution.model_validate(result)
