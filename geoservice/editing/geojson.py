"""GeoJSON features in and out of storage rows (WKB geometry, JSON properties)."""

from __future__ import annotations

import json
from typing import Any

import shapely

from ..errors import InvalidFeature
from ..storage import Row

MAX_TEXT = 10_000
"""Longest text a property may hold (characters)."""


def row_feature(row: Row, fid: str | None = None) -> dict[str, Any]:
    """A stored row as a GeoJSON Feature (dict)."""
    geometry = None
    if row.geometry is not None:
        geometry = json.loads(shapely.to_geojson(shapely.from_wkb(row.geometry)))
    return {"type": "Feature", "id": fid or row.fid, "geometry": geometry,
            "properties": row.properties}


def geometry_wkb(geometry: Any) -> bytes | None:
    """A GeoJSON geometry (dict or None) as 2D WKB; 422 when it is not a valid geometry."""
    if geometry is None:
        return None
    if not isinstance(geometry, dict):
        raise _invalid("geometry", "objet GeoJSON ou null attendu")
    try:
        shape = shapely.from_geojson(json.dumps(geometry))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        raise _invalid("geometry", "géométrie GeoJSON illisible (un « type » et des "
                                   "« coordinates » en nombres sont attendus)") from exc
    coords = shapely.get_coordinates(shape)
    if shape.is_empty or not coords.size or not (abs(coords) < 1e7).all():
        raise _invalid("geometry", "géométrie vide ou coordonnées non finies")
    return shapely.to_wkb(shape, output_dimension=2)


def check_feature_shape(body: Any) -> dict[str, Any]:
    """A JSON body that is a GeoJSON Feature with an object of properties and a readable
    geometry (or null), before any check reads them (422 otherwise)."""
    if not isinstance(body, dict) or body.get("type") != "Feature":
        raise _invalid("type", "un objet GeoJSON « Feature » est attendu")
    properties = body.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise _invalid("properties", "objet attendu")
    for name, value in properties.items():
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise _invalid(name, f"texte trop long ({len(value)} caractères, {MAX_TEXT} au plus)")
    geometry_wkb(body.get("geometry"))  # 422 now for a geometry that is not one
    return {"type": "Feature", "geometry": body.get("geometry"), "properties": properties,
            **({"id": body["id"]} if "id" in body else {})}


def _invalid(field: str, message: str) -> InvalidFeature:
    return invalid([(field, message)])


def invalid(errors: list[tuple[str, str]]) -> InvalidFeature:
    """422: the errors, one per field, in French."""
    detail = " ; ".join(f"{field} : {message}" for field, message in errors[:5])
    return InvalidFeature(f"Objet invalide — {detail}",
                          extra={"errors": [{"field": f, "message": m} for f, m in errors]})
