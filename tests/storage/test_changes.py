"""What changed since a revision (schema 6: each row keeps the collection revision at
which it last changed), on both stores."""

from __future__ import annotations

import threading

import pytest
import shapely

from geoservice.storage import Change, FeatureExists, FeatureMissing, ReferenceLoad
from geoservice.storage.postgis import PostgisDatabase, PostgisFeatures, PostgisStorage
from geoservice.storage.sql import SqlFeatures, SqlStorage
from geoservice.storage.sqlite import SqliteDatabase, SqliteStorage
from tests.storage.contract import point, row, seed


def test_changes_lists_the_rows_changed_after_a_revision_deleted_ones_flagged(storage):
    seed(storage)
    everything = storage.features.changes("lieux", 0)
    assert (everything.kind, everything.revision, everything.since) == ("editable", 1, 0)
    assert [r.fid for r in everything.rows] == ["a", "b"] and everything.provenance == {
        "seeded_at": "x"}
    assert everything.seqs == sorted(everything.seqs) and len(set(everything.seqs)) == 2
    unchanged = storage.features.changes("lieux", 1)
    assert unchanged.rows == [] and unchanged.revision == 1
    storage.apply([Change("insert", "lieux", "c", {"id": "c", "nom": "C"}, point(1.5, 43.5))])
    storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "A2"}, None, 1)])
    storage.apply([Change("delete", "lieux", "b", expected_version=1)])
    delta = storage.features.changes("lieux", 1)
    assert delta.revision == 4
    assert [(r.fid, r.version, r.deleted) for r in delta.rows] == [
        ("a", 2, False), ("b", 2, True), ("c", 1, False)]  # storage order
    assert delta.rows[0].properties == {"id": "a", "nom": "A2"} and delta.rows[0].geometry is None
    assert shapely.from_wkb(delta.rows[2].geometry).equals(shapely.Point(1.5, 43.5))
    assert [r.fid for r in storage.features.changes("lieux", 3).rows] == ["b"]
    storage.apply([Change("restore", "lieux", "b", expected_version=2)])
    restored = storage.features.changes("lieux", 4)
    assert [(r.fid, r.version, r.deleted) for r in restored.rows] == [("b", 3, False)]
    assert restored.seqs == [everything.seqs[1]]  # back at its place in storage order
    # a failed transaction stamps nothing
    with pytest.raises(FeatureExists):
        storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "x"}, None, 2),
                       Change("insert", "lieux", "c", {"id": "c"}, None)])
    assert storage.features.changes("lieux", 5).rows == []
    # other collections are untouched by these writes
    qpv = storage.features.changes("qpv", 1)
    assert qpv.rows == [] and qpv.revision == 1
    with pytest.raises(FeatureMissing):
        storage.features.changes("inconnue", 0)


def test_changes_after_a_reload_and_a_rollback_give_the_whole_reference_layer(storage):
    seed(storage)
    storage.features.load(
        ReferenceLoad(reference={"qpv": [row("QN1", "QPV QN1"), row("QN3", "N")]}))
    delta = storage.features.changes("qpv", 1)
    assert delta.revision == 2 and [r.fid for r in delta.rows] == ["QN1", "QN3"]
    storage.features.rollback()
    assert [r.fid for r in storage.features.changes("qpv", 2).rows] == ["QN1", "QN2"]
    assert storage.features.changes("lieux", 1).rows == []  # the editable layer was not touched


def test_changes_concurrent_writers_stamp_rows_in_commit_order(storage):
    seed(storage, places=tuple(f"p{n}" for n in range(8)))

    def write(n: int) -> None:
        storage.apply([Change("update", "lieux", f"p{n}", {"id": f"p{n}", "nom": "w"}, None,
                              expected_version=1)])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert storage.features.revisions()["lieux"] == 9
    # each revision stamps exactly the row its transaction changed
    seen = [{r.fid for r in storage.features.changes("lieux", since).rows}
            for since in range(1, 10)]
    assert [len(s) for s in seen] == [8, 7, 6, 5, 4, 3, 2, 1, 0]


def test_migration_6_stamps_existing_rows_with_their_collection_revision(request, tmp_path):
    def older(database: type, features: type) -> SqlStorage:
        """A store at schema 5, whose writes leave rows without their revision."""
        old_db = type("Old", (database,), {
            "MIGRATIONS": {k: v for k, v in database.MIGRATIONS.items() if k < 6}})
        old_features = type("OldFeatures", (features,), {
            "_mark_rows": lambda self, cur, revisions, rows=None: None})
        db = old_db(*args)
        return SqlStorage(db, old_features(db))

    for database, features, new in ((SqliteDatabase, SqlFeatures, SqliteStorage),
                                     (PostgisDatabase, PostgisFeatures, PostgisStorage)):
        args: tuple = ((tmp_path / "old.sqlite", True) if new is SqliteStorage
                       else (request.getfixturevalue("postgis_url"),))
        store = older(database, features)
        try:
            store.upgrade()
            seed(store)
            store.features.load(ReferenceLoad(reference={"qpv": [row("QN1", "QPV QN1")]}))
        finally:
            store.close()
        store = new(*args)
        try:
            assert store.upgrade() == [6, 7]  # 7: the rate limits (test_rates.py)
            assert [r.fid for r in store.features.changes("qpv", 1).rows] == ["QN1"]
            assert store.features.changes("qpv", 2).rows == []
            assert [r.fid for r in store.features.changes("lieux", 0).rows] == ["a", "b"]
            assert store.features.changes("lieux", 1).rows == []
        finally:
            store.close()
