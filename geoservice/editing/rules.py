"""Rules a layer's schema cannot say, checked on every write after the schema: Part 4
(create, replace, patch, revert), a proposal when made and when accepted, and each row of
a CSV import (they all go through :meth:`~.service.Editing.validate` or its writes).

One function per layer (:data:`RULES`); each gives its problems as (field, message in
French), like the schema check, so the API answers 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..agenda.rules import Place, event_rules, take_place
from ..fabrique.stages import (
    FIRST,
    NEEDS_ANSWER,
    NEEDS_MOTIF,
    STAGES,
    reference_problems,
    stage_of,
)
from ..periods import period_problems
from ..vocab import ANSWER_LAYERS

Problems = list[tuple[str, str]]


@dataclass(frozen=True)
class Context:
    """What a rule may look at besides the feature."""

    before: Mapping[str, Any] | None
    """The stored properties a change starts from (None for a creation)."""
    exists: Callable[[str, str], bool]
    """(collection, id) → a live feature of the store."""
    today: date
    given: frozenset[str] | None = None
    """The properties the writer sent (a JSON Merge Patch's); None: the whole feature."""


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 \
            else None
    except ValueError:
        return None


def _first_day(value: Any) -> date | None:
    """The first day of a date given as AAAA, AAAA-MM or AAAA-MM-JJ (None if unreadable)."""
    if not isinstance(value, str):
        return None
    text = {4: value + "-01-01", 7: value + "-01"}.get(len(value), value)
    return _day(text)


def _french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def need_rules(props: dict[str, Any], context: Context, flagged: set[str]) -> Problems:
    """A need's stage: dated (a real day, neither in the future nor before it was
    reported), a new date with each new stage; the answer of a launched need or of an
    existing answer, a live project or ESS place; the reason of a dropped one."""
    out: Problems = []
    stage = stage_of(props)
    label = STAGES[stage].label
    before = context.before
    moved = before is not None and stage_of(before) != stage
    when = props.get("etape_date")
    day = None if when is None else _day(when)
    if "etape_date" not in flagged:
        if when is None:
            if stage != FIRST:
                out.append(("etape_date", f"obligatoire : le jour où l'étape « {label} » a "
                                          "eu lieu (AAAA-MM-JJ)"))
        elif day is None:
            out.append(("etape_date", f"un jour AAAA-MM-JJ est attendu (« {str(when)[:20]} » "
                                      "n'en est pas un)"))
        else:
            reported = _first_day(props.get("date_signalement"))
            if day > context.today:
                out.append(("etape_date", f"le {_french(day)} est à venir : datez l'étape du "
                                          "jour où elle a eu lieu"))
            elif reported is not None and day < reported:
                out.append(("etape_date", f"le {_french(day)} précède le signalement du "
                                          f"besoin ({props.get('date_signalement')})"))
            elif moved and context.given is not None and "etape_date" not in context.given:
                out.append(("etape_date", f"donnez la date de la nouvelle étape « {label} » "
                                          f"(le {_french(day)} est celle de l'étape "
                                          "précédente)"))
    answer = props.get("reponse")
    if "reponse" not in flagged:
        if stage in NEEDS_ANSWER:
            if answer is None or answer == "":
                out.append(("reponse", f"obligatoire pour l'étape « {label} » : le projet ou "
                                       "le lieu qui répond au besoin, « collection/identifiant » "
                                       "(ex. projets/prj-1)"))
            else:
                out += _answer_problems(answer, context)
        elif answer is not None:
            out.append(("reponse", f"seulement pour une activité lancée ou une réponse "
                                   f"existante, pas à l'étape « {label} » (effacez-la : null)"))
    if "motif" not in flagged and stage in NEEDS_MOTIF \
            and not str(props.get("motif") or "").strip():
        out.append(("motif", "obligatoire pour un besoin abandonné : dites pourquoi (visible "
                             "de l'équipe seulement)"))
    return out


def _answer_problems(answer: Any, context: Context) -> Problems:
    return reference_problems(
        "reponse", answer, ANSWER_LAYERS, context.exists, "projets/prj-1",
        "de projets ou de lieux ESS",
        "aucun objet « {fid} » dans {collection} : créez d'abord le projet ou le lieu")


def project_rules(props: dict[str, Any], context: Context, flagged: set[str]) -> Problems:
    """A lauréat's support is an amount in euros, never negative."""
    amount = props.get("montant_eur")
    out = period_rules(props, context, flagged)
    if "montant_eur" not in flagged and isinstance(amount, int | float) and amount < 0:
        out.append(("montant_eur", f"un montant en euros positif ou nul est attendu "
                                   f"({amount} donné)"))
    return out


def period_rules(props: dict[str, Any], context: Context, flagged: set[str]) -> Problems:
    """When a place or project was open: a closing not before the opening, a closing that
    has come only with ``statut: ferme``, an opening to come only with ``a_venir``
    (:func:`~geoservice.periods.period_problems`)."""
    return period_problems(props, context.today, flagged)


RULES: dict[str, Callable[[dict[str, Any], Context, set[str]], Problems]] = {
    **{layer_id: period_rules for layer_id in ANSWER_LAYERS},
    "besoins": need_rules,
    "projets": project_rules,
    "evenements": event_rules,  # dates, RRULE, place: geoservice/agenda/rules.py
}
"""Layer id → its rules: (properties, context, fields the schema already refused) →
problems."""


def rule_problems(layer_id: str, props: dict[str, Any], context: Context,
                  flagged: set[str]) -> Problems:
    rules = RULES.get(layer_id)
    return [] if rules is None else rules(props, context, flagged)


def filled(layer_id: str, feature: dict[str, Any], place: Place, moved: bool) -> dict[str, Any]:
    """A feature completed from what it refers to before it is checked: an event without a
    position takes its place's (``moved``: its place changes, its position was kept)."""
    return take_place(feature, place, moved) if layer_id == "evenements" else feature
