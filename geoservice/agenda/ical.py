"""The agenda as iCalendar (RFC 5545), written with the ``icalendar`` library: a VTIMEZONE
for Europe/Paris, one VEVENT per event with a UID that is the same on every read and every
replica (collection, id and the configured domain), SEQUENCE = the feature's version − 1
(it grows with each change), STATUS (CANCELLED for a cancelled event), LOCATION (the
place's name and address), GEO, URL, CATEGORIES (the Défis) and the RRULE as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..vocab import DEFI_LABELS
from .when import PARIS, When, WhenError

PRODID = "-//geoservice//Agenda ESS//FR"
STATUS = {"prevu": "CONFIRMED", "annule": "CANCELLED", "reporte": "TENTATIVE"}
"""statut_evenement → RFC 5545 STATUS (a postponed event is TENTATIVE and says so)."""
TYPE_LABELS = {"rencontre": "Rencontre", "atelier": "Atelier", "formation": "Formation",
               "visite": "Visite", "forum": "Forum", "autre": "Autre"}


@dataclass(frozen=True)
class FeedEvent:
    """One event as the feed writes it."""

    collection: str
    fid: str
    props: Mapping[str, Any]
    version: int
    lonlat: tuple[float, float] | None
    place: Mapping[str, Any] | None = None
    """The place it is held at (``nom``, ``adresse``), when ``lieu`` names a live one."""
    commune: str | None = None
    """The commune's name."""
    url: str | None = None
    """The event on the map (used when it has no registration link)."""


def uid(collection: str, fid: str, domain: str) -> str:
    """The event's UID: the same for the same feature on every read and every replica.

    >>> uid("evenements", "pause-dej-1a2b3c", "carte.example.fr")
    'evenements-pause-dej-1a2b3c@carte.example.fr'
    """
    return f"{collection}-{fid}@{domain}"


def location(event: FeedEvent) -> str | None:
    """Place name and address: « Le FIL, 1 rue …, Toulouse »."""
    parts = []
    place = event.place or {}
    if place.get("nom"):
        parts.append(str(place["nom"]))
    address = event.props.get("adresse") or place.get("adresse")
    if address:
        parts.append(str(address))
    if event.commune and not any(event.commune in p for p in parts):
        parts.append(event.commune)
    return ", ".join(parts) or None


def _description(event: FeedEvent) -> str:
    props = event.props
    lines = [str(props["description"])] if props.get("description") else []
    for label, name in (("Organisateur", "organisateur"), ("Public", "public"),
                        ("Inscription", "inscription_url")):
        if props.get(name):
            lines.append(f"{label} : {props[name]}")
    kind = TYPE_LABELS.get(str(props.get("type_evenement")))
    if kind:
        lines.append(f"Type : {kind}")
    if props.get("statut_evenement") == "reporte":
        lines.append("Reporté : la nouvelle date n'est pas encore connue.")
    if props.get("verification") == "a_verifier":
        lines.append(f"Non vérifié par l'équipe (source : {props.get('source')}).")
    return "\n".join(lines)


def vevent(event: FeedEvent, domain: str, stamp: datetime) -> Any:
    """The VEVENT of one event, None when its stored dates cannot be read."""
    from icalendar import Event, vRecur

    props = event.props
    try:
        when = When.of(props)
    except WhenError:
        return None
    out = Event()
    out.add("uid", uid(event.collection, event.fid, domain))
    out.add("dtstamp", stamp)
    out.add("sequence", max(0, int(event.version) - 1))
    summary = str(props.get("nom") or "")
    if props.get("statut_evenement") == "reporte":
        summary += " (reporté)"
    out.add("summary", summary)
    out.add("dtstart", when.start)
    if when.all_day:
        last = when.end if when.end is not None else when.start
        out.add("dtend", last + timedelta(days=1))  # type: ignore[operator]
    elif when.end is not None:
        out.add("dtend", when.end)
    if when.rrule:
        out.add("rrule", vRecur.from_ical(when.rrule))
    out.add("status", STATUS.get(str(props.get("statut_evenement")), "CONFIRMED"))
    where = location(event)
    if where:
        out.add("location", where)
    if event.lonlat is not None:
        lon, lat = event.lonlat
        out.add("geo", (round(lat, 7), round(lon, 7)))
    link = props.get("inscription_url") or event.url
    if link:
        out.add("url", str(link))
    defis = [DEFI_LABELS[d] for d in props.get("defi") or [] if d in DEFI_LABELS]
    if defis:
        out.add("categories", defis)
    text = _description(event)
    if text:
        out.add("description", text)
    return out


def calendar(events: Iterable[FeedEvent], name: str, domain: str,
             stamp: datetime | None = None) -> bytes:
    """The VCALENDAR of these events (UTF-8 bytes, CRLF lines as RFC 5545 says)."""
    from icalendar import Calendar, Timezone

    stamp = stamp or datetime.now(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", str(PARIS))
    components = [c for c in (vevent(e, domain, stamp) for e in events) if c is not None]
    starts = [c.decoded("DTSTART") for c in components]
    first = min([date(2020, 1, 1), *(s if not isinstance(s, datetime) else s.date()
                                     for s in starts)])  # the zone covers every event
    cal.add_component(Timezone.from_tzid(str(PARIS), first_date=first))
    for component in components:
        cal.add_component(component)
    return cal.to_ical()
