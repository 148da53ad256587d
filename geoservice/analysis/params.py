"""Parameters of the analysis: Défis, components, default weights, and their parsing.

Every parser raises :class:`~geoservice.errors.InvalidParameter` with a French message, so
the API answers 400 problem+json and the CLI prints one ``erreur : …`` line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from ..errors import InvalidParameter
from ..numbers import ascii_float
from ..vocab import DEFI_LABELS

DEFIS: dict[str, str] = {defi: label.removesuffix(" économique et sociale")
                         for defi, label in DEFI_LABELS.items()}
COMPONENTS: tuple[str, ...] = ("need", "answer", "distance", "access", "demand")
DEFAULT_WEIGHTS: dict[str, float] = {
    "need": 2.0, "answer": 1.0, "distance": 1.0, "access": 0.5, "demand": 1.0,
}
COMPONENT_LABELS: dict[str, str] = {
    "need": "besoin social (INSEE)",
    "answer": "faiblesse de la réponse ESS à portée (500 m, 1 km)",
    "distance": "éloignement des lieux totems, hébergements et accompagnements",
    "access": "éloignement du métro, du tram ou d'une gare au tarif urbain",
    "demand": "besoins non couverts signalés",
}
MAX_RING_M = 5000.0
MAX_WEIGHT = 1000.0


@dataclass(frozen=True)
class Parameters:
    """One run of the analysis: the Défi (None = all), the ring in metres, the weights."""

    defi: str | None = None
    ring_m: float = 500.0
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    unverified: bool = False
    """Count answers still to be checked (imported open data) in the score; by default
    only verified answers count, and the unverified ones are reported beside them."""

    def __post_init__(self) -> None:
        check_defi(self.defi)
        check_ring(self.ring_m)
        check_weights(self.weights)
        # components not named weigh 0 (parse_weights starts from the defaults instead)
        object.__setattr__(self, "weights",
                           {name: float(self.weights.get(name, 0.0)) for name in COMPONENTS})


def check_defi(defi: str | None) -> str | None:
    if defi is not None and defi not in DEFIS:
        raise InvalidParameter(
            f"Défi inconnu : « {defi} ». Valeurs possibles : " + ", ".join(DEFIS))
    return defi


def check_ring(ring_m: float) -> float:
    if not isinstance(ring_m, int | float) or not math.isfinite(ring_m) \
            or not 0 <= ring_m <= MAX_RING_M:
        raise InvalidParameter(
            f"ring_m doit être un nombre de mètres entre 0 et {MAX_RING_M:.0f}, pas « {ring_m} »")
    return float(ring_m)


def check_weights(weights: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise InvalidParameter(
            f"Composante inconnue : « {unknown[0]} ». Composantes : " + ", ".join(COMPONENTS))
    for name, value in weights.items():
        if not math.isfinite(value) or not 0 <= value <= MAX_WEIGHT:
            raise InvalidParameter(
                f"Le poids de « {name} » doit être un nombre entre 0 et {MAX_WEIGHT:.0f}")
    if not any(weights.get(name, 0) > 0 for name in COMPONENTS):
        raise InvalidParameter("Au moins un poids doit être strictement positif")
    return weights


def parse_weights(text: str | None) -> dict[str, float]:
    """Default weights overridden by ``"need:2,answer:1"`` (components not named keep theirs).

    Examples
    --------
    >>> parse_weights("need:3,access:0")["need"], parse_weights("need:3,access:0")["access"]
    (3.0, 0.0)
    """
    weights = dict(DEFAULT_WEIGHTS)
    if text is None or not text.strip():
        return weights
    seen: set[str] = set()
    for part in text.split(","):
        name, sep, value = part.partition(":")
        name = name.strip()
        if not sep or not name:
            raise InvalidParameter(
                f"Poids mal écrits : « {part.strip()} » (attendu nom:valeur, "
                "par exemple need:2,answer:1,distance:1)")
        if name not in COMPONENTS:
            raise InvalidParameter(
                f"Composante inconnue : « {name} ». Composantes : " + ", ".join(COMPONENTS))
        if name in seen:
            raise InvalidParameter(f"Poids de « {name} » donné deux fois")
        seen.add(name)
        number = ascii_float(value)
        if number is None:
            raise InvalidParameter(
                f"Le poids de « {name} » doit être un nombre écrit en chiffres (point "
                f"décimal), pas « {value.strip()[:40]} »")
        weights[name] = number
    return check_weights(weights)


def parse_ring(value: float | str | None, default: float = 500.0) -> float:
    """Ring in metres from a number or text ("500", "1 500", "2,5"); default when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return check_ring(default)
    if isinstance(value, str):
        number = ascii_float(value)
        if number is None:  # one rule for every number: ASCII digits, decimal point
            raise InvalidParameter(
                f"ring_m doit être un nombre de mètres entre 0 et {MAX_RING_M:.0f}, écrit "
                f"en chiffres avec un point décimal, pas « {value[:40]} »")
        value = number
    return check_ring(value)


INCLUDE_VALUES = ("", "a_verifier")


def parse_include(text: str | None) -> bool:
    """``include=a_verifier``: count the answers still to be checked in the score."""
    value = (text or "").strip()
    if value not in INCLUDE_VALUES:
        raise InvalidParameter(f"include : « {value[:40]} » inconnu (vide, ou a_verifier pour "
                               "compter aussi les réponses à vérifier)")
    return value == "a_verifier"


def make_parameters(defi: str | None = None, ring_m: float | str | None = None,
                    weights: str | None = None, default_ring_m: float = 500.0,
                    include: str | None = None) -> Parameters:
    """Parameters from user text (query string or CLI options)."""
    defi = (defi or "").strip() or None
    return Parameters(defi=check_defi(defi), ring_m=parse_ring(ring_m, default_ring_m),
                      weights=parse_weights(weights), unverified=parse_include(include))


def parse_day(name: str, text: str | None, today: date | None = None) -> date | None:
    """A day ``AAAA-MM-JJ`` not after today (None when absent or empty).

    Examples
    --------
    >>> parse_day("date", "2022-06-30")
    datetime.date(2022, 6, 30)
    """
    value = (text or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidParameter(f"« {name} » : un jour AAAA-MM-JJ est attendu, pas "
                               f"« {value[:40]} »")
    if day > (today or date.today()):
        raise InvalidParameter(f"« {name} » : le {day.strftime('%d/%m/%Y')} est à venir ; "
                               "l'analyse à une date regarde le passé ou aujourd'hui")
    return day
