"""The schema of a layer's features (``/collections/{id}/schema``) in the form of OGC API –
Features Part 5 (Schemas), built from its YAML, and the check every write goes through
(same rules: catalog.validate_feature).

The document is a JSON Schema (2020-12) of the feature seen as one object: its properties at
the top (``type: object``, ``properties``), the identifier and the position among them with
their ``x-ogc-role`` (``id``, ``primary-geometry``; ``primary-instant`` for the layer's date,
``primary-interval-start``/``-end`` for its opening and closing dates).
Each property has a ``title``; a coded one lists its values in ``enum`` and says each in
words in ``oneOf: [{"const": value, "title": label}]`` (a null value, when allowed, has its
own entry). Server-owned fields are ``readOnly``. Titles and labels are in one language,
French or English (:data:`LANGS`), both from the layer's YAML (``label``, ``enum_labels``).
"""

from __future__ import annotations

from typing import Any

from ..catalog import PRECISIONS, LayerDef, PropertyDef, Text, validate_feature

LANGS = ("fr", "en")
"""The languages the schema speaks (French by default)."""

_TYPES = {"string": "string", "integer": "integer", "number": "number",
          "boolean": "boolean", "date": "string", "array": "array"}
_POINT = {"type": "object", "required": ["type", "coordinates"],
          "properties": {"type": {"const": "Point"},
                         "coordinates": {"type": "array", "minItems": 2, "maxItems": 2,
                                         "prefixItems": [
                                             {"type": "number", "minimum": -180, "maximum": 180},
                                             {"type": "number", "minimum": -90, "maximum": 90}]}}}
_WORDS = {
    "fr": {"none": "Non renseigné", "position": "Position",
           "description": "Objet de la couche « {title} », propriétés au premier niveau (OGC "
                          "API – Features Part 5). Les champs readOnly sont fixés par le "
                          "serveur. Sans position, geometry vaut null et precision aussi ; avec "
                          "une position, precision vaut {precisions}."},
    "en": {"none": "Not given", "position": "Position",
           "description": "Feature of the layer \"{title}\", properties at the top level (OGC "
                          "API – Features Part 5). readOnly fields are set by the server. "
                          "Without a position, geometry is null and so is precision; with one, "
                          "precision is {precisions}."},
}


def _say(text: Text, lang: str) -> str:
    return getattr(text, lang) or text.fr


def value_labels(spec: PropertyDef, lang: str) -> list[dict[str, Any]]:
    """``[{"const": value, "title": label}]`` for each coded value of a property (the YAML's
    ``enum_labels``; a value without one is said as written)."""
    labels = spec.enum_labels or {}
    return [{"const": value, "title": _say(labels[value], lang) if value in labels else value}
            for value in spec.coded or []]


def _property(name: str, spec: PropertyDef, layer: LayerDef, lang: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": _say(spec.label, lang)}
    kind = _TYPES[spec.type]
    nullable = spec.nullable and not spec.required
    schema["type"] = [kind, "null"] if nullable else kind
    if spec.enum:
        schema["enum"] = list(spec.enum) + ([None] if nullable else [])
        schema["oneOf"] = value_labels(spec, lang) + (
            [{"const": None, "title": _WORDS[lang]["none"]}] if nullable else [])
    if spec.type == "date":
        schema["pattern"] = r"^\d{4}(-\d{2}(-\d{2})?)?$"
        schema["format"] = "date (AAAA, AAAA-MM ou AAAA-MM-JJ)"
    if spec.type == "array":
        schema["items"] = {"type": "string"}
        if spec.items_enum:
            schema["items"]["enum"] = list(spec.items_enum)
            schema["items"]["oneOf"] = value_labels(spec, lang)
            schema["uniqueItems"] = True
    if spec.default is not None:
        schema["default"] = spec.default
    if spec.staff_only:
        schema["x-staff-only"] = True  # never in public reads: accounts only
    if name == layer.id_field:
        schema["x-ogc-role"] = "id"
    elif name == layer.temporal_field:
        schema["x-ogc-role"] = "primary-instant"
    elif layer.temporal_period is not None and name == layer.temporal_period.start:
        schema["x-ogc-role"] = "primary-interval-start"
    elif layer.temporal_period is not None and name == layer.temporal_period.end:
        schema["x-ogc-role"] = "primary-interval-end"
    if name in layer.server_fields:
        schema["readOnly"] = True
    return schema


def _geometry(layer: LayerDef, lang: str) -> dict[str, Any]:
    shape = _POINT if layer.geometry_type == "Point" else {"type": "object"}
    return {"title": _WORDS[lang]["position"], "x-ogc-role": "primary-geometry",
            "format": f"geometry-{layer.geometry_type.lower()}",
            "oneOf": [{"type": "null"}, shape]}


def feature_schema(layer: LayerDef, href: str, lang: str = "fr") -> dict[str, Any]:
    """JSON Schema (2020-12, OGC Part 5 form) of a feature of this layer, in ``lang``."""
    props: dict[str, Any] = {}
    for name, spec in layer.properties.items():
        props[name] = _property(name, spec, layer, lang)
        if name == layer.id_field:
            props["geometry"] = _geometry(layer, lang)
    props.setdefault("geometry", _geometry(layer, lang))
    required = [name for name, spec in layer.properties.items()
                if spec.required and name not in layer.server_fields]
    title = _say(layer.title, lang)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": href,
        "title": title,
        "description": _WORDS[lang]["description"].format(
            title=title, precisions=", ".join(PRECISIONS)),
        "type": "object",
        "required": required,
        "properties": props,
        "additionalProperties": False,
    }


def problems(layer: LayerDef, feature: dict) -> list[tuple[str, str]]:
    """Every schema problem of a complete feature, as (field, message in French)."""
    out = []
    for problem in validate_feature(layer, feature):
        field, _, message = problem.partition(" : ")
        out.append((field, message or problem))
    return out
