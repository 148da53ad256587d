"""Coordinate reference systems offered by the service (OGC API – Features Part 2).

Data are stored in lon/lat (CRS84). Output and bbox CRS are one of :data:`SUPPORTED`;
EPSG:4326 is served in its official axis order (latitude, longitude), CRS84 in lon/lat.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

from ..errors import InvalidParameter

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"

# Projected coordinates beyond this (metres) are outside any CRS the service offers.
PROJECTED_LIMIT = 1e8


@dataclass(frozen=True)
class OutputCrs:
    """One supported CRS: its URI, EPSG code, axis order and rounding."""

    uri: str
    code: str  # "OGC:CRS84" or "EPSG:nnnn"
    label: str
    lat_first: bool  # axis order of the CRS is (lat, lon)
    geographic: bool
    decimals: int  # coordinate rounding on output

    @property
    def is_crs84(self) -> bool:
        return self.uri == CRS84

    @property
    def epsg(self) -> int:
        """EPSG code of the equivalent CRS (CRS84 → 4326, with lon/lat handled apart)."""
        return 4326 if self.is_crs84 else int(self.code.split(":")[1])


SUPPORTED: dict[str, OutputCrs] = {
    crs.uri: crs
    for crs in (
        OutputCrs(CRS84, "OGC:CRS84", "WGS 84 (lon, lat)", False, True, 7),
        OutputCrs(EPSG_URI + "4326", "EPSG:4326", "WGS 84 (lat, lon)", True, True, 7),
        OutputCrs(EPSG_URI + "2154", "EPSG:2154", "RGF93 v1 / Lambert-93", False, False, 2),
        OutputCrs(EPSG_URI + "3857", "EPSG:3857", "WGS 84 / Pseudo-Mercator", False, False, 2),
    )
}
DEFAULT = SUPPORTED[CRS84]
_ALIASES = {
    "crs84": CRS84, "ogc:crs84": CRS84, "urn:ogc:def:crs:ogc:1.3:crs84": CRS84,
    "http://www.opengis.net/def/crs/ogc/1.3/crs84": CRS84,
}


def parse_crs(text: str | None, name: str = "crs") -> OutputCrs:
    """A CRS from its URI (``http://www.opengis.net/def/crs/EPSG/0/2154``), ``EPSG:2154``,
    ``urn:ogc:def:crs:EPSG::2154`` or ``CRS84``; None → CRS84.

    Examples
    --------
    >>> parse_crs("EPSG:2154").code
    'EPSG:2154'
    """
    if text is None or text == "":
        return DEFAULT
    key = text.strip().strip("[]<>").lower()
    uri = _ALIASES.get(key)
    if uri is None:
        for prefix in ("epsg:", "urn:ogc:def:crs:epsg::", "urn:ogc:def:crs:epsg:0:",
                       EPSG_URI.lower()):
            code = key[len(prefix):] if key.startswith(prefix) else ""
            if re.fullmatch(r"[0-9]{1,9}", code):  # ASCII digits only (never "²" or "１")
                uri = EPSG_URI + str(int(code))
                break
    if uri not in SUPPORTED:
        offered = ", ".join(c.code for c in SUPPORTED.values())
        raise InvalidParameter(f"Système de coordonnées « {text[:80]} » non pris en charge "
                               f"pour {name} (possibles : {offered})")
    return SUPPORTED[uri]


@cache
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(source), CRS.from_epsg(target), always_xy=True)


_LOCAL = threading.local()


def metric_transformer() -> Transformer:
    """lon/lat (EPSG:4326) → Lambert-93 (EPSG:2154), one per thread, made once (making a
    transformer costs milliseconds; a snapshot made by a write must not pay it again)."""
    transformer = getattr(_LOCAL, "metric", None)
    if transformer is None:
        transformer = _LOCAL.metric = Transformer.from_crs(4326, 2154, always_xy=True)
    return transformer


def to_metric(geometries: np.ndarray) -> np.ndarray:
    """Lon/lat shapely geometries → Lambert-93 (unrounded); missing ones stay None."""
    transformer = metric_transformer()

    def _forward(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geometries, dtype=object), _forward)


def _round(coords: np.ndarray, decimals: int) -> np.ndarray:
    return np.round(coords, decimals)


def project(geometries: np.ndarray, crs: OutputCrs) -> np.ndarray:
    """Lon/lat shapely geometries → ``crs``, in its axis order, rounded for output.

    Missing geometries stay None. Projections used here are conformal, so ring
    orientation (right-hand rule) is kept; EPSG:4326's lat/lon order flips it, as it must.
    """
    geoms = np.asarray(geometries, dtype=object)
    if crs.geographic:
        if crs.lat_first:
            return shapely.transform(geoms, lambda c: _round(c[:, ::-1], crs.decimals))
        return shapely.transform(geoms, lambda c: _round(c, crs.decimals))
    transformer = _transformer(4326, crs.epsg)

    def _forward(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return _round(np.column_stack([x, y]), crs.decimals)

    return shapely.transform(geoms, _forward)


def to_lonlat(geometries: np.ndarray, crs: OutputCrs) -> np.ndarray:
    """Geometries given in ``crs`` (its axis order) → lon/lat, unrounded."""
    geoms = np.asarray(geometries, dtype=object)
    if crs.geographic:
        return shapely.transform(geoms, lambda c: c[:, ::-1]) if crs.lat_first else geoms
    transformer = _transformer(crs.epsg, 4326)

    def _inverse(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, _inverse)


def bbox_to_lonlat(bbox: tuple[float, float, float, float], crs: OutputCrs
                   ) -> tuple[float, float, float, float] | shapely.Geometry:
    """A bbox given in ``crs`` (axis order of that CRS) → (west, south, east, north) for a
    geographic CRS, or, for a projected one, the box itself as a lon/lat polygon (edges
    densified), so that "intersects the box" keeps its meaning in the projected plane."""
    a, b, c, d = bbox
    if crs.geographic:
        return (b, a, d, c) if crs.lat_first else (a, b, c, d)
    if a == c or b == d:  # a point or a segment: its transformed corners are enough
        corners = to_lonlat(np.array([shapely.Point(a, b), shapely.Point(c, d)]), crs)
        xy = shapely.get_coordinates(corners)
        if not np.all(np.isfinite(xy)):
            raise InvalidParameter(f"bbox hors du domaine de {crs.code}")
        return (*xy.min(axis=0).tolist(), *xy.max(axis=0).tolist())
    if max(abs(a), abs(b), abs(c), abs(d)) > PROJECTED_LIMIT:
        raise InvalidParameter(f"bbox hors du domaine de {crs.code}")
    box = shapely.box(a, b, c, d)
    step = max(c - a, d - b) / 32 or 1.0
    polygon = to_lonlat(np.array([shapely.segmentize(box, step)]), crs)[0]
    coords = shapely.get_coordinates(polygon)
    if not np.all(np.isfinite(coords)) or not polygon.is_valid:
        raise InvalidParameter(f"bbox hors du domaine de {crs.code}")
    return polygon
