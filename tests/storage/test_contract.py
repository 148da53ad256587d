"""One contract for both stores: the embedded SQLite file and a real PostGIS."""

from __future__ import annotations

import threading

import pytest
import shapely

from geoservice.storage import (
    Change,
    FeatureExists,
    FeatureMissing,
    ReadOnlyCollection,
    ReferenceLoad,
    Row,
    StorageError,
    VersionConflict,
)
from geoservice.storage.postgis import PostgisStore
from geoservice.storage.sqlite import SqliteStore


@pytest.fixture(params=["sqlite", "postgis"])
def storage(request, tmp_path):
    if request.param == "sqlite":
        store = SqliteStore(tmp_path / "store.sqlite", create=True)
    else:
        store = PostgisStore(request.getfixturevalue("postgis_url"))
    store.upgrade()
    yield store
    store.close()


def point(x: float, y: float) -> bytes:
    return shapely.to_wkb(shapely.Point(x, y))


def row(fid: str, name: str, x: float = 1.4, y: float = 43.6) -> Row:
    return Row(fid, {"id": fid, "nom": name, "defi": ["inclusion"], "n": 3}, point(x, y))


def seed(storage, qpv=("QN1", "QN2"), places=("a", "b")) -> dict[str, int]:
    load = ReferenceLoad(
        reference={"qpv": [row(c, f"QPV {c}") for c in qpv]},
        editable={"lieux": [row(p, f"Lieu {p}") for p in places]},
        provenance={"qpv": {"feature_count": len(qpv)}, "lieux": {"seeded_at": "x"}},
    )
    return storage.load(load)


def test_upgrade_is_idempotent(storage):
    assert storage.upgrade() == []


def test_empty_store_has_no_collections(storage):
    assert storage.revisions() == {} and storage.provenance() == {}
    with pytest.raises(FeatureMissing):
        storage.read("qpv")


def test_load_then_read_in_order_with_versions(storage):
    revisions = seed(storage, qpv=("QN2", "QN1", "QN3"))
    assert revisions == {"qpv": 1, "lieux": 1}
    data = storage.read("qpv")
    assert [r.fid for r in data.rows] == ["QN2", "QN1", "QN3"]  # storage order kept
    assert {r.version for r in data.rows} == {1}
    assert data.kind == "reference" and data.revision == 1
    assert data.rows[0].properties == {"id": "QN2", "nom": "QPV QN2", "defi": ["inclusion"],
                                       "n": 3}
    assert shapely.from_wkb(data.rows[0].geometry).equals(shapely.Point(1.4, 43.6))
    assert storage.provenance()["qpv"] == {"feature_count": 3}


def test_missing_geometry_round_trips(storage):
    storage.load(ReferenceLoad(reference={"qpv": [Row("x", {"id": "x"}, None)]}))
    assert storage.read("qpv").rows[0].geometry is None


def test_reference_reload_keeps_unchanged_versions_and_never_touches_editable(storage):
    seed(storage)
    applied = storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "Édité"},
                                    point(1.5, 43.5), expected_version=1)])
    assert applied[0].version == 2 and applied[0].revision == 2
    load = ReferenceLoad(
        reference={"qpv": [row("QN1", "QPV QN1"), row("QN2", "QPV renommé")]},
        editable={"lieux": [row("a", "Lieu a"), row("b", "Lieu b"), row("c", "Lieu c")]})
    revisions = storage.load(load)
    assert revisions == {"qpv": 2}  # editable layers are seeded once, never again
    versions = {r.fid: r.version for r in storage.read("qpv").rows}
    assert versions == {"QN1": 1, "QN2": 2}
    lieux = storage.read("lieux")
    assert [r.fid for r in lieux.rows] == ["a", "b"]
    assert lieux.rows[0].properties["nom"] == "Édité"


def test_rollback_restores_previous_reference_only(storage):
    seed(storage)
    storage.load(ReferenceLoad(reference={"qpv": [row("QN9", "Nouveau")]},
                               provenance={"qpv": {"feature_count": 1}}))
    storage.apply([Change("insert", "lieux", "z", {"id": "z", "nom": "Z"}, None)])
    revisions = storage.rollback()
    assert [r.fid for r in storage.read("qpv").rows] == ["QN1", "QN2"]
    assert storage.provenance()["qpv"] == {"feature_count": 2}
    assert revisions["qpv"] == 3
    assert {r.fid for r in storage.read("lieux").rows} == {"a", "b", "z"}
    storage.rollback()  # and forward again
    assert [r.fid for r in storage.read("qpv").rows] == ["QN9"]


def test_rollback_without_previous_pull_is_refused(storage):
    with pytest.raises(StorageError):
        storage.rollback()


def test_versions_and_revisions_move_on_each_change(storage):
    seed(storage)
    [ins] = storage.apply([Change("insert", "lieux", "c", {"id": "c", "nom": "C"}, None)])
    assert (ins.version, ins.revision) == (1, 2)
    [upd] = storage.apply([Change("update", "lieux", "c", {"id": "c", "nom": "C2"}, None,
                                  expected_version=1)])
    assert (upd.version, upd.revision) == (2, 3)
    [dele] = storage.apply([Change("delete", "lieux", "c", expected_version=2)])
    assert (dele.version, dele.revision) == (3, 4)
    assert "c" not in {r.fid for r in storage.read("lieux").rows}
    gone = storage.get("lieux", "c")
    assert gone.deleted and gone.properties["nom"] == "C2" and gone.version == 3
    [back] = storage.apply([Change("restore", "lieux", "c", expected_version=3)])
    assert back.version == 4 and not storage.get("lieux", "c").deleted
    assert storage.revisions() == {"qpv": 1, "lieux": 5}


def test_stale_version_is_a_conflict_holding_the_current_row(storage):
    seed(storage)
    storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "v2"}, None, 1)])
    with pytest.raises(VersionConflict) as caught:
        storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "v3"}, None, 1)])
    assert caught.value.current.version == 2
    assert caught.value.current.properties["nom"] == "v2"
    # no version at all is not a conflict (412) but a missing precondition (428)
    from geoservice.errors import PreconditionRequired

    for op in ("update", "delete", "restore"):
        with pytest.raises(PreconditionRequired):
            storage.apply([Change(op, "lieux", "a", {"id": "a", "nom": "v4"}, None)])
    assert storage.get("lieux", "a").version == 2


def test_a_failed_change_leaves_nothing_applied(storage):
    seed(storage)
    before = storage.revisions()
    with pytest.raises(FeatureExists):
        storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "x"}, None, 1),
                       Change("insert", "lieux", "b", {"id": "b"}, None)])
    assert storage.revisions() == before
    assert storage.get("lieux", "a").properties["nom"] == "Lieu a"


def test_reference_layers_refuse_feature_writes(storage):
    seed(storage)
    with pytest.raises(ReadOnlyCollection):
        storage.apply([Change("update", "qpv", "QN1", {"id": "QN1"}, None, 1)])
    with pytest.raises(FeatureMissing):
        storage.apply([Change("insert", "inconnue", "x", {"id": "x"}, None)])


def test_concurrent_writers_with_the_same_version_one_wins(storage):
    seed(storage)
    outcomes: list[str] = []

    def write(n: int) -> None:
        try:
            storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": f"w{n}"}, None,
                                  expected_version=1)])
            outcomes.append("ok")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    assert storage.get("lieux", "a").version == 2
    assert storage.revisions()["lieux"] == 2


# -- history, changesets, accounts and tokens (schema 2) ----------------------------------


def test_every_version_is_in_the_history_with_author_and_reason(storage):
    from geoservice.storage.base import WriteMeta

    seed(storage)
    anne = WriteMeta(author="anne@example.fr", role="editor", reason="adresse corrigée")
    [upd] = storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "A2"},
                                  point(1.5, 43.6), 1)], anne)
    [dele] = storage.apply([Change("delete", "lieux", "a", expected_version=2)],
                           WriteMeta(author="mod@example.fr", role="moderator"))
    versions = storage.history("lieux", "a")
    assert [(v.version, v.op, v.author) for v in versions] == [
        (3, "delete", "mod@example.fr"), (2, "update", "anne@example.fr"),
        (1, "seed", "import")]
    assert versions[1].reason == "adresse corrigée" and versions[1].role == "editor"
    assert versions[1].properties == {"id": "a", "nom": "A2"}
    assert shapely.from_wkb(versions[1].geometry).equals(shapely.Point(1.5, 43.6))
    assert versions[0].properties == {"id": "a", "nom": "A2"}  # the deleted content, kept
    assert upd.changeset is not None and dele.changeset == upd.changeset + 1
    assert storage.history("lieux", "inconnu") == []


def test_a_transaction_is_one_changeset_and_a_failed_one_leaves_no_history(storage):
    from geoservice.storage.base import WriteMeta

    seed(storage)
    meta = WriteMeta(author="a@example.fr", role="admin", comment="import de 2 lieux")
    applied = storage.apply([Change("insert", "lieux", "c", {"id": "c"}, None),
                             Change("insert", "lieux", "d", {"id": "d"}, None)], meta)
    assert len({a.changeset for a in applied}) == 1
    record, versions = storage.changeset(applied[0].changeset)
    assert record["comment"] == "import de 2 lieux" and record["author"] == "a@example.fr"
    assert sorted(v.fid for v in versions) == ["c", "d"]
    with pytest.raises(VersionConflict):
        storage.apply([Change("insert", "lieux", "e", {"id": "e"}, None),
                       Change("update", "lieux", "a", {"id": "a"}, None, 7)], meta)
    assert storage.history("lieux", "e") == [] and storage.get("lieux", "e") is None
    assert storage.changeset(10_000) is None


def test_accounts_and_tokens_are_stored_hashed_and_revocable(storage):
    from geoservice.auth.accounts import add_user, authenticate_token, create_token
    from geoservice.errors import Unauthorized

    add_user(storage, "Anne@Example.fr", "editor")
    assert [(a.email, a.role) for a in storage.accounts()] == [("anne@example.fr", "editor")]
    token, record = create_token(storage, "anne@example.fr", 30)
    assert authenticate_token(storage, token).role == "editor"
    assert token not in repr(storage.tokens())  # only the hash is kept
    add_user(storage, "anne@example.fr", "moderator")  # a role change applies at once
    assert authenticate_token(storage, token).role == "moderator"
    assert storage.revoke_tokens(token_id=record.id) == 1
    with pytest.raises(Unauthorized, match="révoqué"):
        authenticate_token(storage, token)
    with pytest.raises(Unauthorized, match="inconnu"):
        authenticate_token(storage, token[:-4] + "AAAA")


def test_import_marked_applied_in_the_transaction_of_its_changes(storage):
    from geoservice.errors import Conflict
    from geoservice.storage.base import ImportDone, WriteMeta

    seed(storage)
    record = {"id": "imp-1", "layer": "lieux", "source_name": "essai", "author": "e@x.fr",
              "created_at": "2026-11-24T00:00:00.000+00:00", "status": "draft",
              "payload": {"rows": []}}
    storage.put_import(record)
    meta = WriteMeta("e@x.fr", "editor")
    insert = Change("insert", "lieux", "c", row("c", "Lieu c").properties, point(1.5, 43.6))
    [done] = storage.apply([insert], meta, ImportDone("imp-1"))
    applied = storage.get_import("imp-1")
    assert (applied["status"], applied["changeset"]) == ("applied", done.changeset)
    # a second apply (a simultaneous one too) writes nothing at all: all or nothing
    other = Change("insert", "lieux", "d", row("d", "Lieu d").properties, point(1.5, 43.6))
    update = Change("update", "lieux", "c", {"id": "c", "nom": "changé"}, None,
                    expected_version=1)
    with pytest.raises(Conflict):
        storage.apply([other, update], meta, ImportDone("imp-1"))
    assert storage.get("lieux", "d") is None and storage.get("lieux", "c").version == 1
    assert storage.get_import("imp-1")["changeset"] == done.changeset
    # nothing to change: still marked, once
    storage.put_import({**record, "id": "imp-2"})
    assert storage.apply([], meta, ImportDone("imp-2")) == []
    assert storage.get_import("imp-2")["status"] == "applied"
    with pytest.raises(Conflict):
        storage.apply([], meta, ImportDone("imp-2"))
    # a failed change leaves the import a draft
    storage.put_import({**record, "id": "imp-3"})
    with pytest.raises(FeatureExists):
        storage.apply([insert], meta, ImportDone("imp-3"))
    assert storage.get_import("imp-3")["status"] == "draft"


def test_proposals_queue_decision_atomic_with_the_change_and_contacts_purged(storage):
    from geoservice.errors import Conflict
    from geoservice.storage.base import Decision, Proposal, WriteMeta

    seed(storage)
    old = Proposal("p-0000000001", "new", "lieux", {"type": "Feature", "properties": {}},
                   "2026-01-01T00:00:00.000+00:00", contact="ancien@example.org")
    new = Proposal("p-0000000002", "correction", "lieux", None,
                   "2026-11-20T00:00:00.000+00:00", target="a", target_version=1,
                   contact="recent@example.org", qpv="QN1")
    storage.add_proposal(old, "hash-1", "client:x")
    storage.add_proposal(new, "hash-2", "client:x")
    assert [p.id for p in storage.proposals("pending")] == [old.id, new.id]
    assert [p.id for p in storage.proposals(qpv="QN1", kind="correction")] == [new.id]
    assert storage.proposal(new.id)[1] == "hash-2"
    # a stale change: neither the feature nor the proposal moves
    stale = Change("update", "lieux", "a", {"id": "a", "nom": "x"}, None, expected_version=9)
    with pytest.raises(VersionConflict):
        storage.apply([stale], WriteMeta("m@x.fr", "moderator"),
                      Decision(new.id, "accepted", "m@x.fr"))
    assert storage.proposal(new.id)[0].status == "pending"
    good = Change("update", "lieux", "a", {"id": "a", "nom": "x"}, None, expected_version=1)
    [done] = storage.apply([good], WriteMeta("m@x.fr", "moderator"),
                           Decision(new.id, "accepted", "m@x.fr", "merci"))
    decided = storage.proposal(new.id)[0]
    assert (decided.status, decided.result_fid, decided.result_version, decided.message) == (
        "accepted", "a", 2, "merci") and decided.changeset == done.changeset
    # decided once: a second decision (even a rejection) is refused and changes nothing
    with pytest.raises(Conflict):
        storage.apply([], None, Decision(new.id, "rejected", "n@x.fr", "non"))
    assert storage.get("lieux", "a").version == 2
    # contacts older than the cut-off are erased, the others kept
    assert storage.purge_contacts("2026-06-01T00:00:00.000+00:00") == 1
    assert storage.proposal(old.id)[0].contact is None
    assert storage.proposal(new.id)[0].contact == "recent@example.org"
    # rate events: counted per key, older ones forgotten
    storage.hit("k")
    storage.hit("k")
    assert len(storage.hits("k", "2000-01-01")) == 2 and storage.hits("other", "2000") == []


# -- what changed since a revision (schema 6) ---------------------------------------------


def test_changes_lists_the_rows_changed_after_a_revision_deleted_ones_flagged(storage):
    seed(storage)
    everything = storage.changes("lieux", 0)
    assert (everything.kind, everything.revision, everything.since) == ("editable", 1, 0)
    assert [r.fid for r in everything.rows] == ["a", "b"] and everything.provenance == {
        "seeded_at": "x"}
    assert everything.seqs == sorted(everything.seqs) and len(set(everything.seqs)) == 2
    assert storage.changes("lieux", 1).rows == [] and storage.changes("lieux", 1).revision == 1
    storage.apply([Change("insert", "lieux", "c", {"id": "c", "nom": "C"}, point(1.5, 43.5))])
    storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "A2"}, None, 1)])
    storage.apply([Change("delete", "lieux", "b", expected_version=1)])
    delta = storage.changes("lieux", 1)
    assert delta.revision == 4
    assert [(r.fid, r.version, r.deleted) for r in delta.rows] == [
        ("a", 2, False), ("b", 2, True), ("c", 1, False)]  # storage order
    assert delta.rows[0].properties == {"id": "a", "nom": "A2"} and delta.rows[0].geometry is None
    assert shapely.from_wkb(delta.rows[2].geometry).equals(shapely.Point(1.5, 43.5))
    assert [r.fid for r in storage.changes("lieux", 3).rows] == ["b"]
    storage.apply([Change("restore", "lieux", "b", expected_version=2)])
    restored = storage.changes("lieux", 4)
    assert [(r.fid, r.version, r.deleted) for r in restored.rows] == [("b", 3, False)]
    assert restored.seqs == [everything.seqs[1]]  # back at its place in storage order
    # a failed transaction stamps nothing
    with pytest.raises(FeatureExists):
        storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "x"}, None, 2),
                       Change("insert", "lieux", "c", {"id": "c"}, None)])
    assert storage.changes("lieux", 5).rows == []
    # other collections are untouched by these writes
    assert storage.changes("qpv", 1).rows == [] and storage.changes("qpv", 1).revision == 1
    with pytest.raises(FeatureMissing):
        storage.changes("inconnue", 0)


def test_changes_after_a_reload_and_a_rollback_give_the_whole_reference_layer(storage):
    seed(storage)
    storage.load(ReferenceLoad(reference={"qpv": [row("QN1", "QPV QN1"), row("QN3", "N")]}))
    delta = storage.changes("qpv", 1)
    assert delta.revision == 2 and [r.fid for r in delta.rows] == ["QN1", "QN3"]
    storage.rollback()
    assert [r.fid for r in storage.changes("qpv", 2).rows] == ["QN1", "QN2"]
    assert storage.changes("lieux", 1).rows == []  # the editable layer was not touched


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
    assert storage.revisions()["lieux"] == 9
    # each revision stamps exactly the row its transaction changed
    seen = [{r.fid for r in storage.changes("lieux", since).rows} for since in range(1, 10)]
    assert [len(s) for s in seen] == [8, 7, 6, 5, 4, 3, 2, 1, 0]


def test_migration_6_stamps_existing_rows_with_their_collection_revision(request, tmp_path):
    def older(store_class: type) -> type:  # schema 5, writing rows without their revision
        return type("Old", (store_class,), {
            "MIGRATIONS": {k: v for k, v in store_class.MIGRATIONS.items() if k < 6},
            "_mark_rows": lambda self, cur, revisions, rows=None: None})

    for new in (SqliteStore, PostgisStore):
        old = older(new)
        args: tuple = ((tmp_path / "old.sqlite", True) if new is SqliteStore
                       else (request.getfixturevalue("postgis_url"),))
        store = old(*args)
        try:
            store.upgrade()
            seed(store)
            store.load(ReferenceLoad(reference={"qpv": [row("QN1", "QPV QN1")]}))
        finally:
            store.close()
        store = new(*args)
        try:
            assert store.upgrade() == [6]
            assert [r.fid for r in store.changes("qpv", 1).rows] == ["QN1"]
            assert store.changes("qpv", 2).rows == []
            assert [r.fid for r in store.changes("lieux", 0).rows] == ["a", "b"]
            assert store.changes("lieux", 1).rows == []
        finally:
            store.close()
