"""The point locator of a store: QPV, commune, nearest QPV and nearest ESS places."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import CRS

from .. import parallel
from ..read.crs import metric_transformer, to_metric
from ..vocab import ESS_LAYERS, METRIC_CRS
from .grid import DEFAULT_CELL, PolygonIndex
from .nearest import BoundarySegments

if TYPE_CHECKING:
    from ..read.snapshot import Collection, Snapshot

WGS84 = "EPSG:4326"
CHUNK = 4096
"""Batches of at least twice this many points are split between threads."""


@dataclass
class Located:
    """Batch answer for n points (positions refer to the store's collections)."""

    point: np.ndarray
    """Pairs with ``qpv``: point position, for every (point, containing QPV)."""
    qpv: np.ndarray
    """Pairs with ``point``: QPV position in the ``qpv`` collection."""
    commune: np.ndarray
    """Position in the ``communes`` collection, or -1 (outside the territory)."""
    nearest_qpv: np.ndarray
    """Position of the nearest QPV (the first containing one when inside), or -1."""
    nearest_distance_m: np.ndarray
    """Distance to ``nearest_qpv`` in metres (EPSG:2154), 0 inside, NaN when unknown."""

    def qpv_lists(self, n: int) -> list[list[int]]:
        """For each of the n points, the positions of the QPV containing it (maybe empty)."""
        lists: list[list[int]] = [[] for _ in range(n)]
        for point, qpv in zip(self.point.tolist(), self.qpv.tolist(), strict=True):
            lists[point].append(qpv)
        return lists


class PointLocator:
    """Everything a point lookup needs, built once per store (see :func:`locator_for`)."""

    def __init__(self, store: Snapshot, cell: float = DEFAULT_CELL) -> None:
        self.territory_name = store.territory.nom
        self.qpv = store.collection("qpv")
        self.communes = store.collection("communes")
        # indexes live on their collection: a snapshot made by an edit of an ESS layer
        # reuses the QPV and commune collections, hence these, as they are
        self.qpv_index = self.qpv.memo(("polygon-index", cell), lambda: PolygonIndex(
            self.qpv.frame.geometry.values, cell))
        self.commune_index = self.communes.memo(("polygon-index", cell), lambda: PolygonIndex(
            self.communes.frame.geometry.values, cell))
        self.qpv_edges = self.qpv.memo("boundary-segments", lambda: BoundarySegments(
            np.asarray(self.qpv.metric.values, dtype=object)))
        # kept on their collection too: an edit rebuilds only the edited layer's places
        self.places = {name: _places(store.collection(name))
                       for name in ESS_LAYERS if name in store.base}
        self.metric_area = _metric_area()

    def measurable(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Points where a Lambert-93 distance is meaningful (within its area of use)."""
        west, south, east, north = self.metric_area
        return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)

    def to_metric(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """lon/lat (EPSG:4326) → x/y in Lambert-93 (EPSG:2154), metres."""
        x, y = metric_transformer().transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> Located:
        """QPV membership, commune and nearest QPV for arrays of lon/lat (EPSG:4326).

        Coordinates must be finite and in range (callers flag bad rows first); a
        non-finite point gets no QPV, no commune and no nearest QPV. A large batch is cut
        into parts answered by parallel threads (numpy, GEOS, pyproj and the k-d tree
        release the GIL); a small one, a single lookup above all, stays on this thread.
        """
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
        parts = parallel.slices(len(lon), CHUNK)
        if len(parts) == 1:
            return self._locate(lon, lat)
        found = parallel.thread_map(lambda part: self._locate(lon[part], lat[part]), parts)
        return Located(
            np.concatenate([got.point + part.start for got, part in
                            zip(found, parts, strict=True)]),
            *(np.concatenate([getattr(got, name) for got in found])
              for name in ("qpv", "commune", "nearest_qpv", "nearest_distance_m")))

    def _locate(self, lon: np.ndarray, lat: np.ndarray) -> Located:
        point, qpv = self.qpv_index.query(lon, lat)
        commune = self.commune_index.first(lon, lat)
        nearest = np.full(len(lon), -1, dtype=np.intp)
        distance = np.full(len(lon), np.nan)
        firsts, at = np.unique(point, return_index=True)  # pairs are sorted
        nearest[firsts] = qpv[at]  # the first containing QPV, at 0 m
        distance[firsts] = 0.0
        todo = np.flatnonzero((nearest < 0) & self.measurable(lon, lat))
        if len(todo) and len(self.qpv):
            x, y = self.to_metric(lon[todo], lat[todo])
            ok = np.isfinite(x) & np.isfinite(y)
            todo, x, y = todo[ok], x[ok], y[ok]
            found, poly, dist = self.qpv_edges.nearest(x, y)
            nearest[todo[found]] = poly
            distance[todo[found]] = dist
        return Located(point, qpv, commune, nearest, distance)

    def nearest_places(self, lon: float, lat: float, k: int) -> dict[str, list[dict[str, Any]]]:
        """The k nearest located features of each ESS layer, with ``distance_m`` (metres)."""
        x, y = self.to_metric(np.array([lon]), np.array([lat]))
        if not (self.measurable(lon, lat) and np.isfinite(x[0]) and np.isfinite(y[0])):
            return {name: [] for name in ESS_LAYERS}
        point = shapely.Point(float(x[0]), float(y[0]))
        return {name: self.places[name].nearest(point, k) if name in self.places else []
                for name in ESS_LAYERS}

    def lookup(self, lon: float, lat: float, k: int) -> dict[str, Any]:
        """The answer for one point, as in the API contract of ``GET /api/lookup``."""
        located = self.locate(np.array([lon]), np.array([lat]))
        qpvs = [self._qpv_ref(pos) for pos in located.qpv.tolist()]
        commune_pos = int(located.commune[0])
        commune = None
        if commune_pos >= 0:
            row = self.communes.records[commune_pos]  # plain dicts: no pandas row per call
            commune = {"code": str(row["code"]), "nom": str(row["nom"])}
        nearest_qpv = None
        if located.nearest_qpv[0] >= 0:
            nearest_qpv = {**self._qpv_ref(int(located.nearest_qpv[0])),
                           "distance_m": int(round(float(located.nearest_distance_m[0])))}
        return {
            "lon": float(lon),
            "lat": float(lat),
            "in_territory": commune is not None,
            "qpv": qpvs[0] if qpvs else None,
            "qpvs": qpvs,
            "commune": commune,
            "nearest_qpv": nearest_qpv,
            "nearest": self.nearest_places(lon, lat, k),
            "note": self._note(lon, lat, located, qpvs, commune),
        }

    def place(self, lon: float, lat: float) -> tuple[str | None, str | None]:
        """The INSEE code of the territory's commune containing a point (None: outside the
        territory), and the code of the QPV containing it."""
        located = self.locate(np.array([lon]), np.array([lat]))
        qpvs = located.qpv.tolist()
        code = self._qpv_ref(int(qpvs[0]))["code_qp"] if qpvs else None
        at = int(located.commune[0])
        commune = str(self.communes.records[at]["code"]) if at >= 0 else None
        return commune, code

    def _qpv_ref(self, position: int) -> dict[str, str]:
        row = self.qpv.records[position]
        return {"code_qp": str(row["code_qp"]), "lib_qp": str(row["lib_qp"])}

    def _note(self, lon: float, lat: float, located: Located, qpvs: list[dict],
              commune: dict | None) -> str | None:
        territory = self.territory_name
        if commune is None:
            note = (f"Ce point est hors du territoire servi ({territory}) : aucune de ses "
                    "communes ne le contient, et seuls les QPV de ce territoire sont connus.")
            if not self.measurable(lon, lat):
                note += (" Il est aussi hors de la zone de validité de Lambert-93 (France "
                         "métropolitaine) : aucune distance n'est calculée.")
            return note
        notes = []
        if len(qpvs) > 1:
            names = ", ".join(f"{q['lib_qp']} ({q['code_qp']})" for q in qpvs)
            notes.append(f"Ce point est dans plusieurs QPV : {names}.")
        point = shapely.Point(lon, lat)
        edge = [q for pos, q in zip(located.qpv.tolist(), qpvs, strict=True)
                if shapely.touches(point, self.qpv.frame.geometry.values[pos])]
        for q in edge:
            notes.append(f"Ce point est exactement sur la limite du QPV {q['lib_qp']} "
                         f"({q['code_qp']}) : il est compté dedans.")
        return " ".join(notes) or None


@cache
def _metric_area() -> tuple[float, float, float, float]:
    """Lambert-93 distances mean something only over its area of use (France métropolitaine)."""
    return CRS(METRIC_CRS).area_of_use.bounds


def _places(collection: Collection) -> _Places:
    return collection.memo("places", lambda: _Places(collection))


class _Places:
    """The located features of one ESS layer, in Lambert-93, for nearest queries."""

    def __init__(self, collection: Collection) -> None:
        self.positions = collection.located
        self.geoms = to_metric(collection.geometries[self.positions])
        self.tree = shapely.STRtree(self.geoms)
        # the few texts an answer shows, read without typing the whole layer's frame
        id_field = collection.layer.id_field
        self.texts = {name: [_text(v) for v in collection.values(name)]
                      if name in collection.layer.properties else [None] * len(collection)
                      for name in ("nom", "type", "precision")}
        self.ids = [str(v) for v in collection.values(id_field)]

    def nearest(self, point: shapely.Point, k: int) -> list[dict[str, Any]]:
        if not len(self.positions):
            return []
        if len(self.positions) <= k:
            candidates = np.arange(len(self.positions))
        else:  # the k nearest lie within the k-th smallest envelope distance bound
            radius = _kth_bound(point, self.geoms, k)
            candidates = self.tree.query(point, predicate="dwithin", distance=radius)
        distances = shapely.distance(point, self.geoms[candidates])
        order = np.lexsort((self.positions[candidates], distances))[:k]
        result = []
        for i in order:
            at = int(self.positions[candidates[i]])
            result.append({
                "id": self.ids[at],
                "nom": self.texts["nom"][at] or self.ids[at],
                "type": self.texts["type"][at],
                "precision": self.texts["precision"][at],
                "distance_m": int(round(float(distances[i]))),
            })
        return result


def _kth_bound(point: shapely.Point, geoms: np.ndarray, k: int) -> float:
    """An upper bound of the k-th nearest distance: the k-th smallest farthest-corner
    distance of the envelopes (every geometry lies within its envelope)."""
    bounds = shapely.bounds(geoms)
    dx = np.maximum(np.abs(bounds[:, 0] - point.x), np.abs(bounds[:, 2] - point.x))
    dy = np.maximum(np.abs(bounds[:, 1] - point.y), np.abs(bounds[:, 3] - point.y))
    far = np.hypot(dx, dy)
    return float(np.partition(far, k - 1)[k - 1]) * (1 + 1e-9) + 1e-6


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


_KEY = "point-locator"


def cached_locator(store: Snapshot) -> PointLocator | None:
    """The store's :class:`PointLocator` if it is already built, else None (cheap)."""
    return store.derived.peek(_KEY)


def locator_for(store: Snapshot) -> PointLocator:
    """The store's :class:`PointLocator`, built on first use (kept in ``store.derived``,
    which forgets it when a collection is replaced)."""
    return store.derived.get(_KEY, lambda: PointLocator(store))
