"""The analysis at a past date: the inputs as they stood that day, as far as the data say.

- **ESS answers** (places and projects): open that day by their period [date_ouverture,
  date_fermeture) (:mod:`geoservice.periods`); a feature whose dates do not say is
  **undated**: it keeps its current status (as today) and is counted apart, never taken
  silently as open or closed then;
- **needs**: those reported by that day (``date_signalement``); one answered, dropped or
  covered by an existing answer after that day (``etape_date``) was still unmet then (its
  earlier stage is not in the current record: read as ``repere``); a need without a report
  date is kept as today and counted apart;
- **not dated**, used as today: the QPV 2024 perimeters (in force since 1 January 2024),
  the INSEE indicators (their vintages), the stations (OpenStreetMap extract).

Two dates whose inputs are the same share one diagnosis (:attr:`AtDate.key`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from ..fabrique.stages import CLOSED, FIRST
from ..periods import Periods, first_day
from ..vocab import ANSWER_LAYERS
from .inputs import Inputs, from_store

if TYPE_CHECKING:
    from ..read.snapshot import Snapshot

NOT_DATED = {
    "qpv": "périmètres des QPV 2024 (en vigueur depuis le 1er janvier 2024), utilisés à "
           "toute date",
    "indicateurs": "indicateurs INSEE au millésime de leur source (population 2015, revenus "
                   "2017, insertion 2020 ; INSEE 2024 sur les périmètres 2024 s'il y en a), "
                   "pas ceux de la date demandée",
    "stations": "stations de métro, tram et gares telles que l'extrait OpenStreetMap les "
                "donne aujourd'hui (sans date d'ouverture)",
}


NOW = ("at", "now")


@dataclass(frozen=True)
class AtDate:
    """The inputs of the analysis at ``day`` and what was dated in them."""

    day: date
    inputs: Inputs
    key: tuple
    """Equal for two dates whose inputs are the same (one diagnosis serves both);
    :data:`NOW` when they are today's."""
    facts: dict[str, Any]


def answer_periods(store: Snapshot) -> Periods:
    """The periods of every answer, in the rows' order of the analysis table."""
    def build() -> Periods:
        parts = [store.collection(layer_id).periods for layer_id in ANSWER_LAYERS
                 if layer_id in store.base]
        return Periods.concat(parts)

    return store.derived.get("analysis-periods", build)


@dataclass(frozen=True)
class NeedDates:
    reported: np.ndarray
    """Ordinal of the report's first day (NaN: unknown)."""
    closed_on: np.ndarray
    """Ordinal of the day a need was answered, dropped or found answered (NaN: not closed
    or no date)."""
    closed: np.ndarray
    """At a closing stage now."""


def need_dates(store: Snapshot) -> NeedDates:
    def build() -> NeedDates:
        if "besoins" not in store.base:
            return NeedDates(np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool))
        needs = store.collection("besoins")
        reported = np.array([_ordinal(v) for v in needs.values("date_signalement")])
        stages = np.array([v if isinstance(v, str) else FIRST for v in needs.values("etape")],
                          dtype=object)
        closed = np.isin(stages, CLOSED)
        when = np.array([_ordinal(v) for v in needs.values("etape_date")])
        return NeedDates(reported.reshape(-1), np.where(closed, when, np.nan).reshape(-1),
                         closed.reshape(-1))

    return store.derived.get("analysis-need-dates", build)


def _ordinal(value: Any) -> float:
    day = first_day(value)
    return np.nan if day is None else float(day.toordinal())


def inputs_at(store: Snapshot, day: date, today: date | None = None) -> AtDate:
    """The analysis inputs of ``store`` as they stood at ``day`` (array work only: not
    kept, the diagnosis is, by :attr:`AtDate.key`)."""
    base = from_store(store)
    table = base.table
    periods = answer_periods(store)
    if len(periods) != len(table):  # a table not made from the layers (no periods)
        periods = Periods.of([None] * len(table), [None] * len(table), [None] * len(table))
    open_then, undated = periods.states((day, day), today)
    is_open = np.where(undated, table.open, open_then)
    needs = need_dates(store)
    frame = base.besoins
    t = float(day.toordinal())
    if len(needs.reported) == len(frame):
        with np.errstate(invalid="ignore"):
            kept = ~(needs.reported > t)  # unknown report dates kept
            reopened = needs.closed & (needs.closed_on > t)
        need_undated = int(np.count_nonzero(np.isnan(needs.reported)))
    else:  # not from a store's layer: as today
        kept = np.ones(len(frame), dtype=bool)
        reopened = np.zeros(len(frame), dtype=bool)
        need_undated = len(frame)
    besoins = frame
    if reopened.any():
        besoins = frame.copy()
        stage = besoins["etape"].to_numpy(dtype=object).copy()
        stage[reopened] = FIRST
        besoins["etape"] = stage
        reply = besoins["reponse"].to_numpy(dtype=object).copy()
        reply[reopened] = None
        besoins["reponse"] = reply
    if not kept.all():
        besoins = besoins.iloc[np.flatnonzero(kept)].reset_index(drop=True)
    inputs = replace(base, table=replace(table, open=is_open), besoins=besoins)
    now = bool(np.array_equal(is_open, table.open) and kept.all() and not reopened.any())
    masks = b"".join(np.packbits(m).tobytes() for m in (is_open, kept, reopened))
    digest = "now" if now else hashlib.blake2b(masks, digest_size=16).hexdigest()
    dated = periods.dated
    facts = {
        "date": day.isoformat(),
        "answers": {
            "dated": int(np.count_nonzero(dated)),
            "undated": int(np.count_nonzero(undated)),
            "open_then": int(np.count_nonzero(is_open)),
            "undated_rule": "objets dont les dates ne disent pas s'ils étaient ouverts ce "
                            "jour-là : comptés selon leur statut actuel (comme aujourd'hui)",
        },
        "needs": {
            "dated": int(len(needs.reported) - need_undated) if len(needs.reported) == len(
                frame) else 0,
            "undated": need_undated,
            "reported_by_then": int(np.count_nonzero(kept)),
            "answered_after": int(np.count_nonzero(reopened)),
            "undated_rule": "besoins sans date de signalement : gardés comme aujourd'hui",
        },
        "not_dated": NOT_DATED,
    }
    return AtDate(day, inputs, ("at", digest), facts)
