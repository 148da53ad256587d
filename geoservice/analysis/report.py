"""Serialisations of a diagnostic: API items, flat layer rows, CSV (Excel-FR), GeoJSON."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from .. import sheets
from . import sensitivity
from .diagnostic import Diagnostic
from .need import CARRIED, COUNT_INDICATORS
from .params import COMPONENTS, DEFIS

MEASURES = (
    "population", "people_counted", "people_in_poverty", "population_complete",
    "indicator_source", "tp60", "tx_tot_empl", "jobseekers_per_100", "answers", "answers_1km",
    "answers_unverified",
    *(f"answers_{d}" for d in DEFIS), "unmet_needs", "covered_share",
    "dist_lieu_totem_m", "dist_hebergement_m", "dist_accompagnement_m", "dist_station_m",
    "nearest_lieu_totem", "nearest_hebergement", "nearest_accompagnement", "nearest_station",
    "nearest_station_kind",
)
LAYER_COLUMNS = (
    "code_qp", "lib_qp", "insee_com", "rank", "score", "need_known", "indicator_coverage",
    *(f"comp_{c}" for c in COMPONENTS), "jobseekers_per_100", "answers",
    *(f"answers_{d}" for d in DEFIS), "unmet_needs", "covered_share",
    "dist_lieu_totem_m", "dist_hebergement_m", "dist_accompagnement_m", "dist_station_m",
    "nearest_lieu_totem", "nearest_hebergement", "nearest_accompagnement", "nearest_station",
    "nearest_station_kind", "answers_1km", "rank_best", "rank_worst", "robustness", "drivers",
    "population_complete", "poor_people", "indicator_source",
    "reasons", "defi", "ring_m", "weights", *CARRIED,
)
DECIMALS = {"score": 2, "people_counted": 0, "people_in_poverty": 0, "population": 0,
            "poor_people": 0,
            "top5_share": 3, "indicator_coverage": 4, "covered_share": 4, "ring_m": 1,
            "jobseekers_per_100": 2, **{f"comp_{c}": 4 for c in COMPONENTS},
            **{f"dist_{k}_m": 0 for k in ("lieu_totem", "hebergement", "accompagnement",
                                          "station")},
            **{name: (1 if name in COUNT_INDICATORS else 2) for name in CARRIED}}


def plain(name: str, value: Any) -> Any:
    """JSON-ready value: NaN/NA → None, numpy → Python, numbers rounded per field."""
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(name, v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        decimals = DECIMALS.get(name)
        return float(round(float(value), decimals)) if decimals is not None else float(value)
    return value


def items(result: Diagnostic) -> list[dict]:
    """The ranking as the API returns it, in rank order (unranked QPV last)."""
    out = []
    for row in result.frame.to_dict("records"):
        out.append({
            "rank": plain("rank", row["rank"]),
            "code_qp": row["code_qp"],
            "lib_qp": row["lib_qp"],
            "score": plain("score", row["score"]),
            "need_known": bool(row["need_known"]),
            "indicator_coverage": plain("indicator_coverage", row["indicator_coverage"]),
            "components": {c: plain(f"comp_{c}", row[f"comp_{c}"]) for c in COMPONENTS},
            "measures": {m: plain(m, _measure(row, m)) for m in MEASURES},
            "reasons": list(row["reasons"]),
            "needs": list(row.get("needs") or []),
            "needs_in_progress": list(row.get("needs_in_progress") or []),
            "needs_answered": list(row.get("needs_answered") or []),
            "rank_range": _range(row),
            "top5_share": plain("top5_share", row["top5_share"]),
            "robustness": _text(row["robustness"]),
            "drivers": _text(row["drivers"]),
        })
    return out


def _measure(row: dict, name: str) -> Any:
    """The population is given only when it is the whole QPV's (never a part's)."""
    if name == "population":
        return row["pop_mun"] if row["population_complete"] else None
    if name == "people_counted":
        return row["pop_mun"]
    if name == "people_in_poverty":
        return row["poor_people"]
    return row[name]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _range(row: dict) -> list[int] | None:
    best, worst = plain("rank", row["rank_best"]), plain("rank", row["rank_worst"])
    return None if best is None or worst is None else [best, worst]


def to_document_first(records: list[dict]) -> list[dict]:
    """The unknown-need QPV, most likely to rank high first: best possible rank, then
    share of draws in the top 5 (rows of ``Diagnostic.frame``)."""
    def key(row: dict) -> tuple:
        best = plain("rank", row["rank_best"])
        return (10**6 if best is None else best, -(plain("top5_share", row["top5_share"]) or 0))
    return sorted((r for r in records if not r["need_known"]), key=key)


def header(result: Diagnostic) -> dict:
    """What a reader must see before the list: effective weights, located answers per
    Défi, notes, how uncertainty was measured, and the QPV to document first."""
    unknown = [{"code_qp": row["code_qp"], "lib_qp": row["lib_qp"], "rank_range": _range(row),
                "top5_share": plain("top5_share", row["top5_share"])}
               for row in to_document_first(result.frame.to_dict("records"))]
    return {
        "effective_weights": result.effective_weights,
        "answers_located": result.answers_located,
        "answers_unverified": result.answers_unverified,
        "unverified_included": result.parameters.unverified,
        "notes": result.notes,
        "indicators": result.indicators,
        "access": result.access,
        "sensitivity": {
            "draws": sensitivity.DRAWS, "seed": sensitivity.SEED,
            "weight_factor": list(sensitivity.FACTOR), "robust_span": sensitivity.ROBUST_SPAN,
            "description": ("Chaque poids multiplié par un tirage uniforme entre 0,5 et 1,5 "
                            f"({sensitivity.DRAWS} tirages, graine {sensitivity.SEED}) ; "
                            "besoin inconnu tiré entre le plus faible et le plus fort besoin "
                            "connu. Rang « robuste » : l'écart entre meilleur et pire rang "
                            f"est d'au plus {sensitivity.ROBUST_SPAN}."),
        },
        "to_document_first": unknown,
    }


def layer_frame(result: Diagnostic) -> gpd.GeoDataFrame:
    """Flat rows (the ``diagnostic_qpv`` layer), rounded, in EPSG:4326."""
    frame = result.frame
    data = {}
    for name in LAYER_COLUMNS:
        column = frame[name] if name in frame.columns else [None] * len(frame)
        data[name] = pd.Series([plain(name, v) for v in column], dtype=object)
    out = gpd.GeoDataFrame(data, geometry=frame.geometry.values, crs=frame.crs)
    out = out.to_crs("EPSG:4326")
    geoms = out.geometry.values
    polygons = shapely.get_type_id(geoms) == 3
    if polygons.any():
        fixed = np.asarray(geoms, dtype=object).copy()
        fixed[polygons] = [shapely.MultiPolygon([g]) for g in fixed[polygons]]
        out = out.set_geometry(gpd.GeoSeries(fixed, crs="EPSG:4326"))
    return out


def table(result: Diagnostic) -> sheets.Table:
    """One row per QPV in rank order, the columns of the ``diagnostic_qpv`` layer, values
    rounded per field (:func:`plain`)."""
    columns = [c for c in LAYER_COLUMNS if c != "insee_com" or c in result.frame.columns]
    rows = [[plain(c, row.get(c)) for c in columns] for row in result.frame.to_dict("records")]
    return sheets.Table("classement", [sheets.Column(c, c) for c in columns], rows)


def to_csv(result: Diagnostic) -> bytes:
    """The Excel-FR CSV of :func:`geoservice.sheets.to_csv` (UTF-8 with BOM, ``;``,
    decimal comma in every number, ``oui``/``non``, lists joined with ``|``), WKT-free."""
    return sheets.to_csv(table(result), excel=True).encode("utf-8")


def to_geojson(result: Diagnostic) -> dict:
    """RFC 7946 FeatureCollection (lon/lat, 7 decimals) of the diagnostic layer."""
    frame = layer_frame(result)
    geoms = shapely.set_precision(frame.geometry.values, 1e-7)
    geoms = shapely.orient_polygons(geoms) if hasattr(shapely, "orient_polygons") else geoms
    features = []
    columns = [c for c in frame.columns if c != "geometry"]
    for row, geom in zip(frame[columns].to_dict("records"), geoms, strict=True):
        features.append({
            "type": "Feature",
            "id": row["code_qp"],
            "properties": row,
            "geometry": None if geom is None else shapely.geometry.mapping(geom),
        })
    return {"type": "FeatureCollection", "features": features}
