"""The JSON Schema of an editable layer's features (``/collections/{id}/schema``), built
from its YAML, and the check every write goes through (same rules: catalog.validate_feature).
Server-owned fields are ``readOnly``."""

from __future__ import annotations

from typing import Any

from ..catalog import PRECISIONS, LayerDef, PropertyDef, validate_feature

_TYPES = {"string": "string", "integer": "integer", "number": "number",
          "boolean": "boolean", "date": "string", "array": "array"}
_GEOMETRY = {
    "Point": {"type": "object", "required": ["type", "coordinates"],
              "properties": {"type": {"const": "Point"},
                             "coordinates": {"type": "array", "minItems": 2, "maxItems": 2,
                                             "prefixItems": [
                                                 {"type": "number", "minimum": -180,
                                                  "maximum": 180},
                                                 {"type": "number", "minimum": -90,
                                                  "maximum": 90}]}}},
}


def _property(name: str, spec: PropertyDef, layer: LayerDef) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": spec.label.fr, "x-title-en": spec.label.en}
    kind = _TYPES[spec.type]
    schema["type"] = kind if not spec.nullable or spec.required else [kind, "null"]
    if spec.enum:
        schema["enum"] = list(spec.enum) + ([] if schema["type"] == kind else [None])
    if spec.type == "date":
        schema["pattern"] = r"^\d{4}(-\d{2}(-\d{2})?)?$"
        schema["format"] = "date (AAAA, AAAA-MM ou AAAA-MM-JJ)"
    if spec.type == "array":
        schema["items"] = {"type": "string"}
        if spec.items_enum:
            schema["items"]["enum"] = list(spec.items_enum)
            schema["uniqueItems"] = True
    if spec.enum_labels:
        schema["x-enum-labels"] = {value: text.fr for value, text in spec.enum_labels.items()}
    if spec.default is not None:
        schema["default"] = spec.default
    if spec.staff_only:
        schema["x-staff-only"] = True  # never in public reads: accounts only
    if name in layer.server_fields:
        schema["readOnly"] = True
    return schema


def feature_schema(layer: LayerDef, href: str) -> dict[str, Any]:
    """JSON Schema (2020-12) of a feature a client may send to this layer."""
    props = {name: _property(name, spec, layer) for name, spec in layer.properties.items()}
    required = [name for name, spec in layer.properties.items()
                if spec.required and name not in layer.server_fields]
    geometry = _GEOMETRY.get(layer.geometry_type, {"type": "object"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": href,
        "title": layer.title.fr,
        "description": (f"Objet GeoJSON de la couche « {layer.title.fr} ». Les champs "
                        "readOnly sont fixés par le serveur. Sans position, geometry vaut "
                        "null et precision aussi ; avec une position, precision vaut "
                        + ", ".join(PRECISIONS) + "."),
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": ["string", "integer"], "readOnly": True},
            "geometry": {"oneOf": [{"type": "null"}, geometry]},
            "properties": {"type": "object", "required": required, "properties": props,
                           "additionalProperties": False},
        },
    }


def problems(layer: LayerDef, feature: dict) -> list[tuple[str, str]]:
    """Every schema problem of a complete feature, as (field, message in French)."""
    out = []
    for problem in validate_feature(layer, feature):
        field, _, message = problem.partition(" : ")
        out.append((field, message or problem))
    return out
