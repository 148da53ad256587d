"""Nearest polygon by distance to its boundary segments, in Lambert-93."""

from __future__ import annotations

import numpy as np
import shapely


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
