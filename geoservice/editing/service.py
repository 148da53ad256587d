"""Part 4 writes on editable layers: create, replace, patch, delete (soft), restore and
revert, each checked against the layer's permissions and schema, versioned (the writer
names the version it read), and recorded in the history with who, when and why.

A write starts with one permission check, :meth:`Editing.require`, which gives a
:class:`Permit` (the layer, the action, the :class:`~geoservice.auth.accounts.Caller`); the
write methods take that permit and do not ask again. Each returns a :class:`Written`, and
``on_commit`` makes the caller's read model catch up (read-your-writes).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import shapely

from ..auth.accounts import Caller
from ..auth.roles import ROLE_LABELS
from ..catalog import Action, LayerDef
from ..errors import (
    Forbidden,
    Gone,
    InvalidParameter,
    LikelyDuplicate,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    Unauthorized,
)
from ..storage import Applied, Change, Row, Storage, VersionConflict
from ..storage.base import CollectionData, Version, WriteMeta, stamp
from ..words import slug
from .duplicates import Index, Neighbours
from .entities import Decision
from .geojson import check_feature_shape, geometry_wkb, invalid, row_feature
from .patch import merge_patch
from .rules import Context, filled, rule_problems
from .schema import problems

ACTION_LABELS = {"create": "créer", "update": "modifier", "delete": "supprimer ou restaurer"}


@dataclass(frozen=True)
class Written:
    """A committed write: the feature as stored now (GeoJSON), its version and revision."""

    collection: str
    fid: str
    version: int
    revision: int
    changeset: int | None
    feature: dict[str, Any]
    deleted: bool = False


@dataclass(frozen=True)
class Permit:
    """What :meth:`Editing.require` checked: this caller may do this action on this layer.
    The write methods take it instead of checking again."""

    layer: LayerDef
    action: Action
    caller: Caller

    def check(self, action: Action) -> LayerDef:
        assert self.action == action, f"permit for {self.action}, not {action}"
        return self.layer


def allowed(layer: LayerDef, caller: Caller | None) -> list[Action]:
    """The actions the caller may do on this layer (none on a layer that is not editable)."""
    if not layer.editable:
        return []
    role = caller.role if caller else None
    return [a for a in ("create", "update", "delete") if layer.permissions.allows(a, role)]


Where = Callable[[float, float], tuple[str | None, str | None]]
"""(lon, lat) → (INSEE code of the territory's commune containing the point, None outside;
code of the QPV containing it or None)."""
Layers = Mapping[str, LayerDef] | Callable[[], Mapping[str, LayerDef]]
"""The layer definitions, or how to get the current ones (the read model's snapshot)."""


class Editing:
    """Built once per process (the API's lifespan, a CLI command) on one storage."""

    def __init__(self, storage: Storage, layers: Layers, territory: str,
                 on_commit: Callable[[list[Applied]], None] | None = None,
                 where: Where | None = None, neighbours: Neighbours | None = None,
                 index: Callable[[str], Index] | None = None) -> None:
        self.storage = storage
        self.neighbours: Neighbours = neighbours or self._stored_neighbours
        """Live features of a collection, for the likely-duplicate rule (the API gives its
        snapshot's; by default, read from storage)."""
        self._index = index
        """The likely-duplicate index of a collection's group, when the caller keeps one
        (the API: once per snapshot); None: built from ``neighbours`` at each use."""
        self._layers = layers if callable(layers) else (lambda: layers)
        self.territory = territory
        self.on_commit = on_commit or (lambda applied: None)
        self.where = where
        """(lon, lat) → (the territory's commune containing the point or None, QPV): a
        new or moved geometry must lie in the territory (None: not checked)."""

    @property
    def layers(self) -> Mapping[str, LayerDef]:
        return self._layers()

    # -- permissions ------------------------------------------------------------------------

    def layer(self, collection: str) -> LayerDef:
        layer = self.layers.get(collection)
        if layer is None:
            raise NotFound(f"Collection inconnue : « {collection} »")
        if not layer.editable:
            raise MethodNotAllowed(
                f"La collection {collection} n'est pas modifiable par l'API (couche de "
                "référence ou vue calculée)", allowed=())
        return layer

    def require(self, collection: str, action: Action, caller: Caller | None) -> Permit:
        """The one permission check of a write: the layer is editable, the caller has an
        account whose role may do ``action`` there."""
        layer = self.layer(collection)
        if caller is None:
            raise Unauthorized("Écrire demande un compte : envoyez « Authorization: Bearer "
                               "JETON » (ou connectez-vous)", bearer=True)
        if action not in allowed(layer, caller):
            roles = ", ".join(ROLE_LABELS[r] for r in getattr(layer.permissions, action))
            who = ROLE_LABELS.get(caller.role, caller.role)
            raise Forbidden(f"Le rôle {who} ne peut pas {ACTION_LABELS[action]} dans "
                            f"{collection} (rôles admis : {roles or 'aucun'})")
        return Permit(layer, action, caller)

    # -- reads for writers ------------------------------------------------------------------

    def stored(self, collection: str, fid: str) -> Row:
        row = self.storage.features.get(collection, fid)
        if row is None:
            raise NotFound(f"Aucun objet « {fid} » dans {collection}")
        return row

    def gone(self, collection: str, fid: str, caller: Caller | None) -> None:
        """For a feature missing from the public snapshot: 410 with its last version when it
        was deleted and the caller has an account; nothing otherwise (the route says 404)."""
        layer = self.layers.get(collection)
        if caller is None or layer is None or not layer.editable:
            return
        row = self.storage.features.get(collection, fid)
        if row is not None and row.deleted:
            raise Gone(f"L'objet {fid} a été supprimé (version {row.version}) ; il peut être "
                       "restauré", extra={"feature": row_feature(row), "version": row.version},
                       version=row.version)

    def staff_fields(self, collection: str, fid: str, caller: Caller | None,
                     version: int) -> dict[str, Any] | None:
        """The staff-only properties of a feature (``staff_only`` in its layer: never in
        public reads) for a caller who may change it, read from the stored row when it is
        at ``version`` (the version the public read shows); None otherwise."""
        layer = self.layers.get(collection)
        if layer is None or not layer.staff_only or "update" not in allowed(layer, caller):
            return None
        row = self.storage.features.get(collection, fid)
        if row is None or row.deleted or row.version != version:
            return None
        return {name: row.properties.get(name) for name in layer.staff_only}

    def as_of(self, collection: str, instant: datetime, caller: Caller | None
              ) -> CollectionData:
        """An editable collection as recorded at ``instant`` (the history): for a caller
        with an account (it shows features deleted since)."""
        layer = self.layers.get(collection)
        if layer is None:
            raise NotFound(f"Collection inconnue : « {collection} »")
        if not layer.editable:
            raise InvalidParameter(f"as_of : la collection {collection} n'a pas d'historique "
                                   "(couche de référence ou vue calculée) ; seules les "
                                   "collections modifiables en ont un")
        if caller is None:
            raise Unauthorized("as_of lit l'historique, qui garde les objets supprimés : il "
                               "demande un compte (Authorization: Bearer JETON)", bearer=True)
        return self.storage.features.as_of(collection, stamp(instant.astimezone(UTC)))

    # -- writes -----------------------------------------------------------------------------

    def create(self, permit: Permit, body: Any, reason: str | None = None,
               distinct: bool = False) -> Written:
        """``distinct``: the writer confirmed that the feature is not one of its likely
        duplicates; otherwise any likely duplicate refuses the creation (409)."""
        change, row = self.plan_create(permit, body)
        if not distinct:
            self.refuse_duplicates(change.collection, row.properties,
                                   check_feature_shape(body).get("geometry"))
        return self.commit(change, row, permit.caller, reason)

    def duplicates(self, collection: str, properties: dict[str, Any], geometry: Any,
                   exclude: tuple[tuple[str, str], ...] = ()) -> list[dict[str, Any]]:
        """Likely duplicates of a feature (:mod:`.duplicates`) among the live features."""
        return self.duplicate_index(collection).candidates(properties, geometry, exclude)

    def duplicate_index(self, collection: str) -> Index:
        """What a feature of ``collection`` is compared with (:class:`.duplicates.Index`)."""
        if self._index is not None:
            return self._index(collection)
        return Index.of(collection, self.neighbours)

    def refuse_duplicates(self, collection: str, properties: dict[str, Any],
                          geometry: Any) -> None:
        found = self.duplicates(collection, properties, geometry)
        if found:
            names = ", ".join(f"« {c['nom']} » ({c['raison']})" for c in found[:3])
            raise LikelyDuplicate(
                f"Ce lieu existe peut-être déjà : {names}. Si c'est le même, modifiez-le ; "
                "sinon renvoyez avec l'en-tête « Geoservice-Duplicate: distinct »",
                extra={"candidates": found})

    def _stored_neighbours(self, collection: str) -> list[tuple[str, dict[str, Any], Any]]:
        import shapely

        layer = self.layers.get(collection)
        if layer is None or not layer.editable:
            return []
        return [(row.fid, row.properties,
                 None if row.geometry is None else shapely.from_wkb(row.geometry))
                for row in self.storage.features.read(collection).rows]

    def plan_create(self, permit: Permit, body: Any) -> tuple[Change, Row]:
        """The checked insert a creation would make, and the row it would store."""
        layer = permit.check("create")
        collection = layer.id
        feature = check_feature_shape(body)
        props = dict(feature["properties"])
        chosen = [f for f in layer.server_fields if props.get(f) is not None]
        if chosen or feature.get("id") is not None:
            raise invalid([(f, "fixé par le serveur : ne le donnez pas") for f in chosen]
                          or [("id", "fixé par le serveur : ne le donnez pas")])
        fid = self._new_id(layer, props)
        props[layer.id_field] = fid
        row = self._checked(layer, {**feature, "properties": props}, fid, None)
        return Change("insert", collection, fid, row.properties, row.geometry), row

    def replace(self, permit: Permit, fid: str, body: Any, expected_version: int | None,
                reason: str | None = None) -> Written:
        """``expected_version``: the version the writer read (None: the store refuses)."""
        layer = permit.check("update")
        current = self._live(layer.id, fid)
        feature = check_feature_shape(body)
        return self.commit(*self._plan_update(layer, current, feature, expected_version),
                           permit.caller, reason)

    def patch(self, permit: Permit, fid: str, body: Any, expected_version: int | None,
              reason: str | None = None) -> Written:
        return self.commit(*self.plan_patch(permit, fid, body, expected_version),
                           permit.caller, reason)

    def plan_patch(self, permit: Permit, fid: str, body: Any, expected_version: int | None
                   ) -> tuple[Change, Row]:
        """The checked update a JSON Merge Patch would make, and the row it would store."""
        layer = permit.check("update")
        current = self._live(layer.id, fid)
        if not isinstance(body, dict):
            raise invalid([("(corps)", "objet JSON Merge Patch attendu")])
        base = row_feature(current)
        merged = merge_patch(base, body)
        merged["type"] = "Feature"
        merged.setdefault("geometry", None)
        merged.setdefault("properties", {})
        given = body.get("properties")
        return self._plan_update(layer, current, check_feature_shape(merged),
                                 expected_version,
                                 frozenset(given) if isinstance(given, dict) else frozenset())

    def delete(self, permit: Permit, fid: str, expected_version: int | None,
               reason: str | None = None) -> Written:
        collection = permit.check("delete").id
        current = self._live(collection, fid)
        return self.commit(Change("delete", collection, fid,
                                  expected_version=expected_version),
                           current, permit.caller, reason)

    def restore(self, permit: Permit, fid: str, expected_version: int | None,
                reason: str | None = None) -> Written:
        collection = permit.check("delete").id
        row = self.stored(collection, fid)
        if not row.deleted:
            raise InvalidParameter(f"L'objet {fid} n'est pas supprimé")
        return self.commit(Change("restore", collection, fid,
                                  expected_version=expected_version),
                           row, permit.caller, reason)

    def revert(self, permit: Permit, fid: str, to_version: int,
               expected_version: int | None, reason: str | None = None) -> Written:
        """A new version whose content is that of ``to_version`` (history is never
        rewritten)."""
        layer = permit.check("update")
        collection = layer.id
        current = self._live(collection, fid)
        old = next((v for v in self.storage.features.history(collection, fid)
                    if v.version == to_version), None)
        if old is None:
            raise NotFound(f"Aucune version {to_version} de {fid}")
        feature = row_feature(Row(fid, old.properties, old.geometry))
        return self.commit(*self._plan_update(layer, current, feature, expected_version),
                           permit.caller, reason or f"retour à la version {to_version}")

    # -- history ----------------------------------------------------------------------------

    def history(self, collection: str, fid: str) -> list[dict[str, Any]]:
        """Every version, newest first: who, role, when, why, and the fields it changed."""
        self.layer(collection)
        versions = self.storage.features.history(collection, fid)
        if not versions:
            raise NotFound(f"Aucun historique pour « {fid} » dans {collection}")
        out = []
        for i, version in enumerate(versions):
            before = versions[i + 1] if i + 1 < len(versions) else None
            out.append({"version": version.version, "op": version.op,
                        "author": version.author, "role": version.role,
                        "date": version.created_at, "reason": version.reason,
                        "changeset": version.changeset,
                        "changed": changed_fields(before, version)})
        return out

    def version(self, collection: str, fid: str, number: int) -> Version:
        self.layer(collection)
        found = next((v for v in self.storage.features.history(collection, fid)
                      if v.version == number), None)
        if found is None:
            raise NotFound(f"Aucune version {number} de « {fid} » dans {collection}")
        return found

    def diff(self, collection: str, fid: str, old: int, new: int) -> dict[str, Any]:
        a, b = self.version(collection, fid, old), self.version(collection, fid, new)
        fields = changed_fields(a, b)
        changes = {}
        for name in fields:
            if name == "geometry":
                changes[name] = {"from": row_feature(Row(fid, {}, a.geometry))["geometry"],
                                 "to": row_feature(Row(fid, {}, b.geometry))["geometry"]}
            else:
                changes[name] = {"from": a.properties.get(name), "to": b.properties.get(name)}
        return {"from": old, "to": new, "changes": changes}

    def changeset(self, number: int) -> tuple[dict[str, Any], list[Version]]:
        """A changeset's record and the versions it made."""
        found = self.storage.features.changeset(number)
        if found is None:
            raise NotFound(f"Aucun ensemble de modifications {number}")
        return found

    # -- inside -----------------------------------------------------------------------------

    def _live(self, collection: str, fid: str) -> Row:
        row = self.stored(collection, fid)
        if row.deleted:
            raise Gone(f"L'objet {fid} a été supprimé : restaurez-le d'abord",
                       extra={"version": row.version}, version=row.version)
        return row

    def _plan_update(self, layer: LayerDef, current: Row, feature: dict,
                     expected_version: int | None, sent: frozenset[str] | None = None
                     ) -> tuple[Change, Row]:
        props = dict(feature["properties"])
        given = feature.get("id")
        if given is not None and str(given) != current.fid:
            raise invalid([("id", f"ne peut pas changer (« {current.fid} »)")])
        for name in layer.server_fields:
            if props.get(name) is not None and props[name] != current.properties.get(name):
                raise invalid([(name, "fixé par le serveur : ne peut pas changer")])
            if name in current.properties:
                props[name] = current.properties[name]
        row = self._checked(layer, {**feature, "properties": props}, current.fid,
                            current.properties, sent, current.geometry)
        return Change("update", layer.id, current.fid, row.properties, row.geometry,
                      expected_version), row

    def validate(self, collection: str, feature: Any, fid: str, territory: bool = True
                 ) -> Row:
        """The row a feature would be stored as, or 422 (no permission asked: proposals
        are checked when made, and applied later by a moderator). ``territory=False``: the
        geometry may lie outside (imports class such rows « to review » themselves)."""
        return self._checked(self.layer(collection), check_feature_shape(feature), fid, None,
                             check_territory=territory)

    def _checked(self, layer: LayerDef, feature: dict, fid: str,
                 before: dict[str, Any] | None, given: frozenset[str] | None = None,
                 stored: bytes | None = None, check_territory: bool = True) -> Row:
        """The row to store, or 422: completed from what it refers to (:func:`.rules.filled`),
        the layer's defaults filled, its schema, then its rules (:mod:`.rules`; ``before``:
        the stored properties an update starts from, ``given``: the ones a merge patch
        sent), and a new geometry (not the ``stored`` one) inside the territory."""
        moved = before is not None and stored is not None \
            and before.get("lieu") != feature["properties"].get("lieu") \
            and geometry_wkb(feature.get("geometry")) == stored
        feature = filled(layer.id, feature, self._place, moved)
        props = feature["properties"]
        if "territoire" in layer.properties and props.get("territoire") is None:
            props["territoire"] = self.territory
        for name, spec in layer.properties.items():
            if spec.default is not None and props.get(name) is None:
                props[name] = spec.default
        found = problems(layer, feature)
        if "territoire" in layer.properties and props.get("territoire") != self.territory:
            found.append(("territoire", f"ce service est celui de « {self.territory} »"))
        found += rule_problems(layer.id, props, Context(before, self._exists, date.today(),
                                                        given), {f for f, _ in found})
        geometry = geometry_wkb(feature.get("geometry"))
        if check_territory and geometry is not None and geometry != stored:
            found += self._outside(geometry)
        if found:
            raise invalid(found)
        return Row(fid, props, geometry)

    def _outside(self, geometry: bytes) -> list[tuple[str, str]]:
        """A problem naming the geometry when (a point of) it lies outside the territory:
        every point of a point or multipoint, a point inside any other shape."""
        if self.where is None:
            return []
        shape = shapely.from_wkb(geometry)
        if shape.is_empty:
            return []
        points = (list(shape.geoms) if shape.geom_type == "MultiPoint" else
                  [shape if shape.geom_type == "Point" else shape.representative_point()])
        for point in points:
            if self.where(point.x, point.y)[0] is None:
                return [("geometry", f"hors du territoire servi ({self.territory}) : le "
                         f"point {point.x:.5f}, {point.y:.5f} n'est dans aucune de ses "
                         "communes")]
        return []

    def commit(self, change: Change, content: Row, caller: Caller | None,
               reason: str | None, decision: Decision | None = None) -> Written:
        """Apply one change (and decide a proposal in the same transaction); ``content`` is
        the feature as it will be stored (the written row, or for delete/restore the row
        read before), so nothing is read back."""
        assert caller is not None
        meta = WriteMeta(author=caller.email, role=caller.role, reason=reason)
        try:
            with self.storage.transaction() as tx:
                [applied] = tx.apply([change], meta)
                if decision is not None:
                    tx.decide(decision)
        except VersionConflict as exc:
            raise self._conflict(exc) from exc
        self.on_commit([applied])
        return Written(change.collection, change.fid, applied.version, applied.revision,
                       applied.changeset, row_feature(content), change.op == "delete")

    def _conflict(self, exc: VersionConflict) -> PreconditionFailed:
        current = exc.current
        if current is None:
            return PreconditionFailed(exc.detail)
        return PreconditionFailed(
            f"L'objet a changé depuis votre lecture : version actuelle {current.version}. "
            "Comparez avec la version ci-jointe, puis renvoyez votre modification avec "
            f"If-Match: \"{current.version}\"",
            extra={"currentVersion": current.version, "deleted": current.deleted,
                   "current": row_feature(current)},
            version=current.version)

    def completed(self, collection: str, feature: dict[str, Any]) -> dict[str, Any]:
        """A new feature completed from what it refers to (an event takes its place's
        position): what a proposal shows its moderator."""
        return filled(collection, feature, self._place, False)

    def _place(self, collection: str, fid: str) -> dict[str, Any] | None:
        row = self.storage.features.get(collection, fid)
        return None if row is None or row.deleted else row_feature(row)

    def _exists(self, collection: str, fid: str) -> bool:
        row = self.storage.features.get(collection, fid)
        return row is not None and not row.deleted

    def _new_id(self, layer: LayerDef, props: dict) -> str:
        name = slug(str(props.get("nom") or layer.id)) or layer.id
        return f"{name}-{secrets.token_hex(3)}"


def changed_fields(before: Version | None, after: Version) -> list[str]:
    """Names of the properties (and ``geometry``) that differ between two versions; every
    field for a first version."""
    if before is None:
        return sorted(after.properties) + (["geometry"] if after.geometry else [])
    names = sorted(set(before.properties) | set(after.properties))
    out = [n for n in names if before.properties.get(n) != after.properties.get(n)]
    if before.geometry != after.geometry:
        out.append("geometry")
    return out
