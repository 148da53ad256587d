"""Frames ↔ stored rows: typing a layer's columns as the service serves them, and turning
a GeoDataFrame into :class:`~geoservice.storage.Row` objects and back."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..catalog import LayerDef
from ..storage.base import Row


def _objects(values: list) -> pd.Series:
    """An object column holding each value as it is (lists stay list elements; text is
    not turned into pandas' string dtype, so missing values stay None)."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return pd.Series(out, dtype=object, copy=False)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _typed(values: list, kind: str) -> Any:
    """One column's values typed as the store serves them."""
    if kind == "array":
        return _objects([json.loads(v) if isinstance(v, str) else list(v)
                         if isinstance(v, list | tuple | np.ndarray) else [] for v in values])
    if kind == "integer":
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("Int64")
    if kind == "number":
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"
                             ).astype("Float64")
    if kind == "boolean":
        return pd.Series(values, dtype=object).astype("boolean")
    return _objects([None if _missing(v) else v for v in values])


def _assemble(columns: dict[str, Any], geometry: Any, index: Any = None) -> gpd.GeoDataFrame:
    """One frame from typed columns (built at once: adding columns one by one is slow)."""
    data = {k: (v.array if isinstance(v, pd.Series) and v.dtype != object else v)
            for k, v in columns.items()}
    if index is not None:
        for value in data.values():
            if isinstance(value, pd.Series):
                value.index = index
    data["geometry"] = gpd.array.from_shapely(np.asarray(geometry, dtype=object),
                                              crs="EPSG:4326")
    return gpd.GeoDataFrame(data, index=index)


def typed_frame(frame: pd.DataFrame, layer: LayerDef) -> gpd.GeoDataFrame:
    """Columns of ``layer`` typed as the store serves them (nullable pandas dtypes, lists).

    Used for layers read from the storage (:func:`rows_frame`), for layers computed in
    memory (the analysis views) and by exports; lists may arrive as JSON text or as lists.
    """
    empty = [None] * len(frame)
    columns = {name: _typed(frame[name].tolist() if name in frame.columns else empty,
                            spec.type)
               for name, spec in layer.properties.items()}
    geometry = frame.geometry.to_crs("EPSG:4326").values if isinstance(
        frame, gpd.GeoDataFrame) and frame.crs is not None else frame["geometry"].values
    return _assemble(columns, geometry, frame.index)


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


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def rows_frame(rows: list[Row], layer: LayerDef) -> gpd.GeoDataFrame:
    """The rows as a typed GeoDataFrame in EPSG:4326 (storage order kept); a property
    with a default reads as it where a row has none (stored before the property existed)."""
    columns = {name: _typed([r.properties.get(name) for r in rows] if spec.default is None
                            else [_or(r.properties.get(name), spec.default) for r in rows],
                            spec.type)
               for name, spec in layer.properties.items()}
    geoms = shapely.from_wkb(np.array([r.geometry for r in rows], dtype=object))
    return _assemble(columns, geoms)
