"""What the analysis reads, in Lambert-93 (EPSG:2154): GeoDataFrames, and the ESS answers
as arrays (:class:`~.places.Places`).

:func:`from_store` builds the inputs from the loaded store, reusing what each collection
kept of an earlier build; tests and the benchmark build them directly from frames
(:func:`make_inputs`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..vocab import ANSWER_LAYERS, METRIC_CRS
from .events import EVENT_COLUMNS
from .places import ANSWER_STATUSES, Places

if TYPE_CHECKING:
    from ..read.snapshot import Collection, Snapshot

__all__ = ["ANSWER_STATUSES", "Inputs", "Places", "from_store", "make_inputs"]
PLACE_COLUMNS = ("kind", "id", "nom", "defi", "statut", "precision", "verification",
                 "commune")
NEED_COLUMNS = ("id", "nom", "defi", "statut", "couvert", "qpv", "precision", "etape",
                "reponse")
STATION_COLUMNS = ("id", "nom", "type")


@dataclass
class Inputs:
    """Frames of the analysis, all in EPSG:2154, positions 0..n-1.

    ``qpv``: code_qp, lib_qp (QPV 2024). ``qpv_2015``: code_qp, nom_qp and INSEE indicators.
    ``table``: the ESS answers as arrays (:class:`~.places.Places`: kind, id, nom, defi,
    statut, precision, verification, commune; geometry may be missing), what the diagnosis
    reads; ``places`` the same answers as a frame, made on first use.
    ``besoins``: needs spotted (id, nom, defi, statut, couvert, qpv, precision, etape,
    reponse).
    ``stations``: id, nom, type.
    """

    qpv: gpd.GeoDataFrame
    qpv_2015: gpd.GeoDataFrame
    table: Places
    besoins: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    urban_rail: tuple[str, ...] = ()
    """Train stations within the urban fare (territory setting), counted for access."""
    urban_rail_line: str | None = None
    places_frame: Callable[[], gpd.GeoDataFrame] | None = field(default=None, repr=False)
    """Makes :attr:`places` (its rows are those of ``table``)."""
    need_table: Callable[[], pd.DataFrame] | None = field(default=None, repr=False)
    """Gives the need of each QPV (:func:`need_of`) kept elsewhere (on the ``qpv``
    collection); None: computed once from these frames."""
    events: gpd.GeoDataFrame | None = None
    """The agenda's events (:data:`.events.EVENT_COLUMNS`), for a reason line only."""

    def need(self) -> pd.DataFrame:
        """The indicators and need of each QPV (:func:`~.need.carry_indicators`), computed
        once: a copy the caller may extend."""
        found = self.need_table() if self.need_table is not None else self._need
        return found.copy()

    @cached_property
    def _need(self) -> pd.DataFrame:
        return need_of(self.qpv, self.qpv_2015)

    @cached_property
    def places(self) -> gpd.GeoDataFrame:
        """The ESS answers as a frame (kind, id, nom, defi tuples, statut, precision,
        verification, commune, geometry), rows as in ``table``."""
        if self.places_frame is None:
            raise ValueError("these inputs have no frame of places")
        return self.places_frame()


def need_of(qpv: gpd.GeoDataFrame, qpv_2015: gpd.GeoDataFrame) -> pd.DataFrame:
    """Indicators and need of each QPV 2024 (INSEE on the 2024 perimeters when the ``qpv``
    frame has them, else carried from the 2015 perimeters)."""
    from .need import DIRECT, carry_indicators

    direct = qpv if set(DIRECT) & set(qpv.columns) else None
    return carry_indicators(qpv.geometry, qpv_2015, direct)


def metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reprojected to EPSG:2154 (CRS required), index reset, polygons made valid."""
    if frame.crs is None:
        raise ValueError("a frame of the analysis has no CRS")
    out = frame.to_crs(METRIC_CRS).reset_index(drop=True)
    geoms = out.geometry.values
    fixed = _valid(np.asarray(geoms, dtype=object))
    if fixed is not None:
        out = out.set_geometry(gpd.GeoSeries(fixed, crs=METRIC_CRS))
    return out


def _valid(geoms: np.ndarray) -> np.ndarray | None:
    """The geometries with invalid ones made valid (reprojection can make a repaired
    polygon slightly invalid); None when all are valid or missing."""
    bad = ~(shapely.is_valid(geoms) | shapely.is_missing(geoms))
    if not bad.any():
        return None
    fixed = geoms.copy()
    fixed[bad] = shapely.make_valid(fixed[bad])
    return fixed


def _columns(frame: gpd.GeoDataFrame, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    frame = frame.copy()
    for name in columns:
        if name not in frame.columns:
            frame[name] = None
    if "defi" in columns:  # tuples: hashable, so has_defi factorizes them at C speed
        frame["defi"] = [tuple(v) if isinstance(v, list | tuple | np.ndarray) else ()
                         for v in frame["defi"]]
    return frame


def make_inputs(qpv: gpd.GeoDataFrame, qpv_2015: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
                besoins: gpd.GeoDataFrame, stations: gpd.GeoDataFrame,
                urban_rail: tuple[str, ...] = (), urban_rail_line: str | None = None
                ) -> Inputs:
    """Inputs from frames in any CRS (reprojected to EPSG:2154, missing columns added)."""
    # the table reads the tags as they are; the frame gets its tuples only if asked for
    frame = metric(_columns(places, tuple(c for c in PLACE_COLUMNS if c != "defi")))
    return Inputs(
        qpv=metric(qpv),
        qpv_2015=metric(qpv_2015),
        table=Places.of(frame),
        besoins=metric(_columns(besoins, NEED_COLUMNS)),
        stations=metric(_columns(stations, STATION_COLUMNS)),
        urban_rail=tuple(urban_rail), urban_rail_line=urban_rail_line,
        places_frame=lambda: _columns(frame, PLACE_COLUMNS),
    )


def _metric_frame(store: Snapshot, layer_id: str, columns: tuple[str, ...] | None = None
                  ) -> gpd.GeoDataFrame:
    collection = store.collection(layer_id)
    frame = pd.DataFrame(collection.frame.drop(columns="geometry"))
    if columns is not None:
        frame = _columns(gpd.GeoDataFrame(frame), columns)[list(columns)]
    return gpd.GeoDataFrame(frame, geometry=collection.metric.values, crs=METRIC_CRS)


def from_store(store: Snapshot) -> Inputs:
    """The analysis inputs of a loaded store (uses the collections' EPSG:2154 geometries),
    built once per store and shared by start-up, the API and the maps (read-only).

    What each layer gives is kept on its collection (:func:`layer_places`,
    :func:`_reference`): a snapshot reusing a collection reuses it, and an edited layer's
    part is derived from the previous one and the changed rows."""
    return store.derived.get("analysis-inputs", lambda: _build_from_store(store))


def _build_from_store(store: Snapshot) -> Inputs:
    parts = [layer_places(store.collection(layer_id), kind)
             for layer_id, kind in ANSWER_LAYERS.items() if layer_id in store.base]
    return Inputs(
        qpv=_reference(store, "qpv"),
        qpv_2015=_reference(store, "qpv_2015"),
        table=Places.concat(parts) if parts else Places.of(_places_frame(store)),
        besoins=_reference(store, "besoins", NEED_COLUMNS),
        stations=_reference(store, "stations", STATION_COLUMNS),
        urban_rail=store.territory.urban_rail, urban_rail_line=store.territory.urban_rail_line,
        places_frame=lambda: _places_frame(store),
        need_table=lambda: _need(store),
        events=_reference(store, "evenements", EVENT_COLUMNS)
        if "evenements" in store.base else None,
    )


def _need(store: Snapshot) -> pd.DataFrame:
    """The need of each QPV, kept on the ``qpv`` collection for one ``qpv_2015`` revision:
    edits of the answer layers never recompute it."""
    key = ("analysis-need", store.collection("qpv_2015").revision)
    return store.collection("qpv").memo(key, lambda: need_of(_reference(store, "qpv"),
                                                             _reference(store, "qpv_2015")))


def _reference(store: Snapshot, layer_id: str, columns: tuple[str, ...] | None = None
               ) -> gpd.GeoDataFrame:
    """A layer's frame for the analysis, kept on its collection (read-only)."""
    collection = store.collection(layer_id)

    def build() -> gpd.GeoDataFrame:
        return metric(_metric_frame(store, layer_id, columns))  # columns applied there

    return collection.memo(("analysis-frame", columns), build)


def _places_frame(store: Snapshot) -> gpd.GeoDataFrame:
    parts = []
    for layer_id, kind in ANSWER_LAYERS.items():
        if layer_id not in store.base:
            continue
        part = _metric_frame(store, layer_id, PLACE_COLUMNS[1:])
        part.insert(0, "kind", kind)
        parts.append(part)
    if not parts:
        return gpd.GeoDataFrame({name: [] for name in PLACE_COLUMNS}, geometry=[],
                                crs=METRIC_CRS)
    places = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry",
                              crs=METRIC_CRS)
    return metric(_columns(places, PLACE_COLUMNS))


class LayerPlaces:
    """One answer layer's :class:`~.places.Places`, kept on its collection.

    A revision's changed rows are applied to it (:mod:`geoservice.read.delta`) without
    work on the writer's path: the next part only remembers the last built table, the
    collections of changed rows since and which row goes where (``take``, composed edit
    after edit), and is built when the analysis first asks for it: the changed rows' part
    is made, put after the last built table, and the rows taken in their new order.
    """

    PENDING_ROWS = 4096
    """Changed rows kept waiting at most; beyond, the part is built at once."""

    def __init__(self, kind: str, places: Places | None = None, *, base: Places | None = None,
                 added: tuple[Collection, ...] = (), take: np.ndarray | None = None) -> None:
        self.kind = kind
        self._places = places
        self._pending = None if places is not None else (base, added, take)
        self._lock = threading.Lock()

    @classmethod
    def of(cls, collection: Collection, kind: str) -> LayerPlaces:
        """The part of every feature of ``collection`` (an answer layer of ``kind``)."""
        return cls(kind, _layer_table(collection, kind))

    @property
    def places(self) -> Places:
        if self._places is None:
            with self._lock:
                if self._places is None:
                    base, added, take = self._pending
                    parts = [base, *(_layer_table(more, self.kind) for more in added)]
                    self._places = Places.concat(parts).take(take)
                    self._pending = None
        return self._places

    def derived(self, added: Collection, take: np.ndarray) -> LayerPlaces:
        """The part after a change (:class:`~geoservice.read.snapshot.FollowsRows`)."""
        with self._lock:
            built, pending = self._places, self._pending
        if built is not None:
            return LayerPlaces(self.kind, base=built, added=(added,), take=take)
        base, before, previous = pending
        # ``take`` indexes this part's rows, then ``added``'s; this part's rows are
        # ``previous`` indexes into ``base`` followed by the rows of ``before``
        count = len(previous)
        offset = len(base) + sum(len(more) for more in before)
        mine = take < count
        composed = np.empty(len(take), dtype=np.int64)
        composed[mine] = previous[take[mine]]
        composed[~mine] = offset + take[~mine] - count
        part = LayerPlaces(self.kind, base=base, added=(*before, added), take=composed)
        if sum(len(more) for more in part._pending[1]) > self.PENDING_ROWS:
            part.places  # noqa: B018 - built now: what waits stays small
        return part


def _layer_table(collection: Collection, kind: str) -> Places:
    """The table of every feature of one answer layer."""
    frame = collection.frame
    geometry = np.asarray(collection.metric.values, dtype=object)
    fixed = _valid(geometry)
    columns = pd.DataFrame({name: frame[name] if name in frame.columns else None
                            for name in PLACE_COLUMNS[1:]}, index=frame.index)
    columns["kind"] = kind
    return Places.of(columns, geometry if fixed is None else fixed)


def layer_places(collection: Collection, kind: str) -> Places:
    """The answers of one layer as a table, computed once per collection."""
    return collection.memo(("analysis-places", kind),
                           lambda: LayerPlaces.of(collection, kind)).places


def located(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Boolean mask of the rows that have a non-empty geometry."""
    geoms = np.asarray(frame.geometry.values)
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def has_defi(defis: pd.Series, defi: str | None, untagged: bool = False) -> np.ndarray:
    """Rows tagged with ``defi`` (all rows when None; also untagged ones if ``untagged``)."""
    if defi is None:
        return np.ones(len(defis), dtype=bool)
    try:  # few distinct tag sets: decide once per set
        codes, uniques = pd.factorize(defis, use_na_sentinel=False)
    except TypeError:  # lists (unhashable): row by row
        return np.array([defi in v or (untagged and not v) for v in defis], dtype=bool)
    decided = np.array([defi in u or (untagged and not u) for u in uniques], dtype=bool)
    return decided[codes] if len(codes) else np.zeros(0, dtype=bool)
