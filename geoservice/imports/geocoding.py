"""Batch geocoding through the BAN ``/search/csv/`` service, and the class of each answer:
**sure** (high score, house-number match, clear gap to the runner-up, inside the
territory), **review** (anything less certain: a lower score, a street- or town-level
match, a close runner-up, outside the territory), or **rejected** (no match).

The BAN answers in CSV: the rows sent, plus ``latitude``, ``longitude``, ``result_label``,
``result_score``, ``result_score_next``, ``result_type``, ``result_citycode``,
``result_status``… (https://adresse.data.gouv.fr/outils/api-doc/adresse).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from ..errors import GeocoderUnavailable
from ..numbers import ascii_float

PRECISION = {"housenumber": "adresse", "street": "rue", "locality": "quartier",
             "municipality": "commune"}
MATCH_WORDS = {"housenumber": "au numéro", "street": "à la rue", "locality": "au lieu-dit",
               "municipality": "à la commune"}


@dataclass(frozen=True)
class Thresholds:
    sure_score: float = 0.8
    """Lowest BAN score of a sure row."""
    sure_gap: float = 0.1
    """Smallest lead over the runner-up (``result_score_next``) of a sure row."""


def _number(text: str | None) -> float | None:
    return ascii_float(text) if text else None


def search_csv(base_url: str, queries: dict[str, tuple[str, str | None]],
               timeout: float = 60.0) -> dict[str, dict[str, str]]:
    """Geocode ``{row key: (address text, INSEE code filter or None)}`` in one request;
    the BAN's answer columns per row key."""
    if not queries:
        return {}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["gs_row", "q", "citycode"])
    for key, (text, citycode) in queries.items():
        writer.writerow([key, text, citycode or ""])
    files = {"data": ("adresses.csv", buffer.getvalue().encode("utf-8"), "text/csv")}
    data = {"columns": "q", "citycode": "citycode"}
    try:
        response = httpx.post(f"{base_url.rstrip('/')}/search/csv/", files=files, data=data,
                              timeout=timeout)
        response.raise_for_status()
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    except (httpx.HTTPError, UnicodeDecodeError, csv.Error) as exc:
        raise GeocoderUnavailable("Le géocodeur d'adresses (BAN) ne répond pas au traitement "
                                  "par lot ; réessayez plus tard.") from exc
    if rows and "gs_row" not in rows[0]:
        raise GeocoderUnavailable("Réponse inattendue du géocodeur d'adresses (BAN).")
    return {row["gs_row"]: row for row in rows}


def classify(answer: dict[str, str] | None, territory_communes: tuple[str, ...],
             thresholds: Thresholds) -> dict[str, Any]:
    """One row's geocoding result: status, French problems, and what the feature keeps
    (point, precision, commune, provenance)."""
    if answer is None or answer.get("result_status", "ok") not in ("ok", "") \
            or _number(answer.get("latitude")) is None:
        return {"status": "rejected", "problems": ["adresse introuvable dans la BAN"],
                "geocoding": None}
    score = _number(answer.get("result_score")) or 0.0
    runner = _number(answer.get("result_score_next"))
    kind = answer.get("result_type") or ""
    citycode = answer.get("result_citycode") or ""
    problems = []
    if score < thresholds.sure_score:
        problems.append(f"score BAN {score:.2f} (sûr à partir de {thresholds.sure_score:.2f})"
                        .replace(".", ","))
    if kind != "housenumber":
        problems.append(f"trouvée {MATCH_WORDS.get(kind, kind or 'niveau inconnu')} "
                        "seulement, pas au numéro")
    if runner is not None and score - runner < thresholds.sure_gap:
        problems.append(f"autre candidat proche ({runner:.2f} contre {score:.2f})"
                        .replace(".", ","))
    if citycode not in territory_communes:
        problems.append(f"hors du territoire (commune {citycode or 'inconnue'})")
    today = date.today().isoformat()
    geocoding = {
        "lon": _number(answer.get("longitude")), "lat": _number(answer.get("latitude")),
        "label": answer.get("result_label"), "score": round(score, 3),
        "score_next": None if runner is None else round(runner, 3), "type": kind,
        "citycode": citycode or None, "precision": PRECISION.get(kind, "commune"),
        "provenance": f"BAN, score {score:.2f}, {kind or 'type inconnu'}, {today}",
    }
    return {"status": "review" if problems else "sure", "problems": problems,
            "geocoding": geocoding}
