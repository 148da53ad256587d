"""OpenAPI (3.1, JSON Schema 2020-12) descriptions of the OGC API responses, so that the
published document tells clients (and schemathesis) exactly what comes back."""

from __future__ import annotations

from typing import Any

from .problems import problem_response as problem

GEOJSON = "application/geo+json"
JSON = "application/json"

LINK = {
    "type": "object", "required": ["href", "rel"],
    "properties": {"href": {"type": "string"}, "rel": {"type": "string"},
                   "type": {"type": "string"}, "title": {"type": "string"}},
}
LINKS = {"type": "array", "items": LINK}
GEOMETRY = {
    "oneOf": [
        {"type": "null"},
        {"type": "object", "required": ["type", "coordinates"],
         "properties": {"type": {"enum": ["Point", "MultiPoint", "LineString",
                                          "MultiLineString", "Polygon", "MultiPolygon"]},
                        "coordinates": {"type": "array"}}},
    ],
}
FEATURE = {
    "type": "object", "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": {"type": ["string", "integer"]},
        "geometry": GEOMETRY,
        "properties": {"type": ["object", "null"]},
        "links": LINKS,
    },
}
FEATURE_COLLECTION = {
    "type": "object", "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": FEATURE},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
        "timeStamp": {"type": "string"},
        "links": LINKS,
        "metadata": {"type": "object"},
    },
}
LANDING = {
    "type": "object", "required": ["links"],
    "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                   "links": LINKS},
}
CONFORMANCE = {
    "type": "object", "required": ["conformsTo"],
    "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
}
COLLECTION = {
    "type": "object", "required": ["id", "links"],
    "properties": {
        "id": {"type": "string"}, "title": {"type": "string"},
        "description": {"type": "string"}, "links": LINKS,
        "extent": {"type": "object"}, "itemType": {"type": "string"},
        "crs": {"type": "array", "items": {"type": "string"}},
        "storageCrs": {"type": "string"},
    },
}
COLLECTIONS = {
    "type": "object", "required": ["links", "collections"],
    "properties": {"links": LINKS, "collections": {"type": "array", "items": COLLECTION},
                   "crs": {"type": "array", "items": {"type": "string"}}},
}
QUERYABLES = {
    "type": "object", "required": ["type", "properties"],
    "properties": {"$schema": {"type": "string"}, "$id": {"type": "string"},
                   "type": {"const": "object"}, "title": {"type": "string"},
                   "properties": {"type": "object"}},
}
CONTENT_CRS = {
    "Content-Crs": {"description": "URI du système de coordonnées de la réponse, entre < >.",
                    "schema": {"type": "string"}},
}


ERRORS = {
    400: problem("Paramètre invalide (problem+json, détail en français)"),
    404: problem("Collection ou objet introuvable"),
}
FORMATS_CONTENT = {
    GEOJSON: {"schema": FEATURE_COLLECTION},
    "text/csv": {"schema": {"type": "string"}},
    "application/geopackage+sqlite3": {"schema": {"type": "string", "format": "binary"}},
    **{media: {"schema": {"type": "string", "format": "binary"}} for media in (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet", "application/x-shapefile+zip")},
}


def json_ok(schema: dict, media_type: str = JSON, description: str = "Réponse") -> dict:
    return {200: {"description": description, "content": {media_type: {"schema": schema}}}}


ITEMS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Objets de la collection (GeoJSON, CSV, GeoPackage, XLSX, ODS ou "
                         "Shapefile zippé)",
          "headers": CONTENT_CRS, "content": FORMATS_CONTENT},
    308: {"description": "Objet fusionné dans un autre (même lieu) : Location donne "
               "l'objet qui reste"},
    **ERRORS,
    401: problem("as_of demande un compte (l'historique garde les objets supprimés)"),
    406: problem("Aucun format demandé par Accept n'est disponible"),
}
FEATURE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Un objet (GeoJSON, CSV, GeoPackage, XLSX, ODS ou Shapefile zippé)",
          "headers": CONTENT_CRS,
          "content": {**FORMATS_CONTENT, GEOJSON: {"schema": FEATURE}}},
    **ERRORS,
    401: problem("as_of demande un compte (l'historique garde les objets supprimés)"),
    406: problem("Aucun format demandé par Accept n'est disponible"),
}
