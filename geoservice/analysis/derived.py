"""Results as layers: ``diagnostic_qpv`` and ``couverture`` registered in the store, so the
OGC API, the exports and QGIS read them like any other collection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import geopandas as gpd

from ..gpkg import typed_frame
from .coverage import coverage_layer
from .diagnostic import METHOD, diagnose
from .inputs import from_store
from .params import Parameters
from .report import layer_frame

if TYPE_CHECKING:
    from ..catalog import LayerDef
    from ..store import Store

DIAGNOSTIC = "diagnostic_qpv"
COVERAGE = "couverture"
SOURCES = ["qpv", "qpv_2015", "lieux_totems", "hebergement", "accompagnement", "projets",
           "besoins", "stations"]


def _provenance(layer_id: str, params: Parameters, count: int) -> dict:
    return {
        "layer": layer_id,
        "derived_from": SOURCES,
        "parameters": {"defi": params.defi, "ring_m": params.ring_m,
                       "weights": dict(params.weights)},
        "method": METHOD,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "feature_count": count,
    }


def attach_derived(store: Store, layers: list[LayerDef]) -> None:
    """Compute the derived layers with the default parameters and add them to ``store``."""
    from ..store import Collection

    wanted = {layer.id: layer for layer in layers}
    if not wanted:
        return
    params = Parameters(ring_m=store.settings.ring_m)
    inputs = from_store(store)
    if DIAGNOSTIC in wanted:
        frame = typed_frame(layer_frame(diagnose(inputs, params)), wanted[DIAGNOSTIC])
        store.add(Collection(wanted[DIAGNOSTIC], frame,
                             _provenance(DIAGNOSTIC, params, len(frame))))
    if COVERAGE in wanted:
        cover = coverage_layer(inputs.qpv.geometry, inputs.places, params.ring_m)
        frame = gpd.GeoDataFrame(cover.drop(columns="geometry"),
                                 geometry=cover.geometry.to_crs("EPSG:4326"), crs="EPSG:4326")
        frame = typed_frame(frame, wanted[COVERAGE])
        store.add(Collection(wanted[COVERAGE], frame, _provenance(COVERAGE, params, len(frame))))
