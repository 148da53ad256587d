"""Upsert imported features into an editable layer, keyed by the source's own id, as one
changeset, without ever overwriting an editor's work.

A feature is written only while the importer is its sole author: once an editor has
verified, edited or discarded (deleted) it, a later import leaves it alone. Importing the
same data twice changes nothing (no version, no changeset).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..catalog import LayerDef, validate_feature
from ..errors import SourceDataError
from ..storage import Change, FeatureStore, Storage
from ..storage.base import WriteMeta
from .geojson import geometry_wkb

IMPORTER = "import"


@dataclass
class Upserted:
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)
    """Ids an editor has verified, edited or discarded: left as they are."""
    changeset: int | None = None
    applied: list = field(default_factory=list)
    """The storage's :class:`~geoservice.storage.Applied` records (for read models)."""

    def line(self) -> str:
        return (f"{len(self.inserted)} ajouté(s), {len(self.updated)} mis à jour, "
                f"{self.unchanged} inchangé(s), {len(self.kept)} gardé(s) tel(s) que les "
                "éditeurs les ont laissés")


def touched_by_editor(features: FeatureStore, collection: str, fid: str) -> bool:
    return any(v.author != IMPORTER for v in features.history(collection, fid))


PROVENANCE_FIELDS = ("source", "geocodage")
"""Dated provenance: a re-import that differs only there changes nothing."""


def _same(current: dict, new: dict, geometry_a: bytes | None, geometry_b: bytes | None
          ) -> bool:
    strip = {k: v for k, v in current.items() if k not in PROVENANCE_FIELDS}
    return strip == {k: v for k, v in new.items() if k not in PROVENANCE_FIELDS} \
        and geometry_a == geometry_b


def hand_placed(props: dict) -> bool:
    return str(props.get("geocodage") or "").startswith("manuel")


def upsert(storage: Storage, layer: LayerDef, features: list[dict[str, Any]],
           comment: str, author: str = IMPORTER, role: str = "systeme",
           keep_edited: bool = True, import_id: str | None = None) -> Upserted:
    """Insert new features, update the others, in one changeset. Never touched: a
    discarded (deleted) feature; with ``keep_edited`` (open data), any feature someone
    other than the importer wrote; always, a hand-placed pin (the position is kept).
    With ``import_id``, that import is marked applied in the same transaction, even when
    nothing changes (checked first: an import applied already writes nothing)."""
    out = Upserted()
    changes = []
    for feature in features:
        problems = validate_feature(layer, feature)
        fid = str(feature["properties"][layer.id_field])
        if problems:
            raise SourceDataError(f"{layer.id} : {fid} : {problems[0]}")
        props, geometry = dict(feature["properties"]), geometry_wkb(feature.get("geometry"))
        current = storage.features.get(layer.id, fid)
        if current is None:
            changes.append(Change("insert", layer.id, fid, props, geometry))
            out.inserted.append(fid)
            continue
        if current.deleted or (keep_edited and touched_by_editor(storage.features, layer.id, fid)):
            out.kept.append(fid)
            continue
        if hand_placed(current.properties):  # a pin placed by hand stays where it is
            geometry = current.geometry
            for name in ("geocodage", "precision"):
                props[name] = current.properties.get(name)
        if _same(current.properties, props, current.geometry, geometry):
            out.unchanged += 1
        else:
            changes.append(Change("update", layer.id, fid, props, geometry,
                                  expected_version=current.version))
            out.updated.append(fid)
    if changes or import_id:
        meta = WriteMeta(author=author, role=role, reason=comment, comment=comment)
        with storage.transaction() as tx:
            if import_id:
                tx.mark_import_applied(import_id)
            out.applied = tx.apply(changes, meta)
        out.changeset = out.applied[0].changeset if out.applied else None
    return out
