"""Need: INSEE indicators of the QPV 2015 carried to the QPV 2024 by area-weighted overlap.

For a QPV 2024 *i* and a QPV 2015 *j*, let ``a_ij`` be the area of their intersection and
``A_j`` the area of *j* (EPSG:2154).

- counts (population, jobseekers…) are carried in proportion to the share of *j* that
  lies in *i*: ``x_i = Σ_j x_j · a_ij / A_j`` (uniform density inside each 2015 perimeter);
  null as soon as one overlapping *j* has the count unpublished (a sum would understate it);
- rates, indices and income deciles are overlap-area-weighted means
  ``r_i = Σ_j r_j · a_ij / Σ_j a_ij`` over the *j* where *r* is published (an approximation:
  deciles do not average exactly);
- ``indicator_coverage`` = area of *i* covered by 2015 perimeters / area of *i* (0–1).
  0 means no indicator at all: the need is *unknown* (null), never 0.

Not carried: commune-level figures (``pop_com``, ``pop_com_qp``) and counts of schools
"within 100/300 m of the perimeter" (``ec_*``, ``coll*``), which do not move with a perimeter.
"""

from __future__ import annotations

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
# The need index: three shares of people, each in 0–1, averaged over the published ones.
NEED_MEASURES = ("poverty", "non_employment", "jobseekers")


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


def carry_indicators(qpv: gpd.GeoSeries, qpv_2015: gpd.GeoDataFrame) -> pd.DataFrame:
    """Carried indicators, ``indicator_coverage`` and the need measures, one row per QPV 2024.

    Parameters
    ----------
    qpv : GeoSeries
        QPV 2024 polygons in EPSG:2154.
    qpv_2015 : GeoDataFrame
        QPV 2015 polygons in EPSG:2154 with INSEE indicator columns (null = unpublished).

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
    share = (pairs["a_ij"] / pairs["A_j"]).to_numpy()
    weight = pairs["a_ij"].to_numpy()
    has_pair = np.bincount(i, minlength=n) > 0
    for name in CARRIED:
        if name not in qpv_2015.columns:
            out[name] = np.nan
            continue
        values = pd.to_numeric(qpv_2015[name], errors="coerce").astype(float).to_numpy()[
            pairs["j"].to_numpy()]
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
    with np.errstate(invalid="ignore", divide="ignore"):
        out["jobseekers_per_100"] = np.where(out["pop_mun"] > 0,
                                             100 * out["abcde"] / out["pop_mun"], np.nan)
    out["poverty"] = out["tp60"] / 100
    out["non_employment"] = 1 - out["tx_tot_empl"] / 100
    out["jobseekers"] = (out["jobseekers_per_100"] / 100).clip(upper=1)
    measures = out[list(NEED_MEASURES)]
    out["need"] = measures.mean(axis=1, skipna=True)  # NaN when none is published
    out["need_known"] = out["need"].notna() & (out["indicator_coverage"] > 0)
    out.loc[~out["need_known"], "need"] = np.nan
    return out
