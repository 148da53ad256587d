"""The stages of a need on the ``besoins`` layer (property ``etape``), after the method of
the Fabriques à initiatives (Avise): a need is spotted and qualified, explored, its
opportunity studied, a porteur is sought then accompanied until the activity starts; or it
is dropped, or an answer already exists. Said once here; ``layers/besoins.yaml`` carries
the same values and labels (checked by ``tests/fabrique``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple


class Stage(NamedTuple):
    label: str
    """The stage's name (a board column, a CSV header)."""
    state: str
    """The need in that stage, after « besoin » (« 1 besoin en exploration »)."""
    states: str
    """Plural of :attr:`state` (« 2 besoins en exploration »)."""


STAGES: dict[str, Stage] = {
    "repere": Stage("Repéré", "repéré", "repérés"),
    "qualifie": Stage("Qualifié", "qualifié", "qualifiés"),
    "exploration": Stage("Exploration", "en exploration", "en exploration"),
    "etude_opportunite": Stage("Étude d'opportunité", "en étude d'opportunité",
                               "en étude d'opportunité"),
    "recherche_porteur": Stage("Recherche d'un porteur", "en recherche de porteur",
                               "en recherche de porteur"),
    "accompagnement": Stage("Accompagnement du porteur", "en accompagnement",
                            "en accompagnement"),
    "lance": Stage("Activité lancée", "lancé", "lancés"),
    "abandonne": Stage("Abandonné", "abandonné", "abandonnés"),
    "reponse_existante": Stage("Réponse existante", "couvert par une réponse existante",
                               "couverts par une réponse existante"),
}
FIRST = "repere"
"""Where every need starts, and the stage of a need stored before stages existed."""
IN_PROGRESS = ("exploration", "etude_opportunite", "recherche_porteur", "accompagnement")
"""The Fabrique works on it: still an unmet need (demand), named with its stage."""
ANSWERED = ("lance", "reponse_existante")
"""An activity answers it: ``reponse`` names that project or place."""
CLOSED = (*ANSWERED, "abandonne")
"""No longer an unmet need."""
NEEDS_ANSWER = ANSWERED
NEEDS_MOTIF = ("abandonne",)


def stage_of(props: Mapping[str, Any]) -> str:
    """A need's stage (:data:`FIRST` when it has none: stored before stages existed)."""
    value = props.get("etape")
    return value if value in STAGES else FIRST


def split_reference(value: Any) -> tuple[str, str] | None:
    """``"collection/id"`` → (collection, id); None when not of that form. An id may itself
    hold « / » (``node/123``): the collection is what comes before the first one."""
    if not isinstance(value, str) or "/" not in value:
        return None
    collection, _, fid = value.strip().partition("/")
    return (collection, fid) if collection and fid else None


def reference_problems(field: str, value: Any, layers: tuple[str, ...],
                       exists: Callable[[str, str], bool], example: str, kind: str,
                       missing: str) -> list[tuple[str, str]]:
    """The problem of a ``"collection/id"`` field (a need's answer, an event's place): not
    of that form, a collection not among ``layers`` (``kind``: what they hold, in words), or
    no live feature (``missing``: what to say, with ``{fid}`` and ``{collection}``)."""
    found = split_reference(value)
    if found is None:
        return [(field, f"« collection/identifiant » attendu (ex. {example}), pas "
                        f"« {str(value)[:60]} »")]
    collection, fid = found
    if collection not in layers:
        return [(field, f"« {collection} » n'est pas une couche {kind} ({', '.join(layers)})")]
    if not exists(collection, fid):
        return [(field, missing.format(fid=fid, collection=collection))]
    return []
