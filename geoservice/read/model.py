"""The read model: frozen snapshots of the storage, the next one derived from the current.

A replica keeps one current :class:`~geoservice.read.snapshot.Snapshot`. A background
thread compares the storage's revisions every ``settings.refresh_interval`` seconds (one
indexed query); a write on this replica catches up at once (read-your-writes). When an
editable collection's revision moved, only the rows changed since are read
(:meth:`~geoservice.storage.FeatureStore.changes`) and applied to a new collection derived
from the previous one (:mod:`.delta`: frame, versions, GeoJSON, indexes of the unchanged
features reused); a reference layer replaced by ``data pull``, or a large change, is read
whole. Collections that did not change are reused as they are. The new snapshot is swapped
in with one assignment: requests always read one whole snapshot.

Derived values (analysis, views, point locator) are built when first asked for a snapshot;
once writes pause, those the previous snapshot had been asked for are built in the
background. Nothing here runs on the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from ..catalog import LayerDef, load_catalog
from ..settings import Settings
from ..storage import CollectionData, FeatureStore, Storage, StoreUnavailable, open_store
from ..territory import get_territory
from .delta import apply_changes, collection_of, too_large
from .snapshot import Collection, Snapshot
from .views import VIEWS, warm, warm_like

log = logging.getLogger("geoservice.read.model")
WARM_DELAY = 0.5
"""Seconds without a new write before a snapshot made by a write is warmed."""


def collection_from(layer: LayerDef, data: CollectionData) -> Collection:
    """A collection whose frame is typed from the rows on first use (not at once)."""
    versions = np.array([r.version for r in data.rows], dtype=np.int64)
    return Collection(layer, None, data.provenance, data.revision, versions, rows=data.rows,
                      kind=data.kind)


def next_collection(storage: FeatureStore, layer: LayerDef, old: Collection | None,
                    full_rebuild: bool = False) -> Collection:
    """The collection at the storage's current revision: ``old`` with the rows changed
    since applied when it is editable and the change small, else read whole
    (``full_rebuild``: always read whole, for benchmarks)."""
    if full_rebuild:
        return collection_from(layer, storage.read(layer.id))
    if old is not None and old.kind == "editable" and old.seqs is not None:
        changes = storage.changes(layer.id, old.revision)
        if changes.kind == "editable" and not too_large(old, changes):
            return apply_changes(old, changes)
    return collection_of(layer, storage.changes(layer.id, 0))


def build_snapshot(settings: Settings, storage: FeatureStore,
                   previous: Snapshot | None = None,
                   revisions: dict[str, int] | None = None) -> Snapshot:
    """A snapshot of every stored layer; collections whose revision did not move since
    ``previous`` are reused as they are, the others derived from their previous state."""
    layers = load_catalog(settings.layers_dir) if previous is None else previous.layers
    revisions = storage.revisions() if revisions is None else revisions
    base: dict[str, Collection] = {}
    for layer_id, layer in layers.items():
        if layer.derived or layer_id not in revisions:
            continue
        old = previous.base.get(layer_id) if previous is not None else None
        if old is not None and old.revision == revisions[layer_id]:
            base[layer_id] = old
        else:  # public reads never hold a layer's staff-only properties
            base[layer_id] = next_collection(storage, layer.public(), old,
                                             settings.full_rebuild)
    territory = get_territory(settings.territoire)
    views = {k: v for k, v in VIEWS.items() if k in layers}
    pushdown = None
    if storage.filters_in_database:
        from .cql2 import to_sql

        pushdown = lambda cid, flt: storage.match(cid, to_sql(flt))  # noqa: E731
    return Snapshot(settings, territory, base, layers, views, pushdown=pushdown)


def load_store(settings: Settings) -> Snapshot:
    """Open the configured storage and take one snapshot (CLI commands, tests)."""
    get_territory(settings.territoire)  # an unknown territory says so before anything else
    storage = open_store(settings)
    try:
        return build_snapshot(settings, storage.features)
    finally:
        storage.close()


def settle_heap() -> None:
    """For a serving process, once its first snapshot is built and warmed: what start-up
    made (modules, catalogue, the snapshot's frames, indexes and serialised features) is
    handed to the permanent generation, so Python's cyclic collector no longer walks it on
    every full collection. Later snapshots reuse most of it (changed rows are applied, not
    rebuilt); without this, a full collection walked every reused object and stalled the
    process 0.2–0.4 s after a few edits of a layer of 50,000 features. What start-up made
    and later replaced is freed by reference counting as before; only parts of it held in
    reference cycles stay (bounded by one snapshot, never growing)."""
    import gc

    gc.collect()
    gc.freeze()


class FixedReadModel:
    """A read model that serves one given snapshot (tests, benchmarks on made-up data)."""

    def __init__(self, store: Snapshot) -> None:
        self.current = store
        self.settings = store.settings

    storage = None  # nothing to write to

    def refresh(self, eager: bool = True) -> bool:
        return False

    def catch_up(self, revisions: dict[str, int]) -> None: ...

    def start(self) -> None: ...

    def close(self) -> None: ...


class ReadModel:
    """The current snapshot of one replica, kept up to date from the storage."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.settings = settings
        get_territory(settings.territoire)
        self.storage = storage or open_store(settings)
        self.storage.features.revisions()  # an empty or damaged store says so (never created here)
        self.storage.upgrade()  # a store from an older version gains the newer tables
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warmer: threading.Thread | None = None
        self._warm_lock = threading.Lock()
        self._warm_wanted = threading.Event()
        self._to_warm: tuple[Snapshot, Snapshot] | None = None  # (asked of, to warm)
        self.on_rebuild: Callable[[float], None] | None = None
        """Told the seconds each new snapshot took to derive (metrics)."""
        self.current: Snapshot = warm(build_snapshot(settings, self.storage.features))
        self.stored: dict[str, int] = dict(self.current.revisions)
        """The revisions the storage last gave (what the snapshot lags behind, if at all)."""
        self.checked_at = time.monotonic()
        """When the storage last answered a revision check (monotonic clock)."""

    def refresh(self, eager: bool = True, known: dict[str, int] | None = None) -> bool:
        """Derive and swap the snapshot if a revision moved; True when it did. ``eager``
        warms it (views, locator) before the swap (CLI, tests); otherwise it is swapped at
        once and what the previous snapshot had been asked for is built once writes pause,
        in the background. ``known``: revisions a write on this replica just made (only
        those collections are read again; others follow at the next background refresh)."""
        with self._lock:
            current = self.current
            if known is None:
                revisions = self.storage.features.revisions()
                self.stored, self.checked_at = revisions, time.monotonic()
            else:
                revisions = {**current.revisions, **{
                    k: max(v, current.revisions.get(k, -1)) for k, v in known.items()}}
            stored = {k: v for k, v in revisions.items() if k in current.layers}
            if stored == current.revisions:
                return False
            started = time.perf_counter()
            fresh = build_snapshot(self.settings, self.storage.features, current, stored)
            if not eager:
                self.current = fresh
        if eager:  # warmed outside the lock: a write's catch-up never waits for the views
            warm(fresh)
            with self._lock:
                if self.current is not current:  # a write's snapshot went in meanwhile:
                    return False  # the next refresh sees what this one had in addition
                self.current = fresh
        else:
            self._warm_later(fresh, current)
        seconds = time.perf_counter() - started
        log.info("snapshot derived in %.0f ms (revisions %s)", seconds * 1000, stored)
        if self.on_rebuild is not None:
            self.on_rebuild(seconds)
        return True

    def catch_up(self, revisions: dict[str, int]) -> None:
        """After a write on this replica: make sure the snapshot includes these revisions
        before answering (read-your-writes): the cost of applying the changed rows, no
        more. Concurrent writers share one derivation."""
        if all(self.current.revisions.get(k, -1) >= v for k, v in revisions.items()):
            return
        self.refresh(eager=False, known=revisions)

    def _warm_later(self, store: Snapshot, previous: Snapshot) -> None:
        """Warm the latest snapshot in one background thread (started on first need)."""
        with self._warm_lock:
            # what was asked of the snapshot before this burst of writes is built again
            asked = previous if self._to_warm is None else self._to_warm[0]
            self._to_warm = (asked, store)
            self._warm_wanted.set()
            if self._warmer is None:
                self._warmer = threading.Thread(target=self._warm_loop, daemon=True,
                                                name="geoservice-warm")
                self._warmer.start()

    def _warm_loop(self) -> None:
        while not self._stop.is_set():
            if not self._warm_wanted.wait(1):
                continue
            # debounce: while writes keep coming, views are built on first use only
            while self._warm_wanted.is_set() and not self._stop.is_set():
                self._warm_wanted.clear()
                self._stop.wait(WARM_DELAY)
            with self._warm_lock:
                pending, self._to_warm = self._to_warm, None
            if pending is None:
                continue
            asked, store = pending
            if store is self.current:  # a newer one makes it moot
                try:
                    warm(store) if self.settings.full_rebuild else warm_like(store, asked)
                except Exception:  # noqa: BLE001 — views are then built on first use
                    log.exception("warming the snapshot failed")

    def start(self) -> None:
        if self._thread is not None or self.settings.refresh_interval <= 0:
            return
        self._thread = threading.Thread(target=self._watch, name="geoservice-readmodel",
                                        daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.refresh_interval):
            try:
                # swapped at once, views warmed once writes pause (debounced): under a
                # steady write load, rebuilding every view twice a second would starve reads
                self.refresh(eager=False)
            except StoreUnavailable:  # the storage logs when it goes and when it returns
                continue
            except Exception:  # noqa: BLE001 — keep serving the last good snapshot
                log.exception("snapshot refresh failed; serving the previous snapshot")

    def close(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._warmer):
            if thread is not None:
                thread.join(timeout=5)
        self._thread = self._warmer = None
        self.storage.close()
