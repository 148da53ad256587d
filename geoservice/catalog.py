"""Layer catalogue: one YAML file per layer in ``layers/``, validated into LayerDef objects."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from .auth.roles import Role
from .errors import ConfigError

PropertyType = Literal["string", "integer", "number", "boolean", "date", "array"]
GeometryType = Literal["Point", "MultiPolygon", "Polygon", "LineString", "MultiPoint"]
LAYER_IDS = (
    "qpv", "qpv_2015", "communes", "lieux_totems", "hebergement",
    "accompagnement", "structures_ess", "projets", "besoins", "evenements", "stations",
    "diagnostic_qpv", "couverture",
)
AUTHORED_FORMAT = "authored"
DERIVED_FORMAT = "derived"  # computed from other layers when the store loads (analysis)


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fr: str
    en: str


class PropertyDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: PropertyType
    label: Text
    required: bool = False
    nullable: bool = True
    enum: list[str] | None = None
    items_enum: list[str] | None = Field(None, description="Allowed values of an array's items")
    filterable: bool = True
    enum_labels: dict[str, Text] | None = Field(
        None, description="How each value of ``enum`` (or ``items_enum``) is said (French, "
        "English)")
    default: str | None = Field(
        None, description="The value of a feature that has none: filled on every write and "
        "read as such from rows stored before the property existed")
    staff_only: bool = Field(
        False, description="Seen by accounts only: never in public reads, exports, filters")
    unit: str | None = Field(
        None, description="Unit of a number (« m », « € »…), said in the exports' dictionary")

    @model_validator(mode="after")
    def _values(self) -> PropertyDef:
        if self.enum_labels is not None and set(self.enum_labels) != set(self.coded or []):
            raise ValueError("enum_labels: one label per value of enum (or items_enum), "
                             "no other")
        if self.default is not None and self.enum is not None and self.default not in self.enum:
            raise ValueError(f"default: {self.default!r} is not a value of enum")
        if self.staff_only and self.required:
            raise ValueError("staff_only: a required property cannot be hidden from readers")
        return self

    @property
    def coded(self) -> list[str] | None:
        """The values a property may take (``enum``, or ``items_enum`` for a list)."""
        return self.enum or self.items_enum


class Style(BaseModel):
    model_config = ConfigDict(extra="forbid")
    color: str = "#3388ff"
    fill_color: str | None = None
    fill_opacity: float = Field(0.2, ge=0, le=1)
    weight: float = Field(2, ge=0)
    radius: float = Field(7, ge=0)
    icon: str | None = None
    dash_array: str | None = None
    visible: bool = True

    @model_validator(mode="after")
    def _colours(self) -> Style:
        for value in (self.color, self.fill_color):
            if value is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
                raise ValueError(f"couleur invalide : {value!r} (attendu #rrggbb)")
        return self


class SourceDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["qpv_2024", "qpv_2015", "communes", "stations", "authored", "derived"]
    file: str | None = None  # authored layers: GeoJSON file beside the YAML

    @model_validator(mode="after")
    def _file(self) -> SourceDef:
        if (self.format == AUTHORED_FORMAT) != (self.file is not None):
            raise ValueError("`file` is required for authored layers and only for them")
        return self


Action = Literal["create", "update", "delete"]


class Permissions(BaseModel):
    """Which roles may do what on a layer over the API; an action not listed is refused."""

    model_config = ConfigDict(extra="forbid")
    create: list[Role] = []
    update: list[Role] = []
    delete: list[Role] = []

    def allows(self, action: Action, role: str | None) -> bool:
        return role is not None and role in getattr(self, action)


class TemporalPeriod(BaseModel):
    """The two properties that say when a feature was open: [start, end) (:mod:`..periods`)."""

    model_config = ConfigDict(extra="forbid")
    start: str
    end: str


class LayerDef(BaseModel):
    """One collection of the service."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: Text
    description: Text
    keywords: list[str]
    geometry_type: GeometryType
    id_field: str
    source: SourceDef
    publisher: str
    licence: str
    licence_url: str | None = None
    vintage: str
    attribution: str | None = None
    temporal_field: str | None = None
    """A date property: ``datetime`` matches the period it covers (an instant)."""
    temporal_period: TemporalPeriod | None = None
    """Opening and closing properties: ``datetime`` matches [opening, closing)."""
    properties: dict[str, PropertyDef]
    style: Style = Style()
    order: int = 100
    editable: bool = False
    """Features can be created, changed and deleted over the API (authored layers only)."""
    permissions: Permissions = Permissions()
    _public: LayerDef | None = PrivateAttr(None)
    server_fields: list[str] = Field(
        ["id"], description="Properties the server sets; a write cannot choose or change them")

    @model_validator(mode="after")
    def _editing(self) -> LayerDef:
        if self.editable and not self.authored:
            raise ValueError("editable: only authored layers can be edited (reference layers "
                             "come from `data pull`, views from the analysis)")
        unknown = set(self.server_fields) - set(self.properties)
        if self.editable and unknown:
            raise ValueError(f"server_fields: undeclared {sorted(unknown)}")
        return self

    @model_validator(mode="after")
    def _fields(self) -> LayerDef:
        if self.id_field not in self.properties:
            raise ValueError(f"id_field {self.id_field!r} is not a declared property")
        if self.temporal_field and self.temporal_field not in self.properties:
            raise ValueError(f"temporal_field {self.temporal_field!r} is not a declared property")
        if self.temporal_period is not None:
            if self.temporal_field:
                raise ValueError("temporal_field and temporal_period: one or the other")
            for name in (self.temporal_period.start, self.temporal_period.end):
                if name not in self.properties:
                    raise ValueError(f"temporal_period {name!r} is not a declared property")
        return self

    @property
    def dated(self) -> bool:
        """``datetime`` applies to this layer (an instant field or a period)."""
        return bool(self.temporal_field) or self.temporal_period is not None

    @property
    def staff_only(self) -> list[str]:
        """Properties only accounts see (:attr:`PropertyDef.staff_only`)."""
        return [name for name, spec in self.properties.items() if spec.staff_only]

    def public(self) -> LayerDef:
        """This layer as public reads see it: without its staff-only properties (the read
        side's collections are made with it, so items, exports, filters and queryables
        never hold them). The layer itself when it has none."""
        hidden = self.staff_only
        if not hidden:
            return self
        if self._public is None:
            self._public = self.model_copy(update={"properties": {
                n: s for n, s in self.properties.items() if n not in hidden}})
        return self._public

    @property
    def authored(self) -> bool:
        return self.source.format == AUTHORED_FORMAT

    @property
    def derived(self) -> bool:
        return self.source.format == DERIVED_FORMAT


def _yaml_files(layers_dir: Path) -> list[Path]:
    if not layers_dir.is_dir():
        raise ConfigError(f"Dossier des couches introuvable : {layers_dir}")
    return sorted(layers_dir.glob("*.yaml"))


def load_layer(path: Path) -> LayerDef:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name} : pas du texte UTF-8") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name} : YAML illisible ({exc.__class__.__name__})") from exc
    try:
        layer = LayerDef.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(racine)"
        raise ConfigError(f"{path.name} : {where} : {first['msg']}") from exc
    if layer.id != path.stem:
        raise ConfigError(f"{path.name} : l'id {layer.id!r} doit être le nom du fichier")
    return layer


def load_catalog(layers_dir: Path) -> dict[str, LayerDef]:
    """Read every ``layers/*.yaml`` (first problem raises ConfigError), ordered for display."""
    layers = [load_layer(p) for p in _yaml_files(layers_dir)]
    return {layer.id: layer for layer in sorted(layers, key=lambda lay: (lay.order, lay.id))}


# -- validation (the `geoservice validate` command) ---------------------------------------

PRECISIONS = ("adresse", "rue", "quartier", "commune")


_TYPE_LABELS = {"string": "texte", "integer": "nombre entier", "number": "nombre",
                "boolean": "vrai ou faux", "date": "date", "array": "liste"}
_FOUND = {str: "texte", int: "nombre entier", float: "nombre", bool: "booléen", list: "liste",
          dict: "objet"}


def _said(spec: PropertyDef, value: str) -> str:
    """A coded value as the layer says it in French (its code when it has no label)."""
    labels = spec.enum_labels or {}
    return labels[value].fr if value in labels else value


def _check_value(name: str, spec: PropertyDef, value: Any) -> str | None:
    """The problem of one value, as ``name : message``: the message names the field by its
    label and says the allowed values in words (it is shown beside the field)."""
    label = spec.label.fr
    if value is None:
        return None if spec.nullable and not spec.required else \
            f"{name} : « {label} » est obligatoire"
    expected = {
        "string": str, "integer": int, "number": (int, float), "boolean": bool,
        "date": str, "array": list,
    }[spec.type]
    wanted = _TYPE_LABELS[spec.type]
    if isinstance(value, bool) and spec.type in ("integer", "number"):
        return f"{name} : « {label} » attend un {wanted}, pas vrai ou faux"
    if not isinstance(value, expected):
        found = _FOUND.get(type(value), type(value).__name__)
        return f"{name} : « {label} » attend : {wanted} (reçu : {found})"
    if spec.type == "date" and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        return (f"{name} : « {label} » attend une date AAAA, AAAA-MM ou AAAA-MM-JJ, pas "
                f"« {value[:40]} »")
    allowed = spec.coded
    bad = ([value] if spec.enum is not None and value not in spec.enum else
           [v for v in value if v not in allowed] if spec.items_enum is not None else [])
    if allowed is not None and bad:
        return (f"{name} : « {str(bad[0])[:40]} » n'est pas une valeur admise pour "
                f"« {label} » ({', '.join(_said(spec, v) for v in allowed)})")
    if spec.type == "array" and spec.items_enum is not None \
            and len(set(map(str, value))) != len(value):
        return f"{name} : « {label} » contient une valeur en double"
    if spec.type == "array" and not all(isinstance(v, str) for v in value):
        return f"{name} : « {label} » attend une liste de textes"
    return None


def validate_feature(layer: LayerDef, feature: dict) -> list[str]:
    """Problems of one project-authored feature against its layer schema (empty if none),
    each ``field : message in words``."""
    problems: list[str] = []
    props = feature.get("properties") or {}
    for name in props:
        if name not in layer.properties:
            problems.append(f"{name} : ce champ n'existe pas dans la couche « "
                            f"{layer.title.fr} » (propriété non déclarée dans {layer.id}.yaml)")
    for name, spec in layer.properties.items():
        if spec.required and name not in props:
            problems.append(f"{name} : « {spec.label.fr} » est obligatoire")
            continue
        problem = _check_value(name, spec, props.get(name))
        if problem:
            problems.append(problem)
    geometry = feature.get("geometry")
    if geometry is None:
        if props.get("precision") is not None:
            problems.append("precision : sans position, la précision reste vide")
    else:
        if geometry.get("type") != layer.geometry_type:
            problems.append(f"geometry : la position doit être un {layer.geometry_type} "
                            f"(reçu : {geometry.get('type')})")
        elif layer.geometry_type == "Point":
            coords = geometry.get("coordinates") or []
            if len(coords) != 2 or not (-180 <= coords[0] <= 180 and -90 <= coords[1] <= 90):
                problems.append(f"geometry : longitude et latitude invalides {coords}")
        if "precision" in layer.properties and props.get("precision") not in PRECISIONS:
            problems.append("precision : « Précision de la position » est obligatoire quand "
                            "la position est donnée (à l'adresse, à la rue, au quartier ou à "
                            "la commune)")
    return problems


def validate_repo(layers_dir: Path) -> list[str]:
    """Every problem in the layer files and the project-authored features, one line each."""
    problems: list[str] = []
    layers: list[LayerDef] = []
    for path in _yaml_files(layers_dir):
        try:
            layers.append(load_layer(path))
        except ConfigError as exc:
            problems.append(exc.detail)
    found = {layer.id for layer in layers}
    for missing in sorted(set(LAYER_IDS) - found - {Path(p).stem for p in _bad(problems)}):
        problems.append(f"{missing}.yaml : couche attendue absente")
    for layer in layers:
        if not layer.authored:
            continue
        problems.extend(_validate_authored(layers_dir, layer))
    return problems


def _bad(problems: list[str]) -> list[str]:
    return [p.split(" : ")[0] for p in problems]


def read_authored(layers_dir: Path, layer: LayerDef) -> dict:
    path = layers_dir / str(layer.source.file)
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path.name} : fichier introuvable") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name} : pas du texte UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path.name} : GeoJSON illisible (ligne {exc.lineno})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ConfigError(f"{path.name} : FeatureCollection attendue")
    return data


def _validate_authored(layers_dir: Path, layer: LayerDef) -> list[str]:
    try:
        data = read_authored(layers_dir, layer)
    except ConfigError as exc:
        return [exc.detail]
    problems: list[str] = []
    seen: set[Any] = set()
    for i, feature in enumerate(data.get("features", [])):
        props = feature.get("properties") or {}
        fid = props.get(layer.id_field, f"#{i}")
        if fid in seen:
            problems.append(f"{layer.source.file} : {fid} : identifiant en double")
        seen.add(fid)
        for problem in validate_feature(layer, feature):
            problems.append(f"{layer.source.file} : {fid} : {problem}")
    return problems
