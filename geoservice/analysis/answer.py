"""ESS answer around each QPV: answers in the QPV and its ring, nearest places and stations,
needs spotted and not yet answered. Distances in metres, EPSG:2154.

A point is "in the quartier vécu" when its distance to the QPV polygon is at most ``ring_m``
(exact, no buffer polygon). A distance is 0 when the place is inside the QPV.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from .. import parallel
from .inputs import ANSWER_STATUSES, has_defi, located
from .params import DEFIS


@dataclass
class Nearest:
    """Distance (m, NaN when nothing is located) and name of the nearest feature, per QPV."""

    distance_m: np.ndarray
    name: list[str | None]
    available: bool  # False: the layer has no located feature (distance null for every QPV)
    position: np.ndarray | None = None  # row of the nearest feature in the frame (-1: none)


def pairs_within(qpv: gpd.GeoSeries, points: gpd.GeoSeries, ring_m: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(qpv position, point position) pairs with the point within ``ring_m`` of the QPV."""
    if not len(points) or not len(qpv):
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    tree = shapely.STRtree(np.asarray(points.values))
    polygons = np.asarray(qpv.values)
    if ring_m > 0:
        i, p = parallel.query(tree, polygons, predicate="dwithin", distance=ring_m)
    else:
        i, p = parallel.query(tree, polygons, predicate="intersects")
    order = np.lexsort((p, i))
    return i[order], p[order]


def answer_mask(places: gpd.GeoDataFrame, defi: str | None) -> np.ndarray:
    """Located, open (or status unknown) answers tagged with the Défi (all when None). A
    position known only to the commune never counts: it says nothing of a neighbourhood."""
    status = places["statut"].isin(ANSWER_STATUSES).to_numpy()
    precise = ~places["precision"].isin(["commune"]).to_numpy()
    return located(places) & status & precise & has_defi(places["defi"], defi)


def count_answers(qpv: gpd.GeoSeries, places: gpd.GeoDataFrame, ring_m: float,
                  defi: str | None
                  ) -> tuple[np.ndarray, dict[str, np.ndarray], list[list[int]],
                             tuple[np.ndarray, np.ndarray]]:
    """Answers per QPV for the Défi, answers per Défi (tagged), who they are, and the
    (QPV position, place position) pairs of the Défi's answers."""
    mask = answer_mask(places, None)
    positions = np.flatnonzero(mask)
    i, p = pairs_within(qpv, places.geometry.iloc[positions].reset_index(drop=True), ring_m)
    p = positions[p]
    n = len(qpv)
    per_defi = {}
    for name in DEFIS:
        tagged = has_defi(places["defi"], name)[p]
        per_defi[name] = np.bincount(i[tagged], minlength=n)
    chosen = has_defi(places["defi"], defi)[p]
    total = np.bincount(i[chosen], minlength=n)
    members: list[list[int]] = [[] for _ in range(n)]
    for qi, pi in zip(i[chosen].tolist(), p[chosen].tolist(), strict=True):
        members[qi].append(pi)
    return total, per_defi, members, (i[chosen], p[chosen])


def count_within(qpv: gpd.GeoSeries, places: gpd.GeoDataFrame, ring_m: float,
                 defi: str | None) -> np.ndarray:
    """Answers of the Défi within ``ring_m`` of each QPV (counts only)."""
    positions = np.flatnonzero(answer_mask(places, defi))
    i, _ = pairs_within(qpv, places.geometry.iloc[positions].reset_index(drop=True), ring_m)
    return np.bincount(i, minlength=len(qpv))


def nearest(qpv: gpd.GeoSeries, frame: gpd.GeoDataFrame, mask: np.ndarray) -> Nearest:
    """Nearest feature of ``frame[mask]`` to each QPV (ties: smallest id, order-independent)."""
    mask = mask & located(frame)
    positions = np.flatnonzero(mask)
    n = len(qpv)
    if not len(positions) or not n:
        return Nearest(np.full(n, np.nan), [None] * n, bool(len(positions)),
                       np.full(n, -1))
    tree = shapely.STRtree(np.asarray(frame.geometry.values)[positions])
    (i, p), dist = parallel.query_nearest(tree, np.asarray(qpv.values), all_matches=True)
    ids = frame["id"].astype(str).to_numpy()[positions[p]]
    order = np.lexsort((ids, i))
    i, p, dist = i[order], p[order], dist[order]
    first = np.r_[True, i[1:] != i[:-1]]
    distance = np.full(n, np.nan)
    distance[i[first]] = dist[first]
    names: list[str | None] = [None] * n
    noms = frame["nom"].to_numpy()
    found = np.full(n, -1)
    found[i[first]] = positions[p[first]]
    for qi, pi in zip(i[first], p[first], strict=True):
        names[qi] = noms[positions[pi]]
    return Nearest(distance, names, True, found)


def nearest_places(qpv: gpd.GeoSeries, places: gpd.GeoDataFrame, defi: str | None
                   ) -> dict[str, Nearest]:
    """Nearest lieu totem, hébergement, accompagnement: tagged with the Défi or généraliste
    (no Défi stated), open or status unknown; a position known only to the commune is no
    distance (it says nothing of a neighbourhood)."""
    status = places["statut"].isin(ANSWER_STATUSES).to_numpy()
    precise = ~places["precision"].isin(["commune"]).to_numpy()
    relevant = status & precise & has_defi(places["defi"], defi, untagged=True)
    return {kind: nearest(qpv, places, relevant & (places["kind"] == kind).to_numpy())
            for kind in ("lieu_totem", "hebergement", "accompagnement")}


def nearest_station(qpv: gpd.GeoSeries, access: gpd.GeoDataFrame) -> Nearest:
    """Nearest station of :func:`~geoservice.analysis.stations.access_stations`."""
    return nearest(qpv, access, np.ones(len(access), dtype=bool))


def unmet_needs(qpv: gpd.GeoDataFrame, besoins: gpd.GeoDataFrame, ring_m: float,
                defi: str | None) -> list[list[int]]:
    """Needs not answered (``couvert`` not true, not closed) in the quartier vécu of each QPV:
    located within the ring, or naming the QPV code in their ``qpv`` field."""
    n = len(qpv)
    members: list[set[int]] = [set() for _ in range(n)]
    if not len(besoins):
        return [[] for _ in range(n)]
    open_need = np.array([c is not True and c is not np.True_ for c in besoins["couvert"]])
    mask = open_need & (besoins["statut"] != "ferme").to_numpy() \
        & has_defi(besoins["defi"], defi)
    with_geom = np.flatnonzero(mask & located(besoins))
    i, p = pairs_within(qpv.geometry, besoins.geometry.iloc[with_geom].reset_index(drop=True),
                        ring_m)
    for qi, pi in zip(i, with_geom[p], strict=True):
        members[qi].add(int(pi))
    codes = qpv["code_qp"].astype(str).tolist()
    for pos in np.flatnonzero(mask):
        named = besoins["qpv"].iloc[pos]
        if named:
            for qi, code in enumerate(codes):
                if code in str(named):
                    members[qi].add(int(pos))
    return [sorted(m) for m in members]


def commune_only(qpv: gpd.GeoDataFrame, places: gpd.GeoDataFrame, defi: str | None
                 ) -> list[list[int]]:
    """Per QPV, the answers of its commune(s) whose position is known only to the commune:
    never counted (they say nothing of a neighbourhood), but the reasons name them."""
    if "insee_com" not in qpv.columns or not len(places):
        return [[] for _ in range(len(qpv))]
    mask = (places["precision"] == "commune").to_numpy() \
        & places["statut"].isin(ANSWER_STATUSES).to_numpy() & has_defi(places["defi"], defi)
    communes = places["commune"].astype(str).to_numpy() if "commune" in places.columns \
        else np.full(len(places), "")
    positions = np.flatnonzero(mask)
    out = []
    for codes in qpv["insee_com"].astype(str):
        mine = set(codes.replace(" ", "").split(","))
        out.append([int(p) for p in positions if communes[p] in mine])
    return out
