"""The Agenda de l'ESS: events as a layer (``evenements``) and as an iCalendar feed.

- :mod:`.when`: start, end, RRULE and occurrences (Paris time);
- :mod:`.rules`: what every write of an event is checked against;
- :mod:`.occurrences`: ``datetime`` on the items matches occurrences;
- :mod:`.ical`: the RFC 5545 feed (``/api/agenda.ics``) and one ``.ics`` per event;
- :mod:`.partners`: partners' calendars in (``.ics``, OpenAgenda JSON), idempotent by UID.

Free of FastAPI: the API routes and the CLI call the same functions.
"""
