"""The Fabrique's yearly figures, as the Métropole reports them (« 8 explorations et 12
études d'opportunité ont été réalisées dans 8 QPV » ; « 14 lauréats sur 31 de l'Appel à
projets et des Prix ESS concernent les QPV ; 185 000 € »), counted from the needs'
journals and the ``projets`` layer. Aggregates only: never a name, never a staff note.

How a step counts (docs/fabrique.md): a need's journal (its versions, oldest first) is cut
into *steps*, runs of consecutive versions at the same stage; a step is dated by the
``etape_date`` of its run's last version (a corrected date replaces the typo). A need
counts once for a stage in a year when one of its steps at that stage is dated in that
year: moved exploration → étude the same year, it counts in both figures; skipped steps
are not invented; moved back and forth, each dated step counts in its own year.

:func:`bilan` is what the API route and ``geoservice bilan`` call.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from .. import csvsafe, sheets
from ..errors import InvalidParameter
from ..words import fold
from .stages import stage_of

if TYPE_CHECKING:
    from ..read.snapshot import Snapshot
    from ..storage import FeatureStore

FIRST_YEAR, LAST_YEAR = 2000, 2100
COUNTED = ("explorations", "etudes_opportunite", "activites_lancees", "abandons",
           "reponses_existantes")
STAGE_OF = {"explorations": "exploration", "etudes_opportunite": "etude_opportunite",
            "activites_lancees": "lance", "abandons": "abandonne",
            "reponses_existantes": "reponse_existante"}
FIGURES = ("besoins_reperes", *COUNTED)
OUTSIDE = "Hors QPV"


@dataclass(frozen=True)
class Step:
    stage: str
    day: str | None
    """``etape_date`` (AAAA-MM-JJ) of the step, None when it was never dated."""


@dataclass(frozen=True)
class Need:
    reported: str | None
    """``date_signalement`` (AAAA, AAAA-MM or AAAA-MM-JJ)."""
    qpv: str | None
    """Code of its QPV 2024 (None: in none)."""
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Laureat:
    annee: int | None
    montant: float | None
    qpv: bool
    """It concerns a QPV (:func:`concerns_qpv`)."""


def check_year(annee: Any) -> int:
    if isinstance(annee, bool) or not isinstance(annee, int) \
            or not FIRST_YEAR <= annee <= LAST_YEAR:
        raise InvalidParameter(f"annee : une année entre {FIRST_YEAR} et {LAST_YEAR} est "
                               f"attendue (AAAA), pas « {str(annee)[:20]} »")
    return annee


def steps_of(versions: Iterable[Mapping[str, Any]]) -> tuple[Step, ...]:
    """A journal (each version's properties, oldest first) as its steps."""
    out: list[Step] = []
    for props in versions:
        stage = stage_of(props)
        day = props.get("etape_date")
        if out and out[-1].stage == stage:
            out[-1] = Step(stage, day)  # the same step, its date as last written
        else:
            out.append(Step(stage, day))
    return tuple(out)


def _in(value: Any, annee: int) -> bool:
    return isinstance(value, str) and value[:4] == str(annee)


def figures(annee: int, needs: Iterable[Need], laureats: Iterable[Laureat],
            qpv_names: Mapping[str, str]) -> dict[str, Any]:
    """The year's figures, per QPV (with names), the lauréats and the sentence."""
    annee = check_year(annee)
    total = dict.fromkeys(FIGURES, 0)
    per: dict[str | None, dict[str, int]] = {}
    worked: set[str] = set()
    for need in needs:
        counts = {"besoins_reperes": int(_in(need.reported, annee))}
        for name, stage in STAGE_OF.items():
            counts[name] = int(any(s.stage == stage and _in(s.day, annee)
                                   for s in need.steps))
        if not any(counts.values()):
            continue
        row = per.setdefault(need.qpv, dict.fromkeys(FIGURES, 0))
        for name, value in counts.items():
            total[name] += value
            row[name] += value
        if need.qpv is not None and (counts["explorations"] or counts["etudes_opportunite"]):
            worked.add(need.qpv)
    par_qpv = [{"code_qp": code, "nom": qpv_names.get(code, code), **per[code]}
               for code in sorted((c for c in per if c is not None),
                                  key=lambda c: (fold(qpv_names.get(c, c)), c))]
    if None in per:
        par_qpv.append({"code_qp": None, "nom": OUTSIDE, **per[None]})
    chosen = [lau for lau in laureats if lau.annee == annee]
    in_qpv = [lau for lau in chosen if lau.qpv]
    out = {"annee": annee, **total, "qpv_concernes": len(worked),
           "par_qpv": [{**row, "qpv_concerne": row["code_qp"] in worked}
                       for row in par_qpv],
           "laureats": {"total": len(chosen), "qpv": len(in_qpv),
                        "montant_eur": _sum(chosen), "montant_qpv_eur": _sum(in_qpv)}}
    out["phrase"] = phrase(out)
    return {k: out[k] for k in ("annee", "besoins_reperes", "explorations",
                                "etudes_opportunite", "qpv_concernes", "activites_lancees",
                                "abandons", "reponses_existantes", "par_qpv", "laureats",
                                "phrase")}


def _sum(laureats: list[Laureat]) -> float | int:
    total = sum(lau.montant or 0 for lau in laureats)
    return int(total) if float(total).is_integer() else round(float(total), 2)


# -- the sentence ---------------------------------------------------------------------------


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def euros(value: float) -> str:
    """« 185 000 € » (a space between thousands, a comma before cents)."""
    whole = float(value).is_integer()
    text = f"{value:,.0f}" if whole else f"{value:,.2f}"
    return text.replace(",", "\u202f").replace(".", ",") + "\u00a0€"


def _studies(fig: Mapping[str, Any]) -> str:
    annee, expl, etudes = fig["annee"], fig["explorations"], fig["etudes_opportunite"]
    if not expl and not etudes:
        return f"En {annee}, aucune exploration ni étude d'opportunité n'a été réalisée"
    done = [_count(n, one, many) for n, one, many in (
        (expl, "exploration", "explorations"),
        (etudes, "étude d'opportunité", "études d'opportunité")) if n]
    verb = "a été réalisée" if expl + etudes == 1 else "ont été réalisées"
    where = (f" dans {fig['qpv_concernes']} QPV" if fig["qpv_concernes"]
             else " hors des QPV")
    missing = (" (aucune exploration)" if not expl else
               " (aucune étude d'opportunité)" if not etudes else "")
    return f"En {annee}, {' et '.join(done)} {verb}{where}{missing}"


def _outcomes(fig: Mapping[str, Any]) -> str:
    launched, dropped, existing = (fig["activites_lancees"], fig["abandons"],
                                   fig["reponses_existantes"])
    parts = [
        "aucune activité n'a été lancée" if not launched else
        f"{_count(launched, 'activité', 'activités')} "
        f"{'a été lancée' if launched == 1 else 'ont été lancées'}",
        "aucun besoin n'a été abandonné" if not dropped else
        f"{_count(dropped, 'besoin', 'besoins')} "
        f"{'a été abandonné' if dropped == 1 else 'ont été abandonnés'}",
        "aucune réponse existante n'a été trouvée" if not existing else
        f"pour {_count(existing, 'besoin', 'besoins')}, une réponse existante a été trouvée",
    ]
    return ", ".join(parts)


def _spotted(n: int) -> str:
    if not n:
        return "aucun besoin n'a été repéré"
    return f"{_count(n, 'besoin', 'besoins')} {'a été repéré' if n == 1 else 'ont été repérés'}"


def _laureats(annee: int, lau: Mapping[str, Any]) -> str:
    total, qpv = lau["total"], lau["qpv"]
    scheme = "de l'Appel à projets et des Prix ESS"
    if not total:
        return f"Aucun lauréat {scheme} n'est enregistré pour {annee}."
    if not qpv:
        return (f"Aucun des {total} lauréats {scheme} ne concerne les QPV." if total > 1 else
                f"Le seul lauréat {scheme} ne concerne pas les QPV.")
    head = (f"{qpv} lauréat sur {total} {scheme} concerne les QPV" if qpv == 1 else
            f"{qpv} lauréats sur {total} {scheme} concernent les QPV")
    if not lau["montant_qpv_eur"]:
        return head + " (montant du soutien non renseigné)."
    supported = "il a été soutenu" if qpv == 1 else "ils ont été soutenus"
    return f"{head} ; {supported} à hauteur de {euros(lau['montant_qpv_eur'])}."


def phrase(fig: Mapping[str, Any]) -> str:
    """The sentence the Métropole writes, from the figures (zero said plainly)."""
    return (f"{_studies(fig)} ; {_outcomes(fig)} ; {_spotted(fig['besoins_reperes'])}. "
            f"{_laureats(fig['annee'], fig['laureats'])}")


# -- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = ("code_qp", "nom", *FIGURES, "qpv_concerne")


def to_csv(fig: Mapping[str, Any]) -> str:
    """One row per QPV, then the total, then the lauréats and the sentence (Excel-FR:
    « ; », UTF-8 with BOM), every cell made safe for a spreadsheet."""
    stream = io.StringIO()
    out = csvsafe.writer(stream, delimiter=";", lineterminator="\r\n")
    out.writerow(["annee", *CSV_COLUMNS])
    for row in fig["par_qpv"]:
        out.writerow([fig["annee"], *(_cell(row[c]) for c in CSV_COLUMNS)])
    # the total's « QPV concerné » cell stays empty: how many QPV is said below
    out.writerow([fig["annee"], "", "Total", *(fig[c] for c in FIGURES), ""])
    out.writerow([])
    lau = fig["laureats"]
    out.writerow(["annee", "qpv_concernes", "laureats", "laureats_qpv", "montant_eur",
                  "montant_qpv_eur"])
    out.writerow([fig["annee"], fig["qpv_concernes"], lau["total"], lau["qpv"],
                  _cell(lau["montant_eur"]), _cell(lau["montant_qpv_eur"])])
    out.writerow([])
    out.writerow(["phrase"])
    out.writerow([fig["phrase"]])
    return "\ufeff" + stream.getvalue()


def _cell(value: Any) -> Any:
    """The Excel-FR cell of :mod:`geoservice.sheets` (decimal comma, ``oui``/``non``)."""
    return sheets.excel_fr(value)


# -- XLSX / ODS ----------------------------------------------------------------------------

SOURCE = ("geoservice, journal des besoins (étapes datées par etape_date) et couche projets "
          "(lauréats) ; comptage : docs/fabrique.md")
LABELS = {
    "annee": ("Année", "integer", None, "Année du bilan"),
    "code_qp": ("Code du QPV 2024", "string", None, "Vide pour « Hors QPV » et le total"),
    "nom": ("Nom du QPV", "string", None, "« Hors QPV » : besoins situés dans aucun QPV"),
    "besoins_reperes": ("Besoins repérés", "integer", None,
                        "Besoins dont date_signalement est dans l'année"),
    "explorations": ("Explorations", "integer", None,
                     "Besoins dont une étape exploration est datée de l'année"),
    "etudes_opportunite": ("Études d'opportunité", "integer", None,
                           "Besoins dont une étape etude_opportunite est datée de l'année"),
    "activites_lancees": ("Activités lancées", "integer", None,
                          "Besoins dont une étape lance est datée de l'année"),
    "abandons": ("Abandons", "integer", None,
                 "Besoins dont une étape abandonne est datée de l'année"),
    "reponses_existantes": ("Réponses existantes", "integer", None,
                            "Besoins dont une étape reponse_existante est datée de l'année"),
    "qpv_concerne": ("QPV concerné", "boolean", None,
                     "Un besoin du QPV a eu une exploration ou une étude dans l'année"),
    "qpv_concernes": ("QPV concernés", "integer", None, "QPV distincts des besoins qui ont "
                      "eu une exploration ou une étude dans l'année"),
    "laureats": ("Lauréats", "integer", None,
                 "Projets lauréats (AAP/Prix ESS) dont annee est l'année"),
    "laureats_qpv": ("Lauréats en QPV", "integer", None, "Lauréats qui concernent un QPV"),
    "montant_eur": ("Montant des lauréats", "number", "€",
                    "Somme des montant_eur (un montant absent compte pour 0)"),
    "montant_qpv_eur": ("Montant des lauréats en QPV", "number", "€",
                        "Somme des montant_eur des lauréats en QPV"),
}


def _columns(names: Iterable[str], annee: int) -> list[sheets.Column]:
    return [sheets.Column(n, LABELS[n][0], LABELS[n][1], LABELS[n][2], LABELS[n][3], SOURCE,
                          str(annee)) for n in names]


def tables(fig: Mapping[str, Any]) -> list[sheets.Table]:
    """The bilan as workbook sheets: per QPV with the total, then the lauréats; the
    sentence goes with the notes of the « Dictionnaire » sheet."""
    annee = fig["annee"]
    rows = [[annee, *(row[c] for c in CSV_COLUMNS)] for row in fig["par_qpv"]]
    rows.append([annee, None, "Total", *(fig[c] for c in FIGURES), None])
    lau = fig["laureats"]
    names = ("annee", "qpv_concernes", "laureats", "laureats_qpv", "montant_eur",
             "montant_qpv_eur")
    return [
        sheets.Table(f"bilan_{annee}", _columns(("annee", *CSV_COLUMNS), annee), rows,
                     [f"Bilan {annee} : {fig['phrase']}"]),
        sheets.Table("laureats", _columns(names, annee),
                     [[annee, fig["qpv_concernes"], lau["total"], lau["qpv"],
                       lau["montant_eur"], lau["montant_qpv_eur"]]]),
    ]


# -- from the store ------------------------------------------------------------------------


class QpvFinder:
    """Which QPV 2024 a point lies in; which QPV (2024 or 2015) a text names."""

    def __init__(self, codes: list[str], names: list[str], geometries: np.ndarray,
                 older: Mapping[str, str] | None = None) -> None:
        self.codes = codes
        self.names = dict(zip(codes, names, strict=True))
        self.tree = shapely.STRtree(geometries)
        named = {**(older or {}), **self.names}
        self._texts = [(code, fold(name)) for code, name in named.items()]

    def at(self, point: Any) -> str | None:
        if point is None or shapely.is_missing(point) or shapely.is_empty(point):
            return None
        hits = self.tree.query(point, predicate="within")
        return self.codes[int(min(hits))] if len(hits) else None

    def named(self, text: Any, current_only: bool = True) -> str | None:
        """The QPV a free text names: its code, or its full name (folded)."""
        if not isinstance(text, str) or not text.strip():
            return None
        folded = fold(text)
        for code, name in self._texts:
            if current_only and code not in self.names:
                continue
            if code.lower() in text.lower() or (len(name) >= 4 and name in folded):
                return code
        return None


def qpv_finder(snapshot: Snapshot) -> QpvFinder:
    qpv = snapshot.collection("qpv")
    older: dict[str, str] = {}
    if "qpv_2015" in snapshot.base:
        old = snapshot.collection("qpv_2015")
        older = {str(c): str(n) for c, n in zip(old.values("code_qp"), old.values("nom_qp"),
                                                strict=True) if c and n}
    return QpvFinder([str(c) for c in qpv.values("code_qp")],
                     [str(n) for n in qpv.values("lib_qp")],
                     np.asarray(qpv.geometries, dtype=object), older)


Journal = Callable[[str], list[Mapping[str, Any]]]
"""A need's id → its versions' properties, oldest first."""


def needs_of(snapshot: Snapshot, finder: QpvFinder, journal: Journal | None) -> list[Need]:
    """The live needs with their steps (from the journal when there is one, else the
    stage they are at now) and their QPV: where they lie, else the QPV their ``qpv``
    field names."""
    needs = snapshot.collection("besoins")
    out = []
    for fid, reported, named, point, props in zip(
            needs.values("id"), needs.values("date_signalement"), needs.values("qpv"),
            needs.geometries, needs.records, strict=True):
        versions = journal(str(fid)) if journal is not None else [props]
        out.append(Need(reported, finder.at(point) or finder.named(named),
                        steps_of(versions or [props])))
    return out


def laureats_of(snapshot: Snapshot, finder: QpvFinder) -> list[Laureat]:
    """The projects marked lauréat; one *concerns a QPV* when it lies in a QPV 2024 of the
    territory or its ``qpv`` field names a QPV (2024, or 2015: the generation the
    Métropole's figures of 2020-2021 speak of)."""
    from ..read.frames import plain

    projets = snapshot.collection("projets")
    out = []
    for laureat, annee, montant, named, point in zip(
            projets.values("laureat"), projets.values("annee"), projets.values("montant_eur"),
            projets.values("qpv"), projets.geometries, strict=True):
        if plain(laureat) is not True:
            continue
        year, amount = plain(annee), plain(montant)
        out.append(Laureat(int(year) if year is not None else None,
                           float(amount) if amount is not None else None,
                           finder.at(point) is not None
                           or finder.named(named, current_only=False) is not None))
    return out


def journal_of(features: FeatureStore) -> Journal:
    def versions(fid: str) -> list[Mapping[str, Any]]:
        return [v.properties for v in reversed(features.history("besoins", fid))]
    return versions


def bilan(snapshot: Snapshot, annee: int, features: FeatureStore | None) -> dict[str, Any]:
    """The figures of ``annee`` (computed once per snapshot and year; the journals are
    read once per snapshot). Without a storage (a fixed snapshot), each need counts at
    the stage it is at now."""
    annee = check_year(annee)

    def gather() -> tuple[list[Need], list[Laureat], dict[str, str]]:
        finder = qpv_finder(snapshot)
        journal = journal_of(features) if features is not None else None
        return needs_of(snapshot, finder, journal), laureats_of(snapshot, finder), \
            finder.names

    def build() -> dict[str, Any]:
        needs, laureats, names = snapshot.derived.get(("fabrique-needs",), gather)
        return figures(annee, needs, laureats, names)

    return snapshot.derived.get(("fabrique-bilan", annee), build)
