"""The occurrences of a period as JSON (``GET /api/agenda``): what the map's Agenda view
lists by week and month, each occurrence with its event, place and « .ics » link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..read.snapshot import Snapshot
from .feed import FeedQuery, events
from .ical import location
from .occurrences import parse_window, when_of
from .when import PARIS

MAX_LISTED = 2_000
"""At most this many occurrences in one answer (``complet`` says when some are left)."""


def occurrences(store: Snapshot, query: FeedQuery, window: str | None, base: str
                ) -> dict[str, Any]:
    """Occurrences overlapping ``window`` (``datetime`` syntax; default: now to a year
    ahead), sorted by start."""
    if window is None:
        low = datetime.now(UTC).astimezone(PARIS)
        high = low + timedelta(days=366)
    else:
        low, high = parse_window(window)
    out = []
    complete = True
    for event in events(store, query, f"{base}/"):
        when = when_of(event.props)
        if when is None:
            continue
        props = event.props
        for occurrence in when.between(low, high):
            out.append({
                "id": event.fid,
                "nom": props.get("nom"),
                "debut": occurrence.start.isoformat(timespec="seconds"),
                "fin": occurrence.end.replace(microsecond=0).isoformat(timespec="seconds"),
                "journee_entiere": when.all_day,
                "recurrent": when.rrule is not None,
                "statut_evenement": props.get("statut_evenement"),
                "type_evenement": props.get("type_evenement"),
                "defi": props.get("defi") or [],
                "commune": props.get("commune"),
                "commune_nom": event.commune,
                "lieu": props.get("lieu"),
                "lieu_nom": (event.place or {}).get("nom"),
                "lieu_type": (event.place or {}).get("type"),
                "lieu_texte": location(event),
                "organisateur": props.get("organisateur"),
                "inscription_url": props.get("inscription_url"),
                "verification": props.get("verification"),
                "position": list(event.lonlat) if event.lonlat else None,
                "ics": f"{base}/api/agenda/{event.fid}.ics",
            })
    out.sort(key=lambda o: (o["debut"], o["nom"] or ""))
    if len(out) > MAX_LISTED:
        out, complete = out[:MAX_LISTED], False
    return {"debut": low.isoformat() if low else None,
            "fin": high.isoformat() if high else None,
            "numberReturned": len(out), "complet": complete, "occurrences": out}
