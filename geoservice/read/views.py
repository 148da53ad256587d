"""Analysis results as layers (views): ``diagnostic_qpv`` and ``couverture`` are computed
from a snapshot, with the default parameters, on first use, and kept on that snapshot: an
edit makes a new snapshot, hence a new view. The OGC API, the exports and QGIS read them
like any other collection. The store knows nothing of the analysis; this module joins them,
through the analysis entry (:mod:`geoservice.analysis.service`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..analysis import METHOD, Parameters
from ..analysis.service import AnalysisRequest, coverage_frame, diagnostic_frame
from ..catalog import LayerDef
from .snapshot import Collection, Snapshot, ViewBuilder

DIAGNOSTIC = "diagnostic_qpv"
COVERAGE = "couverture"
SOURCES = ["qpv", "qpv_2015", "lieux_totems", "hebergement", "accompagnement", "projets",
           "besoins", "stations", "evenements"]


def _provenance(store: Snapshot, layer_id: str, params: Parameters, count: int) -> dict:
    return {
        "layer": layer_id,
        "derived_from": SOURCES,
        "input_revisions": {k: v for k, v in store.revisions.items() if k in SOURCES},
        "parameters": {"defi": params.defi, "ring_m": params.ring_m,
                       "weights": dict(params.weights)},
        "method": METHOD,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "feature_count": count,
    }


def _diagnostic(store: Snapshot, layer: LayerDef) -> Collection:
    request = AnalysisRequest.defaults(store.settings)
    frame = diagnostic_frame(store, request, layer)
    return Collection(layer, frame, _provenance(store, layer.id, request.parameters, len(frame)))


def _coverage(store: Snapshot, layer: LayerDef) -> Collection:
    request = AnalysisRequest.defaults(store.settings)
    frame = coverage_frame(store, request, layer)
    return Collection(layer, frame, _provenance(store, layer.id, request.parameters, len(frame)))


VIEWS: dict[str, ViewBuilder] = {DIAGNOSTIC: _diagnostic, COVERAGE: _coverage}


def warm(store: Snapshot, extra: Callable[[Snapshot], Any] | None = None) -> Snapshot:
    """Build what the first requests would otherwise build (views, point locator), so that
    a replica swaps in a snapshot that is ready (off the event loop)."""
    from ..spatial.locator import locator_for
    from .crs import DEFAULT
    from .export import feature_fragments

    for layer_id in VIEWS:
        if layer_id in store.layers:
            store.collection(layer_id)
    if "qpv" in store.base and "communes" in store.base:
        locator_for(store)
    for collection in store.collections.values():  # GeoJSON of each feature, CRS84
        feature_fragments(collection, DEFAULT)  # (kept from the previous snapshot if reused)
    if extra is not None:
        extra(store)
    return store


def warm_like(store: Snapshot, asked: Snapshot | None) -> Snapshot:
    """Build in ``store`` only what ``asked`` (an earlier snapshot) had been asked for: its
    views and point locator if they were built, and the default GeoJSON of the collections
    read whole since (a collection derived from its previous state carries it already).
    Run in the background once writes pause; requests never wait for it."""
    if asked is None:
        return store
    from ..spatial.locator import cached_locator, locator_for
    from .export import prepare

    for layer_id in VIEWS:
        if layer_id in store.layers and asked.derived.peek(("view", layer_id)) is not None:
            store.collection(layer_id)
    if cached_locator(asked) is not None:
        locator_for(store)
    for layer_id, collection in store.base.items():
        before = asked.base.get(layer_id)
        if before is not None and before.ready and not collection.ready:
            prepare(collection)
    return store
