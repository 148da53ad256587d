"""When an event happens: its start and end (RFC 3339 with an offset, Europe/Paris local
time, or a day for an all-day event), its recurrence (an RFC 5545 RRULE read by
python-dateutil) and its occurrences.

Occurrences are expanded in Paris wall-clock time (a weekly 18:00 meeting stays at 18:00
across the change to winter time), then given the Paris offset of their day.

Examples
--------
>>> when = When.of({"debut": "2026-11-03T18:00:00+01:00", "fin": "2026-11-03T20:00:00+01:00",
...                 "rrule": "FREQ=WEEKLY;COUNT=4"})
>>> [o.start.day for o in when.between(None, None)]
[3, 10, 17, 24]
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MAX_OCCURRENCES = 1_000
"""At most this many occurrences of one event are listed (a bounded expansion)."""
HORIZON = timedelta(days=366 * 50)
"""Occurrences are looked for up to 50 years after the start (dateutil walks every day,
week or month from the start, even those a rule never takes: the walk is bounded)."""
FIRST_WITHIN = timedelta(days=366 * 5)
"""A recurrence must occur within 5 years of its start (else 422: FREQ=DAILY;BYMONTH=2;
BYMONTHDAY=30 never does)."""
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
                      r"([Zz]|[+-]\d{2}:\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TOO_OFTEN = ("SECONDLY", "MINUTELY", "HOURLY")
_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS",
          "WKST"}
"""The RRULE parts an agenda needs. Others (BYYEARDAY, BYWEEKNO, BYHOUR…) are refused: with
them a rule may never occur, and dateutil would walk to the year 9999 looking."""
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _numbers(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        return None  # dateutil says what is wrong


def _possible_position(parts: Mapping[str, str]) -> bool:
    """False when BYSETPOS asks for more days than a period holds (a 6th Monday)."""
    positions = _numbers(parts.get("BYSETPOS"))
    if not positions:
        return True
    freq = parts["FREQ"]
    days = [d for d in (parts.get("BYDAY") or "").split(",") if d]
    monthdays = _numbers(parts.get("BYMONTHDAY")) or []
    months = len(_numbers(parts.get("BYMONTH")) or []) or 12
    if monthdays:
        size = len(monthdays)
    elif days and freq == "WEEKLY":
        size = len(days)
    elif days:
        size = sum(1 if any(c.isdigit() for c in d) else 5 for d in days)
    else:
        size = 1
    if freq == "YEARLY":
        size *= months
    if freq == "DAILY":
        size = 1
    return all(0 < abs(p) <= size for p in positions)


def _possible_days(parts: Mapping[str, str]) -> bool:
    """False when no month of BYMONTH has a day of BYMONTHDAY (30 February)."""
    days = _numbers(parts.get("BYMONTHDAY"))
    if not days:
        return True
    months = _numbers(parts.get("BYMONTH")) or list(range(1, 13))
    return any(1 <= m <= 12 and 0 < abs(d) <= _MONTH_DAYS[m - 1] for m in months
               for d in days)


class WhenError(ValueError):
    """A start, end or recurrence that cannot be read: (field, message in French)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_moment(value: Any, field: str, all_day: bool) -> datetime | date:
    """An RFC 3339 date-time with offset → aware datetime in Paris time; for an all-day
    event, a day AAAA-MM-JJ (or the Paris day of a date-time)."""
    if not isinstance(value, str):
        raise WhenError(field, "date-heure RFC 3339 attendue (ex. 2026-11-24T18:00:00+01:00)")
    text = value.strip()
    if all_day and _DAY.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise WhenError(field, f"jour impossible « {text[:30]} »") from None
    if not _RFC3339.match(text):
        wanted = "un jour AAAA-MM-JJ ou " if all_day else ""
        raise WhenError(field, f"{wanted}une date-heure RFC 3339 avec décalage est attendue "
                               f"(ex. 2026-11-24T18:00:00+01:00), pas « {text[:40]} »")
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise WhenError(field, f"date-heure impossible « {text[:40]} »") from None
    local = moment.astimezone(PARIS)
    return local.date() if all_day else local


def format_moment(moment: datetime | date) -> str:
    """How a start or end is stored: ``2026-11-24T18:00:00+01:00`` or ``2026-11-24``."""
    if isinstance(moment, datetime):
        return moment.astimezone(PARIS).isoformat(timespec="seconds")
    return moment.isoformat()


def clean_rrule(value: str) -> str:
    text = value.strip()
    return text[6:].strip() if text.upper().startswith("RRULE:") else text


def _naive(moment: datetime | date) -> datetime:
    """Paris wall-clock time, without zone (the RRULE is expanded on it)."""
    if isinstance(moment, datetime):
        return moment.astimezone(PARIS).replace(tzinfo=None)
    return datetime.combine(moment, time())


def read_rrule(text: str, start: datetime | date) -> Any:
    """The dateutil rule of an RRULE from ``start`` (Paris wall-clock), or WhenError."""
    from dateutil.rrule import rrulestr

    rule_text = clean_rrule(text)
    if not rule_text or "\n" in rule_text or ":" in rule_text:
        raise WhenError("rrule", "une seule règle RRULE est attendue (ex. "
                                 "FREQ=WEEKLY;BYDAY=TU;COUNT=4)")
    parts = dict(p.partition("=")[::2] for p in rule_text.upper().split(";"))
    if "FREQ" not in parts:
        raise WhenError("rrule", "FREQ manque (DAILY, WEEKLY, MONTHLY ou YEARLY)")
    if parts["FREQ"] in _TOO_OFTEN:
        raise WhenError("rrule", f"FREQ={parts['FREQ']} : un agenda répète au plus chaque "
                                 "jour (DAILY, WEEKLY, MONTHLY, YEARLY)")
    other = sorted(set(parts) - _PARTS)
    if other:
        raise WhenError("rrule", f"{other[0]} n'est pas pris en charge par l'agenda "
                                 f"({', '.join(sorted(_PARTS))})")
    if not _possible_days(parts):
        raise WhenError("rrule", "BYMONTHDAY ne tombe dans aucun des mois de BYMONTH")
    if not _possible_position(parts):
        raise WhenError("rrule", "BYSETPOS dépasse le nombre de jours que la règle donne par "
                                 "période")
    try:
        rule = rrulestr(rule_text, dtstart=_naive(start), ignoretz=True)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise WhenError("rrule", f"règle RRULE illisible (RFC 5545) : {str(exc)[:80]}") \
            from None
    if next(iter(bounded(rule, _naive(start) + FIRST_WITHIN)), None) is None:
        raise WhenError("rrule", "cette règle ne donne aucune occurrence dans les 5 ans qui "
                                 "suivent le début")
    return rule


def bounded(rule: Any, until: datetime) -> Any:
    """The rule stopped at ``until`` (wall-clock), so that walking it ends there."""
    own = getattr(rule, "_until", None)
    if own is not None and own <= until:
        return rule
    with warnings.catch_warnings():  # COUNT and UNTIL together: dateutil warns, works
        warnings.simplefilter("ignore")
        return rule.replace(until=until)


@dataclass(frozen=True)
class Occurrence:
    start: datetime
    end: datetime
    """Inclusive: the start for an event without end, the last instant of an all-day one."""
    all_day: bool


@dataclass(frozen=True)
class When:
    """An event's time, read from its properties (``debut``, ``fin``, ``journee_entiere``,
    ``rrule``)."""

    start: datetime | date
    end: datetime | date | None
    all_day: bool
    rule: Any = None
    rrule: str | None = None

    @classmethod
    def of(cls, props: Mapping[str, Any]) -> When:
        """Raises :class:`WhenError` naming the field at fault."""
        all_day = props.get("journee_entiere") is True
        start = parse_moment(props.get("debut"), "debut", all_day)
        raw_end = props.get("fin")
        end = None if raw_end in (None, "") else parse_moment(raw_end, "fin", all_day)
        if end is not None and end < start:  # type: ignore[operator]
            raise WhenError("fin", f"la fin ({format_moment(end)}) précède le début "
                                   f"({format_moment(start)})")
        text = props.get("rrule")
        rule = None
        if text not in (None, ""):
            if not isinstance(text, str):
                raise WhenError("rrule", "texte RRULE attendu")
            rule = read_rrule(text, start)
            text = clean_rrule(text)
        return cls(start, end, all_day, rule, text or None)

    @property
    def duration(self) -> timedelta:
        if self.end is None:
            return timedelta(days=1) - timedelta(microseconds=1) if self.all_day \
                else timedelta(0)
        if self.all_day:
            return _naive(self.end) - _naive(self.start) + timedelta(days=1) \
                - timedelta(microseconds=1)
        return self.end - self.start  # type: ignore[operator]

    def _starts(self, after: datetime | None, limit: datetime | None) -> Iterator[datetime]:
        """Starts in Paris wall-clock time (naive), from ``after`` on, until ``limit`` and
        at most :data:`HORIZON` after the first."""
        first = _naive(self.start)
        if self.rule is None:
            if after is None or first >= after:
                yield first
            return
        stop = first + HORIZON if limit is None else min(limit, first + HORIZON)
        if stop < first or (after is not None and after > stop):
            return
        rule = bounded(self.rule, stop)
        iterator = rule.xafter(after, inc=True) if after is not None else iter(rule)
        for i, start in enumerate(iterator):
            if i >= MAX_OCCURRENCES:
                return
            yield start

    def between(self, low: datetime | None, high: datetime | None) -> list[Occurrence]:
        """The occurrences overlapping [low, high] (aware datetimes, None: open), at most
        :data:`MAX_OCCURRENCES`, in order."""
        duration = self.duration
        after = None if low is None else _naive(low) - duration
        limit = None if high is None else _naive(high)
        out = []
        for start in self._starts(after, limit):
            if limit is not None and start > limit:
                break
            aware = start.replace(tzinfo=PARIS)
            out.append(Occurrence(aware, (start + duration).replace(tzinfo=PARIS),
                                  self.all_day))
            if len(out) >= MAX_OCCURRENCES:
                break
        return out

    def matches(self, low: datetime | None, high: datetime | None) -> bool:
        """True when one occurrence overlaps [low, high] (only the first is looked for)."""
        duration = self.duration
        after = None if low is None else _naive(low) - duration
        limit = None if high is None else _naive(high)
        first = next(self._starts(after, limit), None)
        return first is not None and (limit is None or first <= limit)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first and last instant of a day in Paris."""
    return (datetime.combine(day, time(), PARIS),
            datetime.combine(day, time.max, PARIS))
