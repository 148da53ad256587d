"""The embedded store file: one GeoPackage, one table per layer, plus a provenance table.

GeoPackage because it is one open, standard file that QGIS opens directly, that GDAL
(bundled by pyogrio) writes without extra dependencies, and that can be swapped in
atomically with a single rename.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .catalog import LayerDef
from .errors import StoreEmpty

PROVENANCE_TABLE = "geoservice_provenance"


def _encode(frame: gpd.GeoDataFrame, layer: LayerDef) -> gpd.GeoDataFrame:
    out = frame.copy()
    for name, spec in layer.properties.items():
        if name not in out.columns:
            out[name] = None
        if spec.type == "array":
            out[name] = [None if v is None else json.dumps(list(v), ensure_ascii=False)
                         for v in out[name]]
    return out[[*layer.properties, "geometry"]]


def typed_frame(frame: pd.DataFrame, layer: LayerDef) -> gpd.GeoDataFrame:
    """Columns of ``layer`` typed as the store serves them (nullable pandas dtypes, lists).

    Used for layers read from the GeoPackage (lists arrive as JSON text) and for layers
    computed in memory (lists arrive as lists).
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


def write_store(
    path: Path, layers: dict[str, LayerDef], frames: dict[str, gpd.GeoDataFrame],
    provenance: dict[str, dict],
) -> None:
    """Write every layer and the provenance records into a new GeoPackage at ``path``."""
    for layer_id, layer in layers.items():
        frame = _encode(frames[layer_id], layer)
        pyogrio.write_dataframe(
            frame, path, layer=layer_id, driver="GPKG", geometry_type=layer.geometry_type,
            layer_options={"DESCRIPTION": f"{layer.title.fr} — {layer.publisher}, "
                           f"{layer.licence}, {layer.vintage}"},
        )
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE {PROVENANCE_TABLE} (layer TEXT PRIMARY KEY, record TEXT)")
        db.executemany(
            f"INSERT INTO {PROVENANCE_TABLE} VALUES (?, ?)",
            [(k, json.dumps(v, ensure_ascii=False)) for k, v in provenance.items()],
        )
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
            "VALUES (?, 'attributes', ?, ?)",
            (PROVENANCE_TABLE, PROVENANCE_TABLE, "Provenance des couches (geoservice)"),
        )


def read_provenance(path: Path) -> dict[str, dict]:
    if not path.is_file():
        raise StoreEmpty(_empty_message(path))
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute(f"SELECT layer, record FROM {PROVENANCE_TABLE}").fetchall()
    return {layer: json.loads(record) for layer, record in rows}


def read_layer(path: Path, layer: LayerDef) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(path, layer=layer.id, fid_as_index=False)
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    return typed_frame(frame, layer)


def _empty_message(path: Path) -> str:
    return (f"Aucune donnée dans {path}. Remplissez le magasin avec : "
            "geoservice data pull --from ../shared/data (ou sans --from avec internet)")
