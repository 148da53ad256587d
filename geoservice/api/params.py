"""Query parameters of the OGC API routes, in one place: their OpenAPI description and
their parsing into typed values. Every bad value raises :class:`InvalidParameter` (400),
:class:`NotAcceptable` (406), with a French message; routes never parse by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ..errors import InvalidParameter, NotAcceptable
from ..parsing import BBox, parse_bbox, parse_datetime, parse_instant, parse_int
from ..read import cql2
from ..read.crs import CRS84 as CRS84_URI
from ..read.crs import SUPPORTED, OutputCrs, parse_crs
from ..read.export import ALL, FORMATS, MEDIA_TYPES, Selection
from ..read.snapshot import Collection, Interval
from ..settings import Settings

CRS_URIS = list(SUPPORTED)
FORMAT_ALIASES = {"json": "geojson", "geojson": "geojson", "csv": "csv", "gpkg": "gpkg",
                  "xlsx": "xlsx", "ods": "ods", "shp": "shp"}
ACCEPTED = {
    "application/geo+json": "geojson", "application/json": "geojson", "*/*": "geojson",
    "application/*": "geojson", "text/csv": "csv", "text/*": "csv",
    "application/geopackage+sqlite3": "gpkg", MEDIA_TYPES["xlsx"]: "xlsx",
    MEDIA_TYPES["ods"]: "ods", MEDIA_TYPES["shp"]: "shp",
}
ITEMS_PARAMS = {"f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "csv_sep",
                "filter", "filter-lang", "filter-crs", "sortby", "properties", "skipGeometry",
                "as_of"}
FEATURE_PARAMS = {"f", "crs", "csv_sep", "properties", "skipGeometry", "as_of"}

# -- OpenAPI --------------------------------------------------------------------------------

LIMIT_TEXT = ("Nombre d'objets par page : {default} par défaut (réglage "
              "GEOSERVICE_DEFAULT_LIMIT), au plus {maximum} (GEOSERVICE_MAX_LIMIT) ; une "
              "valeur plus grande est ramenée au maximum, une valeur ≤ 0 est refusée.")


def document_limits(schema: dict, settings: Settings) -> None:
    """Say the configured paging limits in the OpenAPI document (not the defaults)."""
    for route, path in schema.get("paths", {}).items():
        if route.startswith("/api/proposals"):
            continue  # the moderation queue has its own page size
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) \
                    else []:
                if parameter.get("name") == "limit" and parameter.get("in") == "query":
                    parameter["description"] = LIMIT_TEXT.format(
                        default=settings.default_limit, maximum=settings.max_limit)
                    # no "maximum": a larger value is clamped, not refused
                    parameter["schema"] = {**parameter.get("schema", {}),
                                           "default": settings.default_limit}

F = {
    "name": "f", "in": "query", "required": False,
    "description": "Format de sortie (sinon d'après l'en-tête Accept ; GeoJSON par défaut). "
                   "json et geojson donnent du GeoJSON ; csv, gpkg (recommandé pour un SIG), "
                   "xlsx et ods (tableurs : cellules typées, libellés français, feuille "
                   "« Dictionnaire ») et shp (Shapefile zippé, noms de champs de 10 "
                   "caractères, dictionnaire dans le zip) sont des téléchargements.",
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
                   "virgule décimale dans chaque nombre, oui/non pour les booléens).",
    "schema": {"type": "string", "enum": [",", ";"]},
}
PROPERTIES = {
    "name": "properties", "in": "query", "required": False, "style": "form", "explode": False,
    "description": "Propriétés à renvoyer (OGC API – Features Part 6), séparées par des "
                   "virgules, ex. nom,commune ; vide : aucune. L'identifiant de l'objet reste. "
                   "Une propriété inconnue est refusée (400). Vaut pour tous les formats.",
    "schema": {"type": "array", "items": {"type": "string"}},
}
SKIP_GEOMETRY = {
    "name": "skipGeometry", "in": "query", "required": False,
    "description": "true : sans géométrie (GeoJSON « geometry »: null ; CSV, XLSX et ODS sans "
                   "colonnes WKT ni coordonnées). Refusé avec gpkg et shp.",
    "schema": {"type": "boolean", "default": False},
}
SORTBY = {
    "name": "sortby", "in": "query", "required": False, "style": "form", "explode": False,
    "description": "Tri (OGC API – Features Part 8) : propriétés filtrables (voir queryables, "
                   "sauf les listes) séparées par des virgules, chacune précédée de « - » "
                   "(décroissant) ou de « + » (croissant, par défaut ; %2B dans une URL), ex. "
                   "-annee,nom. Texte comparé sans casse ni accents ; valeurs manquantes en "
                   "dernier ; à égalité, l'ordre du magasin.",
    "schema": {"type": "array", "items": {"type": "string", "pattern": r"^[+-]?[A-Za-z0-9_]+$"}},
}
AS_OF = {
    "name": "as_of", "in": "query", "required": False,
    "description": "Les données telles qu'elles étaient enregistrées à cet instant RFC 3339 "
                   "(ex. 2024-05-01T10:00:00Z), lues dans l'historique : un objet supprimé "
                   "depuis y est, un objet créé depuis n'y est pas. Collections modifiables "
                   "seulement ; demande un compte (l'historique garde les objets supprimés). "
                   "Les exports le disent dans leurs métadonnées (as_of).",
    "schema": {"type": "string", "format": "date-time"},
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
     "description": LIMIT_TEXT.format(default=100, maximum=10_000),
     "schema": {"type": "integer", "minimum": 1, "default": 100}},
    {"name": "offset", "in": "query", "required": False,
     "description": "Rang du premier objet renvoyé (0 par défaut) ; suivre plutôt le lien next.",
     "schema": {"type": "integer", "minimum": 0, "default": 0}},
    {"name": "datetime", "in": "query", "required": False,
     "description": "Couches datées seulement. Lieux ESS et projets : ouverts au moins un "
                    "jour de l'intervalle, [date_ouverture, date_fermeture) ; besoins : "
                    "date_signalement. Instant (2021, 2021-05, 2021-05-03 ou date-heure "
                    "RFC 3339) ou intervalle a/b, ../b, a/.. ; bornes incluses, au jour près. "
                    "Les objets dont les dates ne disent pas s'ils correspondent sont laissés "
                    "de côté et comptés : numberUndated (GeoJSON), en-tête "
                    "Geoservice-Number-Undated (tous formats).",
     "schema": {"type": "string"}},
    F,
    CSV_SEP,
    {"name": "filter", "in": "query", "required": False,
     "description": "Filtre CQL2 (OGC API – Features Part 3) sur les propriétés filtrables "
                    "(voir queryables) et la géométrie : = <> < <= > >=, LIKE, IN, BETWEEN, "
                    "IS NULL, AND/OR/NOT, CASEI, S_INTERSECTS(geometry, BBOX(…) ou WKT). "
                    "Ex. : lib_qp LIKE 'Grand%' AND S_INTERSECTS(geometry, "
                    "BBOX(1.3,43.5,1.5,43.7)). Sur une liste (defi), = veut dire « contient ».",
     "schema": {"type": "string"}},
    {"name": "filter-lang", "in": "query", "required": False,
     "description": "Langage du filtre : cql2-text (défaut) ou cql2-json.",
     "schema": {"type": "string", "enum": ["cql2-text", "cql2-json"],
                "default": "cql2-text"}},
    {"name": "filter-crs", "in": "query", "required": False,
     "description": "Système de coordonnées des géométries du filtre : CRS84 seulement.",
     "schema": {"type": "string", "enum": [CRS84_URI]}},
    SORTBY,
    PROPERTIES,
    SKIP_GEOMETRY,
    AS_OF,
]
FEATURE_PARAMETERS = [CRS_PARAM, F, CSV_SEP, PROPERTIES, SKIP_GEOMETRY, AS_OF]

# -- parsing --------------------------------------------------------------------------------


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
    cql: cql2.Filter | None = None
    sortby: tuple[tuple[str, bool], ...] = ()
    """(property, descending?) keys, first key first."""
    select: Selection = ALL
    as_of: datetime | None = None
    """The data as recorded at this instant (history), None: as it is now."""


def sortable(collection: Collection) -> list[str]:
    """Properties ``sortby`` accepts: the queryables, lists excepted."""
    return [n for n, p in collection.layer.properties.items()
            if p.filterable and p.type != "array"]


def parse_sortby(text: str | None, collection: Collection) -> tuple[tuple[str, bool], ...]:
    """``-annee,nom`` → ``(("annee", True), ("nom", False))``; a ``+`` decoded from a URL
    as a space counts as ``+``."""
    if text is None:
        return ()
    allowed = sortable(collection)
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        item = part.strip()
        descending = item.startswith("-")
        name = item[1:].strip() if item[:1] in "+-" and item else item
        if not name:
            raise InvalidParameter("sortby : une propriété manque (ex. sortby=-annee,nom)")
        if name not in allowed:
            raise InvalidParameter(
                f"sortby : « {name[:40]} » n'est pas une propriété triable de "
                f"{collection.id} ; possibles : {', '.join(allowed) or 'aucune'}")
        if any(name == k for k, _ in keys):
            raise InvalidParameter(f"sortby : « {name} » est donnée deux fois")
        keys.append((name, descending))
    return tuple(keys)


def parse_selection(params: Mapping[str, str], collection: Collection, fmt: str
                    ) -> Selection:
    """``properties`` (Part 6) and ``skipGeometry``: unknown names are refused."""
    text = params.get("properties")
    names: tuple[str, ...] | None = None
    if text is not None:
        names = tuple(n.strip() for n in text.split(",") if n.strip())
        known = collection.layer.properties
        for name in names:
            if name not in known:
                raise InvalidParameter(
                    f"properties : « {name[:40]} » n'est pas une propriété de "
                    f"{collection.id} ; possibles : {', '.join(known)}")
        if len(set(names)) != len(names):
            raise InvalidParameter("properties : une propriété est donnée deux fois")
    skip = params.get("skipGeometry")
    geometry = True
    if skip is not None:
        value = skip.strip().lower()
        if value not in ("true", "false"):
            raise InvalidParameter(f"skipGeometry attend true ou false, pas « {skip[:10]} »")
        geometry = value == "false"
        if not geometry and fmt in ("gpkg", "shp"):
            raise InvalidParameter(f"skipGeometry=true ne s'applique pas au format {fmt} "
                                   "(prendre csv, xlsx ou ods pour un tableau sans géométrie)")
    return Selection(names, geometry)


def parse_items(params: Mapping[str, str], accept: str | None, collection: Collection,
                settings: Settings) -> ItemsQuery:
    """Parse the query of ``/collections/{id}/items``; unknown parameters are refused."""
    filterable = {n for n, p in collection.layer.properties.items() if p.filterable}
    check_known(params, ITEMS_PARAMS | filterable, collection)
    bbox_crs = parse_crs(params.get("bbox-crs"), "bbox-crs")
    limit = parse_int("limit", params.get("limit"), settings.default_limit, 1)
    fmt = negotiate(params.get("f"), accept)
    return ItemsQuery(
        fmt=fmt,
        crs=parse_crs(params.get("crs")),
        bbox=parse_bbox(params.get("bbox"), bbox_crs),
        limit=min(limit, settings.max_limit),
        offset=parse_int("offset", params.get("offset"), 0, 0),
        interval=parse_datetime(params.get("datetime")),
        filters={k: v for k, v in params.items() if k in filterable},
        excel=parse_csv_sep(params.get("csv_sep")),
        cql=_parse_filter(params, collection),
        sortby=parse_sortby(params.get("sortby"), collection),
        select=parse_selection(params, collection, fmt),
        as_of=parse_instant("as_of", params.get("as_of")),
    )


def _parse_filter(params: Mapping[str, str], collection: Collection) -> cql2.Filter | None:
    text = params.get("filter")
    if text is None:
        if "filter-lang" in params or "filter-crs" in params:
            raise InvalidParameter("filter-lang et filter-crs vont avec un paramètre filter")
        return None
    filter_crs = params.get("filter-crs")
    if filter_crs is not None and parse_crs(filter_crs, "filter-crs").uri != CRS84_URI:
        raise InvalidParameter("filter-crs : seul CRS84 est pris en charge")
    return cql2.parse(text, params.get("filter-lang"), collection.layer)


@dataclass(frozen=True)
class FeatureQuery:
    fmt: str
    crs: OutputCrs
    excel: bool
    select: Selection = ALL
    as_of: datetime | None = None


def parse_feature(params: Mapping[str, str], accept: str | None,
                  collection: Collection) -> FeatureQuery:
    check_known(params, FEATURE_PARAMS, collection)
    fmt = negotiate(params.get("f"), accept)
    return FeatureQuery(fmt, parse_crs(params.get("crs")), parse_csv_sep(params.get("csv_sep")),
                        parse_selection(params, collection, fmt),
                        parse_instant("as_of", params.get("as_of")))
