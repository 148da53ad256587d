"""Which column feeds which property: suggested from the layer's French (and English)
labels, remembered per source; and the typed value of a cell (lists of Défis, yes/no…)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from ..catalog import LayerDef, PropertyDef
from ..errors import InvalidParameter, PayloadTooLarge
from ..numbers import ascii_int
from ..periods import date_span
from ..spatial.lookup import LAT_NAMES, LON_NAMES, decode_text, sniff_delimiter
from ..vocab import DEFI_LABELS
from ..words import fold

COORDINATES = ("lon", "lat")
"""Pseudo-properties of the mapping: the columns holding a point, when the file has one."""
SYNONYMS = {
    "nom": ("nom", "name", "raison sociale", "denomination", "structure", "libelle"),
    "adresse": ("adresse", "address", "adresse postale", "voie"),
    "commune": ("code insee", "insee", "code commune", "citycode"),
    "defi": ("defi", "defis"),
    "siret": ("siret", "n siret", "numero siret"),
    "description": ("description", "activite", "objet"),
    # a place's opening and closing (docs/temps.md): only columns that say so
    "date_ouverture": ("date d'ouverture", "date ouverture", "ouverture", "ouvert le",
                       "opening date"),
    "date_fermeture": ("date de fermeture", "date fermeture", "fermeture", "ferme le",
                       "closing date"),
    "lon": tuple(LON_NAMES) + ("x",),
    "lat": tuple(LAT_NAMES) + ("y",),
}
NOT_FROM_FILES = ("id", "territoire", "verification", "geocodage", "source_id")
"""Set by the import itself, never read from a column."""
YES = {"oui", "o", "yes", "y", "vrai", "true", "1", "x"}
NO = {"non", "n", "no", "faux", "false", "0"}


def read_table(data: bytes, max_rows: int) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file (UTF-8, ``,`` ``;`` or tab), blank lines skipped."""
    text, _ = decode_text(data)
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            rows.append([cell.strip() for cell in row])
            if len(rows) > max_rows:
                raise PayloadTooLarge(f"Le fichier dépasse {max_rows} lignes : découpez-le.")
    except csv.Error as exc:
        raise InvalidParameter(f"CSV illisible ligne {reader.line_num} : {exc}") from None
    if not header or not any(header):
        raise InvalidParameter("Le fichier CSV est vide : une ligne d'en-tête est attendue.")
    if len(set(header)) != len(header):
        raise InvalidParameter("Deux colonnes portent le même nom dans l'en-tête.")
    return header, rows


def mappable(layer: LayerDef) -> list[str]:
    """Properties a column may feed (and the two coordinate pseudo-properties)."""
    return [n for n in layer.properties if n not in NOT_FROM_FILES] + list(COORDINATES)


def suggest(layer: LayerDef, header: list[str]) -> dict[str, str]:
    """Property → column, from the property's name, its labels, or a usual synonym."""
    folded = {fold(h): h for h in header}
    out: dict[str, str] = {}
    for name in mappable(layer):
        spec = layer.properties.get(name)
        candidates = [name, *SYNONYMS.get(name, ())]
        if spec is not None:
            candidates += [spec.label.fr, spec.label.en]
        for candidate in candidates:
            column = folded.get(fold(candidate))
            if column is not None and column not in out.values():
                out[name] = column
                break
    return out


def check_mapping(layer: LayerDef, header: list[str], mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise InvalidParameter("mapping : objet JSON propriété → colonne attendu")
    allowed = mappable(layer)
    for name, column in mapping.items():
        if name not in allowed:
            raise InvalidParameter(f"mapping : « {name} » n'est pas une propriété de "
                                   f"{layer.id} qu'un fichier peut donner")
        if column not in header:
            raise InvalidParameter(f"mapping : colonne « {column} » absente du fichier")
    return dict(mapping)


def _defi(text: str) -> tuple[list[str], list[str]]:
    keys = {fold(k): k for k in DEFI_LABELS}
    keys.update({fold(label): k for k, label in DEFI_LABELS.items()})
    keys.update({"economie circulaire": "economie_circulaire",
                 "alimentation durable": "alimentation_durable", "inclusion": "inclusion"})
    found, unknown = [], []
    for part in text.replace("|", ";").replace(",", ";").split(";"):
        if not part.strip():
            continue
        key = keys.get(fold(part))
        if key is None:
            unknown.append(part.strip())
        elif key not in found:
            found.append(key)
    return found, unknown


def cell_value(name: str, spec: PropertyDef, text: str) -> tuple[Any, str | None]:
    """The typed value of a cell for a property, or (None, the French problem)."""
    if text == "":
        return None, None
    kind = spec.type
    if name == "defi":
        found, unknown = _defi(text)
        return found, (f"Défi inconnu : {', '.join(unknown)}" if unknown else None)
    if kind == "array":
        return [p.strip() for p in text.split(";") if p.strip()], None
    if kind == "boolean":
        value = fold(text)
        if value in YES or value in NO:
            return value in YES, None
        return None, f"oui ou non attendu, pas « {text[:40]} »"
    if kind == "date":
        return _date_cell(text)
    if kind == "integer":
        number = ascii_int(text)
        return (number, None) if number is not None else (
            None, f"nombre entier attendu, pas « {text[:40]} »")
    if spec.enum:
        values = {fold(str(v)): v for v in spec.enum if v is not None}
        value = values.get(fold(text))
        return (value, None) if value is not None else (
            None, f"valeur inconnue « {text[:40]} » (attendu : "
            + ", ".join(str(v) for v in spec.enum if v is not None) + ")")
    return text, None


_FRENCH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_FRENCH_MONTH = re.compile(r"^(\d{1,2})/(\d{4})$")


def _date_cell(text: str) -> tuple[Any, str | None]:
    """A date as the layer keeps it (AAAA, AAAA-MM, AAAA-MM-JJ) from that form or the
    French JJ/MM/AAAA and MM/AAAA of spreadsheets; a partial date stays partial."""
    value = text.strip()
    day = _FRENCH_DAY.match(value)
    month = _FRENCH_MONTH.match(value)
    if day:
        value = f"{day[3]}-{int(day[2]):02d}-{int(day[1]):02d}"
    elif month:
        value = f"{month[2]}-{int(month[1]):02d}"
    if date_span(value) is None:
        return None, f"date AAAA, AAAA-MM, AAAA-MM-JJ ou JJ/MM/AAAA attendue, pas « {text[:40]} »"
    return value, None
