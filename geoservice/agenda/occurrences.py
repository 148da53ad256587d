"""``datetime`` on ``evenements/items``: an event matches when one of its occurrences
overlaps the asked instant or interval (a weekly event matches its fourth Tuesday, not the
days between). Days, months and years are Paris days; date-times keep their offset.

Examples
--------
>>> low, high = parse_window("2026-11-24")
>>> low.isoformat(), high.isoformat()
('2026-11-24T00:00:00+01:00', '2026-11-24T23:59:59.999999+01:00')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

from ..errors import InvalidParameter
from ..read.snapshot import TIME_MATCHERS, Collection
from .when import PARIS, When, WhenError, day_bounds

EVENTS = "evenements"
"""The agenda's layer id."""

Window = tuple[datetime | None, datetime | None]
_PERIOD = re.compile(r"^(\d{4})(-(\d{2}))?(-(\d{2}))?$")


def _span(text: str, bound: str) -> tuple[datetime, datetime]:
    found = _PERIOD.match(text)
    try:
        if found:
            year, month, day = (int(found.group(1)), found.group(3), found.group(5))
            if day is not None:
                return day_bounds(date(year, int(month), int(day)))  # type: ignore[arg-type]
            first = date(year, int(month) if month else 1, 1)
            last_month = int(month) if month else 12
            following = date(year + last_month // 12, last_month % 12 + 1, 1)
            return day_bounds(first)[0], day_bounds(date.fromordinal(
                following.toordinal() - 1))[1]
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"datetime : date impossible « {text[:40]} » ({bound})") \
            from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment, moment


def parse_window(text: str) -> Window:
    """``datetime`` (an instant, a day, a month, a year, or ``a/b`` with ``..`` open) →
    the first and last instant it covers, in Paris time (None: open)."""
    text = text.strip()
    if "/" not in text:
        return _span(text, "instant")
    start_text, _, end_text = text.partition("/")
    low = None if start_text in ("", "..") else _span(start_text, "début")[0]
    high = None if end_text in ("", "..") else _span(end_text, "fin")[1]
    if low is not None and high is not None and low > high:
        raise InvalidParameter(f"datetime : intervalle inversé « {text[:60]} »")
    return low, high


def when_of(props: Mapping[str, Any]) -> When | None:
    """The event's time, None when its stored dates cannot be read (never matched)."""
    try:
        return When.of(props)
    except WhenError:
        return None


def matching(records: Sequence[Mapping[str, Any]], positions: np.ndarray, text: str
             ) -> np.ndarray:
    """The positions (among ``positions``) of the events having an occurrence in the
    ``datetime`` window ``text``."""
    return positions[_states(records, positions, text)[0]]


def _states(records: Sequence[Mapping[str, Any]], positions: np.ndarray, text: str
            ) -> tuple[np.ndarray, np.ndarray]:
    low, high = parse_window(text)
    keep = np.zeros(len(positions), dtype=bool)
    undated = np.zeros(len(positions), dtype=bool)
    for i, position in enumerate(positions):
        when = when_of(records[int(position)])
        undated[i] = when is None
        keep[i] = when is not None and when.matches(low, high)
    return keep, undated


def match_events(collection: Collection, text: str, positions: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``datetime`` on the agenda for the read side (:data:`TIME_MATCHERS`): an event
    matches by its occurrences; one whose dates cannot be read is counted as undated."""
    return _states(collection.records, positions, text)


TIME_MATCHERS[EVENTS] = match_events
