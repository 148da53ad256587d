"""ESS answer around each QPV: answers in the QPV and its ring, nearest places and stations,
needs spotted and not yet answered. Distances in metres, EPSG:2154.

A point is "in the quartier vécu" when its distance to the QPV polygon is at most ``ring_m``
(exact, no buffer polygon). A distance is 0 when the place is inside the QPV.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import parallel
from ..fabrique.stages import ANSWERED, CLOSED, FIRST, STAGES
from .inputs import has_defi, located
from .params import DEFIS
from .places import Places, as_places


@dataclass
class Nearest:
    """Distance (m, NaN when nothing is located) and name of the nearest feature, per QPV."""

    distance_m: np.ndarray
    name: list[str | None]
    available: bool  # False: the layer has no located feature (distance null for every QPV)
    position: np.ndarray | None = None  # row of the nearest feature in the frame (-1: none)


def pairs_within(qpv: gpd.GeoSeries, points: gpd.GeoSeries | np.ndarray, ring_m: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(qpv position, point position) pairs with the point within ``ring_m`` of the QPV."""
    points = np.asarray(getattr(points, "values", points), dtype=object)
    if not len(points) or not len(qpv):
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    tree = shapely.STRtree(points)
    polygons = np.asarray(qpv.values)
    if ring_m > 0:
        i, p = parallel.query(tree, polygons, predicate="dwithin", distance=ring_m)
    else:
        i, p = parallel.query(tree, polygons, predicate="intersects")
    order = np.lexsort((p, i))
    return i[order], p[order]


def answer_mask(places: gpd.GeoDataFrame | Places, defi: str | None) -> np.ndarray:
    """Located, open (or status unknown) answers tagged with the Défi (all when None). A
    position known only to the commune never counts: it says nothing of a neighbourhood."""
    return as_places(places).answers(defi)


def _among(table: Places, among: np.ndarray | None) -> np.ndarray:
    return np.ones(len(table), dtype=bool) if among is None else among


class Answers:
    """The answers that may count (located, open, positioned better than the commune, among
    ``among``), with one tree over them shared by every ring and Défi asked."""

    def __init__(self, qpv: gpd.GeoSeries, places: gpd.GeoDataFrame | Places,
                 among: np.ndarray | None = None) -> None:
        self.qpv = qpv
        self.table = as_places(places)
        self.positions = np.flatnonzero(self.table.answers(None) & _among(self.table, among))
        self.tree = shapely.STRtree(self.table.geometry[self.positions]) \
            if len(self.positions) else None

    def pairs(self, ring_m: float, defi: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(QPV position, place position) pairs of the Défi's answers within ``ring_m``,
        sorted (what :func:`pairs_within` gives for them)."""
        if self.tree is None or not len(self.qpv):
            return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
        polygons = np.asarray(self.qpv.values)
        if ring_m > 0:
            i, p = parallel.query(self.tree, polygons, predicate="dwithin", distance=ring_m)
        else:
            i, p = parallel.query(self.tree, polygons, predicate="intersects")
        p = self.positions[p]
        if defi is not None:
            chosen = self.table.defi(defi)[p]
            i, p = i[chosen], p[chosen]
        order = np.lexsort((p, i))
        return i[order], p[order]

    def count(self, ring_m: float, defi: str | None
              ) -> tuple[np.ndarray, dict[str, np.ndarray], list[list[int]],
                         tuple[np.ndarray, np.ndarray]]:
        """See :func:`count_answers`."""
        i, p = self.pairs(ring_m)
        n = len(self.qpv)
        per_defi = {name: np.bincount(i[self.table.defi(name)[p]], minlength=n)
                    for name in DEFIS}
        chosen = self.table.defi(defi)[p]
        i, p = i[chosen], p[chosen]
        starts = np.searchsorted(i, np.arange(n + 1))  # pairs are sorted by QPV
        members = [p[a:b].tolist() for a, b in zip(starts[:-1], starts[1:], strict=True)]
        return np.bincount(i, minlength=n), per_defi, members, (i, p)

    def count_within(self, ring_m: float, defi: str | None) -> np.ndarray:
        """See :func:`count_within`."""
        return np.bincount(self.pairs(ring_m, defi)[0], minlength=len(self.qpv))


def count_answers(qpv: gpd.GeoSeries, places: gpd.GeoDataFrame | Places, ring_m: float,
                  defi: str | None, among: np.ndarray | None = None
                  ) -> tuple[np.ndarray, dict[str, np.ndarray], list[list[int]],
                             tuple[np.ndarray, np.ndarray]]:
    """Answers per QPV for the Défi, answers per Défi (tagged), who they are, and the
    (QPV position, place position) pairs of the Défi's answers. ``among``: the places
    that may count (all when None); positions are those of ``places``."""
    return Answers(qpv, places, among).count(ring_m, defi)


def count_within(qpv: gpd.GeoSeries, places: gpd.GeoDataFrame | Places, ring_m: float,
                 defi: str | None, among: np.ndarray | None = None) -> np.ndarray:
    """Answers of the Défi within ``ring_m`` of each QPV (counts only)."""
    return Answers(qpv, places, among).count_within(ring_m, defi)


def nearest(qpv: gpd.GeoSeries, frame: gpd.GeoDataFrame, mask: np.ndarray) -> Nearest:
    """Nearest feature of ``frame[mask]`` to each QPV (ties: smallest id, order-independent)."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    return nearest_of(qpv, geoms, frame["id"].astype(str).to_numpy(),
                      frame["nom"].to_numpy(), mask & ~(shapely.is_missing(geoms)
                                                        | shapely.is_empty(geoms)))


def nearest_of(qpv: gpd.GeoSeries, geoms: np.ndarray, ids: np.ndarray, noms: np.ndarray,
               mask: np.ndarray) -> Nearest:
    """Nearest of the located features ``geoms[mask]`` (ids as text, names as stored)."""
    positions = np.flatnonzero(mask)
    n = len(qpv)
    if not len(positions) or not n:
        return Nearest(np.full(n, np.nan), [None] * n, bool(len(positions)),
                       np.full(n, -1))
    tree = shapely.STRtree(geoms[positions])
    (i, p), dist = parallel.query_nearest(tree, np.asarray(qpv.values), all_matches=True)
    order = np.lexsort((ids[positions[p]], i))
    i, p, dist = i[order], p[order], dist[order]
    first = np.r_[True, i[1:] != i[:-1]]
    distance = np.full(n, np.nan)
    distance[i[first]] = dist[first]
    names: list[str | None] = [None] * n
    found = np.full(n, -1)
    found[i[first]] = positions[p[first]]
    for qi, pi in zip(i[first], p[first], strict=True):
        names[qi] = noms[positions[pi]]
    return Nearest(distance, names, True, found)


def nearest_places(qpv: gpd.GeoSeries, places: gpd.GeoDataFrame | Places, defi: str | None,
                   among: np.ndarray | None = None) -> dict[str, Nearest]:
    """Nearest lieu totem, hébergement, accompagnement: tagged with the Défi or généraliste
    (no Défi stated), open or status unknown; a position known only to the commune is no
    distance (it says nothing of a neighbourhood). Positions are those of ``places``."""
    table = as_places(places)
    relevant = table.open & ~table.by_commune & table.defi(defi, untagged=True) \
        & table.located & _among(table, among)
    return {kind: nearest_of(qpv, table.geometry, table.ids, table.nom,
                             relevant & (table.kind == kind))
            for kind in ("lieu_totem", "hebergement", "accompagnement")}


def nearest_station(qpv: gpd.GeoSeries, access: gpd.GeoDataFrame) -> Nearest:
    """Nearest station of :func:`~geoservice.analysis.stations.access_stations`."""
    return nearest(qpv, access, np.ones(len(access), dtype=bool))


def need_stages(besoins: gpd.GeoDataFrame) -> np.ndarray:
    """Each need's stage (``repere`` when it has none: stored before stages existed)."""
    if "etape" not in besoins.columns:
        return np.full(len(besoins), FIRST, dtype=object)
    return np.array([v if isinstance(v, str) and v in STAGES else FIRST
                     for v in besoins["etape"]], dtype=object)


def unmet_needs(qpv: gpd.GeoDataFrame, besoins: gpd.GeoDataFrame, ring_m: float,
                defi: str | None) -> list[list[int]]:
    """Needs not answered (``couvert`` not true, not closed, not at a stage that closes
    them: launched, existing answer, dropped) in the quartier vécu of each QPV: located
    within the ring, or naming the QPV code in their ``qpv`` field. Needs the Fabrique is
    working on (exploration … accompagnement) are still unmet."""
    if not len(besoins):
        return [[] for _ in range(len(qpv))]
    open_need = np.array([c is not True and c is not np.True_ for c in besoins["couvert"]])
    return needs_near(qpv, besoins, ring_m, defi,
                      open_need & ~np.isin(need_stages(besoins), CLOSED))


def answered_needs(qpv: gpd.GeoDataFrame, besoins: gpd.GeoDataFrame, ring_m: float,
                   defi: str | None) -> list[list[int]]:
    """Needs an activity now answers (stage ``lance`` or ``reponse_existante``), found
    like :func:`unmet_needs`."""
    if not len(besoins):
        return [[] for _ in range(len(qpv))]
    return needs_near(qpv, besoins, ring_m, defi, np.isin(need_stages(besoins), ANSWERED))


def needs_near(qpv: gpd.GeoDataFrame, besoins: gpd.GeoDataFrame, ring_m: float,
               defi: str | None, chosen: np.ndarray) -> list[list[int]]:
    """The ``chosen`` needs (not closed, of the Défi) of each QPV's quartier vécu."""
    n = len(qpv)
    members: list[set[int]] = [set() for _ in range(n)]
    mask = chosen & (besoins["statut"] != "ferme").to_numpy() \
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


def commune_only(qpv: gpd.GeoDataFrame, places: gpd.GeoDataFrame | Places,
                 defi: str | None) -> list[list[int]]:
    """Per QPV, the answers of its commune(s) whose position is known only to the commune:
    never counted (they say nothing of a neighbourhood), but the reasons name them."""
    table = as_places(places)
    if "insee_com" not in qpv.columns or not len(table):
        return [[] for _ in range(len(qpv))]
    positions = np.flatnonzero(table.by_commune & table.open & table.defi(defi))
    communes = pd.Series(table.commune[positions], dtype=object)
    return [positions[communes.isin(set(codes.replace(" ", "").split(","))).to_numpy()].tolist()
            for codes in qpv["insee_com"].astype(str)]
