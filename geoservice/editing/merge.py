"""Merge two features that are the same place (a likely duplicate confirmed by a
moderator): one survives, the other is retired pointing to it.

In one transaction:

- the survivor gets the properties the moderator chose (a JSON Merge Patch of its
  properties, checked like any update, at the version the moderator read: If-Match);
- the merged feature gets ``fusionne_dans`` (the survivor's id) then is deleted (soft):
  its history stays readable and ends with the merge; the survivor's history says which
  feature it took in (the reason of its new version), so both histories are linked;
- every live feature of an editable layer that referred to the merged one
  (« collection/id » text, alone or in a list: a need's answer, an event's place…) now
  refers to the survivor, and pending proposals about it follow the survivor.

A GET of the merged id then answers 308 to the survivor (:func:`merged_into`), so links
and exports keep working.
"""

from __future__ import annotations

from typing import Any

from ..auth.accounts import Caller
from ..auth.roles import MODERATORS
from ..errors import Forbidden, InvalidParameter, NotFound, Unauthorized
from ..storage import Change, Storage, VersionConflict
from ..storage.base import WriteMeta
from .geojson import invalid, row_feature
from .service import Editing, Written

MERGED_INTO = "fusionne_dans"
"""Kept on a merged (deleted) feature: the id of the feature it was merged into."""


def merged_into(storage: Storage, collection: str, fid: str) -> str | None:
    """The survivor a deleted feature was merged into, or None."""
    try:
        row = storage.features.get(collection, fid)
    except NotFound:  # a collection the store does not hold: not merged
        return None
    if row is None or not row.deleted:
        return None
    target = row.properties.get(MERGED_INTO)
    return str(target) if target else None


def _references(editing: Editing, old: str, new: str) -> list[Change]:
    """The updates of the live features that name ``old``
    (« collection/id ») in a text property or a list."""
    out = []
    for layer_id, layer in editing.layers.items():
        if not layer.editable:
            continue
        try:
            rows = editing.storage.features.read(layer_id).rows
        except NotFound:  # a layer the store does not hold
            continue
        for row in rows:
            changed, props = False, dict(row.properties)
            for name, value in row.properties.items():
                if value == old:
                    props[name], changed = new, True
                elif isinstance(value, list) and old in value:
                    props[name], changed = [new if v == old else v for v in value], True
            if changed:
                out.append(Change("update", layer_id, row.fid, props, row.geometry,
                                  row.version))
    return out


def merge(editing: Editing, caller: Caller | None, collection: str, fid: str, body: Any,
          expected_version: int | None, reason: str | None = None) -> Written:
    """Merge ``fid`` into ``body["into"]`` (moderators and administrators only);
    ``expected_version``: the survivor's version the moderator read."""
    if caller is None:
        raise Unauthorized("Fusionner demande un compte (jeton ou session)", bearer=True)
    if caller.role not in MODERATORS:
        raise Forbidden("Seuls les modérateurs et administrateurs fusionnent des objets")
    editing.require(collection, "delete", caller)
    permit = editing.require(collection, "update", caller)
    if not isinstance(body, dict):
        raise invalid([("(corps)", "objet JSON attendu : {\"into\": …, \"properties\": …}")])
    into, properties = body.get("into"), body.get("properties") or {}
    unknown = sorted(set(body) - {"into", "properties"})
    if unknown:
        raise invalid([(name, "champ inconnu") for name in unknown])
    if not isinstance(into, str) or not into:
        raise invalid([("into", "identifiant de l'objet qui reste attendu")])
    if into == fid:
        raise InvalidParameter("Un objet ne se fusionne pas avec lui-même")
    if not isinstance(properties, dict):
        raise invalid([("properties", "objet propriété → valeur attendu")])
    merged = editing._live(collection, fid)
    change, row = editing.plan_patch(permit, into, {"properties": properties},
                                     expected_version)
    old_ref, new_ref = f"{collection}/{fid}", f"{collection}/{into}"
    follow = _references(editing, old_ref, new_ref)
    survivor_reason = (f"fusion : reprend {old_ref} (son historique reste lisible à "
                       f"/api/collections/{collection}/items/{fid}/history)"
                       + (f" — {reason}" if reason else ""))
    assert caller is not None
    try:
        with editing.storage.transaction() as tx:
            [done] = tx.apply([change], WriteMeta(caller.email, caller.role, survivor_reason,
                                                  f"fusion de {old_ref} dans {new_ref}"))
            retired = [Change("update", collection, fid,
                              {**merged.properties, MERGED_INTO: into}, merged.geometry,
                              merged.version),
                       Change("delete", collection, fid, expected_version=merged.version + 1)]
            applied = [done, *tx.apply(retired, WriteMeta(
                caller.email, caller.role, f"fusionné dans {new_ref}"
                + (f" — {reason}" if reason else "")))]
            if follow:
                applied += tx.apply(follow, WriteMeta(
                    caller.email, caller.role, f"référence suivie : {old_ref} fusionné dans "
                    f"{new_ref}"))
            tx.retarget_proposals(collection, fid, into, done.version)
    except VersionConflict as exc:
        raise editing._conflict(exc) from exc
    editing.on_commit(applied)
    return Written(collection, into, done.version, done.revision, done.changeset,
                   row_feature(row))
