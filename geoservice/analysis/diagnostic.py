"""One run of the analysis: inputs + parameters → one row per QPV with every field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from ..fabrique.stages import IN_PROGRESS, split_reference
from ..vocab import ANSWER_LAYERS, PLACE_KINDS
from . import answer, coverage, events, need, score, sensitivity, stations
from .inputs import Inputs
from .params import COMPONENTS, DEFIS, Parameters
from .places import Places, as_places
from .reasons import KIND_WORDS, reasons
from .text import percent

METHOD = (
    "Score de sous-desserte de 0 à 100 (100 = le plus mal servi) : moyenne pondérée de "
    "composantes entre 0 et 1 — besoin social (INSEE : pauvreté, non-emploi, demandeurs "
    "d'emploi, chacun ramené entre des bornes fixes, du niveau national à un plafond ; "
    "périmètres 2024 quand l'INSEE les publie, sinon 2015 reportés au prorata des "
    "habitants), faiblesse de la réponse ESS mesurée par sa portée (part du quartier à "
    "moins de 500 m d'une réponse localisée et réponses à moins de 500 m et de 1 km), "
    "éloignement des lieux totems, hébergements et accompagnements (échelle 5 km), "
    "éloignement du métro, du tram ou d'une gare au tarif urbain (échelle 1 km), besoins "
    "non couverts signalés (ils dépendent de qui les signale : m / (m + 2)). Besoin "
    "inconnu : ni score ni rang, mais un rang possible, dans « à documenter en priorité ». "
    "Distances et surfaces en Lambert-93 (EPSG:2154)."
)
VINTAGES_2015 = ("INSEE sur les périmètres 2015 (jeu Hackaviz 2021) : population 2015, "
                 "revenus et pauvreté 2017, emploi et demandeurs d'emploi publiés en 2020")
PRECISE = ("adresse", "rue")


@dataclass
class Diagnostic:
    """Result of :func:`diagnose`: ``frame`` in display order (rank), EPSG:2154."""

    frame: gpd.GeoDataFrame
    parameters: Parameters
    available: dict[str, bool]
    method: str = METHOD
    effective_weights: dict[str, float | None] = field(default_factory=dict)
    answers_located: dict[str, int] = field(default_factory=dict)
    answers_unverified: dict[str, int] = field(default_factory=dict)
    """Located answers still to be checked, per Défi (counted in the score only when the
    parameters say so)."""
    notes: list[str] = field(default_factory=list)
    indicators: dict = field(default_factory=dict)
    """Where the need comes from (sources, vintages), the territory benchmark, goalposts."""
    access: dict = field(default_factory=dict)
    """Which stations give access (modes, urban-fare trains and their source, merges)."""

    @property
    def weights_text(self) -> str:
        return ",".join(f"{k}:{self.parameters.weights[k]:g}" for k in COMPONENTS)


def diagnose(inputs: Inputs, parameters: Parameters | None = None) -> Diagnostic:
    """Diagnose every QPV 2024 of ``inputs``.

    Examples
    --------
    >>> # diagnose(from_store(store), Parameters(defi="inclusion", ring_m=300))
    """
    params = parameters or Parameters()
    qpv = inputs.qpv.geometry
    defi, ring_m = params.defi, params.ring_m
    table = inputs.need()

    # verified answers only, unless asked (imported open data waits for the editors): the
    # places counted and those still to check are masks over one table (no copies)
    places = inputs.table
    to_check = places.unverified
    counted = np.ones(len(places), dtype=bool) if params.unverified else ~to_check
    answers = answer.Answers(qpv, places, counted)
    total, per_defi, members, pairs = answers.count(ring_m, defi)
    table["answers"] = total
    # reach, cumulative: the ring (default 500 m) and 1 km (never less than the ring)
    table["answers_1km"] = answers.count_within(max(ring_m, 1000.0), defi)
    for name in DEFIS:
        table[f"answers_{name}"] = per_defi[name]
    table["answers_unverified"] = answer.count_within(qpv, places, ring_m, defi, to_check)
    table["commune_only"] = [[str(places.nom[p]) for p in found]
                             for found in answer.commune_only(inputs.qpv, places, defi)]
    approximate = np.zeros(len(places), dtype=bool)
    named = np.unique(pairs[1])
    approximate[named] = ~pd.Series(places.precision[named], dtype=object).isin(PRECISE)
    table["answer_names"] = names_by_id(*pairs, len(qpv), places)
    table["approximate"] = names_by_id(*pairs, len(qpv), places, approximate)

    nearest = answer.nearest_places(qpv, places, defi, counted)
    access = stations.access_stations(inputs.stations, inputs.urban_rail,
                                      inputs.urban_rail_line)
    station = answer.nearest_station(qpv, access)
    for kind, found in [*nearest.items(), ("station", station)]:
        table[f"dist_{kind}_m"] = found.distance_m
        table[f"nearest_{kind}"] = found.name
    kinds = access["kinds"].to_numpy(dtype=object)
    table["nearest_station_kind"] = [kinds[p] if p >= 0 else None for p in station.position]
    grain = places.precision
    for kind, found in nearest.items():
        table[f"nearest_{kind}_precision"] = [grain[p] if p >= 0 else None
                                              for p in found.position]
    available = {kind: found.available for kind, found in nearest.items()}
    available["station"] = station.available

    needs = answer.unmet_needs(inputs.qpv, inputs.besoins, ring_m, defi)
    bids = inputs.besoins["id"].astype(str).to_numpy()
    bnoms = inputs.besoins["nom"].astype(str).to_numpy()
    table["unmet_needs"] = [len(m) for m in needs]
    table["need_names"] = [[bnoms[p] for p in sorted(m, key=lambda p: bids[p])] for m in needs]
    bdefis = [[str(d) for d in (v if v is not None else [])] for v in inputs.besoins["defi"]]
    table["needs"] = [[{"id": bids[p], "nom": bnoms[p], "defi": bdefis[p]}
                       for p in sorted(m, key=lambda p: bids[p])] for m in needs]
    _stages(table, inputs, needs, ring_m, defi, bids, bnoms, bdefis)
    table["covered_share"] = coverage.covered_share(qpv, places, ring_m, defi, pairs)

    parts = score.components(
        table["need"].to_numpy(dtype=float), table["answers"].to_numpy(dtype=float),
        table["answers_1km"].to_numpy(dtype=float), table["covered_share"].to_numpy(),
        {kind: table[f"dist_{kind}_m"].to_numpy() for kind in PLACE_KINDS},
        table["dist_station_m"].to_numpy(), table["unmet_needs"].to_numpy(dtype=float))
    for name in COMPONENTS:
        table[f"comp_{name}"] = parts[name].to_numpy()
    table["score"] = score.score(parts, params.weights)
    codes = inputs.qpv["code_qp"].astype(str).tolist()
    ranks, order = score.rank(table["score"].to_numpy(), codes)
    table["rank"] = pd.array([None if np.isnan(r) else int(r) for r in ranks], dtype="Int64")
    sens = sensitivity.sensitivity(parts, params.weights,
                                   table["need_known"].to_numpy(dtype=bool),
                                   table["score"].to_numpy(dtype=float))
    for column, values in (("rank_best", sens.best), ("rank_worst", sens.worst)):
        table[column] = pd.array([None if np.isnan(v) else int(v) for v in values],
                                 dtype="Int64")
    table["top5_share"] = sens.top_share
    pushes = sensitivity.drivers(parts, params.weights, ~np.isnan(table["score"].to_numpy()))
    table["drivers"] = [sensitivity.drivers_text(found) for found in pushes]
    table["robustness"] = [sensitivity.robustness(b, w)
                           for b, w in zip(sens.best, sens.worst, strict=True)]

    table.insert(0, "code_qp", codes)
    table.insert(1, "lib_qp", inputs.qpv["lib_qp"].astype(str).to_numpy())
    if "insee_com" in inputs.qpv.columns:
        table.insert(2, "insee_com", inputs.qpv["insee_com"].to_numpy())
    records = table.to_dict("records")
    held = events.recent_events(qpv, inputs.events, ring_m, defi, params.unverified,
                                date.today())
    table["reasons"] = [reasons(row, defi, ring_m, available)
                        + events.event_reason(found, ring_m)
                        for row, found in zip(records, held, strict=True)]
    table["defi"] = defi
    table["ring_m"] = float(ring_m)
    frame = gpd.GeoDataFrame(table, geometry=qpv.values, crs=inputs.qpv.crs)
    frame = frame.iloc[order].reset_index(drop=True)
    located = located_answers(places, counted)
    waiting = located_answers(places, to_check)
    waiting_all = int((places.answers(None) & to_check).sum())
    commune_only = int((places.by_commune & counted).sum())
    indicators = indicator_facts(table)
    access_facts = {
        "modes": ["métro", "tram"] + (["train au tarif urbain"] if inputs.urban_rail else []),
        "urban_rail": list(inputs.urban_rail), "urban_rail_line": inputs.urban_rail_line,
        "stations": len(access), "osm_features_merged": int(access["merged"].sum() - len(access)),
    }
    result = Diagnostic(frame, params, available, effective_weights=sens.effective,
                        answers_located=located, answers_unverified=waiting,
                        notes=[indicators["text"], *place_notes(available, access_facts),
                               *notes(located, defi), *verification_notes(
                                   waiting[defi] if defi else waiting_all, commune_only,
                                   params.unverified)],
                        indicators=indicators, access=access_facts)
    frame["weights"] = result.weights_text
    return result


def indicator_facts(table: pd.DataFrame) -> dict:
    """Sources and vintages of the need, the territory's benchmark (people-weighted means
    over its QPV of known need) and the goalposts, with one French sentence."""
    known = table[table["need_known"]]
    sources = {str(k): int(v) for k, v in
               known["indicator_source"].value_counts().items()}
    people = known["pop_mun"].to_numpy(dtype=float)
    benchmark = {}
    for name in ("tp60", "tx_tot_empl", "jobseekers_per_100"):
        values = known[name].to_numpy(dtype=float)
        ok = ~np.isnan(values) & ~np.isnan(people) & (people > 0)
        benchmark[name] = (round(float(np.average(values[ok], weights=people[ok])), 2)
                           if ok.any() else None)
    poor = known["poor_people"].to_numpy(dtype=float)
    text = (f"Besoin social de {len(known)} QPV sur {len(table)} : "
            + (VINTAGES_2015 if set(sources) <= {"report_2015"} else
               "INSEE sur les périmètres 2024 quand ils sont publiés, sinon " + VINTAGES_2015)
            + ".")
    if benchmark["tp60"] is not None:
        text += (f" Repère du territoire : taux de pauvreté moyen de ses QPV "
                 f"{percent(benchmark['tp60'])} (pondéré par les habitants ; France "
                 f"métropolitaine ≈ {percent(need.GOALPOSTS['poverty'].low, 0)}).")
    return {
        "sources": sources,
        "vintages_2015": VINTAGES_2015,
        "benchmark": benchmark,
        "people_in_poverty_counted": int(round(float(np.nansum(poor)))) if len(poor) else 0,
        "goalposts": {name: {"low": g.low, "high": g.high, "low_means": g.low_means,
                             "high_means": g.high_means}
                      for name, g in need.GOALPOSTS.items()},
        "text": text,
    }


def place_notes(available: dict[str, bool], access: dict) -> list[str]:
    """Territory-wide facts said once, not on every QPV (French)."""
    out = []
    missing = [none for kind, (_, none) in KIND_WORDS.items() if not available[kind]]
    if missing:
        text = ", ".join(missing)
        out.append(text[0].upper() + text[1:] + " sur le territoire (parmi les lieux "
                   "comptés) : cette part de l'éloignement vaut 1 pour tous les QPV et ne "
                   "change pas le classement.")
    if not available["station"]:
        out.append("Aucune station localisée : l'accès en transport n'entre pas dans le score.")
    else:
        rail = (f", et gares de la {access['urban_rail_line']} accessibles au tarif urbain "
                f"({', '.join(access['urban_rail'])})" if access["urban_rail"] else "")
        merged = access["osm_features_merged"]
        out.append(f"Accès en transport : stations de métro et de tram{rail} ; "
                   f"{access['stations']} stations" + (
                       f" ({merged} doublons OpenStreetMap fusionnés, par exemple un quai par "
                       "sens)" if merged else "") + ".")
    return out


def located_answers(places: gpd.GeoDataFrame | Places, among: np.ndarray | None = None
                    ) -> dict[str, int]:
    """Answers of each Défi that count in the territory (a position known to the
    neighbourhood counts, one known only to the commune never does), among the places
    ``among`` (all when None)."""
    table = as_places(places)
    located = table.answers(None) if among is None else table.answers(None) & among
    return {name: int((located & table.defi(name)).sum()) for name in DEFIS}


def names_by_id(i: np.ndarray, p: np.ndarray, n: int, places: Places,
                keep: np.ndarray | None = None) -> list[list]:
    """For each of ``n`` QPV, the names of its places (pairs ``i``, ``p`` sorted by QPV then
    place), ordered by id; equal ids keep the order of the places. ``keep``: a mask of the
    places to name (all when None)."""
    if keep is not None:
        i, p = i[keep[p]], p[keep[p]]
    try:  # one sort of the ids met instead of one sort per QPV
        _, rank = np.unique(places.ids[p], return_inverse=True)
    except TypeError:  # ids that do not compare (a missing one among texts)
        rank = None
    if rank is None:
        members = _split(i, p, n)
        return [[places.names[q] for q in sorted(m, key=lambda q: places.ids[q])]
                for m in members]
    order = np.lexsort((p, rank.ravel(), i))
    return [list(m) for m in _split(i[order], places.names[p[order]], n)]


def _split(i: np.ndarray, values: np.ndarray, n: int) -> list:
    """``values`` cut into one piece per QPV 0..n-1 (``i`` sorted)."""
    bounds = np.searchsorted(i, np.arange(n + 1))
    return [values[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def verification_notes(count: int, commune_only: int, included: bool) -> list[str]:
    """What the reader must know about the ``count`` located answers not checked yet, and
    positions known only to the commune (French)."""
    out = []
    if count and not included:
        out.append(f"{count} réponse(s) ESS importée(s) de données ouvertes restent à vérifier "
                   "par les éditeurs : elles ne comptent pas dans le score (pour les compter : « "
                   "Compter aussi les lieux et structures à vérifier » sur la carte, paramètre "
                   "include de l'API) ; chaque QPV les donne à part.")
    elif count:
        out.append(f"Le score compte aussi {count} réponse(s) ESS encore à vérifier "
                   "(données ouvertes anciennes, non confirmées par les éditeurs).")
    if commune_only:
        out.append(f"{commune_only} lieu(x) dont la position n'est connue qu'à la commune "
                   "(ex. Fabriques de territoire, Manufactures de proximité) ne comptent dans "
                   "aucun anneau ni aucune distance.")
    return out


def notes(located: dict[str, int], defi: str | None) -> list[str]:
    """Territory-wide facts a reader must know before reading the ranking (French)."""
    out = []
    empty = [name for name in DEFIS if located[name] == 0]
    chosen = [defi] if defi else DEFIS
    for name in empty:
        if name in chosen:
            out.append(f"Aucune réponse ESS localisée pour le Défi « {DEFIS[name]} » sur le "
                       "territoire : pour ce Défi, le classement ne tient qu'au besoin social, "
                       "à l'accès en transport et aux besoins signalés, pas à l'offre ESS.")
    count = sum(located.values())
    if 0 < count < 5:
        what = "une réponse ESS localisée" if count == 1 else f"{count} réponses ESS localisées"
        out.append(f"Seulement {what} (tous Défis, un lieu à plusieurs Défis compté pour "
                   "chacun) : les parts « réponse » et « distance » du score tiennent à très "
                   "peu de lieux.")
    return out


def _stages(table: pd.DataFrame, inputs: Inputs, needs: list[list[int]], ring_m: float,
            defi: str | None, bids: np.ndarray, bnoms: np.ndarray, bdefis: list) -> None:
    """What the Fabrique does for each QPV: its unmet needs in progress (exploration …
    accompagnement) with their stage, and the needs an activity now answers with that
    answer's name (``needs_in_progress``, ``needs_answered``)."""
    stages = answer.need_stages(inputs.besoins)
    table["needs_in_progress"] = [
        [{"id": bids[p], "nom": bnoms[p], "defi": bdefis[p], "etape": stages[p]}
         for p in sorted(m, key=lambda p: bids[p]) if stages[p] in IN_PROGRESS]
        for m in needs]
    answered = answer.answered_needs(inputs.qpv, inputs.besoins, ring_m, defi)
    if not any(answered):
        table["needs_answered"] = [[] for _ in answered]
        return
    places = inputs.table
    layer_of = {kind: layer for layer, kind in ANSWER_LAYERS.items()}
    names = {(layer_of.get(str(k)), str(i)): str(n)
             for k, i, n in zip(places.kind, places.ids, places.names, strict=True)}
    replies = inputs.besoins["reponse"].to_numpy(dtype=object)

    def reply(p: int) -> dict:
        found = split_reference(replies[p])
        return {"id": bids[p], "nom": bnoms[p], "defi": bdefis[p], "etape": stages[p],
                "reponse": replies[p], "reponse_nom": names.get(found) if found else None}

    table["needs_answered"] = [[reply(p) for p in sorted(m, key=lambda p: bids[p])]
                               for m in answered]

