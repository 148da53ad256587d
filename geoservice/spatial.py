"""Point lookup: the QPV and commune containing points, the nearest QPV, the nearest ESS places.

Rule on a QPV edge
------------------
A point exactly on the boundary of a QPV counts as **inside** that QPV: membership is the
predicate ``intersects`` (DE-9IM: the point and the polygon share at least one point), the
same as ``geopandas.sjoin(points, qpv, predicate="intersects")`` and OGR/SpatiaLite
``ST_Intersects``. A point on the common edge of two QPV is in both. Membership is decided
on the stored geometries in WGS84 lon/lat (EPSG:4326), exactly as sjoin would on the same
data. Distances are computed in Lambert-93 (EPSG:2154), in metres; a point inside a QPV is
at 0 m of it. (The published contours are rounded to about 11 m, so "on the edge" is a
property of the data, not of the ground.)

How it is fast
--------------
:class:`PolygonIndex` lays a regular lon/lat grid over the polygons' envelopes. Every
boundary segment is cut into pieces shorter than a cell, and each cell a piece's envelope
(enlarged by 1e-9 degree) overlaps is a *boundary* cell of that polygon; a cell no boundary
of polygon p touches lies wholly inside or wholly outside p, so its centre decides. Cells
are then *inside* one polygon, *single* (only one polygon's boundary: one exact test
against it), *boundary* (several candidates: exact test against all) or *outside* (not
stored). They are packed in a three-level radix table (dense directory → blocks of tiles
→ tiles of 32 x 32 cells), so a batch is answered by three numpy gathers; only points of
boundary cells get the exact GEOS test (``intersects_xy`` on the prepared polygon, or an
``STRtree`` query). The answer is identical to the exact test for every point.

:class:`BoundarySegments` finds the nearest QPV of points outside every QPV (distance to
the boundary segments in Lambert-93), with a k-d tree bound and one ``dwithin`` query.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import CRS, Transformer

if TYPE_CHECKING:
    from .store import Collection, Store

WGS84 = "EPSG:4326"
METRIC_CRS = "EPSG:2154"
ESS_LAYERS = ("lieux_totems", "hebergement", "accompagnement", "projets", "besoins")
DEFAULT_CELL = 0.002  # degrees: about 160 m x 220 m in France
_EPS = 1e-9  # degrees added around each cell so float rounding cannot misplace a point
_BOUNDARY = -1
_OUTSIDE = -2
_TILE_BITS = 5  # tiles of 32 x 32 cells, grouped in blocks of 2**_BLOCK_BITS tiles a side
_MAX_DIRECTORY = 1 << 22  # largest dense directory of blocks (entries)


def _single(polygon: np.ndarray | int) -> np.ndarray | int:
    """Cell value meaning "only this polygon may contain the cell's points" (and back)."""
    return -3 - polygon


class PolygonIndex:
    """Which polygons contain (``intersects``) each of many lon/lat points.

    Parameters
    ----------
    polygons : numpy.ndarray of shapely geometries
        Polygons in the same CRS as the points that will be queried (lon/lat degrees).
        Missing or empty geometries never match.
    cell : float
        Grid cell size in degrees.

    Examples
    --------
    >>> index = PolygonIndex(np.array([shapely.box(0, 0, 1, 1)]))
    >>> index.query(np.array([0.5, 1.0, 2.0]), np.array([0.5, 0.5, 0.5]))
    (array([0, 1]), array([0, 0]))
    """

    def __init__(self, polygons: np.ndarray, cell: float = DEFAULT_CELL) -> None:
        self.polygons = np.asarray(polygons, dtype=object)
        usable = ~(shapely.is_missing(self.polygons) | shapely.is_empty(self.polygons))
        self.polygons = np.where(usable, self.polygons, None)
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)
        self.cell = float(cell)
        self._rows = int(np.ceil(180.0 / self.cell)) + 4
        self._cols = int(np.ceil(360.0 / self.cell)) + 4
        keys, values = self._classify_cells(np.flatnonzero(usable))
        self._pack(keys, values)

    def _cell_of(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ix = np.floor((lon + 180.0) / self.cell).astype(np.int64)
        iy = np.floor((lat + 90.0) / self.cell).astype(np.int64)
        return ix, iy

    def _envelope_cells(self, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cell key, polygon) for every cell within one cell of a polygon's envelope."""
        bounds = shapely.bounds(self.polygons[usable])
        x0, y0 = self._cell_of(bounds[:, 0], bounds[:, 1])
        x1, y1 = self._cell_of(bounds[:, 2], bounds[:, 3])
        keys, polys = [], []
        for poly, ax, ay, bx, by in zip(usable, x0 - 1, y0 - 1, x1 + 1, y1 + 1, strict=True):
            gx, gy = np.meshgrid(np.arange(ax, bx + 1), np.arange(ay, by + 1))
            keys.append((gx * self._rows + gy).ravel())
            polys.append(np.full(keys[-1].shape, poly))
        return np.concatenate(keys), np.concatenate(polys)

    def _boundary_cells(self, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cell key, polygon) for every cell a polygon's boundary may touch (a superset,
        never a subset), unique pairs sorted by key.

        Each boundary segment is cut into pieces no longer than a cell; every cell that
        the piece's envelope, enlarged by a tiny epsilon, overlaps is marked.
        """
        parts, part_poly = shapely.get_parts(self.polygons[usable], return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        same = ring[1:] == ring[:-1]
        start, stop = xy[:-1][same], xy[1:][same]
        owner = usable[part_poly[ring_part[ring[:-1][same]]]]
        delta = stop - start
        pieces = np.maximum(np.ceil(np.abs(delta).max(axis=1) / self.cell), 1).astype(np.int64)
        segment = np.repeat(np.arange(len(start)), pieces)
        step = np.arange(len(segment)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        count = pieces[segment][:, None]
        a = start[segment] + delta[segment] * (step[:, None] / count)
        b = start[segment] + delta[segment] * ((step[:, None] + 1) / count)
        low_x, low_y = self._cell_of(np.minimum(a[:, 0], b[:, 0]) - _EPS,
                                     np.minimum(a[:, 1], b[:, 1]) - _EPS)
        high_x, high_y = self._cell_of(np.maximum(a[:, 0], b[:, 0]) + _EPS,
                                       np.maximum(a[:, 1], b[:, 1]) + _EPS)
        keys, polys = [], []
        piece_owner = owner[segment]
        for ox in range(3):  # a piece no longer than a cell spans at most 3 cells per axis
            for oy in range(3):
                ok = (low_x + ox <= high_x) & (low_y + oy <= high_y)
                keys.append((low_x[ok] + ox) * self._rows + (low_y[ok] + oy))
                polys.append(piece_owner[ok])
        width = len(self.polygons)
        pairs = np.unique(np.concatenate(keys) * width + np.concatenate(polys))
        return np.divmod(pairs, width)

    def _classify_cells(self, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stored cells (sorted keys) and their value: a polygon position (inside it),
        ``_single(p)`` (only polygon p may hold its points: one exact test against p), or
        ``_BOUNDARY`` (several candidates: exact test against all).

        A cell no boundary of polygon p touches lies wholly inside or wholly outside p, so
        its centre decides for p.
        """
        if not len(usable):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        edge_key, edge_poly = self._boundary_cells(usable)
        env_key, env_poly = self._envelope_cells(usable)
        keys, env_idx = np.unique(env_key, return_inverse=True)
        ix, iy = np.divmod(env_key, self._rows)
        inside = shapely.intersects_xy(self.polygons[env_poly], (ix + 0.5) * self.cell - 180.0,
                                       (iy + 0.5) * self.cell - 90.0)
        cell_idx, poly_idx = env_idx[inside], env_poly[inside]
        edge_idx = np.searchsorted(keys, edge_key)  # boundary cells lie in envelope cells
        # polygons whose boundary touches a cell do not decide by the centre
        width = len(self.polygons)
        sure = ~np.isin(cell_idx * width + poly_idx, edge_idx * width + edge_poly)
        cell_idx, poly_idx = cell_idx[sure], poly_idx[sure]
        n = len(keys)
        sure_count = np.bincount(cell_idx, minlength=n)
        edge_count = np.bincount(edge_idx, minlength=n)
        sure_first = np.full(n, -1, dtype=np.int64)
        sure_first[cell_idx] = poly_idx  # read only where the count is 1
        edge_first = np.full(n, -1, dtype=np.int64)
        edge_first[edge_idx] = edge_poly
        values = np.full(n, _BOUNDARY, dtype=np.int64)
        inside = (sure_count == 1) & (edge_count == 0)
        values[inside] = sure_first[inside]
        single = (sure_count == 0) & (edge_count == 1)
        values[single] = _single(edge_first[single])
        keep = (sure_count + edge_count) > 0  # cells of no polygon are not stored: "outside"
        return keys[keep], values[keep]

    def _pack(self, keys: np.ndarray, values: np.ndarray) -> None:
        """A three-level radix table (dense directory of blocks → blocks of tiles → tiles
        of cells), so a batch is answered with three array gathers and no search."""
        block_bits = 4
        while ((self._cols >> (_TILE_BITS + block_bits)) + 1) * (
                (self._rows >> (_TILE_BITS + block_bits)) + 1) > _MAX_DIRECTORY:
            block_bits += 1
        self._block_bits = block_bits
        shift = _TILE_BITS + block_bits
        self._dir_rows = (self._rows >> shift) + 1
        ix, iy = np.divmod(keys, self._rows)
        tiles, tile_of = np.unique((ix >> _TILE_BITS) * self._rows + (iy >> _TILE_BITS),
                                   return_inverse=True)
        tx, ty = np.divmod(tiles, self._rows)
        blocks, block_of = np.unique((tx >> block_bits) * self._dir_rows + (ty >> block_bits),
                                     return_inverse=True)
        self._directory = np.full(((self._cols >> shift) + 1) * self._dir_rows, len(blocks),
                                  dtype=np.int32)
        self._directory[blocks] = np.arange(len(blocks), dtype=np.int32)
        bmask = (1 << block_bits) - 1
        self._blocks = np.full((len(blocks) + 1) << (2 * block_bits), len(tiles), dtype=np.int32)
        self._blocks[(block_of << (2 * block_bits)) | ((tx & bmask) << block_bits)
                     | (ty & bmask)] = np.arange(len(tiles), dtype=np.int32)
        tmask = (1 << _TILE_BITS) - 1
        self._grid = np.full((len(tiles) + 1) << (2 * _TILE_BITS), _OUTSIDE, dtype=np.int32)
        self._grid[(tile_of << (2 * _TILE_BITS)) | ((ix & tmask) << _TILE_BITS)
                   | (iy & tmask)] = values  # the last tile stays "outside": no-tile points
        self._tile_count = len(tiles)

    def _values(self, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        """Cell values for cell indices (out-of-range cells are outside)."""
        shift = _TILE_BITS + self._block_bits
        valid = (ix >= 0) & (ix < self._cols) & (iy >= 0) & (iy < self._rows)
        if not valid.all():
            ix, iy = np.where(valid, ix, 0), np.where(valid, iy, 0)
        block = self._directory[(ix >> shift) * self._dir_rows + (iy >> shift)]
        bbits, bmask = self._block_bits, (1 << self._block_bits) - 1
        tile = self._blocks[(block.astype(np.int64) << (2 * bbits))
                            | (((ix >> _TILE_BITS) & bmask) << bbits)
                            | ((iy >> _TILE_BITS) & bmask)]
        tmask = (1 << _TILE_BITS) - 1
        values = self._grid[(tile.astype(np.int64) << (2 * _TILE_BITS))
                            | ((ix & tmask) << _TILE_BITS) | (iy & tmask)]
        return values if valid.all() else np.where(valid, values, _OUTSIDE)

    def query(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (point position, polygon position), sorted, for every point in a polygon.

        Non-finite coordinates match nothing.
        """
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        finite = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
        if not len(finite) or not self._tile_count:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        if len(finite) == len(lon):
            finite = slice(None)
        values = self._values(*self._cell_of(lon[finite], lat[finite]))
        index = np.arange(len(lon))[finite]
        inside = values >= 0
        points = [index[inside]]
        polys = [values[inside].astype(np.intp)]
        single = values <= _single(0)
        if single.any():
            candidate = _single(values[single]).astype(np.intp)  # _single is an involution
            at = index[single]
            hit = shapely.intersects_xy(self.polygons[candidate], lon[at], lat[at])
            points.append(at[hit])
            polys.append(candidate[hit])
        edge = index[values == _BOUNDARY]
        if len(edge):
            exact_pt, exact_poly = self.tree.query(
                shapely.points(lon[edge], lat[edge]), predicate="intersects")
            points.append(edge[exact_pt])
            polys.append(exact_poly)
        points = np.concatenate(points).astype(np.intp)
        polys = np.concatenate(polys).astype(np.intp)
        order = np.lexsort((polys, points))
        return points[order], polys[order]

    def first(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """For each point, the lowest position of a polygon containing it, or -1."""
        points, polys = self.query(lon, lat)
        result = np.full(len(np.atleast_1d(lon)), -1, dtype=np.intp)
        firsts, at = np.unique(points, return_index=True)  # pairs are sorted
        result[firsts] = polys[at]
        return result


class BoundarySegments:
    """Nearest polygon to points outside every polygon, by distance to the boundaries.

    The boundaries are cut into two-point segments kept in an ``STRtree``. For each point,
    the distance to the nearest boundary vertex (a k-d tree query) bounds the distance to
    the nearest segment from above, so one ``dwithin`` query with that radius returns every
    segment that can be the nearest; their exact distances decide. For a point outside a
    polygon, the distance to its boundary is the distance to the polygon (what
    ``GeoSeries.distance`` gives).
    """

    def __init__(self, polygons: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        usable = np.flatnonzero(~(shapely.is_missing(polygons) | shapely.is_empty(polygons)))
        parts, part_poly = shapely.get_parts(polygons[usable], return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        same = ring[1:] == ring[:-1]
        self.owner = usable[part_poly[ring_part[ring[:-1][same]]]]
        coords = np.stack([xy[:-1][same], xy[1:][same]], axis=1)
        self.segments = shapely.linestrings(coords)
        self.tree = shapely.STRtree(self.segments)
        self.vertices = cKDTree(xy) if len(xy) else None

    def nearest(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(point positions, nearest polygon, distance): ties go to the lowest polygon."""
        if self.vertices is None or not len(x):
            return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0)
        bound, _ = self.vertices.query(np.column_stack([x, y]))
        points = shapely.points(x, y)
        pt, seg = self.tree.query(points, predicate="dwithin",
                                  distance=bound * (1 + 1e-9) + 1e-6)
        dist = shapely.distance(points[pt], self.segments[seg])
        poly = self.owner[seg]
        order = np.lexsort((poly, dist, pt))
        pt, poly, dist = pt[order], poly[order], dist[order]
        firsts, at = np.unique(pt, return_index=True)
        return firsts, poly[at], dist[at]


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

    def __init__(self, store: Store, cell: float = DEFAULT_CELL) -> None:
        self.frames = _frames(store)  # the frames it was built from, kept to compare
        self.territory_name = store.territory.nom
        self.qpv = store.collections["qpv"]
        self.communes = store.collections["communes"]
        self.qpv_index = PolygonIndex(self.qpv.frame.geometry.values, cell)
        self.commune_index = PolygonIndex(self.communes.frame.geometry.values, cell)
        self.qpv_edges = BoundarySegments(np.asarray(self.qpv.metric.values, dtype=object))
        self.places = {name: _Places(store.collections[name])
                       for name in ESS_LAYERS if name in store.collections}
        self._local = threading.local()
        # Lambert-93 distances mean something only over its area of use (France métropolitaine)
        self.metric_area = CRS(METRIC_CRS).area_of_use.bounds

    def measurable(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Points where a Lambert-93 distance is meaningful (within its area of use)."""
        west, south, east, north = self.metric_area
        return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)

    def is_current(self, store: Store) -> bool:
        """True while the store still holds the very frames this locator was built from."""
        return all(a is b for a, b in zip(self.frames, _frames(store), strict=True))

    def to_metric(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """lon/lat (EPSG:4326) → x/y in Lambert-93 (EPSG:2154), metres."""
        transformer = getattr(self._local, "transformer", None)
        if transformer is None:  # pyproj transformers are not shared between threads
            transformer = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)
            self._local.transformer = transformer
        x, y = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> Located:
        """QPV membership, commune and nearest QPV for arrays of lon/lat (EPSG:4326).

        Coordinates must be finite and in range (callers flag bad rows first); a
        non-finite point gets no QPV, no commune and no nearest QPV.
        """
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
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
            row = self.communes.frame.iloc[commune_pos]
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

    def _qpv_ref(self, position: int) -> dict[str, str]:
        row = self.qpv.frame.iloc[position]
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
                if shapely.touches(point, self.qpv.frame.geometry.iloc[pos])]
        for q in edge:
            notes.append(f"Ce point est exactement sur la limite du QPV {q['lib_qp']} "
                         f"({q['code_qp']}) : il est compté dedans.")
        return " ".join(notes) or None


class _Places:
    """The located features of one ESS layer, in Lambert-93, for nearest queries."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.positions = collection.located
        self.geoms = np.asarray(collection.metric.values, dtype=object)[self.positions]
        self.tree = shapely.STRtree(self.geoms)

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
        frame = self.collection.frame
        id_field = self.collection.layer.id_field
        result = []
        for i in order:
            row = frame.iloc[int(self.positions[candidates[i]])]
            result.append({
                "id": str(row[id_field]),
                "nom": _text(row.get("nom")) or str(row[id_field]),
                "type": _text(row.get("type")),
                "precision": _text(row.get("precision")),
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


def _frames(store: Store) -> tuple[Any, ...]:
    names = ("qpv", "communes", *ESS_LAYERS)
    return tuple(store.collections[n].frame if n in store.collections else None for n in names)


_CACHE_LOCK = threading.Lock()
_CACHE: dict[int, tuple[weakref.ref, PointLocator]] = {}


def _forget(key: int) -> Callable[[weakref.ref], None]:
    def forget(dead: weakref.ref) -> None:
        if _CACHE.get(key, (None,))[0] is dead:
            del _CACHE[key]
    return forget


def cached_locator(store: Store) -> PointLocator | None:
    """The store's :class:`PointLocator` if it is built and current, else None (cheap)."""
    entry = _CACHE.get(id(store))
    if entry is not None and entry[0]() is store and entry[1].is_current(store):
        return entry[1]
    return None


def locator_for(store: Store) -> PointLocator:
    """The store's :class:`PointLocator`, built on first use and rebuilt only when one of
    the layers it reads has been replaced. The cache holds the store weakly (its entry goes
    with the store) and adds nothing to the store object itself."""
    locator = cached_locator(store)
    if locator is not None:
        return locator
    with _CACHE_LOCK:
        locator = cached_locator(store)
        if locator is None:
            locator = PointLocator(store)
            key = id(store)
            _CACHE[key] = (weakref.ref(store, _forget(key)), locator)
    return locator
