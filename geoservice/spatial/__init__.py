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

from .grid import PolygonIndex
from .locator import ESS_LAYERS, Located, PointLocator, cached_locator, locator_for
from .nearest import BoundarySegments

__all__ = [
    "ESS_LAYERS", "BoundarySegments", "Located", "PointLocator", "PolygonIndex",
    "cached_locator", "locator_for",
]
