"""What applying an import row would write, and whether it may: an import never overwrites
what it did not create.

- **Its own namespace.** An imported feature's id is ``import.<source>.<row id>``: the
  dots never occur in the ids the editors' creations (« nom-3f2a1c ») or the open data
  (« tl2019-14 ») get, so a file cannot name another origin's feature.
- **Older imports** made ids ``<source>-<row id>``: such a feature is updated only when
  every one of its versions was written by an import of the same source; otherwise
  (an editor's feature « cible-83b105 », the open data « tl2019-14 ») the row goes to
  review and, confirmed, creates a feature of its own: the other one is never touched.
- **Edited since**: a feature of this source that someone changed by hand since goes to
  review with the fields the import would change; a deleted one is left deleted (said).
- **Likely duplicates** (:mod:`geoservice.editing.duplicates`) of a new row: to review,
  naming the candidates, never « sure ».
- **Versions**: the preview keeps the version it saw; applying a row whose feature moved
  on since sends the row back to review (nothing is overwritten).
"""

from __future__ import annotations

from typing import Any

from ..catalog import LayerDef
from ..editing.duplicates import Index, group
from ..editing.geojson import geometry_wkb
from ..editing.upsert import PROVENANCE_FIELDS, hand_placed
from ..storage import Row, Storage
from ..storage.base import Version
from ..words import slug

NAMESPACE = "import"
COMMENT = "import CSV"
"""Every import's changeset comment (and versions' reason) starts with this."""


def comment(filename: str, source_name: str, count: int) -> str:
    return (f"{COMMENT} « {filename} » (source {source_name}, {count} ligne(s) "
            "retenue(s))")


def by_source(version: Version, source_name: str) -> bool:
    reason = version.reason or ""
    return reason.startswith(COMMENT) and f"(source {source_name}," in reason


def row_key(row: dict) -> str:
    """The row's part of its id: the file's id, or its name and commune (as imports always
    made it, so that older ids are found again)."""
    key = row["source_id"] or slug(f"{row['props'].get('nom', '')} "
                                   f"{row['props'].get('commune', '')}")
    return slug(key, 60)


def changed(current: Row, props: dict, geometry: bytes | None) -> list[str]:
    """Fields an update would change (provenance aside), ``geometry`` last."""
    names = sorted((set(current.properties) | set(props)) - set(PROVENANCE_FIELDS))
    out = [n for n in names if current.properties.get(n) != props.get(n)]
    if current.geometry != geometry:
        out.append("geometry")
    return out


class Planner:
    """Plans rows against the layer as stored now (read once: every row, deleted ones
    too) and the live features a duplicate may be among."""

    def __init__(self, storage: Storage, layer: LayerDef, source_name: str,
                 neighbours: Any) -> None:
        self.storage, self.layer, self.source_name = storage, layer, source_name
        self.prefix = slug(source_name, 30) or "import"
        stored = storage.features.changes(layer.id, 0).rows
        self.rows = {row.fid: row for row in stored}
        own = [(layer.id, r.fid, r.properties, _shape(r.geometry)) for r in stored
               if not r.deleted] if group(layer.id) else []
        others = [(c, fid, props, geom) for c in group(layer.id)[1:]
                  for fid, props, geom in _safe(neighbours, c)]
        self.index = Index(own + others)
        self._origins: dict[str, list[Version]] = {}

    def fid(self, row: dict) -> str:
        return f"{NAMESPACE}.{self.prefix}.{row_key(row)}"

    def history(self, fid: str) -> list[Version]:
        if fid not in self._origins:
            self._origins[fid] = self.storage.features.history(self.layer.id, fid)
        return self._origins[fid]

    def plan(self, row: dict) -> tuple[dict[str, Any], list[str], list[dict]]:
        """(plan, reasons to review, likely duplicates) of one row. The plan: ``op``
        (insert, update, unchanged, kept), ``fid``, ``version`` seen, ``changes``."""
        fid = self.fid(row)
        review: list[str] = []
        current = self.rows.get(fid)
        if current is None:
            legacy = f"{self.prefix}-{row_key(row)}"
            found = self.rows.get(legacy)
            if found is not None and not found.deleted:
                versions = self.history(legacy)
                if versions and all(by_source(v, self.source_name) for v in versions):
                    fid, current = legacy, found
                else:
                    first = versions[-1] if versions else None
                    who = f" (créé par {first.author} le {first.created_at[:10]})" \
                        if first else ""
                    review.append(f"l'identifiant « {legacy} » est celui d'un objet d'une "
                                  f"autre origine{who} : il ne sera pas modifié ; confirmer "
                                  f"crée un objet à part ({fid})")
        props = {**row["props"], self.layer.id_field: fid, "source_id": row["source_id"]}
        geometry = geometry_wkb(row["geometry"])
        if current is None:
            duplicates = self.index.candidates(props, row["geometry"])
            if duplicates:
                names = ", ".join(f"« {d['nom']} » ({d['collection']}/{d['id']}, "
                                  f"{d['raison']})" for d in duplicates[:3])
                review.append(f"doublon probable : {names} ; confirmer crée un autre lieu")
            return {"op": "insert", "fid": fid, "version": None, "changes": []}, review, \
                duplicates
        if current.deleted:
            return {"op": "kept", "fid": fid, "version": current.version, "changes": [],
                    "why": "supprimé par un éditeur : laissé supprimé"}, review, []
        if hand_placed(current.properties):  # a pin placed by hand stays where it is
            geometry = current.geometry
            for name in ("geocodage", "precision"):
                props[name] = current.properties.get(name)
        fields = changed(current, props, geometry)
        op = "update" if fields else "unchanged"
        if fields:
            edited = [v for v in self.history(fid) if not by_source(v, self.source_name)]
            if edited:
                review.append(f"modifié à la main depuis l'import ({edited[0].author}, "
                              f"{edited[0].created_at[:10]}) : l'import changerait "
                              f"{', '.join(fields)}")
        return {"op": op, "fid": fid, "version": current.version, "changes": fields}, \
            review, []

    def props(self, row: dict, plan: dict) -> tuple[dict[str, Any], bytes | None]:
        """The properties and geometry a planned insert or update writes."""
        props = {**row["props"], self.layer.id_field: plan["fid"],
                 "source_id": row["source_id"]}
        geometry = geometry_wkb(row["geometry"])
        current = self.rows.get(plan["fid"])
        if current is not None and hand_placed(current.properties):
            geometry = current.geometry
            for name in ("geocodage", "precision"):
                props[name] = current.properties.get(name)
        return props, geometry


def _shape(geometry: bytes | None) -> Any:
    if geometry is None:
        return None
    import shapely

    return shapely.from_wkb(geometry)


def _safe(neighbours: Any, collection: str) -> list:
    from ..errors import NotFound

    if neighbours is None:
        return []
    try:
        return list(neighbours(collection))
    except NotFound:
        return []
