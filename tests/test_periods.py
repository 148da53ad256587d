"""When things were open (geoservice/periods.py): partial dates, [opening, closing), the
features whose dates do not say, and the write rule."""

from __future__ import annotations

from datetime import date

import pytest

from geoservice.periods import Periods, date_span, first_day, period_problems

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(("text", "span"), [
    ("2023", (date(2023, 1, 1), date(2023, 12, 31))),
    ("2023-05", (date(2023, 5, 1), date(2023, 5, 31))),
    ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
    ("2023-12", (date(2023, 12, 1), date(2023, 12, 31))),
    ("2023-05-04", (date(2023, 5, 4), date(2023, 5, 4))),
    (2021, (date(2021, 1, 1), date(2021, 12, 31))),
    ("2023-13", None), ("2023-02-30", None), ("hier", None), ("", None), (None, None),
    (True, None), ("23-05", None),
])
def test_partial_dates_cover_their_period(text, span):
    assert date_span(text) == span


def _periods(*rows):
    """rows: (opening, closing, statut)."""
    return Periods.of([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def _one(periods, interval):
    kept, undated = periods.states(interval, TODAY)
    return [("oui" if k else "?" if u else "non") for k, u in zip(kept, undated, strict=True)]


def test_open_from_the_first_day_of_the_opening_to_the_day_before_the_closing():
    # opened May 2023, closed 2025 (= from 1 January 2025)
    periods = _periods(("2023-05", "2025", "ferme"))
    day = lambda y, m, d: (date(y, m, d), date(y, m, d))  # noqa: E731
    assert _one(periods, day(2023, 4, 30)) == ["non"]
    assert _one(periods, day(2023, 5, 1)) == ["oui"]
    assert _one(periods, day(2024, 12, 31)) == ["oui"]
    assert _one(periods, day(2025, 1, 1)) == ["non"]


def test_interval_forms_match_a_day_of_the_period():
    periods = _periods(("2020-03-15", "2021-06-01", "ferme"))
    assert _one(periods, (date(2019, 1, 1), date(2020, 3, 14))) == ["non"]  # closed interval
    assert _one(periods, (date(2019, 1, 1), date(2020, 3, 15))) == ["oui"]
    assert _one(periods, (None, date(2020, 3, 14))) == ["non"]  # ../end
    assert _one(periods, (None, date(2020, 12, 31))) == ["oui"]
    assert _one(periods, (date(2021, 5, 31), None)) == ["oui"]  # start/..
    assert _one(periods, (date(2021, 6, 1), None)) == ["non"]


def test_unknown_dates_are_never_taken_as_open_or_closed():
    periods = _periods(
        (None, None, "ouvert"),  # open today, opening unknown
        (None, None, "ferme"),  # closed at an unknown date
        (None, None, "inconnu"),
        ("2019", None, "ferme"),  # opened 2019, closed at an unknown date
        (None, "2022", "ferme"),  # opening unknown, closed from 2022
        (None, None, "a_venir"),
    )
    past = (date(2021, 6, 30), date(2021, 6, 30))
    assert _one(periods, past) == ["?", "?", "?", "?", "?", "non"]
    assert _one(periods, (date(2022, 6, 30), date(2022, 6, 30))) == ["?", "?", "?", "?", "non",
                                                                      "non"]
    # today is in the interval: what is open today is open
    assert _one(periods, (TODAY, TODAY)) == ["oui", "?", "?", "?", "non", "?"]
    # the year it opened: it was open that year, whenever it closed
    assert _one(periods, (date(2019, 1, 1), date(2019, 12, 31)))[3] == "oui"


def test_extent_and_changes():
    periods = _periods(("2020-03", "2022", "ferme"), ("2021", None, "ouvert"),
                       (None, None, "ouvert"))
    assert periods.extent() == ["2020-03-01", None]  # one still open: no known end
    assert _periods(("2020-03", "2022", "ferme")).extent() == ["2020-03-01", "2021-12-31"]
    assert _periods((None, None, "ouvert")).extent() is None
    opened, closed = periods.changes(date(2020, 12, 31), date(2021, 12, 31))
    assert opened.tolist() == [False, True, False] and not closed.any()
    opened, closed = periods.changes(date(2021, 12, 31), date(2022, 12, 31))
    assert closed.tolist() == [True, False, False]


@pytest.mark.parametrize(("props", "field"), [
    ({"date_ouverture": "2023-05", "date_fermeture": "2022", "statut": "ferme"},
     "date_fermeture"),
    ({"date_ouverture": "2023-05-10", "date_fermeture": "2023-05-09", "statut": "ferme"},
     "date_fermeture"),
    ({"date_ouverture": "2023-02-30", "statut": "ouvert"}, "date_ouverture"),
    ({"date_ouverture": "2020", "date_fermeture": "2024", "statut": "ouvert"}, "statut"),
    ({"date_ouverture": "2027", "statut": "ouvert"}, "statut"),
])
def test_refused_periods_name_their_field(props, field):
    found = period_problems(props, TODAY)
    assert [name for name, _ in found] == [field]
    assert all(message and message[0].islower() or message[0] == "«" for _, message in found)


@pytest.mark.parametrize("props", [
    {"date_ouverture": "2023-05", "date_fermeture": "2023-05", "statut": "ferme"},
    {"date_ouverture": "2023", "date_fermeture": "2025-02-01", "statut": "ferme"},
    {"date_ouverture": "2023", "statut": "ouvert"},
    {"date_ouverture": "2027-01", "statut": "a_venir"},
    {"date_fermeture": "2027", "statut": "ouvert"},  # a closing still to come
    {"statut": "ferme"},  # closed, date unknown
])
def test_accepted_periods(props):
    assert period_problems(props, TODAY) == []


def test_first_day():
    assert first_day("2023-05") == date(2023, 5, 1)
    assert first_day("2023-05-31") == date(2023, 5, 31)
    assert first_day(None) is None
