"""Need: INSEE indicators of the QPV, on the 2024 perimeters when INSEE publishes them,
otherwise those of the QPV 2015 carried to the QPV 2024 by overlap; scaled between fixed
goalposts.

For a QPV 2024 *i* and a QPV 2015 *j*, let ``a_ij`` be the area of their intersection,
``A_j`` the area of *j* and ``s_ij = a_ij / A_j`` the share of *j* that lies in *i*
(EPSG:2154).

- counts (population, jobseekers…) are carried in proportion: ``x_i = Σ_j x_j · s_ij``
  (uniform density inside each 2015 perimeter); null as soon as one overlapping *j* has the
  count unpublished (a sum would understate it). They count the people of the **part of
  i covered by 2015 perimeters** only: never the population of a partly covered QPV;
- rates, indices and income deciles are means weighted by the people carried,
  ``r_i = Σ_j r_j · pop_j s_ij / Σ_j pop_j s_ij``, over the *j* where *r* is published;
  by overlap area ``a_ij`` when a population is unpublished (deciles do not average
  exactly: an approximation);
- ``indicator_coverage`` = area of *i* covered by 2015 perimeters / area of *i* (0–1).
  0 means no carried indicator at all.

INSEE data on the 2024 perimeters (:data:`DIRECT`, read on the ``qpv`` layer when the
source is configured) replace the carried value, indicator by indicator.

The need index is the mean of three measures scaled between fixed goalposts
(:data:`GOALPOSTS`): 0 at about the national level, 1 at a ceiling above every QPV of the
reference data. A QPV's need does not depend on the other QPV of the day. Unknown (null),
never 0, when no measure is published.

Not carried: commune-level figures (``pop_com``, ``pop_com_qp``) and counts of schools
"within 100/300 m of the perimeter" (``ec_*``, ``coll*``), which do not move with a perimeter.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

COUNT_INDICATORS = (
    "pop_mun", "percou", "a", "abcde", "abcde_f", "abcde_h", "abc_capbep", "abc_bac",
    "abc_supbac", "nbetab", "ens_sante", "serv_par", "serv_tot", "auto_ent",
)
MEAN_INDICATORS = (
    "ind_jeune", "tx_tot_et", "tx_f", "tx_f_et", "pmimp", "part_chomprinc", "decuc_q2",
    "decuc_d1", "decuc_d9", "disp_q2", "disp_d1", "disp_d9", "tp60", "brev", "tx_tot_empl",
    "tx_f_empl", "tx_et_empl", "tx_tot_eprec", "tx_f_eprec", "tx_et_eprec",
)
CARRIED = COUNT_INDICATORS + MEAN_INDICATORS
# The need index: three measures in percent, each scaled between its goalposts.
NEED_MEASURES = ("poverty", "non_employment", "jobseekers")
# Indicators INSEE publishes on the 2024 perimeters that the need uses (``qpv`` layer).
DIRECT = ("pop_mun", "tp60", "tx_tot_empl", "abcde")
COMPLETE = 0.995  # coverage from which the carried population is the QPV's population


@dataclass(frozen=True)
class Goalpost:
    """A measure in percent scaled to 0 at ``low`` and 1 at ``high`` (clipped)."""

    low: float
    high: float
    low_means: str
    high_means: str

    def scale(self, value: np.ndarray) -> np.ndarray:
        return np.clip((value - self.low) / (self.high - self.low), 0.0, 1.0)


GOALPOSTS: dict[str, Goalpost] = {
    "poverty": Goalpost(
        15.0, 70.0, "taux de pauvreté de la France métropolitaine (14 à 15 % selon les "
        "millésimes Filosofi), arrondi", "au-dessus du plus fort taux des 105 QPV 2015 "
        "d'Occitanie (69,1 %)"),
    "non_employment": Goalpost(
        35.0, 85.0, "part des 15-64 ans sans emploi en France (taux d'emploi d'environ "
        "65 %), arrondie", "au-dessus de la plus forte part des QPV 2015 d'Occitanie "
        "(81,5 %)"),
    "jobseekers": Goalpost(
        9.0, 40.0, "demandeurs d'emploi (catégories A à E) pour 100 habitants en France, "
        "ordre de grandeur", "au-dessus du plus fort nombre des QPV 2015 d'Occitanie "
        "(38,2)"),
}


def overlaps(qpv: gpd.GeoSeries, qpv_2015: gpd.GeoSeries) -> pd.DataFrame:
    """Pairs (i, j) with a positive intersection area ``a_ij`` and the 2015 area ``A_j``."""
    new, old = np.asarray(qpv.values), np.asarray(qpv_2015.values)
    tree = shapely.STRtree(old)
    i, j = tree.query(new, predicate="intersects")
    area = shapely.area(shapely.intersection(new[i], old[j])) if len(i) else np.zeros(0)
    keep = area > 0
    return pd.DataFrame({"i": i[keep], "j": j[keep], "a_ij": area[keep],
                         "A_j": shapely.area(old[j[keep]])})


def _coverage(qpv: gpd.GeoSeries, qpv_2015: gpd.GeoSeries, pairs: pd.DataFrame) -> np.ndarray:
    covered = np.zeros(len(qpv))
    for i, group in pairs.groupby("i", sort=True):
        if len(group) == 1:
            covered[i] = group["a_ij"].iloc[0]
        else:  # exact even if 2015 perimeters overlapped each other
            union = shapely.union_all(qpv_2015.values[group["j"].to_numpy()])
            covered[i] = shapely.area(shapely.intersection(qpv.values[i], union))
    total = shapely.area(qpv.values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(np.where(total > 0, covered / total, 0.0), 0.0, 1.0)


def carry_indicators(qpv: gpd.GeoSeries, qpv_2015: gpd.GeoDataFrame,
                     direct: pd.DataFrame | None = None) -> pd.DataFrame:
    """Indicators, ``indicator_coverage``, people concerned and the need, one row per QPV.

    Parameters
    ----------
    qpv : GeoSeries
        QPV 2024 polygons in EPSG:2154.
    qpv_2015 : GeoDataFrame
        QPV 2015 polygons in EPSG:2154 with INSEE indicator columns (null = unpublished).
    direct : DataFrame, optional
        INSEE indicators on the 2024 perimeters (columns of :data:`DIRECT`, positions like
        ``qpv``); a published value replaces the carried one.

    Returns
    -------
    DataFrame
        Indexed 0..n-1 like ``qpv``; indicator columns are floats with NaN where unknown.
    """
    n = len(qpv)
    pairs = overlaps(qpv, qpv_2015.geometry)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["indicator_coverage"] = _coverage(qpv, qpv_2015.geometry, pairs)
    i = pairs["i"].to_numpy()
    j = pairs["j"].to_numpy()
    share = (pairs["a_ij"] / pairs["A_j"]).to_numpy()
    area = pairs["a_ij"].to_numpy()
    has_pair = np.bincount(i, minlength=n) > 0
    pop_j = _column(qpv_2015, "pop_mun")[j]
    people = pop_j * share  # people of j living in i (NaN: unpublished)
    # population weights for every pair of a QPV when all its populations are published
    pop_ok = np.bincount(i, weights=np.isnan(people).astype(float), minlength=n) == 0
    weight = np.where(pop_ok[i], np.nan_to_num(people), area)
    for name in CARRIED:
        if name not in qpv_2015.columns:
            out[name] = np.nan
            continue
        values = _column(qpv_2015, name)[j]
        known = ~np.isnan(values)
        if name in COUNT_INDICATORS:
            total = np.bincount(i, weights=np.where(known, values * share, 0.0), minlength=n)
            missing = np.bincount(i, weights=(~known).astype(float), minlength=n) > 0
            out[name] = np.where(has_pair & ~missing, total, np.nan)
        else:
            num = np.bincount(i, weights=np.where(known, values * weight, 0.0), minlength=n)
            den = np.bincount(i, weights=np.where(known, weight, 0.0), minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[name] = np.where(den > 0, num / den, np.nan)
    out["rate_weights"] = np.where(has_pair, np.where(pop_ok, "population", "surface"), None)
    out["population_complete"] = (out["indicator_coverage"] >= COMPLETE) \
        & out["pop_mun"].notna()
    out["indicator_source"] = np.where(has_pair, "report_2015", None)
    if direct is not None:
        _use_direct(out, direct)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["jobseekers_per_100"] = np.where(out["pop_mun"] > 0,
                                             100 * out["abcde"] / out["pop_mun"], np.nan)
    out["poor_people"] = out["tp60"] / 100 * out["pop_mun"]
    raw = {"poverty": out["tp60"], "non_employment": 100 - out["tx_tot_empl"],
           "jobseekers": out["jobseekers_per_100"]}
    for name in NEED_MEASURES:
        out[f"need_{name}"] = GOALPOSTS[name].scale(raw[name].to_numpy(dtype=float))
    measures = out[[f"need_{name}" for name in NEED_MEASURES]]
    out["need"] = measures.mean(axis=1, skipna=True)  # NaN when none is published
    out["need_known"] = out["need"].notna()
    return out


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").astype(float).to_numpy()


def _use_direct(out: pd.DataFrame, direct: pd.DataFrame) -> None:
    """INSEE values on the 2024 perimeters replace the carried ones where published."""
    published = {name: ~np.isnan(_column(direct, name)) for name in DIRECT}
    for name, here in published.items():
        out[name] = np.where(here, _column(direct, name), out[name].to_numpy(dtype=float))
    out["population_complete"] = out["population_complete"].to_numpy() | published["pop_mun"]
    used = np.any(list(published.values()), axis=0)
    # every need indicator from 2024: the 2015 carry-over plays no part
    full = np.all([published[name] for name in DIRECT[1:]], axis=0)
    carried = out["indicator_source"].to_numpy(dtype=object) == "report_2015"
    out["indicator_source"] = np.where(
        ~used, out["indicator_source"].to_numpy(dtype=object),
        np.where(carried & ~full, "insee_2024_et_report_2015", "insee_2024"))
