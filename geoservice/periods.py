"""When things were open: dates written ``AAAA``, ``AAAA-MM`` or ``AAAA-MM-JJ`` read once,
the period [opening, closing) of an ESS place or project, and what a write must respect.

Rules (docs/temps.md):

- a partial date stands for the **first day of its period**, at both ends: opened
  ``2023-05`` = open from 1 May 2023; closed ``2024`` = closed from 1 January 2024;
- a place is open on day *d* when opening ≤ *d* < closing;
- a closing before the opening is refused (422 naming ``date_fermeture``); a closing date
  that has come (≤ today) needs ``statut: ferme``, an opening still to come needs
  ``statut: a_venir`` (422 naming ``statut``): the status is never set behind the writer's
  back;
- a feature whose dates do not say whether it was open is **undated** for that question:
  never taken as open or closed, counted apart (:func:`states`).

No web framework, no storage: the read side, the analysis and the write rules use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

OPENING = "date_ouverture"
CLOSING = "date_fermeture"
Interval = tuple[date | None, date | None]
"""First and last day asked for, inclusive; None = open end."""


def date_span(value: Any) -> tuple[date, date] | None:
    """First and last day covered by a year (int), ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``
    (a longer text is read by its first 10 characters); None when unreadable.

    Examples
    --------
    >>> date_span("2021-02")
    (datetime.date(2021, 2, 1), datetime.date(2021, 2, 28))
    >>> date_span("2021-13") is None
    True
    """
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()[:10]
    try:
        if len(text) == 4 and text.isdigit():
            year = int(text)
            return date(year, 1, 1), date(year, 12, 31)
        if len(text) == 7 and text[4] == "-":
            first = date(int(text[:4]), int(text[5:7]), 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, date.fromordinal(following.toordinal() - 1)
        if len(text) == 10:
            day = date.fromisoformat(text)
            return day, day
    except ValueError:
        return None
    return None


def first_day(value: Any) -> date | None:
    """The first day of a partial date (None when absent or unreadable)."""
    span = date_span(value)
    return None if span is None else span[0]


def french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# -- the write rule --------------------------------------------------------------------------

def period_problems(props: Mapping[str, Any], today: date,
                    flagged: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Problems of a feature's opening and closing dates (field, French message)."""
    flagged = set(flagged)
    if OPENING in flagged or CLOSING in flagged:
        return []
    opening, closing = first_day(props.get(OPENING)), first_day(props.get(CLOSING))
    out: list[tuple[str, str]] = []
    for name, day in ((OPENING, opening), (CLOSING, closing)):
        if props.get(name) is not None and day is None:
            out.append((name, f"date impossible « {str(props.get(name))[:20]} » (AAAA, "
                              "AAAA-MM ou AAAA-MM-JJ)"))
    if out:
        return out
    if opening is not None and closing is not None and closing < opening:
        return [(CLOSING, f"la fermeture ({props.get(CLOSING)}) précède l'ouverture "
                          f"({props.get(OPENING)}) ; une date partielle vaut son premier "
                          "jour")]
    statut = props.get("statut")
    if "statut" in flagged:
        return out
    if closing is not None and closing <= today and statut != "ferme":
        out.append(("statut", f"« ferme » attendu : la fermeture ({props.get(CLOSING)}) est "
                              "passée (ou effacez date_fermeture)"))
    elif opening is not None and opening > today and statut != "a_venir":
        out.append(("statut", f"« a_venir » attendu : l'ouverture ({props.get(OPENING)}) est "
                              "à venir"))
    return out


# -- many features at once -------------------------------------------------------------------

@dataclass(frozen=True)
class Periods:
    """The periods of a layer's features as arrays (ordinals; NaN when unknown)."""

    start: np.ndarray
    """First day open (NaN: opening unknown)."""
    end: np.ndarray
    """First day closed (NaN: no closing date)."""
    closed_undated: np.ndarray
    """Closed (``statut: ferme``) at a date nobody gave."""
    to_come: np.ndarray
    """``statut: a_venir`` (not open yet, today)."""
    open_now: np.ndarray
    """``statut: ouvert`` without a closing date: open today."""

    @classmethod
    def of(cls, openings: Iterable[Any], closings: Iterable[Any], statuts: Iterable[Any]
           ) -> Periods:
        start = np.array([_ordinal(v) for v in openings], dtype=float)
        end = np.array([_ordinal(v) for v in closings], dtype=float)
        statut = np.array([s if isinstance(s, str) else "" for s in statuts], dtype=object)
        if len(statut) != len(start):
            statut = np.full(len(start), "", dtype=object)
        no_end = np.isnan(end)
        return cls(start, end, (statut == "ferme") & no_end, statut == "a_venir",
                   (statut == "ouvert") & no_end)

    @classmethod
    def concat(cls, parts: list[Periods]) -> Periods:
        """The parts end to end."""
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls.of([], [], [])
        return cls(*(np.concatenate([getattr(p, name) for p in parts])
                     for name in ("start", "end", "closed_undated", "to_come", "open_now")))

    def __len__(self) -> int:
        return len(self.start)

    @property
    def dated(self) -> np.ndarray:
        """Features with an opening or a closing date."""
        return ~(np.isnan(self.start) & np.isnan(self.end))

    def states(self, interval: Interval, today: date | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(open during some day of ``interval``, undated for it): for each feature, True in
        the first array when its dates say it was open at least one day of the interval,
        True in the second when they do not say either way."""
        today = today or date.today()
        low = -np.inf if interval[0] is None else float(interval[0].toordinal())
        high = np.inf if interval[1] is None else float(interval[1].toordinal())
        start, end = self.start, self.end
        known_start, known_end = ~np.isnan(start), ~np.isnan(end)
        empty = known_start & known_end & (end <= start)
        never = empty | (known_start & (start > high)) | (known_end & (end <= low))
        # not yet open today and asked only about the past: it was not open then
        never |= self.to_come & ~known_start & (high < today.toordinal())
        certain = known_start & (start <= high) & (
            (known_end & (end > low)) | (~known_end & ~self.closed_undated)
            | (~known_end & self.closed_undated & (start >= low)))
        # open today, and today is in the interval
        t = float(today.toordinal())
        certain |= self.open_now & (low <= t) & (t <= high) & ~empty
        certain &= ~never
        return certain, ~certain & ~never

    def extent(self) -> list[str | None] | None:
        """[first opening, last closing] as ISO days (None for an end not known or open);
        None when no feature is dated."""
        if not self.dated.any():
            return None
        starts = self.start[~np.isnan(self.start)]
        first = date.fromordinal(int(starts.min())).isoformat() if len(starts) else None
        # still open (or closed at an unknown date) → the period has no known end
        open_ended = bool((~np.isnan(self.start) & np.isnan(self.end)).any())
        ends = self.end[~np.isnan(self.end)]
        last = None if open_ended or not len(ends) else \
            date.fromordinal(int(ends.max()) - 1).isoformat()
        return [first, last]

    def changes(self, after: date, until: date) -> tuple[np.ndarray, np.ndarray]:
        """(opened, closed): features whose opening, closing day is in (after, until]."""
        a, b = float(after.toordinal()), float(until.toordinal())
        with np.errstate(invalid="ignore"):
            return (self.start > a) & (self.start <= b), (self.end > a) & (self.end <= b)


def _ordinal(value: Any) -> float:
    day = first_day(value)
    return np.nan if day is None else float(day.toordinal())
