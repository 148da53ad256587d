"""Frames ↔ stored rows: typing a layer's columns as the service serves them, and turning
a GeoDataFrame into :class:`~geoservice.storage.Row` objects and back."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .catalog import LayerDef
from .storage.base import Row


def typed_frame(frame: pd.DataFrame, layer: LayerDef) -> gpd.GeoDataFrame:
    """Columns of ``layer`` typed as the store serves them (nullable pandas dtypes, lists).

    Used for layers read from the storage (:func:`rows_frame`), for layers computed in
    memory (the analysis views) and by exports; lists may arrive as JSON text or as lists.
    """
    frame = frame.copy()
    for name, spec in layer.properties.items():
        if name not in frame.columns:
            frame[name] = None
        column = frame[name]
        if spec.type == "array":
            frame[name] = [json.loads(v) if isinstance(v, str)
                           else list(v) if isinstance(v, list | tuple) else [] for v in column]
        elif spec.type == "integer":
            frame[name] = pd.to_numeric(column, errors="coerce").astype("Int64")
        elif spec.type == "number":
            frame[name] = pd.to_numeric(column, errors="coerce").astype("Float64")
        elif spec.type == "boolean":
            frame[name] = column.astype("boolean")
        else:
            frame[name] = column.astype(object).where(column.notna(), None)
    return gpd.GeoDataFrame(frame[[*layer.properties, "geometry"]], geometry="geometry",
                            crs="EPSG:4326")


def plain(value: Any) -> Any:
    """pandas/numpy scalars → JSON-ready Python values (NA → None)."""
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def frame_rows(frame: gpd.GeoDataFrame, layer: LayerDef) -> list[Row]:
    """One :class:`Row` per feature (properties of the layer, WKB geometry or None)."""
    frame = frame.reset_index(drop=True)
    columns = {name: [plain(v) for v in (frame[name].tolist() if name in frame.columns
                                         else [None] * len(frame))]
               for name in layer.properties}
    geoms = frame.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    wkb = shapely.to_wkb(geoms, output_dimension=2)
    rows = []
    for i in range(len(frame)):
        props = {name: columns[name][i] for name in columns}
        rows.append(Row(str(props[layer.id_field]), props, None if missing[i] else bytes(wkb[i])))
    return rows


def rows_frame(rows: list[Row], layer: LayerDef) -> gpd.GeoDataFrame:
    """The rows as a typed GeoDataFrame in EPSG:4326 (storage order kept)."""
    data = pd.DataFrame.from_records([r.properties for r in rows],
                                     columns=list(layer.properties))
    geoms = shapely.from_wkb(np.array([r.geometry for r in rows], dtype=object))
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"))
    return typed_frame(frame, layer)
