"""What the analysis reads, as plain GeoDataFrames in Lambert-93 (EPSG:2154).

:func:`from_store` builds the inputs from the loaded store; tests and the benchmark build
them directly from frames (:func:`make_inputs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..vocab import ANSWER_LAYERS, METRIC_CRS

if TYPE_CHECKING:
    from ..read.snapshot import Snapshot

ANSWER_STATUSES = ("ouvert", "inconnu")
PLACE_COLUMNS = ("kind", "id", "nom", "defi", "statut", "precision", "verification",
                 "commune")
NEED_COLUMNS = ("id", "nom", "defi", "statut", "couvert", "qpv", "precision")
STATION_COLUMNS = ("id", "nom", "type")


@dataclass
class Inputs:
    """Frames of the analysis, all in EPSG:2154, positions 0..n-1.

    ``qpv``: code_qp, lib_qp (QPV 2024). ``qpv_2015``: code_qp, nom_qp and INSEE indicators.
    ``places``: ESS answers (kind, id, nom, defi list, statut, precision), geometry may be
    missing. ``besoins``: needs spotted (id, nom, defi, statut, couvert, qpv, precision).
    ``stations``: id, nom, type.
    """

    qpv: gpd.GeoDataFrame
    qpv_2015: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    besoins: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    urban_rail: tuple[str, ...] = ()
    """Train stations within the urban fare (territory setting), counted for access."""
    urban_rail_line: str | None = None


def metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reprojected to EPSG:2154 (CRS required), index reset, polygons made valid."""
    if frame.crs is None:
        raise ValueError("a frame of the analysis has no CRS")
    out = frame.to_crs(METRIC_CRS).reset_index(drop=True)
    geoms = out.geometry.values
    bad = ~(shapely.is_valid(geoms) | shapely.is_missing(geoms))
    if bad.any():  # reprojection can make a repaired polygon slightly invalid
        fixed = np.asarray(geoms, dtype=object).copy()
        fixed[bad] = shapely.make_valid(fixed[bad])
        out = out.set_geometry(gpd.GeoSeries(fixed, crs=METRIC_CRS))
    return out


def _columns(frame: gpd.GeoDataFrame, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    frame = frame.copy()
    for name in columns:
        if name not in frame.columns:
            frame[name] = None
    if "defi" in columns:  # tuples: hashable, so has_defi factorizes them at C speed
        frame["defi"] = [tuple(v) if isinstance(v, list | tuple | np.ndarray) else ()
                         for v in frame["defi"]]
    return frame


def make_inputs(qpv: gpd.GeoDataFrame, qpv_2015: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
                besoins: gpd.GeoDataFrame, stations: gpd.GeoDataFrame,
                urban_rail: tuple[str, ...] = (), urban_rail_line: str | None = None
                ) -> Inputs:
    """Inputs from frames in any CRS (reprojected to EPSG:2154, missing columns added)."""
    return Inputs(
        qpv=metric(qpv),
        qpv_2015=metric(qpv_2015),
        places=metric(_columns(places, PLACE_COLUMNS)),
        besoins=metric(_columns(besoins, NEED_COLUMNS)),
        stations=metric(_columns(stations, STATION_COLUMNS)),
        urban_rail=tuple(urban_rail), urban_rail_line=urban_rail_line,
    )


def _metric_frame(store: Snapshot, layer_id: str, columns: tuple[str, ...] | None = None
                  ) -> gpd.GeoDataFrame:
    collection = store.collection(layer_id)
    frame = pd.DataFrame(collection.frame.drop(columns="geometry"))
    if columns is not None:
        frame = _columns(gpd.GeoDataFrame(frame), columns)[list(columns)]
    return gpd.GeoDataFrame(frame, geometry=collection.metric.values, crs=METRIC_CRS)


def from_store(store: Snapshot) -> Inputs:
    """The analysis inputs of a loaded store (uses the collections' EPSG:2154 geometries),
    built once per store and shared by start-up, the API and the maps (read-only)."""
    return store.derived.get("analysis-inputs", lambda: _build_from_store(store))


def _build_from_store(store: Snapshot) -> Inputs:
    parts = []
    for layer_id, kind in ANSWER_LAYERS.items():
        if layer_id not in store.base:
            continue
        part = _metric_frame(store, layer_id, PLACE_COLUMNS[1:])
        part.insert(0, "kind", kind)
        parts.append(part)
    places = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry",
                              crs=METRIC_CRS)
    return make_inputs(
        qpv=_metric_frame(store, "qpv"),
        qpv_2015=_metric_frame(store, "qpv_2015"),
        places=places,
        besoins=_metric_frame(store, "besoins", NEED_COLUMNS),
        stations=_metric_frame(store, "stations", STATION_COLUMNS),
        urban_rail=store.territory.urban_rail, urban_rail_line=store.territory.urban_rail_line,
    )


def unverified(places: gpd.GeoDataFrame) -> np.ndarray:
    """Answers still to be checked (imported open data, ``verification=a_verifier``); a
    feature without the field was written by the project or an editor: verified."""
    return (places["verification"] == "a_verifier").to_numpy(dtype=bool)


def located(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Boolean mask of the rows that have a non-empty geometry."""
    geoms = np.asarray(frame.geometry.values)
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def has_defi(defis: pd.Series, defi: str | None, untagged: bool = False) -> np.ndarray:
    """Rows tagged with ``defi`` (all rows when None; also untagged ones if ``untagged``)."""
    if defi is None:
        return np.ones(len(defis), dtype=bool)
    try:  # few distinct tag sets: decide once per set
        codes, uniques = pd.factorize(defis, use_na_sentinel=False)
    except TypeError:  # lists (unhashable): row by row
        return np.array([defi in v or (untagged and not v) for v in defis], dtype=bool)
    decided = np.array([defi in u or (untagged and not u) for u in uniques], dtype=bool)
    return decided[codes] if len(codes) else np.zeros(0, dtype=bool)
