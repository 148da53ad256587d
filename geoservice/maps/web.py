"""The web map's configuration, its layer symbols and Défi colours, and the choropleth
classes of a list of scores. Free of FastAPI: the API (``/api/map/…``) calls these
functions; the folium report maps that reuse them are in :mod:`geoservice.maps.report`.
Running the analysis is not a map concern: the diagnosis, its ranking and its classes per
QPV come from the analysis entry, :mod:`geoservice.analysis.service`.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from typing import Any

from ..read.snapshot import Snapshot
from ..settings import Settings
from ..vocab import DEFI_LABELS

#: The three Défis of the policy, with the colour used on every map.
_DEFI_STYLE = {
    "inclusion": {"en": "Economic and social inclusion", "color": "#d35400"},
    "economie_circulaire": {"en": "Circular economy", "color": "#2471a3"},
    "alimentation_durable": {"en": "Sustainable food", "color": "#1e8449"},
}
DEFIS: dict[str, dict[str, str]] = {
    defi: {"fr": DEFI_LABELS[defi], **_DEFI_STYLE[defi]} for defi in DEFI_LABELS}
NO_DEFI = {"fr": "Sans Défi précisé", "en": "No Défi stated", "color": "#5d6d7e"}

#: Glyph drawn in a place's marker, from the layer style's ``icon`` name (no icon font needed).
GLYPHS = {"star": "★", "home": "⌂", "hands": "✚", "seedling": "✿", "flag": "⚑",
          "calendar": "◷"}

#: Layers drawn as areas; the others are points. ESS layers are those with a ``defi`` field.
AREA_TYPES = ("Polygon", "MultiPolygon")

#: Choropleth of the underserved score: sequential colours, low → high, and "unknown need".
SCORE_COLORS = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"]
UNKNOWN_CLASS = {"fr": "Besoin inconnu", "en": "Unknown need", "color": "#bdbdbd"}

PUBLIC_FIELDS = ("type", "defi", "statut", "adresse", "commune", "porteurs", "description",
                 "annee", "dispositif", "qpv", "date_signalement", "source")


def _tile_host(tiles_url: str | None) -> str | None:
    """The scheme and host of a tile URL template (for the CSP), or None."""
    if not tiles_url:
        return None
    match = re.match(r"^(https?://[^/]+)", tiles_url.replace("{s}", "*"))
    return match.group(1) if match else None


def tile_origin(settings: Settings) -> str | None:
    """Origin the browser may load tile images from (``https://*.tile.example``), or None."""
    return _tile_host(settings.tiles_url)


def layer_kind(collection_layer: Any) -> str:
    """``area`` (QPV, communes), ``ess`` (places with Défis) or ``point`` (stations…)."""
    if collection_layer.geometry_type in AREA_TYPES:
        return "area"
    return "ess" if "defi" in collection_layer.properties else "point"


def map_config(store: Snapshot, settings: Settings) -> dict[str, Any]:
    """What the web map needs to draw the territory: layers and styles, tiles, Défis.

    Parameters
    ----------
    store : Snapshot
        The loaded store (its collections define the layers).
    settings : Settings
        For the tile layer URL and attribution (``tiles_url`` None = no background tiles).

    Returns
    -------
    dict
        JSON-ready configuration (see ``docs/carte.md``).
    """
    layers = []
    for collection in store.collections.values():
        layer = collection.layer
        if getattr(layer, "derived", False):
            continue  # analysis results: shown by the Diagnostic tab
        style = layer.style.model_dump()
        style["glyph"] = GLYPHS.get(style.get("icon") or "", "●")
        layers.append({
            "id": layer.id,
            "title": layer.title.model_dump(),
            "kind": layer_kind(layer),
            "geometry_type": layer.geometry_type,
            "id_field": layer.id_field,
            "count": len(collection),
            "located": int(len(collection.located)),
            "style": style,
            "labels": {name: spec.label.model_dump() for name, spec in layer.properties.items()},
            "values": {n: {v: x.model_dump() for v, x in s.enum_labels.items()} for n, s in layer.properties.items() if s.enum_labels},  # noqa: E501
            "attribution": layer.attribution,
            "editable": bool(layer.editable),
        })
    communes = store.collections.get("communes")
    bbox = communes.extent if communes is not None else None
    return {
        "territory": {"id": store.territory.id, "nom": store.territory.nom,
                      "epci": store.territory.epci, "bbox": bbox},
        "tiles": ({"url": settings.tiles_url, "attribution": settings.tiles_attribution}
                  if settings.tiles_url else None),
        "layers": layers,
        "defis": {key: dict(value) for key, value in DEFIS.items()},
        "no_defi": dict(NO_DEFI),
        "ring_m": settings.ring_m,
        "page_limit": settings.max_limit,
    }


# -- choropleth classes ----------------------------------------------------------------------

def score_classes(scores: Sequence[float | None], k: int = 5) -> dict[str, Any]:
    """Class breaks of underserved scores (mapclassify Fisher-Jenks), unknown kept apart.

    Parameters
    ----------
    scores : sequence of float or None
        One score (0–100) per QPV; None where the need is unknown.
    k : int
        Wanted number of classes (fewer when there are fewer distinct scores).

    Returns
    -------
    dict
        ``scheme``, ``k``, ``breaks`` (upper bounds), ``classes`` (one list of
        ``{lower, upper, color}``), ``unknown`` (label, colour) and ``bins``: the class index
        of each input score (None for unknown).

    Examples
    --------
    >>> score_classes([10, 20, None, 90], k=2)["bins"]
    [0, 0, None, 1]
    """
    import mapclassify
    import numpy as np

    known = np.array([s for s in scores if s is not None and not _isnan(s)], dtype=float)
    unknown = {**UNKNOWN_CLASS, "count": len(scores) - len(known)}
    if not len(known):
        return {"scheme": "FisherJenks", "k": 0, "breaks": [], "classes": [],
                "unknown": unknown, "bins": [None] * len(scores)}
    k = max(1, min(k, len(np.unique(known))))
    if k == 1:
        breaks = [float(known.max())]
    else:
        with warnings.catch_warnings():  # "Numba not installed": the pure-Python path is fine
            warnings.simplefilter("ignore")
            breaks = [float(b) for b in mapclassify.FisherJenks(known, k=k).bins]
    colors = _palette(len(breaks))
    classes, lower = [], float(known.min())
    for upper, color in zip(breaks, colors, strict=True):
        classes.append({"lower": round(lower, 2), "upper": round(upper, 2), "color": color})
        lower = upper
    bins: list[int | None] = []
    for score in scores:
        if score is None or _isnan(score):
            bins.append(None)
        else:
            bins.append(next(i for i, b in enumerate(breaks) if score <= b + 1e-9))
    return {"scheme": "FisherJenks", "k": len(breaks), "breaks": [round(b, 2) for b in breaks],
            "classes": classes, "unknown": unknown, "bins": bins}


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _palette(k: int) -> list[str]:
    if k >= len(SCORE_COLORS):
        return SCORE_COLORS[:k]
    step = (len(SCORE_COLORS) - 1) / max(k - 1, 1)
    return [SCORE_COLORS[round(i * step)] for i in range(k)] if k > 1 else [SCORE_COLORS[-1]]
