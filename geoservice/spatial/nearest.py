"""Nearest polygon (by boundary) for points outside every polygon, exactly, in bulk."""

from __future__ import annotations

import numpy as np
import shapely

MAX_SEGMENT_M = 40.0
"""Boundaries are cut so that no segment is longer (metres): small segments make a few
nearest-midpoint candidates enough for most points."""
CANDIDATES = (8, 32, 256)
"""Nearest-midpoint candidates tried in turn; points still undecided use the R-tree."""
TIE = 1e-9
"""Distances closer than this (metres) are a tie: the lowest polygon wins."""


class BoundarySegments:
    """Nearest polygon to points outside every polygon, by distance to the boundaries.

    The boundaries are cut into two-point segments of at most :data:`MAX_SEGMENT_M`. For
    each point, the ``k`` segments with the nearest midpoints are measured exactly (numpy,
    point to segment). Any other segment is at least ``r_k - H`` away (``r_k``: distance to
    the k-th midpoint, ``H``: the longest half-segment), so when ``r_k - H`` exceeds the
    best distance found the answer is exact; otherwise ``k`` grows, and the few points
    left are answered by an ``STRtree`` query bounded by the nearest vertex. For a point
    outside a polygon, the distance to its boundary is the distance to the polygon (what
    ``GeoSeries.distance`` gives).
    """

    def __init__(self, polygons: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        usable = np.flatnonzero(~(shapely.is_missing(polygons) | shapely.is_empty(polygons)))
        parts, part_poly = shapely.get_parts(polygons[usable], return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        rings = shapely.segmentize(rings, MAX_SEGMENT_M)
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        same = ring[1:] == ring[:-1]
        self.owner = usable[part_poly[ring_part[ring[:-1][same]]]]
        start, end = xy[:-1][same], xy[1:][same]
        self.ax, self.ay = start[:, 0].copy(), start[:, 1].copy()
        self.dx, self.dy = end[:, 0] - self.ax, end[:, 1] - self.ay
        self.length2 = self.dx ** 2 + self.dy ** 2
        self.half = float(np.sqrt(self.length2).max() / 2) if len(self.ax) else 0.0
        self.count = len(self.ax)
        # one gather per query instead of five: x, y, dx, dy, squared length of each segment
        self.table = np.column_stack([self.ax, self.ay, self.dx, self.dy, self.length2])
        self.midpoints = cKDTree((start + end) / 2, leafsize=32) if self.count else None
        self.vertices = cKDTree(xy) if len(xy) else None
        self._exact: tuple[np.ndarray, shapely.STRtree] | None = None

    def nearest(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(point positions, nearest polygon, distance): ties go to the lowest polygon."""
        n = len(x)
        if self.midpoints is None or not n:
            return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0)
        poly = np.full(n, -1, dtype=np.intp)
        dist = np.full(n, np.nan)
        todo = np.arange(n)
        for k in CANDIDATES:
            k = min(k, self.count)
            decided, best_poly, best_dist = self._candidates(x[todo], y[todo], k)
            poly[todo[decided]] = best_poly[decided]
            dist[todo[decided]] = best_dist[decided]
            todo = todo[~decided]
            if not len(todo) or k == self.count:
                break
        if len(todo):
            rest_poly, rest_dist = self._rtree(x[todo], y[todo])
            poly[todo], dist[todo] = rest_poly, rest_dist
        return np.arange(n), poly, dist

    def _candidates(self, x: np.ndarray, y: np.ndarray, k: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # one thread: a large batch is split between threads by the caller
        radius, index = self.midpoints.query(np.column_stack([x, y]), k=k)
        radius, index = radius.reshape(len(x), k), index.reshape(len(x), k)
        px, py = x[:, None], y[:, None]
        seg = self.table[index]
        ax, ay, dx, dy, length2 = seg[..., 0], seg[..., 1], seg[..., 2], seg[..., 3], seg[..., 4]
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(length2 > 0, ((px - ax) * dx + (py - ay) * dy) / length2, 0.0)
        t = np.clip(t, 0.0, 1.0)
        d = np.hypot(px - (ax + t * dx), py - (ay + t * dy))
        best = d.min(axis=1)
        owners = np.where(d <= best[:, None] + TIE, self.owner[index], np.iinfo(np.intp).max)
        decided = (radius[:, -1] - self.half > best + TIE) if k < self.count else \
            np.ones(len(x), dtype=bool)
        return decided, owners.min(axis=1), best

    def _rtree(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact, for the few points the candidates could not decide."""
        if self._exact is None:  # built once; threads racing here build the same thing
            segments = shapely.linestrings(
                np.stack([np.column_stack([self.ax, self.ay]),
                          np.column_stack([self.ax + self.dx, self.ay + self.dy])], axis=1))
            self._exact = (segments, shapely.STRtree(segments))
        segments, tree = self._exact
        bound, _ = self.vertices.query(np.column_stack([x, y]))
        points = shapely.points(x, y)
        pt, seg = tree.query(points, predicate="dwithin", distance=bound * (1 + 1e-9) + 1e-6)
        dist = shapely.distance(points[pt], segments[seg])
        poly = self.owner[seg]
        order = np.lexsort((poly, dist, pt))
        pt, poly, dist = pt[order], poly[order], dist[order]
        _, at = np.unique(pt, return_index=True)
        return poly[at], dist[at]
