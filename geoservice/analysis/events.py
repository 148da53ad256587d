"""ESS events held in a QPV or within its ring (500 m by default) over the last 12 months:
a reason line of the diagnosis (« 3 événements ESS… »), never a component of the score.

An event counts when one of its occurrences falls in the 12 months before the day of the
analysis, it was not cancelled, its position is known better than the commune, and it is
verified (or written by the team) unless the analysis is asked to count unverified data.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import geopandas as gpd
import numpy as np
import shapely

from ..agenda.when import PARIS, When, WhenError

EVENT_COLUMNS = ("id", "nom", "debut", "fin", "journee_entiere", "rrule", "defi", "precision",
                 "verification", "statut_evenement")
WINDOW = timedelta(days=365)


def _last_held(props: dict, low: datetime, high: datetime) -> date | None:
    try:
        occurrences = When.of(props).between(low, high)
    except WhenError:
        return None
    return occurrences[-1].start.date() if occurrences else None


def recent_events(qpv: gpd.GeoSeries, events: gpd.GeoDataFrame | None, ring_m: float,
                  defi: str | None, unverified: bool, today: date
                  ) -> list[list[tuple[date, str]]]:
    """For each QPV (EPSG:2154 geometries), the (last day held, name) of the events held
    in it or within ``ring_m`` metres during the 12 months up to ``today``."""
    out: list[list[tuple[date, str]]] = [[] for _ in range(len(qpv))]
    if events is None or not len(events):
        return out
    high = datetime.combine(today, time.max, PARIS)
    low = datetime.combine(today - WINDOW, time(), PARIS)
    points, held = [], []
    for i, row in enumerate(events.drop(columns="geometry").to_dict("records")):
        point = events.geometry.iloc[i]
        if point is None or point.is_empty or row.get("precision") in (None, "commune"):
            continue
        if row.get("statut_evenement") == "annule":
            continue
        if row.get("verification") == "a_verifier" and not unverified:
            continue
        if defi is not None and defi not in list(row.get("defi") or []):
            continue
        day = _last_held({k: (None if v is None or v != v else v) for k, v in row.items()},
                         low, high)
        if day is not None:
            points.append(point)
            held.append((day, str(row.get("nom") or "")))
    if not points:
        return out
    tree = shapely.STRtree(np.array(points, dtype=object))
    area, found = tree.query(np.asarray(qpv.values, dtype=object), predicate="dwithin",
                             distance=ring_m)
    for q, p in zip(area.tolist(), found.tolist(), strict=True):
        out[q].append(held[p])
    return [sorted(found, reverse=True) for found in out]


def event_reason(found: list[tuple[date, str]], ring_m: float) -> list[str]:
    """The reason line (none when no event was held there)."""
    if not found:
        return []
    last_day, last_name = found[0]
    count = len(found)
    return [f"{count} événement{'s' if count > 1 else ''} ESS tenu{'s' if count > 1 else ''} "
            f"dans le quartier ou à moins de {ring_m:g} m ces 12 derniers mois (dernier : "
            f"{last_name}, le {last_day.strftime('%d/%m/%Y')}) ; hors du score"]
