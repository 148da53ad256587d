"""What drives the ranking, and how sure it is.

- **Effective weights**: each component's share of the spread of the score among the
  ranked QPV, ``w_k · sd(c_k) / Σ_j w_j · sd(c_j)`` (sums to 1). A component with a large
  nominal weight but little variation between QPV moves the ranking little: this says so.
- **Rank ranges**: the ranking is recomputed over ``DRAWS`` draws in which every weight is
  multiplied by U(0.5, 1.5) (seeded: the same answer every time). ``rank_range`` = [best,
  worst] rank over the draws and the nominal weights (so it always contains the rank),
  ``top5_share`` = share of draws in which the QPV is in the top 5. A rank is *robuste*
  when its range spans at most ``ROBUST_SPAN`` + 1 ranks, *fragile* otherwise.
- **Unknown need** (QPV without INSEE indicators): its need is drawn uniformly between the
  lowest and highest need of the known QPV, on top of the weight draws; its possible rank
  is counted among the ranked QPV (as if it were added to them). Those QPV are listed
  first in a block « à documenter en priorité » when their best possible rank is high,
  never silently last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .params import COMPONENTS
from .score import combine, weighted

DRAWS = 400
SEED = 20261123
FACTOR = (0.5, 1.5)
ROBUST_SPAN = 2
TOP = 5


@dataclass
class Sensitivity:
    best: np.ndarray          # best rank per QPV (NaN: no score possible)
    worst: np.ndarray
    top_share: np.ndarray     # share of draws in the top 5
    effective: dict[str, float | None]


def effective_weights(parts: pd.DataFrame, weights: dict[str, float],
                      ranked: np.ndarray) -> dict[str, float | None]:
    """Each weighted component's share of the score spread among the ranked QPV."""
    spread = {}
    for name in COMPONENTS:
        w = float(weights.get(name, 0.0))
        values = parts[name].to_numpy(dtype=float)[ranked]
        values = values[~np.isnan(values)]
        spread[name] = w * float(np.std(values)) if w > 0 and len(values) > 1 else 0.0
    total = sum(spread.values())
    return {name: (round(spread[name] / total, 4) if total > 0 else None)
            for name in COMPONENTS}


def _competition_rank(scores: np.ndarray) -> np.ndarray:
    """Rank per row of ``scores`` (draws × QPV): 1 + number of strictly higher scores."""
    keyed = np.round(scores, 9)
    return 1 + (keyed[:, None, :] > keyed[:, :, None]).sum(axis=2)


def sensitivity(parts: pd.DataFrame, weights: dict[str, float], need_known: np.ndarray,
                scores: np.ndarray, draws: int = DRAWS, seed: int = SEED) -> Sensitivity:
    n = len(parts)
    ranked = ~np.isnan(scores)
    effective = effective_weights(parts, weights, ranked)
    names, w0, values = weighted(parts, weights)
    best = np.full(n, np.nan)
    worst = np.full(n, np.nan)
    top = np.full(n, np.nan)
    if not len(w0) or not ranked.any():
        return Sensitivity(best, worst, top, effective)
    rng = np.random.default_rng(seed)
    factors = rng.uniform(*FACTOR, size=(draws, len(w0)))
    w = np.vstack([w0, w0 * factors])       # row 0: the nominal weights
    known_rows = np.flatnonzero(ranked)
    drawn = combine(values[known_rows][None, :, :], w[:, None, :])  # (draws+1) × ranked
    ranks = _competition_rank(drawn)
    best[known_rows] = ranks.min(axis=0)
    worst[known_rows] = ranks.max(axis=0)
    top[known_rows] = (ranks[1:] <= TOP).mean(axis=0)

    need_column = names.index("need") if "need" in names else None
    unknown = np.flatnonzero(~ranked & ~need_known)
    if need_column is not None and len(unknown):
        known_need = parts["need"].to_numpy(dtype=float)[known_rows]
        low, high = float(np.nanmin(known_need)), float(np.nanmax(known_need))
        for q in unknown:
            row = np.repeat(values[q][None, :], len(w), axis=0)
            row[:, need_column] = rng.uniform(low, high, size=len(w))
            row[0, need_column] = low  # the nominal draw: its least possible need
            own = combine(row, w)  # one score per draw, paired row by row
            possible = 1 + (np.round(drawn, 9) > np.round(own, 9)[:, None]).sum(axis=1)
            best[q], worst[q] = possible.min(), possible.max()
            top[q] = float((possible[1:] <= TOP).mean())
    return Sensitivity(best, worst, top, effective)


def robustness(best: float, worst: float) -> str | None:
    if np.isnan(best) or np.isnan(worst):
        return None
    return "robuste" if worst - best <= ROBUST_SPAN else "fragile"


COMPONENT_WORDS = {"need": "besoin social", "answer": "faible réponse ESS",
                   "distance": "éloignement des lieux ESS",
                   "access": "éloignement des transports (métro, tram, train urbain)",
                   "demand": "besoins signalés"}


def drivers(parts: pd.DataFrame, weights: dict[str, float], ranked: np.ndarray
            ) -> list[list[tuple[str, float]]]:
    """Per QPV, the (at most two) components that push its score above the mean of the
    ranked QPV, with their push in score points: ``100 · w_k (c_k − mean_k) / Σ w``."""
    names, w, values = weighted(parts, weights)
    known = ~np.isnan(values)
    den = (known * w).sum(axis=1)
    means = np.full(len(names), np.nan)
    for k in range(len(names)):
        column = values[ranked, k]
        column = column[~np.isnan(column)]
        if len(column):  # a component nobody has (no station data) pushes nobody
            means[k] = column.mean()
    out = []
    for i in range(len(parts)):
        if den[i] <= 0 or not ranked[i]:
            out.append([])
            continue
        push = [(names[k], 100 * w[k] * (values[i, k] - means[k]) / den[i])
                for k in range(len(names)) if known[i, k] and not np.isnan(means[k])]
        push = sorted((p for p in push if p[1] >= 0.05), key=lambda p: -p[1])[:2]
        out.append([(name, round(float(points), 1)) for name, points in push])
    return out


def drivers_text(found: list[tuple[str, float]]) -> str | None:
    """« pèse surtout : besoin social (+3,9 points), … » (French), or None."""
    from .text import number

    if not found:
        return None
    return ("pèse surtout (par rapport à la moyenne des QPV classés) : "
            + ", ".join(f"{COMPONENT_WORDS[name]} (+{number(points)} points)"
                        for name, points in found))
