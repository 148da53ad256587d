"""Plain-French reasons for one QPV, built from its measures (no scoring logic here)."""

from __future__ import annotations

import math

import pandas as pd

from ..fabrique.stages import ANSWERED, IN_PROGRESS, STAGES
from . import text
from .params import DEFIS

KIND_WORDS = {
    "lieu_totem": ("lieu totem le plus proche", "aucun lieu totem localisé"),
    "hebergement": ("hébergement ESS le plus proche", "aucun lieu d'hébergement ESS localisé"),
    "accompagnement": ("structure d'accompagnement la plus proche",
                       "aucune structure d'accompagnement localisée"),
}


def _known(value: float | None) -> bool:
    """Not None, not NA, not NaN."""
    return value is not None and value is not pd.NA and not (
        isinstance(value, float) and math.isnan(value))


def need_reason(row: dict) -> str:
    if not row["need_known"]:
        best, worst = row.get("rank_best"), row.get("rank_worst")
        possible = (f" ; rang possible {best} à {worst} selon son besoin : à documenter en "
                    "priorité" if _known(best) else "")
        if row["indicator_coverage"] <= 0:
            return ("besoin social inconnu : aucun QPV 2015 ne recouvre ce quartier, "
                    f"pas d'indicateur INSEE (ni score ni rang){possible}")
        return ("besoin social inconnu : indicateurs INSEE non publiés (secret statistique)"
                + possible)
    parts = []
    if _known(row["tp60"]):
        parts.append(f"taux de pauvreté {text.percent(row['tp60'])}")
    if _known(row["tx_tot_empl"]):
        parts.append(f"taux d'emploi des 15-64 ans {text.percent(row['tx_tot_empl'])}")
    if _known(row["jobseekers_per_100"]):
        parts.append(f"{text.number(row['jobseekers_per_100'])} demandeurs d'emploi "
                     "pour 100 habitants")
    source = row.get("indicator_source") or "report_2015"
    coverage = text.percent(100 * row["indicator_coverage"], 0)
    where = ("INSEE, périmètre 2024" if source == "insee_2024" else
             f"INSEE, périmètres 2015 couvrant {coverage} du quartier" if source == "report_2015"
             else f"INSEE, périmètre 2024 et périmètres 2015 couvrant {coverage} du quartier")
    out = f"besoin social ({where}) : " + ", ".join(parts)
    people = row.get("pop_mun")
    if _known(people):
        poor = row.get("poor_people")
        counted = f"{text.number(people, 0)} habitants"
        if _known(poor):
            counted += f", dont environ {text.number(poor, 0)} sous le seuil de pauvreté"
        if row.get("population_complete"):
            out += f" ; {counted}"
        else:
            out += (f" ; dans la partie couverte ({coverage} de la surface) : {counted} (la "
                    "population du QPV 2024 entier n'est pas connue)")
    return out


def answer_reasons(row: dict, defi: str | None, ring_m: float) -> list[str]:
    where = text.within(ring_m)
    label = f" {DEFIS[defi]}" if defi else ""
    out = []
    names = row["answer_names"]
    if not names:
        out.append(f"aucun projet ni lieu ESS{label} {where}")
    else:
        count = len(names)
        noun = "projet ou lieu ESS" if count == 1 else "projets ou lieux ESS"
        out.append(f"{count} {noun}{label} {where} : {text.names(names)}")
        if defi is None:
            for name, title in DEFIS.items():
                if row[f"answers_{name}"] == 0:
                    out.append(f"aucun projet ni lieu ESS {title} {where}")
    if row["approximate"]:
        out.append("position connue au quartier seulement pour : "
                   + text.names(row["approximate"]))
    far = row.get("commune_only") or []
    if far:
        out.append("position connue à la commune seulement, jamais comptée dans un anneau "
                   "ni une distance : " + text.names(far))
    waiting = row.get("answers_unverified") or 0
    if waiting:
        noun = "lieu ou structure" if waiting == 1 else "lieux ou structures"
        out.append(f"et {waiting} {noun} ESS{label} {where} encore à vérifier (données "
                   "ouvertes anciennes)")
    return out


def demand_reasons(row: dict, defi: str | None, ring_m: float) -> list[str]:
    """Needs spotted and not covered, per Défi, with the ESS answers of that Défi near the
    QPV (« 2 besoins Alimentation durable signalés, sans réponse ESS à moins de 500 m »);
    then the needs the Fabrique works on, with their stage (« 1 besoin en étude
    d'opportunité : Épicerie solidaire »), and those an activity now answers, with it."""
    out = []
    where = text.within(ring_m)
    working = {n["id"] for n in row.get("needs_in_progress") or []}
    for name, title in DEFIS.items():
        if defi is not None and name != defi:
            continue
        named = [n["nom"] for n in row.get("needs") or []
                 if name in n["defi"] and n["id"] not in working]
        if not named:
            continue
        count = len(named)
        noun = "besoin" if count == 1 else "besoins"
        answers = row[f"answers_{name}"]
        answered = (f"sans réponse ESS {where}" if answers == 0 else
                    f"{answers} réponse{'s' if answers > 1 else ''} ESS {title} {where}")
        out.append(f"{count} {noun} {title} signalé{'s' if count > 1 else ''} et non "
                   f"couvert{'s' if count > 1 else ''}, {answered} : {text.names(named)}")
    return out + stage_reasons(row)


def stage_reasons(row: dict) -> list[str]:
    """One sentence per stage, in the method's order (the QPV's needs of the Défi asked)."""
    out = []
    for stage in (*IN_PROGRESS, *ANSWERED):
        found = [n for n in (row.get("needs_in_progress") or []) + (row.get("needs_answered")
                                                                     or [])
                 if n["etape"] == stage]
        if not found:
            continue
        said = STAGES[stage]
        count = len(found)
        names = [n["nom"] if stage not in ANSWERED else
                 f"{n['nom']} (réponse : {n.get('reponse_nom') or n.get('reponse')})"
                 for n in found]
        out.append(f"{count} {'besoin' if count == 1 else 'besoins'} "
                   f"{said.state if count == 1 else said.states} : {text.names(names)}")
    return out


CAVEATS = {
    "quartier": "position connue au quartier : distance approchée",
    "commune": "position connue à la commune seulement : distance non significative",
}


def _named(name: object, precision: object = None) -> str:
    caveat = CAVEATS.get(str(precision)) if precision is not None else None
    return f"({name} ; {caveat})" if caveat else f"({name})"


def distance_reasons(row: dict, available: dict[str, bool]) -> list[str]:
    out = []
    for kind, (nearest_words, none_words) in KIND_WORDS.items():
        metres = row[f"dist_{kind}_m"]
        named = _named(row[f"nearest_{kind}"], row.get(f"nearest_{kind}_precision"))
        if not available[kind]:
            continue  # said once for the territory (the header's notes)
        if not _known(metres):
            out.append(none_words)
        elif metres == 0:
            out.append(f"{nearest_words} : dans le quartier {named}")
        else:
            out.append(f"{nearest_words} à {text.distance(metres)} {named}")
    metres = row["dist_station_m"]
    kind = row.get("nearest_station_kind")
    named = f"({row['nearest_station']}, {kind})" if kind else f"({row['nearest_station']})"
    if not available["station"]:
        pass  # said once for the territory
    elif not _known(metres):
        out.append("aucune station de métro, de tram ou de train urbain localisée")
    elif metres == 0:
        out.append(f"station dans le quartier {named}")
    else:
        out.append(f"station la plus proche à {text.distance(metres)} {named}")
    return out


def reasons(row: dict, defi: str | None, ring_m: float, available: dict[str, bool]
            ) -> list[str]:
    """All reasons, in a fixed order: need, ESS answer, needs spotted, distances."""
    return [need_reason(row), *answer_reasons(row, defi, ring_m),
            *demand_reasons(row, defi, ring_m), *distance_reasons(row, available)]
