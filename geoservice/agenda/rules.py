"""What an event's schema cannot say, checked on every write (Part 4, proposals, imports):
its start and end (RFC 3339 with offset, stored in Paris time; an end before the start is
refused naming ``fin``), its RRULE (refused naming ``rrule``), its place (``lieu`` is a live
feature of a place layer) and its registration link (http or https only).

An event without a position of its own takes its place's (:func:`take_place`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..fabrique.stages import reference_problems, split_reference
from .when import When, WhenError, format_moment

PLACE_LAYERS = ("lieux_totems", "hebergement", "accompagnement", "structures_ess", "projets")
"""Layers whose features an event may be held at (``lieu``)."""

Problems = list[tuple[str, str]]
Place = Callable[[str, str], "dict[str, Any] | None"]
"""(collection, id) → the live place as a GeoJSON Feature (dict), None when there is none."""


def event_rules(props: dict[str, Any], context: Any, flagged: set[str]) -> Problems:
    """Problems of an event; its start and end are rewritten in Paris time."""
    out: Problems = []
    if not flagged & {"debut", "fin", "journee_entiere", "rrule"}:
        try:
            when = When.of(props)
        except WhenError as exc:
            out.append((exc.field, exc.message))
        else:
            props["debut"] = format_moment(when.start)
            if when.end is not None:
                props["fin"] = format_moment(when.end)
            props["rrule"] = when.rrule
    place = props.get("lieu")
    if "lieu" not in flagged and place not in (None, ""):
        out += _place_problems(place, context.exists)
    link = props.get("inscription_url")
    if "inscription_url" not in flagged and isinstance(link, str) and link.strip() \
            and not link.strip().lower().startswith(("https://", "http://")):
        out.append(("inscription_url", "adresse web http:// ou https:// attendue"))
    return out


def _place_problems(place: Any, exists: Callable[[str, str], bool]) -> Problems:
    return reference_problems("lieu", place, PLACE_LAYERS, exists, "lieux_totems/le-fil",
                              "de lieux", "aucun lieu « {fid} » dans {collection}")


def take_place(feature: dict[str, Any], place: Place, moved: bool = False
               ) -> dict[str, Any]:
    """The event with its place's position (and precision), address and commune where it
    has none of its own; unchanged otherwise or when the place is unknown (the rules say
    so). ``moved``: the event changes place and keeps the position it had: it takes the
    new place's."""
    props = feature.get("properties") or {}
    if moved:
        feature = {**feature, "geometry": None}
    found = split_reference(props.get("lieu"))
    if found is None or found[0] not in PLACE_LAYERS:
        return feature
    held_at = place(*found)
    if held_at is None:
        return feature
    there = held_at.get("properties") or {}
    props = dict(props)
    if feature.get("geometry") is None and held_at.get("geometry") is not None:
        feature = {**feature, "geometry": held_at["geometry"]}
        props["precision"] = there.get("precision") or "adresse"
        for name in ("adresse", "commune"):
            props[name] = there.get(name)
    else:
        for name in ("adresse", "commune"):
            if props.get(name) is None and there.get(name) is not None:
                props[name] = there.get(name)
    return {**feature, "properties": props}
