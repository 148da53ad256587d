"""The imports part (ImportStore) and an import's « applied » mark, committed with its
changes by the unit of work, on both stores."""

from __future__ import annotations

import pytest

from geoservice.storage import Change, FeatureExists
from tests.storage.contract import point, row, seed

RECORD = {"id": "imp-1", "layer": "lieux", "source_name": "essai", "author": "e@x.fr",
          "created_at": "2026-11-24T00:00:00.000+00:00", "status": "draft",
          "payload": {"rows": []}}


def apply_import(storage, import_id, changes, meta):
    """How an import is applied (geoservice.editing.upsert): the mark first, then the
    changes, in one unit of work."""
    with storage.transaction() as tx:
        tx.mark_import_applied(import_id)
        return tx.apply(changes, meta)


def test_import_marked_applied_in_the_transaction_of_its_changes(storage):
    from geoservice.errors import Conflict
    from geoservice.storage.base import WriteMeta

    seed(storage)
    record = RECORD
    storage.imports.put_import(record)
    meta = WriteMeta("e@x.fr", "editor")
    insert = Change("insert", "lieux", "c", row("c", "Lieu c").properties, point(1.5, 43.6))
    [done] = apply_import(storage, "imp-1", [insert], meta)
    applied = storage.imports.get_import("imp-1")
    assert (applied["status"], applied["changeset"]) == ("applied", done.changeset)
    # a second apply (a simultaneous one too) writes nothing at all: all or nothing
    other = Change("insert", "lieux", "d", row("d", "Lieu d").properties, point(1.5, 43.6))
    update = Change("update", "lieux", "c", {"id": "c", "nom": "changé"}, None,
                    expected_version=1)
    with pytest.raises(Conflict):
        apply_import(storage, "imp-1", [other, update], meta)
    assert storage.features.get("lieux", "d") is None
    assert storage.features.get("lieux", "c").version == 1
    assert storage.imports.get_import("imp-1")["changeset"] == done.changeset
    # nothing to change: still marked, once
    storage.imports.put_import({**record, "id": "imp-2"})
    assert apply_import(storage, "imp-2", [], meta) == []
    assert storage.imports.get_import("imp-2")["status"] == "applied"
    with pytest.raises(Conflict):
        apply_import(storage, "imp-2", [], meta)
    # a failed change leaves the import a draft
    storage.imports.put_import({**record, "id": "imp-3"})
    with pytest.raises(FeatureExists):
        apply_import(storage, "imp-3", [insert], meta)
    assert storage.imports.get_import("imp-3")["status"] == "draft"


def test_an_import_is_replaced_whole_and_mappings_are_remembered(storage):
    imports = storage.imports
    assert imports.get_import("imp-1") is None and imports.saved_mapping("lieux:x") is None
    imports.put_import(RECORD)
    imports.put_import({**RECORD, "payload": {"rows": [{"line": 2}]}})
    assert imports.get_import("imp-1")["payload"] == {"rows": [{"line": 2}]}
    imports.save_mapping("lieux:x", {"nom": "Nom"})
    imports.save_mapping("lieux:x", {"nom": "Raison sociale"})
    assert imports.saved_mapping("lieux:x") == {"nom": "Raison sociale"}


def test_an_import_applied_in_parts_keeps_its_rows_and_refuses_a_stale_apply(storage):
    """With the import as read (rows decided): its payload and status are stored with the
    changes, only if nobody changed it since (``updated_at``)."""
    from geoservice.errors import Conflict
    from geoservice.storage.base import WriteMeta

    seed(storage)
    storage.imports.put_import({**RECORD, "id": "imp-p", "payload": {"rows": [
        {"line": 2, "status": "sure"}, {"line": 3, "status": "review"}]}})
    read = storage.imports.get_import("imp-p")
    read["payload"]["rows"][0]["status"] = "applied"  # line 3 stays to review
    insert = Change("insert", "lieux", "p", row("p", "Lieu p").properties, point(1.5, 43.6))
    with storage.transaction() as tx:
        tx.mark_import_applied("imp-p", read)
        tx.apply([insert], WriteMeta("e@x.fr", "editor"))
    stored = storage.imports.get_import("imp-p")
    assert stored["status"] == "draft"  # rows left to review: applied again later
    assert [r["status"] for r in stored["payload"]["rows"]] == ["applied", "review"]
    assert stored["changeset"] is not None
    # an apply from the record read before (stale) writes nothing
    other = Change("insert", "lieux", "q", row("q", "Lieu q").properties, point(1.5, 43.6))
    with pytest.raises(Conflict), storage.transaction() as tx:
        tx.mark_import_applied("imp-p", read)
        tx.apply([other], WriteMeta("e@x.fr", "editor"))
    assert storage.features.get("lieux", "q") is None
    # the last part: the import is applied
    fresh = storage.imports.get_import("imp-p")
    fresh["payload"]["rows"][1]["status"] = "applied"
    fresh["status"] = "applied"
    with storage.transaction() as tx:
        tx.mark_import_applied("imp-p", fresh)
    assert storage.imports.get_import("imp-p")["status"] == "applied"
