"""Reading vector files safely and repairing invalid polygons."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from ..errors import SourceDataError

WGS84 = "EPSG:4326"


def read_vector(path: Path, required: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Read a GeoJSON file into EPSG:4326, checking required columns and lon/lat ranges.

    A file that declares another CRS is reprojected; one without CRS whose coordinates are
    not longitudes/latitudes is refused (it is almost surely in a projected CRS).
    """
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises several error types for broken files
        raise SourceDataError(
            f"{Path(path).name} : fichier illisible ou tronqué ({_short(exc)})"
        ) from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceDataError(
            f"{Path(path).name} : colonne(s) manquante(s) : {', '.join(missing)}"
        )
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    elif not frame.crs.equals(WGS84) and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(WGS84)
    bounds = frame.total_bounds if len(frame) and frame.geometry.notna().any() else None
    if bounds is not None and np.isfinite(bounds).all() and not (
        -180 <= bounds[0] <= 180 and -180 <= bounds[2] <= 180
        and -90 <= bounds[1] <= 90 and -90 <= bounds[3] <= 90
    ):
        raise SourceDataError(
            f"{Path(path).name} : coordonnées hors des bornes longitude/latitude "
            f"({bounds[0]:.0f}, {bounds[1]:.0f}…) : fichier dans un autre système de "
            "coordonnées sans le déclarer (WGS84 attendu)"
        )
    return frame


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else exc.__class__.__name__


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep the polygonal part of a geometry as a MultiPolygon."""
    if geom is None or geom.is_empty:
        return geom
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "MultiPolygon":
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = []
    for part in parts:
        polys.extend(shapely.get_parts(part) if part.geom_type == "MultiPolygon" else [part])
    return shapely.MultiPolygon(polys)


def _polygonal_array(geoms: np.ndarray) -> np.ndarray:
    return np.array([_polygonal(g) for g in geoms], dtype=object)


def repair_polygons(
    frame: gpd.GeoDataFrame, max_area_change: float, id_column: str
) -> tuple[gpd.GeoDataFrame, int]:
    """Make every polygon valid, polygonal, oriented per RFC 7946; count repairs.

    Raises SourceDataError when a repair changes a polygon's area by more than
    ``max_area_change`` (a share, e.g. 0.01 = 1 %).
    """
    geoms = frame.geometry.values
    invalid = ~shapely.is_valid(geoms)
    fixed = np.array(geoms, dtype=object)
    if invalid.any():
        before = shapely.area(geoms[invalid])
        # Two GEOS strategies; per polygon keep the one that changes the area least
        # ("structure" can drop a ring whose self-intersection makes it look inside-out).
        candidates = [
            _polygonal_array(shapely.make_valid(geoms[invalid], method=method, **kwargs))
            for method, kwargs in (("structure", {"keep_collapsed": False}), ("linework", {}))
        ]
        with np.errstate(divide="ignore", invalid="ignore"):
            changes = np.vstack([
                np.where(before > 0, np.abs(shapely.area(c) - before) / before,
                         np.where(shapely.area(c) > 0, np.inf, 0.0))
                for c in candidates
            ])
        best = np.argmin(changes, axis=0)
        repaired = np.where(best == 0, candidates[0], candidates[1])
        change = changes[best, np.arange(len(best))]
        worst = int(np.argmax(change))
        if change[worst] > max_area_change:
            bad_id = frame.loc[invalid, id_column].iloc[worst]
            raise SourceDataError(
                f"réparation de la géométrie {bad_id} : surface modifiée de "
                f"{change[worst]:.2%} (maximum admis {max_area_change:.2%})"
            )
        fixed[invalid] = repaired
    fixed = _polygonal_array(fixed)
    fixed = shapely.orient_polygons(fixed, exterior_cw=False)
    out = frame.copy()
    out.geometry = gpd.GeoSeries(fixed, index=frame.index, crs=frame.crs)
    return out, int(invalid.sum())
