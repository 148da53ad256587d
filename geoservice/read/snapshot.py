"""The read side: a frozen in-memory snapshot of every layer at one set of revisions, with
spatial indexes and memo caches that live (and die) with it.

Routes, analysis, exports and the CLI all query through :class:`Collection`. Snapshots are
built by :mod:`geoservice.read.model` from the storage (:mod:`geoservice.storage`); derived
layers (the analysis views) are computed lazily, once per snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..catalog import LayerDef
from ..errors import InvalidParameter, NotFound
from ..periods import Interval, Periods, date_span
from ..settings import Settings
from ..territory import Territory
from ..vocab import METRIC_CRS
from .frames import plain as _plain
from .frames import rows_frame

if TYPE_CHECKING:
    from .cql2 import Filter

__all__ = ["TIME_MATCHERS", "Collection", "Interval", "Snapshot", "date_span"]
TimeMatch = Callable[["Collection", str, np.ndarray], "tuple[np.ndarray, np.ndarray]"]
"""(collection, ``datetime`` as asked, positions) → (kept, undated): two masks over
``positions``."""
TIME_MATCHERS: dict[str, TimeMatch] = {}
"""A collection's own way of matching ``datetime`` (by collection id, e.g. events against
their occurrences); the others match their layer's period [opening, closing) or date
field (:meth:`Collection.in_time`)."""


class Memo:
    """Values computed once and kept (indexes, serialised features…), thread-safe. Each key
    has its own lock: a request never waits for the build of a value it did not ask for."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}
        self._locks: dict[Any, threading.RLock] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        try:
            return self._values[key]
        except KeyError:
            with self._lock:
                lock = self._locks.setdefault(key, threading.RLock())
            with lock:
                if key not in self._values:
                    self._values[key] = build()
                return self._values[key]

    def count(self, kind: Any) -> int:
        """How many keys are tuples starting with ``kind``."""
        return sum(1 for k in list(self._values) if isinstance(k, tuple) and k[:1] == (kind,))

    def peek(self, key: Any) -> Any:
        """The value if already built, else None (never builds)."""
        return self._values.get(key)

    def put(self, key: Any, value: Any) -> None:
        """Keep a value built elsewhere (a collection derived from the previous one)."""
        self._values.setdefault(key, value)

    def items(self) -> list[tuple[Any, Any]]:
        """The values built so far."""
        return list(self._values.items())

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class SpatialIndex:
    """An STR-tree over the geometries of one collection, reused by the next revisions: the
    tree's items are mapped to their new positions, and features changed since the tree
    was built are checked one by one (rebuilt once they are many)."""

    REBUILD_AT = 2000
    """Changed features checked one by one before the tree is built anew."""

    def __init__(self, tree: shapely.STRtree, mapping: np.ndarray | None,
                 extra: np.ndarray, extra_geoms: np.ndarray) -> None:
        self.tree = tree
        self.mapping = mapping  # tree item → position (-1: gone); None: the identity
        self.extra = extra  # positions not (or no longer rightly) in the tree, sorted
        self.extra_geoms = extra_geoms

    @classmethod
    def of(cls, geometries: np.ndarray) -> SpatialIndex:
        return cls(shapely.STRtree(geometries), None, np.zeros(0, dtype=np.int64),
                   np.zeros(0, dtype=object))

    def query(self, area: shapely.Geometry) -> np.ndarray:
        """Sorted positions of the features intersecting ``area``."""
        hits = self.tree.query(area, predicate="intersects")
        if self.mapping is not None:
            hits = self.mapping[hits]
            hits = hits[hits >= 0]
        if len(self.extra):
            hits = np.concatenate([hits, self.extra[shapely.intersects(self.extra_geoms, area)]])
        return np.sort(hits)

    def derived(self, moved: np.ndarray, added: np.ndarray, geometries: np.ndarray
                ) -> SpatialIndex:
        """The index after a change: ``moved`` gives each old position's new position (-1:
        removed or changed), ``added`` the new positions of changed or new features,
        ``geometries`` every new geometry (storage order)."""
        mapping = moved if self.mapping is None else np.where(
            self.mapping >= 0, moved[np.maximum(self.mapping, 0)], -1)
        kept = moved[self.extra] if len(self.extra) else self.extra
        extra = np.sort(np.concatenate([kept[kept >= 0], added]).astype(np.int64))
        if len(extra) > self.REBUILD_AT:
            return SpatialIndex.of(geometries)
        return SpatialIndex(self.tree, mapping, extra, geometries[extra])


@runtime_checkable
class FollowsRows(Protocol):
    """A value kept with :meth:`Collection.memo` that holds one entry per feature (e.g. the
    analysis inputs of a layer): when a revision's changed rows are applied (:mod:`.delta`),
    it is derived for the next collection instead of being dropped."""

    def derived(self, added: Collection, take: np.ndarray) -> Any:
        """The value for the next collection: ``added`` holds the changed rows, ``take``
        gives each new position's index into this value's rows followed by ``added``'s."""


@dataclass
class Collection:
    """One layer's features (EPSG:4326) and what it knows about them.

    The frame is given, or typed from the stored ``rows`` on first use: a snapshot made by
    a write costs one read of the rows, and a burst of writes between two reads builds one
    frame.
    """

    layer: LayerDef
    _frame: gpd.GeoDataFrame | None
    provenance: dict = field(default_factory=dict)
    revision: int = 0
    versions: np.ndarray | None = None
    """Version of each feature (storage), aligned with the frame's rows; None for views."""
    rows: list | None = field(default=None, repr=False)
    """The stored rows the frame is made from, until it is made (positions and a few texts
    can be read from them without typing a whole frame)."""
    seqs: np.ndarray | None = field(default=None, repr=False)
    """Storage-order key of each feature (aligned with the rows); None for views. With it,
    a revision's changed rows are applied to this collection (:mod:`.delta`)."""
    kind: str = ""
    """``editable`` or ``reference`` (stored layers), empty for views."""

    def __post_init__(self) -> None:
        if self._frame is None and self.rows is None:
            raise ValueError("a collection needs a frame or its stored rows")
        if self._frame is not None and not self._frame.index.equals(
                pd.RangeIndex(len(self._frame))):
            self._frame = self._frame.reset_index(drop=True)
        self._frame_lock = threading.Lock()
        self._memo = Memo()

    @property
    def frame(self) -> gpd.GeoDataFrame:
        if self._frame is None:
            with self._frame_lock:
                if self._frame is None:
                    self._frame = rows_frame(self.rows or [], self.layer)
                    self.rows = None
        return self._frame

    @cached_property
    def geometries(self) -> np.ndarray:
        """Every feature's lon/lat shapely geometry (None when missing), storage order."""
        rows = self.rows
        if self._frame is None and rows is not None:
            return shapely.from_wkb(np.array([r.geometry for r in rows], dtype=object))
        return np.asarray(self.frame.geometry.values, dtype=object)

    def values(self, name: str) -> list:
        """One property's values in storage order, as stored (not typed)."""
        rows = self.rows
        if self._frame is None and rows is not None:
            spec = self.layer.properties.get(name)
            default = spec.default if spec is not None else None
            return [r.properties.get(name) if default is None else
                    (default if r.properties.get(name) is None else r.properties[name])
                    for r in rows]
        return self.frame[name].tolist()

    @cached_property
    def _positions(self) -> pd.Series:
        """Position of each feature by id (read from the rows when the frame is not made)."""
        rows = self.rows
        if self._frame is None and rows is not None:
            key = self.layer.id_field
            ids = np.array([str(r.properties.get(key)) for r in rows], dtype=object)
        else:
            ids = self.frame[self.layer.id_field].astype(str).to_numpy(dtype=object)
        return pd.Series(np.arange(len(ids)), index=ids)

    @cached_property
    def spatial_index(self) -> SpatialIndex:
        """Positions of the features whose geometry intersects an area (kept and updated
        from the previous collection's when a revision's changes are applied)."""
        return SpatialIndex.of(self.geometries)

    @property
    def ready(self) -> bool:
        """True when a page or an item of the default GeoJSON needs no whole-layer work."""
        from .crs import DEFAULT

        return (self._frame is not None and "_positions" in self.__dict__
                and self._memo.peek(("geojson", DEFAULT.uri)) is not None)

    @property
    def id(self) -> str:
        return self.layer.id

    def __len__(self) -> int:
        rows = self.rows
        return len(rows) if self._frame is None and rows is not None else len(self.frame)

    @cached_property
    def metric(self) -> gpd.GeoSeries:
        """Geometries in Lambert-93 (EPSG:2154), for distances and areas in metres."""
        from .crs import to_metric

        return gpd.GeoSeries(to_metric(self.geometries), crs=METRIC_CRS)

    @cached_property
    def located(self) -> np.ndarray:
        """Positions of the features that have a geometry."""
        geoms = self.geometries
        return np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))

    @property
    def extent(self) -> list[float] | None:
        if not len(self.located):
            return None
        return [round(float(v), 7) for v in self.frame.geometry.iloc[self.located].total_bounds]

    def select(
        self,
        bbox: tuple[float, float, float, float] | shapely.Geometry | None = None,
        filters: dict[str, str] | None = None,
        interval: Interval | None = None,
    ) -> np.ndarray:
        """Positions of the features matching a lon/lat bbox (or lon/lat polygon), equality
        filters and a date interval (inclusive bounds, None = open), in storage order.

        Features without geometry never match a bbox; features whose dates do not say
        whether they match an interval are left out (:meth:`in_time` counts them).
        """
        positions = np.arange(len(self))
        if bbox is not None:
            area = bbox if isinstance(bbox, shapely.Geometry) else _envelope(bbox)
            positions = self.spatial_index.query(area)
        for name, wanted in (filters or {}).items():
            positions = positions[self._matches(name, wanted, positions)]
        if interval is not None and interval != (None, None):
            positions = self.in_time(interval, positions)[0]
        return positions

    def in_time(self, interval: Interval, positions: np.ndarray, text: str | None = None
                ) -> tuple[np.ndarray, int]:
        """The ``positions`` matching ``datetime`` and how many were left out because their
        dates do not say (undated for that interval).

        A collection of :data:`TIME_MATCHERS` matches its own way; a layer with a period
        matches [opening, closing) (:class:`~geoservice.periods.Periods`); a layer with a
        date field matches the days that date covers. An interval with two open ends
        keeps every feature. ``text``: the ``datetime`` as asked (a matcher of its own may
        read times of day in it), else written from ``interval``."""
        if not self.layer.dated and self.id not in TIME_MATCHERS:
            raise InvalidParameter(f"La collection {self.id} n'est pas datée : "
                                   "le paramètre datetime ne s'y applique pas")
        if interval == (None, None):
            return positions, 0
        matcher = TIME_MATCHERS.get(self.id)
        if matcher is not None:
            keep, undated = matcher(self, text or _interval_text(interval), positions)
        elif self.layer.temporal_period is not None:
            keep, undated = (a[positions] for a in self.periods.states(interval))
        else:
            keep, undated = self._in_interval(interval, positions)
        return positions[keep], int(np.count_nonzero(undated))

    @cached_property
    def periods(self) -> Periods:
        """When each feature was open (layers with a period; empty for the others)."""
        period = self.layer.temporal_period
        if period is None:
            return Periods.of([], [], [])
        statuts = self.values("statut") if "statut" in self.layer.properties \
            else [None] * len(self)
        return Periods.of(self.values(period.start), self.values(period.end), statuts)

    @cached_property
    def _time_ranges(self) -> tuple[np.ndarray, np.ndarray]:
        """First and last day (ordinals, NaN when unknown) of each feature's temporal field."""
        field_name = self.layer.temporal_field
        starts = np.full(len(self), np.nan)
        ends = np.full(len(self), np.nan)
        if field_name:
            for i, value in enumerate(self.values(field_name)):
                span = date_span(_plain(value))
                if span is not None:
                    starts[i], ends[i] = span[0].toordinal(), span[1].toordinal()
        return starts, ends

    def _in_interval(self, interval: Interval, positions: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        starts, ends = (a[positions] for a in self._time_ranges)
        known = ~np.isnan(starts)
        keep = known.copy()
        low, high = interval
        if low is not None:
            keep &= ends >= low.toordinal()
        if high is not None:
            keep &= starts <= high.toordinal()
        return keep, ~known

    @property
    def temporal_extent(self) -> list[str | None] | None:
        """[first, last] day (ISO dates; None for an end not known or still open) of the
        layer's dates, [None, None] when no feature is dated; None if the layer is undated."""
        if self.layer.temporal_period is not None:
            return self.periods.extent() or [None, None]
        if not self.layer.temporal_field:
            return None
        starts, ends = self._time_ranges
        if np.all(np.isnan(starts)):
            return [None, None]
        return [date.fromordinal(int(np.nanmin(starts))).isoformat(),
                date.fromordinal(int(np.nanmax(ends))).isoformat()]

    def memo(self, key: Any, build: Callable[[], Any]) -> Any:
        """A value computed once per collection (e.g. serialised features for one CRS)."""
        return self._memo.get(key, build)

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        """Every feature's properties as JSON-ready dicts, in storage order."""
        columns = {name: [_plain(v) for v in self.frame[name].tolist()]
                   for name in self.layer.properties}
        return [{name: columns[name][i] for name in columns} for i in range(len(self.frame))]

    def _matches(self, name: str, wanted: str, positions: np.ndarray) -> np.ndarray:
        spec = self.layer.properties.get(name)
        if spec is None or not spec.filterable:
            raise InvalidParameter(f"Filtre inconnu pour {self.id} : « {name} »")
        values = self.frame[name].iloc[positions]
        if spec.type == "array":
            return np.array([wanted in (v or []) for v in values], dtype=bool)
        if spec.type in ("integer", "number"):
            try:
                number = float(wanted)
            except ValueError as exc:
                raise InvalidParameter(f"« {name} » attend un nombre, pas « {wanted} »") from exc
            return (values.astype("Float64") == number).fillna(False).to_numpy(dtype=bool)
        if spec.type == "boolean":
            truth = {"true": True, "1": True, "false": False, "0": False}.get(wanted.lower())
            if truth is None:
                raise InvalidParameter(f"« {name} » attend true ou false, pas « {wanted} »")
            return (values == truth).fillna(False).to_numpy(dtype=bool)
        return (values.astype(str) == wanted).to_numpy(dtype=bool)

    def position(self, feature_id: str) -> int:
        try:
            return int(self._positions[str(feature_id)])
        except KeyError as exc:
            raise NotFound(f"Aucun objet « {feature_id} » dans la collection {self.id}") from exc

    def properties(self, position: int) -> dict[str, Any]:
        return dict(self.records[position])

    def column(self, name: str) -> list[Any]:
        """One property's JSON-ready values, in storage order."""
        return self.memo(("column", name), lambda: [r[name] for r in self.records])

    def sort(self, positions: np.ndarray, keys: Sequence[tuple[str, bool]]) -> np.ndarray:
        """``positions`` ordered by ``keys`` (property name, descending?), first key first;
        a missing value comes last whichever the direction; ties keep storage order. Text
        is compared without case or accents (« École » with « ecole »), then as written.
        The same on both stores: the read side sorts the snapshot, whichever store
        filtered."""
        if not keys:
            return positions
        positions = np.asarray(positions, dtype=int)
        columns: list[np.ndarray] = []
        for name, descending in reversed(keys):  # np.lexsort: the last key is the first
            ranks = self._sort_ranks(name)[positions]
            columns.append(-ranks if descending else ranks)
            columns.append(ranks < 0)
        return positions[np.lexsort(columns)]

    def _sort_ranks(self, name: str) -> np.ndarray:
        """Dense rank of each feature's value of ``name`` (-1 when missing), kept."""

        def build() -> np.ndarray:
            from ..words import fold

            values = self.column(name)
            kind = self.layer.properties[name].type
            if kind in ("integer", "number"):
                def key(v: Any) -> Any:
                    return float(v)
            elif kind == "boolean":
                def key(v: Any) -> Any:
                    return int(bool(v))
            else:
                def key(v: Any) -> Any:
                    return (fold(str(v)), str(v))
            ranks = np.full(len(values), -1, dtype=np.int64)
            present = sorted((key(v), i) for i, v in enumerate(values) if v is not None)
            rank, previous = -1, None
            for value, i in present:
                if value != previous:
                    rank, previous = rank + 1, value
                ranks[i] = rank
            return ranks

        return self.memo(("sort-rank", name), build)


def _interval_text(interval: Interval) -> str:
    low, high = interval
    return f"{low.isoformat() if low else '..'}/{high.isoformat() if high else '..'}"


def _envelope(bbox: tuple[float, float, float, float]) -> shapely.Geometry:
    """The bbox as a polygon, or as a point or segment when it has no width or height."""
    west, south, east, north = bbox
    if west == east or south == north:
        return shapely.envelope(shapely.multipoints([(west, south), (east, north)]))
    return shapely.box(west, south, east, north)


ViewBuilder = Callable[["Snapshot", LayerDef], Collection]
Pushdown = Callable[[str, "Filter"], "set[str] | None"]


@dataclass
class Snapshot:
    """One territory's collections at one set of revisions (a snapshot: never mutated).

    ``base`` holds the stored layers; ``views`` builds derived layers (the analysis) on
    first use, kept in ``derived`` with the locator and other memo values.
    """

    settings: Settings
    territory: Territory
    base: dict[str, Collection]
    layers: dict[str, LayerDef] = field(default_factory=dict)
    views: dict[str, ViewBuilder] = field(default_factory=dict, repr=False)
    pushdown: Pushdown | None = field(default=None, repr=False, compare=False)
    """Evaluates a CQL2 filter in the database (PostGIS); None: evaluated here."""
    derived: Memo = field(default_factory=Memo, init=False, repr=False, compare=False)
    """Values derived from this snapshot (views, point locator, analysis inputs)."""

    def with_collection(self, collection: Collection) -> Snapshot:
        """A new snapshot with one stored collection replaced (its derived values anew)."""
        from dataclasses import replace

        layers = self.layers if not self.layers or collection.id in self.layers \
            else {**self.layers, collection.id: collection.layer}
        return replace(self, base={**self.base, collection.id: collection}, layers=layers)

    @property
    def revisions(self) -> dict[str, int]:
        """The storage revision of each stored collection in this snapshot."""
        return {layer_id: c.revision for layer_id, c in self.base.items()}

    @property
    def collections(self) -> dict[str, Collection]:
        """Every collection, stored and derived, in catalogue order."""
        order = list(self.layers) or list(self.base)
        return {layer_id: self.collection(layer_id) for layer_id in order
                if layer_id in self.base or layer_id in self.views}

    def collection(self, collection_id: str) -> Collection:
        found = self.base.get(collection_id)
        if found is not None:
            return found
        build = self.views.get(collection_id)
        if build is None:
            raise NotFound(f"Collection inconnue : « {collection_id} »")
        layer = self.layers[collection_id]
        return self.derived.get(("view", collection_id), lambda: build(self, layer))

    def ready(self, collection_id: str) -> Collection | None:
        """The collection if a page or an item of it needs no more work, else None
        (:func:`~geoservice.read.export.prepared` builds it)."""
        found = self.base.get(collection_id) or self.derived.peek(("view", collection_id))
        return found if found is not None and found.ready else None

    def filter_positions(self, collection: Collection, flt: Filter,
                         in_database: bool = True) -> np.ndarray:
        """Positions of the features for which the CQL2 filter is true, in storage order
        (``in_database=False``: evaluated here, for a collection that is not the stored
        one, e.g. as it was at an earlier instant)."""
        from .cql2 import evaluate

        if in_database and self.pushdown is not None and collection.id in self.base:
            matched = self.pushdown(collection.id, flt)
            if matched is not None:
                return np.sort(np.array([collection._positions[i] for i in matched
                                         if i in collection._positions.index], dtype=int))
        mask = evaluate(flt, collection.column, collection.frame.geometry.values)
        return np.flatnonzero(mask)
