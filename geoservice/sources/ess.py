"""Open ESS data (``../shared/data/ess/``, see its SOURCES.md): national files cut to the
territory, turned into features of the ESS layers, every one *to be checked*
(``verification=a_verifier``), with its source, licence, vintage and position precision.

A row belongs to the territory by its INSEE code, or by postcode **and** commune name
(never by postcode alone: 31700 or 34160 also cover communes outside the EPCI). Nothing is
invented: a field the file does not give stays empty (the Défi of a tiers-lieu, for
instance), and ``statut`` is ``inconnu`` (the files are years old).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SourceDataError
from ..territory import Territory
from ..words import fold


@dataclass(frozen=True)
class OpenSource:
    """One mirrored open-data file and where its rows go."""

    key: str
    file: str
    layer: str
    publisher: str
    licence: str
    vintage: str
    prefix: str = ""
    """Start of the ids of its features (the source's own id follows)."""
    url_setting: str | None = None
    """The setting giving its download URL when there is no mirror (None: the publisher
    has no stable URL; the source is then skipped, and said so)."""


SOURCES = (
    OpenSource("tiers_lieux_cget_2019", "ess/tiers_lieux_cget_2019.csv", "hebergement",
               "CGET (aujourd'hui ANCT), Mission Coworking, base des tiers-lieux",
               "Licence Ouverte 2.0", "2019", "tl2019-"),
    OpenSource("anct_fabt_2024", "ess/anct_fabt_2024.geojson", "hebergement",
               "ANCT, Fabriques de territoire (programme Nouveaux lieux, nouveaux liens)",
               "Licence Ouverte 2.0", "2024", "anct2024-", "fabt_url"),
    OpenSource("anct_manuprox_2024", "ess/anct_manuprox_2024.geojson", "hebergement",
               "ANCT, Manufactures de proximité", "Licence Ouverte 2.0", "2024", "anct2024-",
               "manuprox_url"),
    OpenSource("siae_2019_lemarche", "ess/siae_2019_lemarche.csv", "structures_ess",
               "ASP, liste des SIAE et GEIQ, telle qu'importée par le Marché de l'inclusion "
               "(GIP de l'inclusion)", "licence non précisée", "2019", "siae2019-"),
)
SIAE_KINDS = {"ACI": "aci", "AI": "ai", "EI": "ei", "ETTI": "etti", "GEIQ": "geiq"}
TYPOLOGY = {"Tiers lieux à dominante coworking": "coworking",
            "Tiers lieux à dominante fablab": "fablab"}


class Communes:
    """The territory's communes by INSEE code and by folded name (for postcode + name)."""

    def __init__(self, territory: Territory, names: dict[str, str]) -> None:
        self.territory = territory
        self.names = names
        self.by_name = {fold(n): c for c, n in names.items()}

    def code(self, insee: str | None, postcode: str | None, name: str | None) -> str | None:
        insee = (insee or "").strip()
        if insee and insee != "0":
            insee = insee.zfill(5)
            return insee if insee in self.names else None
        postcode = (postcode or "").strip().zfill(5)
        found = self.by_name.get(fold(name or ""))
        if found is None or not postcode.startswith(self.territory.departement):
            return None
        return found


def _base(source: OpenSource, source_id: str, commune: str, territory: Territory,
          precision: str) -> dict[str, Any]:
    return {"territoire": territory.id, "commune": commune, "statut": "inconnu",
            "precision": precision, "verification": "a_verifier", "licence": source.licence,
            "millesime": source.vintage, "source_id": source_id,
            "source": f"{source.publisher}, {source.vintage} (identifiant {source_id})"}


def _point(lon: Any, lat: Any) -> dict | None:
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        return None
    if not (-180 <= x <= 180 and -90 <= y <= 90) or (x == 0 and y == 0):
        return None
    return {"type": "Point", "coordinates": [round(x, 7), round(y, 7)]}


def _csv(path: Path, required: Iterable[str]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceDataError(f"{path.name} : illisible ({exc})") from exc
    missing = [c for c in required if rows and c not in rows[0]]
    if not rows or missing:
        raise SourceDataError(f"{path.name} : colonnes attendues absentes : "
                              f"{', '.join(missing) or 'aucune ligne'}")
    return rows


def read_tiers_lieux(path: Path, source: OpenSource, communes: Communes) -> list[dict]:
    """CGET 2019: a point geocoded from the address (``PRECISION`` = the geocoder's score)."""
    out = []
    for row in _csv(path, ("ID", "NOM_TL", "ADRESSE", "CP", "COMINIT", "INSEECOM", "TYPO",
                           "LAT", "LONG", "PRECISION")):
        code = communes.code(row["INSEECOM"], row["CP"], row["COMINIT"])
        if code is None:
            continue
        sid = row["ID"].strip()
        props = _base(source, sid, code, communes.territory, "adresse")
        address = " ".join(x for x in (row["ADRESSE"].strip(), row["CP"].strip(),
                                       row["COMINIT"].strip()) if x)
        props.update({"nom": row["NOM_TL"].strip(), "defi": [],
                      "type": TYPOLOGY.get(row["TYPO"].strip(), "tiers_lieu"),
                      "adresse": address or None,
                      "geocodage": f"source : géocodage CGET, score {row['PRECISION']}"})
        if row.get("WEB", "").strip():
            props["description"] = f"Site : {row['WEB'].strip()}"
        out.append(_feature(source, sid, props, _point(row["LONG"], row["LAT"])))
    return out


def read_anct(path: Path, source: OpenSource, communes: Communes, kind: str) -> list[dict]:
    """ANCT 2024: one point per commune (not the place's address); several places of one
    commune share a feature, their names and ids joined by « ; »: one feature each, at the
    commune's point, ``precision=commune``."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SourceDataError(f"{path.name} : GeoJSON illisible ({exc})") from exc
    out = []
    for feature in data.get("features") or []:
        props = feature.get("properties") or {}
        code = communes.code(str(props.get("id_geo") or ""), None, None)
        if code is None:
            continue
        names = [n.strip() for n in str(props.get("lib_territoire") or "").split(";")]
        ids = [i.strip() for i in str(props.get("id_territoire") or "").split(";")]
        if len(names) != len(ids):
            raise SourceDataError(f"{path.name} : {len(names)} noms pour {len(ids)} "
                                  f"identifiants dans la commune {code}")
        for name, sid in zip(names, ids, strict=True):
            if not sid:
                continue
            base = _base(source, sid, code, communes.territory, "commune")
            base.update({"nom": name, "defi": [], "type": kind,
                         "reference_position": f"point de la commune {props.get('lib_geo')} "
                                               "donné par l'ANCT, pas l'adresse du lieu"})
            out.append(_feature(source, sid, base, feature.get("geometry")))
    return out


def read_siae(path: Path, source: OpenSource, communes: Communes) -> list[dict]:
    """ASP 2019 (Marché de l'inclusion): postcode + city only, a geocoded point; Défi
    inclusion by default (insertion through work)."""
    out = []
    for row in _csv(path, ("pk", "kind", "name", "siret", "naf", "address", "post_code", "city",
                           "lat", "lon")):
        code = communes.code(None, row["post_code"], row["city"])
        kind = SIAE_KINDS.get(row["kind"].strip().upper())
        if code is None or kind is None:
            continue
        sid = row["pk"].strip()
        props = _base(source, sid, code, communes.territory, "adresse")
        name = (row.get("brand") or "").strip() or row["name"].strip()
        address = " ".join(x for x in (row["address"].strip(), row["post_code"].strip(),
                                       row["city"].strip()) if x)
        props.update({"nom": name, "defi": ["inclusion"], "type": kind,
                      "adresse": address or None, "siret": row["siret"].strip() or None,
                      "naf": row["naf"].strip() or None,
                      "geocodage": "source : point donné par le fichier (géocodeur inconnu)"})
        if (row.get("brand") or "").strip() and row["name"].strip() != name:
            props["description"] = f"Raison sociale : {row['name'].strip()}"
        out.append(_feature(source, sid, props, _point(row["lon"], row["lat"])))
    return out


def _feature(source: OpenSource, sid: str, props: dict, geometry: dict | None) -> dict:
    fid = source.prefix + sid
    props["id"] = fid
    if geometry is None:
        props.pop("precision", None)
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": props}


def read_source(source: OpenSource, path: Path, communes: Communes) -> list[dict]:
    """The territory's features of one open source."""
    if source.key.startswith("tiers_lieux"):
        return read_tiers_lieux(path, source, communes)
    if source.key.startswith("anct_fabt"):
        return read_anct(path, source, communes, "fabrique_de_territoire")
    if source.key.startswith("anct_manuprox"):
        return read_anct(path, source, communes, "manufacture_de_proximite")
    return read_siae(path, source, communes)
