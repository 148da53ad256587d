"""Territory figures in the spirit of the source documents: counts per Défi and per layer,
located vs unlocated features, projects located in a QPV, and the figures the documents
report (quoted with their source, kept apart from what the data shows)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from ..vocab import ANSWER_LAYERS
from .params import DEFIS

if TYPE_CHECKING:
    from ..read.snapshot import Snapshot

SEED_002 = ("Toulouse Métropole, fiche « Développer et innover dans les QPV avec l'ESS » — "
            "seeds/002_b3ea420cb49a858e.txt")
DOCUMENTED: dict[str, list[dict]] = {
    "toulouse-metropole": [
        {
            "id": "laureats_qpv_2020_2021",
            "figure": ("En 2020/2021, 14 lauréats sur 31 de l'Appel à projets et des Prix ESS "
                       "Toulouse Impact concernent les QPV ; ils ont été soutenus à hauteur de "
                       "185 000 €."),
            "value": 14, "total": 31, "share": round(14 / 31, 4), "period": "2020/2021",
            "source": SEED_002,
        },
        {
            "id": "fabrique_explorations",
            "figure": ("8 explorations et 12 études d'opportunité ont été réalisées dans 8 QPV "
                       "par la Fabrique à initiatives de Première Brique."),
            "value": 8, "total": None, "share": None, "period": None, "source": SEED_002,
        },
    ],
}
LAYERS = (*ANSWER_LAYERS, "besoins")


def _layer_counts(store: Snapshot, layer_id: str) -> dict:
    collection = store.collection(layer_id)
    frame = collection.frame
    defis = [list(v) if isinstance(v, list | tuple | np.ndarray) else [] for v in frame["defi"]]
    precision = frame["precision"] if "precision" in frame.columns else [None] * len(frame)
    by_precision: dict[str, int] = {}
    for value in precision:
        key = value or "inconnue"
        by_precision[key] = by_precision.get(key, 0) + 1
    return {
        "total": len(frame),
        "located": int(len(collection.located)),
        "unlocated": int(len(frame) - len(collection.located)),
        "by_defi": {**{d: sum(d in v for v in defis) for d in DEFIS},
                    "sans_defi": sum(not v for v in defis)},
        "by_precision": dict(sorted(by_precision.items())),
    }


def _in_polygons(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    if not len(points) or not len(polygons):
        return np.zeros(len(points), dtype=bool)
    tree = shapely.STRtree(polygons)
    hits, _ = tree.query(points, predicate="intersects")
    inside = np.zeros(len(points), dtype=bool)
    inside[hits] = True
    return inside


def projects_in_qpv(store: Snapshot) -> dict:
    """Supported projects whose position lies in a QPV 2024 (and in a QPV 2015)."""
    projets = store.collection("projets")
    located = projets.located
    points = projets.metric.values[located]
    in_2024 = _in_polygons(points, store.collection("qpv").metric.values)
    in_2015 = _in_polygons(points, store.collection("qpv_2015").metric.values)
    total = len(projets)
    return {
        "total": total,
        "located": int(len(located)),
        "in_qpv_2024": int(in_2024.sum()),
        "in_qpv_2015": int(in_2015.sum()),
        "share_in_qpv_2024": round(in_2024.sum() / total, 4) if total else None,
        "share_of_located_in_qpv_2024": (round(in_2024.sum() / len(located), 4)
                                         if len(located) else None),
        "note": ("Part calculée sur les projets présents dans la couche projets ; un projet "
                 "sans position n'est compté ni dedans ni dehors. Position au quartier pour "
                 "la plupart : à lire comme un ordre de grandeur."),
    }


def summary(store: Snapshot) -> dict:
    """Figures of the territory served by ``store`` (plain JSON-ready dict)."""
    diagnostic = store.collections.get("diagnostic_qpv")
    unknown = []
    if diagnostic is not None:
        frame = diagnostic.frame
        unknown = sorted(frame.loc[~frame["need_known"].fillna(False).astype(bool),
                                   "code_qp"].tolist())
    return {
        "territoire": {"id": store.territory.id, "nom": store.territory.nom,
                       "epci": store.territory.epci},
        "qpv": {"qpv_2024": len(store.collection("qpv")),
                "qpv_2015": len(store.collection("qpv_2015")),
                "need_unknown": unknown},
        "layers": {layer_id: _layer_counts(store, layer_id) for layer_id in LAYERS
                   if layer_id in store.collections},
        "projects_in_qpv": projects_in_qpv(store),
        "documented_figures": DOCUMENTED.get(store.territory.id, []),
        "caveat": ("Les chiffres « documented_figures » sont cités tels que les documents les "
                   "donnent ; les autres sont calculés sur les données du service, encore "
                   "peu nombreuses tant que les éditeurs ne les complètent pas."),
    }
