"""The agenda's time rules without a server: RFC 3339 starts and ends in Paris time, RRULEs
read by dateutil, occurrences (a weekly event matches its 4th Tuesday, not the days
between), and the feed written with icalendar read back by icalendar and by
recurring-ical-events (an independent RFC 5545 expansion). Events are synthetic."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import recurring_ical_events
from icalendar import Calendar

from geoservice.agenda.ical import FeedEvent, calendar, uid
from geoservice.agenda.occurrences import matching, parse_window
from geoservice.agenda.rules import event_rules, take_place
from geoservice.agenda.when import PARIS, When, WhenError
from geoservice.errors import InvalidParameter

WEEKLY = {"nom": "Petit dej (synthétique)", "debut": "2026-11-03T08:30:00+01:00",
          "fin": "2026-11-03T10:00:00+01:00", "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
          "statut_evenement": "prevu", "defi": ["inclusion"]}


class Ctx:
    def __init__(self, live: set[tuple[str, str]]) -> None:
        self.live = live

    def exists(self, collection: str, fid: str) -> bool:
        return (collection, fid) in self.live


def test_weekly_event_matches_its_fourth_tuesday_not_the_days_between():
    when = When.of(WEEKLY)
    days = [o.start.date() for o in when.between(None, None)]
    assert days == [date(2026, 11, 3), date(2026, 11, 10), date(2026, 11, 17),
                    date(2026, 11, 24)]
    assert when.matches(*parse_window("2026-11-24"))
    for between in ("2026-11-23", "2026-11-25", "2026-11-18/2026-11-20", "2026-12"):
        assert not when.matches(*parse_window(between)), between
    assert when.matches(*parse_window("2026-11-24T09:00:00+01:00"))  # during the 4th one
    assert not when.matches(*parse_window("2026-11-24T10:30:00+01:00"))  # after it ended
    assert when.matches(*parse_window("../2026-11-03"))
    assert not when.matches(*parse_window("2026-11-25/.."))


def test_expansion_is_bounded():
    daily = When.of({**WEEKLY, "rrule": "FREQ=DAILY"})
    assert not daily.matches(*parse_window("9000-01-01"))  # beyond 50 years: not walked
    assert len(daily.between(*parse_window("2026-11-04/.."))) == 1_000
    assert [o.start.day for o in When.of({**WEEKLY, "rrule": "FREQ=MONTHLY;BYDAY=MO;"
                                          "BYSETPOS=5"}).between(None, None)[:2]] == [30, 29]


def test_paris_wall_clock_kept_across_the_change_of_time():
    when = When.of({**WEEKLY, "debut": "2026-10-20T18:00:00+02:00",
                    "fin": "2026-10-20T19:00:00+02:00"})
    starts = [o.start for o in when.between(None, None)]
    assert [s.hour for s in starts] == [18, 18, 18, 18]
    assert [s.utcoffset().total_seconds() / 3600 for s in starts] == [2, 1, 1, 1]


def test_rules_name_the_field_and_store_paris_time():
    ctx = Ctx({("lieux_totems", "lt-le-fil")})
    props = {**WEEKLY, "debut": "2026-11-03T07:30:00Z", "fin": "2026-11-03T09:00:00Z",
             "lieu": "lieux_totems/lt-le-fil"}
    assert event_rules(props, ctx, set()) == []
    assert props["debut"] == "2026-11-03T08:30:00+01:00"
    bad = {**WEEKLY, "fin": "2026-11-03T08:00:00+01:00"}
    assert [f for f, _ in event_rules(bad, ctx, set())] == ["fin"]
    for rule in ("FREQ=SOMETIMES", "BYDAY=TU", "FREQ=HOURLY", "FREQ=WEEKLY;COUNT=x",
                 "FREQ=WEEKLY\nDTSTART:2020",
                 # never occurring: dateutil would walk day by day to the year 9999
                 "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=DAILY;BYYEARDAY=400",
                 "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "FREQ=WEEKLY;UNTIL=20200101T000000Z"):
        assert [f for f, _ in event_rules({**WEEKLY, "rrule": rule}, ctx, set())] == \
            ["rrule"], rule
    assert [f for f, _ in event_rules({**WEEKLY, "debut": "2026-11-03 08:30"}, ctx,
                                      set())] == ["debut"]  # no offset: refused
    assert [f for f, _ in event_rules({**WEEKLY, "lieu": "lieux_totems/inconnu"}, ctx,
                                      set())] == ["lieu"]
    assert [f for f, _ in event_rules({**WEEKLY, "lieu": "qpv/QN03107M"}, ctx, set())] == \
        ["lieu"]
    assert [f for f, _ in event_rules({**WEEKLY, "inscription_url": "javascript:alert(1)"},
                                      ctx, set())] == ["inscription_url"]
    all_day = {**WEEKLY, "journee_entiere": True, "debut": "2026-11-20", "fin": "2026-11-19"}
    with pytest.raises(WhenError) as caught:
        When.of(all_day)
    assert caught.value.field == "fin"


def test_event_takes_its_place_position_and_address():
    place = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.39, 43.56]},
             "properties": {"nom": "Le FIL", "adresse": "1 rue de test (synthétique)",
                            "commune": "31555", "precision": "quartier"}}
    feature = {"type": "Feature", "geometry": None,
               "properties": {**WEEKLY, "lieu": "lieux_totems/lt-le-fil"}}
    done = take_place(feature, lambda c, f: place if (c, f) == ("lieux_totems",
                                                                 "lt-le-fil") else None)
    assert done["geometry"] == place["geometry"]
    assert done["properties"]["precision"] == "quartier"
    assert done["properties"]["adresse"] == "1 rue de test (synthétique)"
    own = {**feature, "geometry": {"type": "Point", "coordinates": [1.44, 43.60]}}
    assert take_place(own, lambda c, f: place)["geometry"] == own["geometry"]


def test_datetime_window_errors_are_400_in_french():
    with pytest.raises(InvalidParameter, match="inversé"):
        parse_window("2026-12/2026-11")
    with pytest.raises(InvalidParameter, match="impossible"):
        parse_window("2026-02-30")


def test_matching_keeps_only_events_with_an_occurrence():
    import numpy as np

    records = [WEEKLY, {**WEEKLY, "rrule": None}, {"debut": "illisible"}]
    assert matching(records, np.arange(3), "2026-11-24").tolist() == [0]
    assert matching(records, np.arange(3), "2026-11-03").tolist() == [0, 1]


def test_feed_read_back_by_icalendar_and_recurring_ical_events():
    cancelled = {**WEEKLY, "nom": "Forum (synthétique)", "rrule": None,
                 "statut_evenement": "annule", "journee_entiere": True,
                 "debut": "2026-11-20", "fin": "2026-11-20", "defi": []}
    events = [FeedEvent("evenements", "petit-dej", WEEKLY, 1, (1.3996743, 43.5666473),
                        {"nom": "Le FIL", "adresse": None}, "Toulouse", "http://x/#e"),
              FeedEvent("evenements", "forum", cancelled, 3, None)]
    cal = Calendar.from_ical(calendar(events, "Agenda (test)", "carte.example.fr"))
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Paris"
    first, second = cal.walk("VEVENT")
    assert str(first["UID"]) == uid("evenements", "petit-dej", "carte.example.fr")
    assert first.decoded("DTSTART") == datetime(2026, 11, 3, 8, 30, tzinfo=PARIS)
    assert str(first.decoded("DTSTART").tzinfo) == "Europe/Paris"
    assert dict(first["RRULE"]) == {"FREQ": ["WEEKLY"], "BYDAY": ["TU"], "COUNT": [4]}
    assert str(first["LOCATION"]) == "Le FIL, Toulouse"
    assert (first["GEO"].latitude, first["GEO"].longitude) == (43.5666473, 1.3996743)
    assert first["CATEGORIES"].cats == ["Inclusion économique et sociale"]
    assert int(first["SEQUENCE"]) == 0 and str(first["STATUS"]) == "CONFIRMED"
    assert str(second["STATUS"]) == "CANCELLED" and int(second["SEQUENCE"]) == 2
    assert second.decoded("DTSTART") == date(2026, 11, 20)
    assert second.decoded("DTEND") == date(2026, 11, 21)  # exclusive end of the day
    november = recurring_ical_events.of(cal).between((2026, 11, 1), (2026, 12, 1))
    tuesdays = sorted(e.decoded("DTSTART") for e in november
                      if str(e["SUMMARY"]).startswith("Petit dej"))
    assert [d.day for d in tuesdays] == [3, 10, 17, 24]
    assert all(d.hour == 8 and d.minute == 30 for d in tuesdays)
