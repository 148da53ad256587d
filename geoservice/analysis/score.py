"""The underserved score: transparent components (each 0–1, 1 = underserved), weights,
score 0–100, rank, and the plain-French reasons.

- ``need``: mean of the published measures among poverty rate, share of the 15–64 without
  a job and jobseekers per 100 inhabitants, each scaled between fixed goalposts
  (:data:`~geoservice.analysis.need.GOALPOSTS`); null when the need is unknown.
- ``answer``: ½ (1 − s) + ½ / (1 + n), measured by reach: s = share of the QPV's area
  within the ring of a located answer of the Défi (``covered_share``, so a large QPV
  touched at one corner is not "served"), n = answers within the ring + half of those
  between the ring and 1 km.
- ``distance``: mean over lieu totem, hébergement, accompagnement of min(d / 5 km, 1);
  a kind with no located structure counts 1 (nothing reachable is known; same for every
  QPV, so the ranking is unchanged) and its distance stays null.
- ``access``: (d − 500 m) / 1.5 km clipped to 0–1, d = distance to the nearest metro,
  tram or urban-fare train station; null (left out for every QPV) when the territory has
  no station data.
- ``demand``: m / (m + 2), m = unanswered needs spotted in the QPV or its ring (one need
  0.33, two 0.5: entered needs depend on who reports them, so one alone cannot outweigh
  the rest).

score = 100 · Σ w_k c_k / Σ w_k over the components with a weight > 0 and a value.
When ``need`` has a weight > 0 and is unknown, the score and rank are null: such QPV are
listed after the ranked ones, in a "besoin inconnu" group, never as low need.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .params import COMPONENTS

DISTANCE_SCALE_M = 5000.0
# Access goalposts: a station within 500 m is within walking reach (the distance the Code de
# l'urbanisme uses around a station of guided or dedicated-lane public transport, art.
# L151-35); from 2 km on (about 25 minutes' walk) there is none on foot.
ACCESS_NEAR_M = 500.0
ACCESS_FAR_M = 2000.0
DEMAND_HALF = 2.0  # needs spotted at which demand is 0.5


def distance_component(distances: dict[str, np.ndarray]) -> np.ndarray:
    """Mean of min(d / 5 km, 1) over the place kinds; an unlocated kind (NaN) counts 1."""
    terms = [np.where(np.isnan(d), 1.0, np.minimum(d / DISTANCE_SCALE_M, 1.0))
             for d in distances.values()]
    return np.mean(terms, axis=0)


def access_component(distance_m: np.ndarray) -> np.ndarray:
    """0 within 500 m of a station, 1 from 2 km, linear between (NaN stays NaN)."""
    return np.clip((distance_m - ACCESS_NEAR_M) / (ACCESS_FAR_M - ACCESS_NEAR_M), 0.0, 1.0)


def answer_component(answers: np.ndarray, answers_1km: np.ndarray,
                     covered_share: np.ndarray) -> np.ndarray:
    """½ (1 − share of the area within reach) + ½ / (1 + answers by reach)."""
    reach = answers + 0.5 * np.maximum(answers_1km - answers, 0.0)
    return 0.5 * (1.0 - np.clip(covered_share, 0.0, 1.0)) + 0.5 / (1.0 + reach)


def components(need: np.ndarray, answers: np.ndarray, answers_1km: np.ndarray,
               covered_share: np.ndarray, distances: dict[str, np.ndarray],
               station_m: np.ndarray, unmet: np.ndarray) -> pd.DataFrame:
    """The five components, one row per QPV (NaN = not available)."""
    return pd.DataFrame({
        "need": need,
        "answer": answer_component(answers, answers_1km, covered_share),
        "distance": distance_component(distances),
        "access": access_component(station_m),
        "demand": unmet / (unmet + DEMAND_HALF),
    })


def weighted(parts: pd.DataFrame, weights: dict[str, float]
             ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The components with a weight > 0: their names, weights (k) and values (QPV × k)."""
    names = [c for c in COMPONENTS if float(weights.get(c, 0.0)) > 0]
    w = np.array([float(weights[c]) for c in names], dtype=float)
    values = parts[names].to_numpy(dtype=float) if names else np.zeros((len(parts), 0))
    return names, w, values


def combine(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """100 · Σ w·c / Σ w over the known components (last axis), NaN when none is known.
    Broadcasts: values (QPV × k) with w (k,) gives one score per QPV; values (1 × QPV × k)
    with w (draws × 1 × k) gives a score per draw and QPV."""
    known = ~np.isnan(values)
    num = (w * np.where(known, values, 0.0)).sum(axis=-1)
    den = (w * known).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 100.0 * num / den, np.nan)


def score(parts: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """0–100 or NaN (need unknown while weighted, or no component available)."""
    _, w, values = weighted(parts, weights)
    result = combine(values, w)
    if weights.get("need", 0) > 0:
        result = np.where(np.isnan(parts["need"].to_numpy(dtype=float)), np.nan, result)
    return result


def rank(scores: np.ndarray, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Competition rank (1 = most underserved, ties share a rank) and display order.

    Unscored QPV get no rank and come last, by code. Scores are compared rounded to 1e-9
    so that the result does not depend on the order of the input features.
    """
    keyed = np.round(scores, 9)
    frame = pd.DataFrame({"s": keyed, "code": codes})
    ranks = frame["s"].rank(method="min", ascending=False).to_numpy()
    order = np.lexsort((np.array(codes, dtype=str), np.nan_to_num(-keyed, nan=np.inf)))
    return ranks, order
