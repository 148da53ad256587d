"""Part 4 writes on editable layers: create, replace, patch, delete (soft), restore and
revert, each checked against the layer's permissions and schema, versioned (If-Match), and
recorded in the history with who, when and why.

Every method takes the :class:`~geoservice.auth.accounts.Caller` (None: a resident, who
never writes here) and returns a :class:`Written`; the caller of the service (API, CLI,
imports) then makes its read model catch up (``on_commit``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..auth.accounts import CHALLENGE, Caller
from ..auth.roles import ROLE_LABELS
from ..catalog import Action, LayerDef
from ..errors import (
    Forbidden,
    Gone,
    InvalidParameter,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
)
from ..storage import Applied, Change, Row, Storage, VersionConflict
from ..storage.base import Version, WriteMeta
from ..words import slug
from .entities import Decision
from .geojson import check_feature_shape, geometry_wkb, invalid, row_feature
from .patch import merge_patch
from .schema import problems

READ_ONLY_ALLOW = "GET, HEAD, OPTIONS"
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


def allowed(layer: LayerDef, caller: Caller | None) -> list[Action]:
    """The actions the caller may do on this layer (none on a layer that is not editable)."""
    if not layer.editable:
        return []
    role = caller.role if caller else None
    return [a for a in ("create", "update", "delete") if layer.permissions.allows(a, role)]


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int:
    """The version an ``If-Match`` header names (428 without one; ``*`` is not enough: a
    write must say which version it changes)."""
    if header is None or not header.strip():
        raise PreconditionRequired(
            "En-tête If-Match requis : renvoyez l'ETag lu avec l'objet (GET), pour ne pas "
            "écraser une modification faite entre-temps")
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not re.fullmatch(r"[0-9]{1,12}", value):
        raise PreconditionRequired(
            f"If-Match doit donner l'ETag de la version lue (ex. \"3\"), pas « {header[:40]} »")
    return int(value)


class Editing:
    def __init__(self, storage: Storage, layers: dict[str, LayerDef], territory: str,
                 on_commit: Callable[[list[Applied]], None] | None = None) -> None:
        self.storage = storage
        self.layers = layers
        self.territory = territory
        self.on_commit = on_commit or (lambda applied: None)

    # -- permissions ------------------------------------------------------------------------

    def layer(self, collection: str) -> LayerDef:
        layer = self.layers.get(collection)
        if layer is None:
            raise NotFound(f"Collection inconnue : « {collection} »")
        if not layer.editable:
            raise MethodNotAllowed(
                f"La collection {collection} n'est pas modifiable par l'API (couche de "
                "référence ou vue calculée)", headers={"Allow": READ_ONLY_ALLOW})
        return layer

    def require(self, collection: str, action: Action, caller: Caller | None) -> LayerDef:
        layer = self.layer(collection)
        if caller is None:
            raise Unauthorized("Écrire demande un compte : envoyez « Authorization: Bearer "
                               "JETON » (ou connectez-vous)", headers=CHALLENGE)
        if action not in allowed(layer, caller):
            roles = ", ".join(ROLE_LABELS[r] for r in getattr(layer.permissions, action))
            who = ROLE_LABELS.get(caller.role, caller.role)
            raise Forbidden(f"Le rôle {who} ne peut pas {ACTION_LABELS[action]} dans "
                            f"{collection} (rôles admis : {roles or 'aucun'})")
        return layer

    # -- reads for writers ------------------------------------------------------------------

    def stored(self, collection: str, fid: str) -> Row:
        row = self.storage.features.get(collection, fid)
        if row is None:
            raise NotFound(f"Aucun objet « {fid} » dans {collection}")
        return row

    def gone(self, collection: str, fid: str, caller: Caller | None) -> None:
        """For a feature missing from the public snapshot: 410 with its last version when it
        was deleted and the caller has an account; nothing otherwise (the route says 404)."""
        if caller is None or collection not in self.layers or not self.layers[
                collection].editable:
            return
        row = self.storage.features.get(collection, fid)
        if row is not None and row.deleted:
            raise Gone(f"L'objet {fid} a été supprimé (version {row.version}) ; il peut être "
                       "restauré", extra={"feature": row_feature(row), "version": row.version,
                                          "etag": etag(row.version)},
                       headers={"ETag": etag(row.version)})

    # -- writes -----------------------------------------------------------------------------

    def create(self, collection: str, body: Any, caller: Caller | None,
               reason: str | None = None) -> Written:
        return self.commit(*self.plan_create(collection, body, caller), caller, reason)

    def plan_create(self, collection: str, body: Any, caller: Caller | None
                    ) -> tuple[Change, Row]:
        """The checked insert a creation would make, and the row it would store."""
        layer = self.require(collection, "create", caller)
        feature = check_feature_shape(body)
        props = dict(feature["properties"])
        chosen = [f for f in layer.server_fields if props.get(f) is not None]
        if chosen or feature.get("id") is not None:
            raise invalid([(f, "fixé par le serveur : ne le donnez pas") for f in chosen]
                          or [("id", "fixé par le serveur : ne le donnez pas")])
        fid = self._new_id(layer, props)
        props[layer.id_field] = fid
        row = self._checked(layer, {**feature, "properties": props}, fid)
        return Change("insert", collection, fid, row.properties, row.geometry), row

    def replace(self, collection: str, fid: str, body: Any, expected: int,
                caller: Caller | None, reason: str | None = None) -> Written:
        layer = self.require(collection, "update", caller)
        current = self._live(collection, fid)
        feature = check_feature_shape(body)
        return self.commit(*self._plan_update(layer, current, feature, expected), caller,
                           reason)

    def patch(self, collection: str, fid: str, body: Any, expected: int,
              caller: Caller | None, reason: str | None = None) -> Written:
        return self.commit(*self.plan_patch(collection, fid, body, expected, caller), caller,
                           reason)

    def plan_patch(self, collection: str, fid: str, body: Any, expected: int,
                   caller: Caller | None) -> tuple[Change, Row]:
        """The checked update a JSON Merge Patch would make, and the row it would store."""
        layer = self.require(collection, "update", caller)
        current = self._live(collection, fid)
        if not isinstance(body, dict):
            raise invalid([("(corps)", "objet JSON Merge Patch attendu")])
        base = row_feature(current)
        merged = merge_patch(base, body)
        merged["type"] = "Feature"
        merged.setdefault("geometry", None)
        merged.setdefault("properties", {})
        return self._plan_update(layer, current, check_feature_shape(merged), expected)

    def delete(self, collection: str, fid: str, expected: int, caller: Caller | None,
               reason: str | None = None) -> Written:
        self.require(collection, "delete", caller)
        current = self._live(collection, fid)
        return self.commit(Change("delete", collection, fid, expected_version=expected),
                           current, caller, reason)

    def restore(self, collection: str, fid: str, expected: int, caller: Caller | None,
                reason: str | None = None) -> Written:
        self.require(collection, "delete", caller)
        row = self.stored(collection, fid)
        if not row.deleted:
            raise InvalidParameter(f"L'objet {fid} n'est pas supprimé")
        return self.commit(Change("restore", collection, fid, expected_version=expected),
                           row, caller, reason)

    def revert(self, collection: str, fid: str, to_version: int, expected: int,
               caller: Caller | None, reason: str | None = None) -> Written:
        """A new version whose content is that of ``to_version`` (history is never
        rewritten)."""
        layer = self.require(collection, "update", caller)
        current = self._live(collection, fid)
        old = next((v for v in self.storage.features.history(collection, fid)
                    if v.version == to_version), None)
        if old is None:
            raise NotFound(f"Aucune version {to_version} de {fid}")
        feature = row_feature(Row(fid, old.properties, old.geometry))
        return self.commit(*self._plan_update(layer, current, feature, expected), caller,
                           reason or f"retour à la version {to_version}")

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

    # -- inside -----------------------------------------------------------------------------

    def _live(self, collection: str, fid: str) -> Row:
        row = self.stored(collection, fid)
        if row.deleted:
            raise Gone(f"L'objet {fid} a été supprimé : restaurez-le d'abord",
                       extra={"version": row.version, "etag": etag(row.version)},
                       headers={"ETag": etag(row.version)})
        return row

    def _plan_update(self, layer: LayerDef, current: Row, feature: dict, expected: int
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
        row = self._checked(layer, {**feature, "properties": props}, current.fid)
        return Change("update", layer.id, current.fid, row.properties, row.geometry,
                      expected), row

    def validate(self, collection: str, feature: Any, fid: str) -> Row:
        """The row a feature would be stored as, or 422 (no permission asked: proposals
        are checked when made, and applied later by a moderator)."""
        return self._checked(self.layer(collection), check_feature_shape(feature), fid)

    def _checked(self, layer: LayerDef, feature: dict, fid: str) -> Row:
        props = feature["properties"]
        if "territoire" in layer.properties and props.get("territoire") is None:
            props["territoire"] = self.territory
        found = problems(layer, feature)
        if "territoire" in layer.properties and props.get("territoire") != self.territory:
            found.append(("territoire", f"ce service est celui de « {self.territory} »"))
        if found:
            raise invalid(found)
        return Row(fid, props, geometry_wkb(feature.get("geometry")))

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
            f"If-Match: {etag(current.version)}",
            extra={"currentVersion": current.version, "etag": etag(current.version),
                   "deleted": current.deleted, "current": row_feature(current)},
            headers={"ETag": etag(current.version)})

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
