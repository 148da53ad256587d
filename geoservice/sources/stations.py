"""Rail-transit stations from an OpenStreetMap extract (GeoJSON: name, type, lines, osm_id)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely

from .geometry import read_vector

KINDS = ("metro", "tram", "train")


def read_stations(path: Path, outline: shapely.Geometry) -> tuple[gpd.GeoDataFrame, dict]:
    """Stations inside the territory outline, id ``osm_type/osm_id``, lines as a list."""
    frame = read_vector(path, ("name", "type", "osm_id"))
    frame = frame[frame.geometry.notna() & frame["type"].isin(KINDS)]
    inside = shapely.intersects(outline, frame.geometry.values)
    frame = frame[inside].copy()
    osm_type = frame.get("osm_type", "node")
    frame["id"] = osm_type.astype(str) + "/" + frame["osm_id"].astype("int64").astype(str)
    lines = frame["lines"] if "lines" in frame else [None] * len(frame)
    frame["lines"] = [_as_list(v) for v in lines]
    frame = frame.rename(columns={"name": "nom"})[["id", "nom", "type", "lines", "geometry"]]
    return frame.sort_values(["type", "nom", "id"]).reset_index(drop=True), {}


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return [v.strip() for v in value.split(";") if v.strip()]
        return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]
    return [str(v) for v in value]  # type: ignore[union-attr]
