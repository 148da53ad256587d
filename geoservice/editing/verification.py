"""Verifying imported open data at scale: the « à vérifier » list, filtered by layer,
commune and source, each feature with its evidence (source, vintage, likely duplicates by
the one rule of :mod:`.duplicates`), and one decision for many features — verify, or
discard with a reason — applied in one transaction (one changeset, each feature's history
says who, when and why), at the versions the list showed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..auth.accounts import Caller
from ..errors import Conflict, Forbidden, NotFound, Unauthorized
from ..storage import Change, VersionConflict
from ..storage.base import WriteMeta
from .duplicates import group
from .geojson import invalid
from .service import Editing, allowed

PENDING = "a_verifier"
MAX_PAGE = 500
MAX_BATCH = 500
MAX_REASON = 500


def source_family(props: dict[str, Any]) -> str:
    """A feature's source without its own id: « CGET …, 2019 (identifiant 14) » → « CGET …,
    2019 » (what the list filters on)."""
    text = str(props.get("source") or "").split(" (identifiant ")[0].strip()
    return text or "source non dite"


def _caller(caller: Caller | None) -> Caller:
    if caller is None:
        raise Unauthorized("La vérification demande un compte (jeton ou session)", bearer=True)
    return caller


def pending(editing: Editing, caller: Caller | None, layer: str | None = None,
            commune: str | None = None, source: str | None = None,
            communes: dict[str, str] | None = None, limit: int = 100, offset: int = 0
            ) -> dict[str, Any]:
    """The features still to verify that the caller may change, filtered, with evidence,
    sorted by name; ``facets``: how many per layer, commune and source (before paging)."""
    caller = _caller(caller)
    names = communes or {}
    if layer is not None and layer not in editing.layers:
        raise NotFound(f"Collection inconnue : « {layer[:60]} »")
    layers = [lid for lid, spec in editing.layers.items()
              if spec.editable and "update" in allowed(spec, caller)
              and (layer is None or lid == layer)]
    if layer is not None and not layers:
        raise Forbidden(f"Vous ne pouvez pas vérifier dans « {layer} » (couche non "
                        "modifiable, ou que votre rôle ne peut pas modifier)")
    rows, indexes = [], {}
    for lid in layers:
        try:
            live = list(editing.neighbours(lid))
        except NotFound:  # a layer this territory's store does not serve
            continue
        for fid, props, geometry in live:
            if props.get("verification") == PENDING:
                rows.append((lid, fid, props, geometry))
    facets: dict[str, Counter] = {"layer": Counter(), "commune": Counter(),
                                  "source": Counter()}
    kept = []
    for lid, fid, props, geometry in rows:
        family = source_family(props)
        code = str(props.get("commune") or "")
        if (commune is not None and code != commune) or (source is not None
                                                         and family != source):
            continue
        facets["layer"][lid] += 1
        facets["commune"][code] += 1
        facets["source"][family] += 1
        kept.append((lid, fid, props, geometry, family))
    kept.sort(key=lambda r: (str(r[2].get("nom") or "").lower(), r[1]))
    page = kept[offset:offset + max(1, min(limit, MAX_PAGE))]
    items = []
    for lid, fid, props, geometry, family in page:
        key = group(lid)
        if key not in indexes:
            indexes[key] = editing.duplicate_index(lid)
        code = props.get("commune")
        row = editing.storage.features.get(lid, fid)
        items.append({"collection": lid, "id": fid, "nom": props.get("nom"),
                      "version": None if row is None else row.version,
                      "commune": code, "commune_nom": names.get(str(code)),
                      "source": family, "millesime": props.get("millesime"),
                      "licence": props.get("licence"), "adresse": props.get("adresse"),
                      "candidates": indexes[key].candidates(props, geometry, ((lid, fid),))})
    return {"numberMatched": len(kept), "items": items,
            "facets": {"layer": dict(facets["layer"]),
                       "commune": [{"code": c, "nom": names.get(c), "count": n}
                                   for c, n in sorted(facets["commune"].items())],
                       "source": dict(sorted(facets["source"].items()))}}


def decide(editing: Editing, caller: Caller | None, body: Any) -> dict[str, Any]:
    """Verify or discard many features in one transaction. ``body``: ``{"action": "verify"
    | "discard", "reason": text (required to discard), "items": [{"collection", "id",
    "version"}]}``; a version that moved on refuses the whole batch (412, nothing written)."""
    caller = _caller(caller)
    if not isinstance(body, dict):
        raise invalid([("(corps)", "objet JSON attendu : {\"action\", \"reason\", \"items\"}")])
    action, reason, items = body.get("action"), body.get("reason"), body.get("items")
    problems = []
    if action not in ("verify", "discard"):
        problems.append(("action", "« verify » (vérifier) ou « discard » (écarter)"))
    if reason is not None and not isinstance(reason, str):
        problems.append(("reason", "texte attendu"))
    reason = " ".join(reason.split()) if isinstance(reason, str) else ""
    if action == "discard" and not reason:
        problems.append(("reason", "Le motif est obligatoire pour écarter (il reste dans "
                                   "l'historique)"))
    if len(reason) > MAX_REASON:
        problems.append(("reason", f"{MAX_REASON} caractères au plus"))
    if not isinstance(items, list) or not items or len(items) > MAX_BATCH:
        problems.append(("items", f"liste de 1 à {MAX_BATCH} objets "
                                  "{collection, id, version}"))
    elif not all(isinstance(i, dict) and isinstance(i.get("collection"), str)
                 and isinstance(i.get("id"), str) and isinstance(i.get("version"), int)
                 and not isinstance(i.get("version"), bool) for i in items):
        problems.append(("items", "chaque objet : {collection: texte, id: texte, version: "
                                  "entier}"))
    if problems:
        raise invalid(problems)
    need = "update" if action == "verify" else "delete"
    changes = []
    for item in items:
        collection, fid = item["collection"], item["id"]
        editing.require(collection, need, caller)
        row = editing.stored(collection, fid)
        if row.deleted:
            raise Conflict(f"{collection}/{fid} a déjà été écarté (supprimé)")
        if action == "verify":
            changes.append(Change("update", collection, fid,
                                  {**row.properties, "verification": "verifie"}, row.geometry,
                                  item["version"]))
        else:
            changes.append(Change("delete", collection, fid,
                                  expected_version=item["version"]))
    word = "vérifié" if action == "verify" else "écarté"
    batch = f"{word} en lot ({len(changes)} objet(s))"
    try:
        with editing.storage.transaction() as tx:
            applied = tx.apply(changes, WriteMeta(caller.email, caller.role, reason or batch,
                                                  batch + (f" : {reason}" if reason else "")))
    except VersionConflict as exc:
        raise editing._conflict(exc) from exc
    editing.on_commit(applied)
    return {"action": action, "count": len(applied),
            "changeset": applied[0].changeset if applied else None,
            "items": [{"collection": a.collection, "id": a.fid, "version": a.version}
                      for a in applied]}
