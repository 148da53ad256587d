"""Query parameters of the OGC API routes, in one place: their OpenAPI description and
their parsing into typed values. Every bad value raises :class:`InvalidParameter` (400),
:class:`NotAcceptable` (406), with a French message; routes never parse by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import shapely

from ..crs import DEFAULT, SUPPORTED, OutputCrs, bbox_to_lonlat, parse_crs
from ..errors import InvalidParameter, NotAcceptable
from ..export import FORMATS
from ..settings import Settings
from ..store import Collection, Interval, date_span

BBox = tuple[float, float, float, float] | shapely.Geometry
CRS_URIS = list(SUPPORTED)
FORMAT_ALIASES = {"json": "geojson", "geojson": "geojson", "csv": "csv", "gpkg": "gpkg"}
ACCEPTED = {
    "application/geo+json": "geojson", "application/json": "geojson", "*/*": "geojson",
    "application/*": "geojson", "text/csv": "csv", "text/*": "csv",
    "application/geopackage+sqlite3": "gpkg",
}
ITEMS_PARAMS = {"f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "csv_sep"}
FEATURE_PARAMS = {"f", "crs", "csv_sep"}

# -- OpenAPI --------------------------------------------------------------------------------

F = {
    "name": "f", "in": "query", "required": False,
    "description": "Format de sortie (sinon d'après l'en-tête Accept ; GeoJSON par défaut). "
                   "json et geojson donnent du GeoJSON ; csv et gpkg sont des téléchargements.",
    "schema": {"type": "string", "enum": list(FORMAT_ALIASES)},
}
CRS_PARAM = {
    "name": "crs", "in": "query", "required": False,
    "description": "Système de coordonnées de la réponse (OGC API – Features Part 2). "
                   "CRS84 (lon, lat) par défaut ; EPSG:4326 est en ordre (lat, lon). "
                   "Les formes courtes EPSG:2154 et CRS84 sont aussi acceptées.",
    "schema": {"type": "string", "enum": CRS_URIS},
}
CSV_SEP = {
    "name": "csv_sep", "in": "query", "required": False,
    "description": "Avec f=csv : « ; » donne la forme Excel-FR (BOM UTF-8, séparateur « ; », "
                   "virgule décimale dans lon/lat ou x/y).",
    "schema": {"type": "string", "enum": [",", ";"]},
}
# Path parameters (collectionId, featureId) come from the route signatures; these lists are
# the query parameters, which the routes read through the parsers below.
ITEMS_PARAMETERS = [
    {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
     "description": "Emprise ouest,sud,est,nord (dans bbox-crs, CRS84 par défaut ; en EPSG:4326 "
                    "sud,ouest,nord,est). Les objets sans géométrie sont exclus. Une emprise "
                    "inversée (ouest > est ou sud > nord) est refusée.",
     "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
    {"name": "bbox-crs", "in": "query", "required": False,
     "description": "Système de coordonnées de bbox (CRS84 par défaut).",
     "schema": {"type": "string", "enum": CRS_URIS}},
    CRS_PARAM,
    {"name": "limit", "in": "query", "required": False,
     "description": "Nombre d'objets par page : 100 par défaut (réglage GEOSERVICE_DEFAULT_LIMIT), "
                    "au plus 10 000 (GEOSERVICE_MAX_LIMIT) ; une valeur plus grande est ramenée "
                    "au maximum, une valeur ≤ 0 est refusée.",
     "schema": {"type": "integer", "minimum": 1, "default": 100}},
    {"name": "offset", "in": "query", "required": False,
     "description": "Rang du premier objet renvoyé (0 par défaut) ; suivre plutôt le lien next.",
     "schema": {"type": "integer", "minimum": 0, "default": 0}},
    {"name": "datetime", "in": "query", "required": False,
     "description": "Couches datées seulement (projets : annee ; besoins : date_signalement). "
                    "Instant (2021, 2021-05, 2021-05-03 ou date-heure RFC 3339) ou intervalle "
                    "a/b, ../b, a/.. ; bornes incluses, au jour près.",
     "schema": {"type": "string"}},
    F,
    CSV_SEP,
]
FEATURE_PARAMETERS = [CRS_PARAM, F, CSV_SEP]

# -- parsing --------------------------------------------------------------------------------


def parse_int(name: str, text: str | None, default: int, minimum: int) -> int:
    """An integer ≥ ``minimum`` (default when absent)."""
    if text is None:
        return default
    try:
        value = int(text.strip())
    except ValueError as exc:
        raise InvalidParameter(f"« {name} » doit être un entier, pas « {text[:40]} »") from exc
    if value < minimum:
        raise InvalidParameter(f"« {name} » doit être supérieur ou égal à {minimum} "
                               f"(reçu {value})")
    return value


def parse_bbox(text: str | None, crs: OutputCrs = DEFAULT) -> BBox | None:
    """``minx,miny,maxx,maxy`` (or 6 numbers with heights, ignored) in ``crs`` → a lon/lat
    bbox (geographic CRS) or lon/lat polygon (projected CRS).

    Examples
    --------
    >>> parse_bbox("1.3,43.5,1.5,43.7")
    (1.3, 43.5, 1.5, 43.7)
    """
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (4, 6):
        raise InvalidParameter("bbox attend 4 nombres séparés par des virgules : "
                               f"ouest,sud,est,nord (reçu « {text[:80]} »)")
    try:
        numbers = [float(p) for p in parts]
    except ValueError as exc:
        raise InvalidParameter(f"bbox : « {text[:80]} » contient autre chose que des "
                               "nombres") from exc
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter("bbox : nombres finis attendus")
    a, b, c, d = (numbers[0], numbers[1], numbers[3], numbers[4]) if len(numbers) == 6 \
        else numbers
    if a > c or b > d:
        raise InvalidParameter(f"bbox inversée : le minimum dépasse le maximum ({text[:80]})")
    if crs.geographic:
        lon = (b, d) if crs.lat_first else (a, c)
        lat = (a, c) if crs.lat_first else (b, d)
        if not (-180 <= lon[0] <= 180 and -180 <= lon[1] <= 180):
            raise InvalidParameter("bbox : longitude hors de [-180, 180]")
        if not (-90 <= lat[0] <= 90 and -90 <= lat[1] <= 90):
            raise InvalidParameter("bbox : latitude hors de [-90, 90]")
    return bbox_to_lonlat((a, b, c, d), crs)


_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([Tt ].*)?)?)?$")


def _instant(text: str, bound: str) -> tuple[date, date]:
    if not _DATE.match(text):
        raise InvalidParameter(f"datetime : « {text[:40]} » n'est pas une date (AAAA, AAAA-MM, "
                               "AAAA-MM-JJ ou date-heure RFC 3339)")
    span = date_span(text[:10])
    if span is None:
        raise InvalidParameter(f"datetime : date impossible « {text[:40]} » ({bound})")
    return span


def parse_datetime(text: str | None) -> Interval | None:
    """An instant or interval → (first day, last day), open ends as None.

    Examples
    --------
    >>> parse_datetime("2021/..")
    (datetime.date(2021, 1, 1), None)
    """
    if text is None:
        return None
    text = text.strip()
    if "/" not in text:
        first, last = _instant(text, "instant")
        return first, last
    start_text, _, end_text = text.partition("/")
    if "/" in end_text:
        raise InvalidParameter("datetime : un intervalle a exactement deux bornes (a/b)")
    start = None if start_text in ("", "..") else _instant(start_text, "début")[0]
    end = None if end_text in ("", "..") else _instant(end_text, "fin")[1]
    if start is not None and end is not None and start > end:
        raise InvalidParameter(f"datetime : intervalle inversé « {text[:60]} »")
    return start, end


def negotiate(f: str | None, accept: str | None) -> str:
    """Output format from ``f`` (wins) or the Accept header; GeoJSON by default."""
    if f is not None:
        try:
            return FORMAT_ALIASES[f.strip().lower()]
        except KeyError as exc:
            raise InvalidParameter(f"Format « {f[:40]} » inconnu (possibles : "
                                   f"{', '.join(FORMAT_ALIASES)})") from exc
    if not accept or not accept.strip():
        return "geojson"
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept.split(",")):
        media, *options = (part.strip() for part in item.split(";"))
        quality = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.lower() in ACCEPTED and quality > 0:
            ranked.append((-quality, index, ACCEPTED[media.lower()]))
    if not ranked:
        raise NotAcceptable(f"Aucun format demandé par Accept n'est disponible ({accept[:80]}) ; "
                            f"formats : {', '.join(FORMATS)}")
    return min(ranked)[2]


def parse_csv_sep(text: str | None) -> bool:
    """True for the Excel-FR form (``csv_sep=;``)."""
    if text is None or text == ",":
        return False
    if text == ";":
        return True
    raise InvalidParameter(f"csv_sep attend « , » ou « ; », pas « {text[:10]} »")


def check_known(params: Mapping[str, str], allowed: set[str], collection: Collection) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        filterable = [n for n, p in collection.layer.properties.items() if p.filterable]
        raise InvalidParameter(
            f"Paramètre inconnu : « {unknown[0][:40]} ». Filtres possibles pour "
            f"{collection.id} : {', '.join(filterable) or 'aucun'}"
        )


@dataclass(frozen=True)
class ItemsQuery:
    """Everything a request for items asks for, parsed and checked."""

    fmt: str
    crs: OutputCrs
    bbox: BBox | None
    limit: int
    offset: int
    interval: Interval | None
    filters: dict[str, str]
    excel: bool


def parse_items(params: Mapping[str, str], accept: str | None, collection: Collection,
                settings: Settings) -> ItemsQuery:
    """Parse the query of ``/collections/{id}/items``; unknown parameters are refused."""
    filterable = {n for n, p in collection.layer.properties.items() if p.filterable}
    check_known(params, ITEMS_PARAMS | filterable, collection)
    bbox_crs = parse_crs(params.get("bbox-crs"), "bbox-crs")
    limit = parse_int("limit", params.get("limit"), settings.default_limit, 1)
    return ItemsQuery(
        fmt=negotiate(params.get("f"), accept),
        crs=parse_crs(params.get("crs")),
        bbox=parse_bbox(params.get("bbox"), bbox_crs),
        limit=min(limit, settings.max_limit),
        offset=parse_int("offset", params.get("offset"), 0, 0),
        interval=parse_datetime(params.get("datetime")),
        filters={k: v for k, v in params.items() if k in filterable},
        excel=parse_csv_sep(params.get("csv_sep")),
    )


@dataclass(frozen=True)
class FeatureQuery:
    fmt: str
    crs: OutputCrs
    excel: bool


def parse_feature(params: Mapping[str, str], accept: str | None,
                  collection: Collection) -> FeatureQuery:
    check_known(params, FEATURE_PARAMS, collection)
    return FeatureQuery(negotiate(params.get("f"), accept), parse_crs(params.get("crs")),
                        parse_csv_sep(params.get("csv_sep")))
