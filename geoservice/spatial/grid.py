"""Point-in-polygon for batches: a lon/lat grid whose cells are classified once (see
:mod:`geoservice.spatial`)."""

from __future__ import annotations

import numpy as np
import shapely

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
