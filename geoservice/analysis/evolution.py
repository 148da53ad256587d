"""Each QPV's evolution: the ranking at one day per year, and what moved it between two
steps (a place or project opened or closed within reach, a need reported, launched,
dropped or found answered).

A step is **31 December** of each year (today for the current year): the state at the end
of the year. The analysis at each step is :func:`.service.run` at that date (two steps
with the same inputs share one diagnosis), with the same rules for undated features
(:mod:`.dated`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from .. import sheets
from ..errors import InvalidParameter, NotFound
from ..fabrique.stages import STAGES
from ..vocab import ANSWER_LAYERS
from .dated import answer_periods, inputs_at, need_dates
from .inputs import from_store

if TYPE_CHECKING:
    from ..read.snapshot import Snapshot
    from .diagnostic import Diagnostic
    from .service import AnalysisRequest

STEP_DAY = "31 décembre de chaque année (aujourd'hui pour l'année en cours)"
FIRST_YEAR = 2000
MAX_YEARS = 30
LAYER_OF_KIND = {kind: layer for layer, kind in ANSWER_LAYERS.items()}
NEED_EVENTS = {"lance": "besoin_lance", "abandonne": "besoin_abandonne",
               "reponse_existante": "reponse_existante"}
EVENT_WORDS = {
    "ouverture": "ouverture", "fermeture": "fermeture", "besoin_signale": "besoin signalé",
    "besoin_lance": "activité lancée", "besoin_abandonne": "besoin abandonné",
    "reponse_existante": "réponse existante trouvée",
}


def parse_years(first: str | None, last: str | None, today: date | None = None
                ) -> tuple[int, int]:
    """``from`` and ``to`` (years ``AAAA``; by default the last six years, this one
    included)."""
    today = today or date.today()
    end = _year("to", last, today.year)
    start = _year("from", first, end - 5)
    if end > today.year:
        raise InvalidParameter(f"« to » : {end} est à venir (au plus {today.year})")
    if start > end:
        raise InvalidParameter(f"« from » ({start}) est après « to » ({end})")
    if start < FIRST_YEAR:
        raise InvalidParameter(f"« from » : à partir de {FIRST_YEAR}")
    if end - start + 1 > MAX_YEARS:
        raise InvalidParameter(f"au plus {MAX_YEARS} années à la fois")
    return start, end


def _year(name: str, text: str | None, default: int) -> int:
    value = (text or "").strip()
    if not value:
        return default
    if len(value) != 4 or not value.isdigit():
        raise InvalidParameter(f"« {name} » : une année AAAA est attendue, pas "
                               f"« {value[:20]} »")
    return int(value)


def step_days(first: int, last: int, today: date | None = None) -> list[date]:
    """31 December of each year, today for the current one."""
    today = today or date.today()
    return [min(date(year, 12, 31), today) for year in range(first, last + 1)]


@dataclass(frozen=True)
class Step:
    day: date
    result: Diagnostic
    facts: dict[str, Any]


def evolution(snapshot: Snapshot, request: AnalysisRequest, first: int, last: int,
              qpv: str | None = None, today: date | None = None) -> dict[str, Any]:
    """The series of every QPV (or of ``qpv``, a code of the territory's QPV 2024)."""
    from .service import run

    days = step_days(first, last, today)
    steps = [Step(day, run(snapshot, replace(request, day=day)),
                  inputs_at(snapshot, day, today).facts) for day in days]
    inputs = from_store(snapshot)
    codes = inputs.qpv["code_qp"].astype(str).tolist()
    names = inputs.qpv["lib_qp"].astype(str).tolist()
    if qpv is not None and qpv not in codes:
        raise NotFound(f"QPV « {qpv[:20]} » inconnu dans le territoire "
                       f"{snapshot.territory.id}")
    chosen = [codes.index(qpv)] if qpv is not None else list(range(len(codes)))
    moved = _moves(snapshot, request, days, chosen)
    rows = [_rows(step) for step in steps]
    out: list[dict[str, Any]] = []
    for i in chosen:
        series = []
        for k, step in enumerate(steps):
            row = rows[k][codes[i]]
            series.append({"date": step.day.isoformat(), **row,
                           "moved": moved.get((i, k), [])})
        out.append({"code_qp": codes[i], "lib_qp": names[i], "series": series})
    head = {
        "territoire": snapshot.territory.id, "defi": request.defi, "ring_m": request.ring_m,
        "from": first, "to": last, "step": STEP_DAY,
        "undated": [{"date": s.day.isoformat(), "answers": s.facts["answers"]["undated"],
                     "needs": s.facts["needs"]["undated"]} for s in steps],
        "undated_rule": steps[0].facts["answers"]["undated_rule"] if steps else None,
        "not_dated": steps[0].facts["not_dated"] if steps else {},
    }
    if qpv is not None:
        return {**head, **out[0]}
    return {**head, "qpv": out}


def _rows(step: Step) -> dict[str, dict[str, Any]]:
    frame = step.result.frame
    out = {}
    for row in frame[["code_qp", "rank", "score", "answers", "unmet_needs", "needs_in_progress",
                      "needs_answered"]].to_dict("records"):
        rank = row["rank"]
        score = row["score"]
        out[str(row["code_qp"])] = {
            "rank": None if rank is None or rank is np.nan or str(rank) == "<NA>"
            else int(rank),
            "score": None if score is None or np.isnan(score) else round(float(score), 2),
            "answers": int(row["answers"]),
            "needs_open": int(row["unmet_needs"]),
            "needs_in_progress": len(row.get("needs_in_progress") or []),
            "needs_answered": len(row.get("needs_answered") or []),
        }
    return out


def _moves(snapshot: Snapshot, request: AnalysisRequest, days: list[date],
           chosen: list[int]) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """(QPV position, step) → what happened within reach between the previous step and
    this one."""
    if len(days) < 2:
        return {}
    inputs = from_store(snapshot)
    qpv = np.asarray(inputs.qpv.geometry.values, dtype=object)[chosen]
    ring = float(request.ring_m)
    table = inputs.table
    periods = answer_periods(snapshot)
    raw_open, raw_close = _raw_dates(snapshot)
    out: dict[tuple[int, int], list[dict[str, Any]]] = {}
    reachable = table.located & ~table.by_commune & table.defi(request.defi, untagged=True)
    needs = inputs.besoins
    dates = need_dates(snapshot)
    events_needs = len(dates.reported) == len(needs)
    stages = needs["etape"].to_numpy(dtype=object) if events_needs else np.zeros(0)
    need_raw = _need_raw(snapshot) if events_needs else ([], [])
    for k in range(1, len(days)):
        found: list[tuple[int, dict[str, Any]]] = []
        if len(periods) == len(table):
            opened, closed = periods.changes(days[k - 1], days[k])
            for mask, kind, raw in ((opened, "ouverture", raw_open),
                                    (closed, "fermeture", raw_close)):
                for p in np.flatnonzero(mask & reachable):
                    found.append((p, {"event": kind, "collection": LAYER_OF_KIND.get(
                        table.kind[p], table.kind[p]), "id": str(table.ids[p]),
                        "nom": str(table.names[p]), "date": raw[p]}))
        place_hits = _near(qpv, [table.geometry[p] for p, _ in found], ring)
        for j, (_, event) in enumerate(found):
            for i in np.flatnonzero(place_hits[:, j]):
                out.setdefault((chosen[i], k), []).append(event)
        if events_needs and len(needs):
            _need_moves(out, k, days, dates, stages, needs, need_raw, qpv, chosen, ring,
                        request.defi)
    for events in out.values():
        events.sort(key=lambda e: (e["date"] or "", e["event"], e["id"]))
        for event in events:
            event["text"] = f"{EVENT_WORDS[event['event']]} : {event['nom']} ({event['date']})"
    return out


def _need_moves(out: dict, k: int, days: list[date], dates: Any, stages: np.ndarray,
                needs: Any, raw: tuple[list, list], qpv: np.ndarray, chosen: list[int],
                ring: float, defi: str | None) -> None:
    a, b = float(days[k - 1].toordinal()), float(days[k].toordinal())
    with np.errstate(invalid="ignore"):
        reported = (dates.reported > a) & (dates.reported <= b)
        moved = (dates.closed_on > a) & (dates.closed_on <= b)
    tags = needs["defi"].to_numpy(dtype=object)
    wanted = np.array([defi is None or defi in (t or ()) for t in tags], dtype=bool)
    ids = needs["id"].astype(str).to_numpy()
    noms = needs["nom"].astype(str).to_numpy()
    geoms = np.asarray(needs.geometry.values, dtype=object)
    for mask, which in ((reported, "reported"), (moved, "closed")):
        positions = np.flatnonzero(mask & wanted)
        if not len(positions):
            continue
        hits = _near(qpv, list(geoms[positions]), ring)
        for j, p in enumerate(positions):
            event = "besoin_signale" if which == "reported" else NEED_EVENTS.get(
                str(stages[p]), "besoin_lance")
            when = raw[0][p] if which == "reported" else raw[1][p]
            record = {"event": event, "collection": "besoins", "id": ids[p], "nom": noms[p],
                      "date": when}
            if which == "closed":
                record["etape"] = STAGES[str(stages[p])].label
            for i in np.flatnonzero(hits[:, j]):
                out.setdefault((chosen[i], k), []).append(dict(record))


def _near(qpv: np.ndarray, geoms: list, ring: float) -> np.ndarray:
    """(QPV, feature) → the feature is in the QPV or within ``ring`` metres of it."""
    if not geoms or not len(qpv):
        return np.zeros((len(qpv), len(geoms)), dtype=bool)
    points = np.array(geoms, dtype=object)
    valid = ~(shapely.is_missing(points) | shapely.is_empty(points))
    hits = np.zeros((len(qpv), len(points)), dtype=bool)
    if valid.any():
        hits[:, valid] = shapely.dwithin(qpv[:, None], points[valid][None, :], ring)
    return hits


def _raw_dates(snapshot: Snapshot) -> tuple[list, list]:
    """The opening and closing dates as written, in the rows' order of the table."""
    def build() -> tuple[list, list]:
        opening: list = []
        closing: list = []
        for layer_id in ANSWER_LAYERS:
            if layer_id not in snapshot.base:
                continue
            collection = snapshot.collection(layer_id)
            period = collection.layer.temporal_period
            n = len(collection)
            opening += collection.values(period.start) if period else [None] * n
            closing += collection.values(period.end) if period else [None] * n
        return opening, closing

    return snapshot.derived.get("analysis-raw-periods", build)


def _need_raw(snapshot: Snapshot) -> tuple[list, list]:
    needs = snapshot.collection("besoins")
    return needs.values("date_signalement"), needs.values("etape_date")


SOURCE = ("geoservice : classement des QPV recalculé à chaque date avec les lieux, projets et "
          "besoins datés (voir docs/temps.md)")
COLUMNS = [  # one row per QPV and step, in the CSV, XLSX and ODS forms
    sheets.Column("code_qp", "Code du QPV", description="Code du QPV 2024 (ANCT)"),
    sheets.Column("lib_qp", "Nom du QPV"),
    sheets.Column("date", "Date du pas", "date",
                  description="31 décembre de chaque année ; aujourd'hui pour l'année en cours"),
    sheets.Column("rank", "Rang", "integer",
                  description="1 = le plus mal servi ; vide si le besoin est inconnu"),
    sheets.Column("score", "Score de sous-desserte", "number", "sur 100",
                  "100 = le plus mal servi ; vide si le besoin est inconnu"),
    sheets.Column("answers", "Réponses ESS ouvertes", "integer",
                  description="Lieux et projets ESS ouverts ce jour-là dans le QPV et son anneau"),
    sheets.Column("needs_open", "Besoins non couverts", "integer"),
    sheets.Column("needs_in_progress", "Besoins en cours", "integer"),
    sheets.Column("needs_answered", "Besoins couverts", "integer"),
    sheets.Column("moved", "Ce qui a bougé depuis le pas précédent",
                  description="Lieu ou projet ouvert ou fermé à portée, besoin signalé, lancé "
                              "ou abandonné ; séparés par « | »"),
]
COLUMNS = [replace(c, source=SOURCE) for c in COLUMNS]
CSV_COLUMNS = tuple(c.name for c in COLUMNS)


def table(result: dict[str, Any]) -> sheets.Table:
    """The evolution as one table: a row per QPV and step."""
    rows = []
    for qpv in result.get("qpv") or [result]:
        for step in qpv["series"]:
            rows.append([qpv["code_qp"], qpv["lib_qp"], date.fromisoformat(step["date"]),
                         step["rank"], step["score"], step["answers"], step["needs_open"],
                         step["needs_in_progress"], step["needs_answered"],
                         [e["text"] for e in step["moved"]]])
    return sheets.Table("evolution", COLUMNS, rows)


def to_csv(result: dict[str, Any]) -> str:
    """One row per QPV and step, in the one Excel-FR dialect (BOM, « ; », decimal comma,
    cells protected from formulas)."""
    return sheets.to_csv(table(result))
