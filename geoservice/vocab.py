"""The domain's vocabulary, said once: Défis, ESS layers, kinds of place, layer roles,
metric CRS."""

from __future__ import annotations

METRIC_CRS = "EPSG:2154"
"""Distances and areas: Lambert-93, never degrees."""

DEFIS = ("inclusion", "economie_circulaire", "alimentation_durable")
DEFI_LABELS = {"inclusion": "Inclusion économique et sociale",
               "economie_circulaire": "Économie circulaire",
               "alimentation_durable": "Alimentation durable"}

ANSWER_LAYERS: dict[str, str] = {
    "lieux_totems": "lieu_totem",
    "hebergement": "hebergement",
    "accompagnement": "accompagnement",
    "projets": "projet",
    "structures_ess": "structure_insertion",
}
"""ESS layers that answer a need, and the kind of answer each holds."""
PLACE_KINDS = ("lieu_totem", "hebergement", "accompagnement")
ESS_LAYERS = (*ANSWER_LAYERS, "besoins")
STATION_TYPES = ("metro", "tram")

REFERENCE_FORMATS = ("qpv_2024", "qpv_2015", "communes", "stations")
"""Sources whose layers `data pull` replaces as a whole (reference layers)."""
EDITABLE_FORMATS = ("authored",)
"""Sources seeded once from ``layers/*.geojson``, then changed feature by feature."""
