"""The features part (FeatureStore) and plain changes (``storage.apply``), on both
stores."""

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
from tests.storage.contract import point, row, seed


def test_upgrade_is_idempotent(storage):
    assert storage.upgrade() == []


def test_empty_store_has_no_collections(storage):
    assert storage.features.revisions() == {} and storage.features.provenance() == {}
    with pytest.raises(FeatureMissing):
        storage.features.read("qpv")


def test_load_then_read_in_order_with_versions(storage):
    revisions = seed(storage, qpv=("QN2", "QN1", "QN3"))
    assert revisions == {"qpv": 1, "lieux": 1}
    data = storage.features.read("qpv")
    assert [r.fid for r in data.rows] == ["QN2", "QN1", "QN3"]  # storage order kept
    assert {r.version for r in data.rows} == {1}
    assert data.kind == "reference" and data.revision == 1
    assert data.rows[0].properties == {"id": "QN2", "nom": "QPV QN2", "defi": ["inclusion"],
                                       "n": 3}
    assert shapely.from_wkb(data.rows[0].geometry).equals(shapely.Point(1.4, 43.6))
    assert storage.features.provenance()["qpv"] == {"feature_count": 3}


def test_missing_geometry_round_trips(storage):
    storage.features.load(ReferenceLoad(reference={"qpv": [Row("x", {"id": "x"}, None)]}))
    assert storage.features.read("qpv").rows[0].geometry is None


def test_reference_reload_keeps_unchanged_versions_and_never_touches_editable(storage):
    seed(storage)
    applied = storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "Édité"},
                                    point(1.5, 43.5), expected_version=1)])
    assert applied[0].version == 2 and applied[0].revision == 2
    load = ReferenceLoad(
        reference={"qpv": [row("QN1", "QPV QN1"), row("QN2", "QPV renommé")]},
        editable={"lieux": [row("a", "Lieu a"), row("b", "Lieu b"), row("c", "Lieu c")]})
    revisions = storage.features.load(load)
    assert revisions == {"qpv": 2}  # editable layers are seeded once, never again
    versions = {r.fid: r.version for r in storage.features.read("qpv").rows}
    assert versions == {"QN1": 1, "QN2": 2}
    lieux = storage.features.read("lieux")
    assert [r.fid for r in lieux.rows] == ["a", "b"]
    assert lieux.rows[0].properties["nom"] == "Édité"


def test_rollback_restores_previous_reference_only(storage):
    seed(storage)
    storage.features.load(ReferenceLoad(reference={"qpv": [row("QN9", "Nouveau")]},
                               provenance={"qpv": {"feature_count": 1}}))
    storage.apply([Change("insert", "lieux", "z", {"id": "z", "nom": "Z"}, None)])
    revisions = storage.features.rollback()
    assert [r.fid for r in storage.features.read("qpv").rows] == ["QN1", "QN2"]
    assert storage.features.provenance()["qpv"] == {"feature_count": 2}
    assert revisions["qpv"] == 3
    assert {r.fid for r in storage.features.read("lieux").rows} == {"a", "b", "z"}
    storage.features.rollback()  # and forward again
    assert [r.fid for r in storage.features.read("qpv").rows] == ["QN9"]


def test_rollback_without_previous_pull_is_refused(storage):
    with pytest.raises(StorageError):
        storage.features.rollback()


def test_versions_and_revisions_move_on_each_change(storage):
    seed(storage)
    [ins] = storage.apply([Change("insert", "lieux", "c", {"id": "c", "nom": "C"}, None)])
    assert (ins.version, ins.revision) == (1, 2)
    [upd] = storage.apply([Change("update", "lieux", "c", {"id": "c", "nom": "C2"}, None,
                                  expected_version=1)])
    assert (upd.version, upd.revision) == (2, 3)
    [dele] = storage.apply([Change("delete", "lieux", "c", expected_version=2)])
    assert (dele.version, dele.revision) == (3, 4)
    assert "c" not in {r.fid for r in storage.features.read("lieux").rows}
    gone = storage.features.get("lieux", "c")
    assert gone.deleted and gone.properties["nom"] == "C2" and gone.version == 3
    [back] = storage.apply([Change("restore", "lieux", "c", expected_version=3)])
    assert back.version == 4 and not storage.features.get("lieux", "c").deleted
    assert storage.features.revisions() == {"qpv": 1, "lieux": 5}


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
    assert storage.features.get("lieux", "a").version == 2


def test_a_failed_change_leaves_nothing_applied(storage):
    seed(storage)
    before = storage.features.revisions()
    with pytest.raises(FeatureExists):
        storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "x"}, None, 1),
                       Change("insert", "lieux", "b", {"id": "b"}, None)])
    assert storage.features.revisions() == before
    assert storage.features.get("lieux", "a").properties["nom"] == "Lieu a"


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
    assert storage.features.get("lieux", "a").version == 2
    assert storage.features.revisions()["lieux"] == 2


# -- history, changesets, accounts and tokens (schema 2) ----------------------------------


def test_every_version_is_in_the_history_with_author_and_reason(storage):
    from geoservice.storage.base import WriteMeta

    seed(storage)
    anne = WriteMeta(author="anne@example.fr", role="editor", reason="adresse corrigée")
    [upd] = storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "A2"},
                                  point(1.5, 43.6), 1)], anne)
    [dele] = storage.apply([Change("delete", "lieux", "a", expected_version=2)],
                           WriteMeta(author="mod@example.fr", role="moderator"))
    versions = storage.features.history("lieux", "a")
    assert [(v.version, v.op, v.author) for v in versions] == [
        (3, "delete", "mod@example.fr"), (2, "update", "anne@example.fr"),
        (1, "seed", "import")]
    assert versions[1].reason == "adresse corrigée" and versions[1].role == "editor"
    assert versions[1].properties == {"id": "a", "nom": "A2"}
    assert shapely.from_wkb(versions[1].geometry).equals(shapely.Point(1.5, 43.6))
    assert versions[0].properties == {"id": "a", "nom": "A2"}  # the deleted content, kept
    assert upd.changeset is not None and dele.changeset == upd.changeset + 1
    assert storage.features.history("lieux", "inconnu") == []


def test_a_transaction_is_one_changeset_and_a_failed_one_leaves_no_history(storage):
    from geoservice.storage.base import WriteMeta

    seed(storage)
    meta = WriteMeta(author="a@example.fr", role="admin", comment="import de 2 lieux")
    applied = storage.apply([Change("insert", "lieux", "c", {"id": "c"}, None),
                             Change("insert", "lieux", "d", {"id": "d"}, None)], meta)
    assert len({a.changeset for a in applied}) == 1
    record, versions = storage.features.changeset(applied[0].changeset)
    assert record["comment"] == "import de 2 lieux" and record["author"] == "a@example.fr"
    assert sorted(v.fid for v in versions) == ["c", "d"]
    with pytest.raises(VersionConflict):
        storage.apply([Change("insert", "lieux", "e", {"id": "e"}, None),
                       Change("update", "lieux", "a", {"id": "a"}, None, 7)], meta)
    assert storage.features.history("lieux", "e") == []
    assert storage.features.get("lieux", "e") is None
    assert storage.features.changeset(10_000) is None


def test_as_of_reads_each_feature_as_recorded_then(storage):
    import time
    from datetime import UTC, datetime

    from geoservice.storage.base import stamp

    seed(storage, places=("a", "b", "c"))
    time.sleep(0.01)
    instant = stamp(datetime.now(UTC))
    time.sleep(0.01)
    storage.apply([Change("update", "lieux", "a", {"id": "a", "nom": "Édité"},
                          point(1.5, 43.5), expected_version=1),
                   Change("delete", "lieux", "b", expected_version=1),
                   Change("insert", "lieux", "d", {"id": "d", "nom": "Nouveau"}, point(1, 43))])
    then = storage.features.as_of("lieux", instant)
    assert [r.fid for r in then.rows] == ["a", "b", "c"]  # storage order; d not yet there
    assert then.rows[0].properties["nom"] == "Lieu a" and then.rows[0].version == 1
    assert shapely.from_wkb(then.rows[0].geometry).equals(shapely.Point(1.4, 43.6))
    now = storage.features.as_of("lieux", stamp(datetime.now(UTC)))
    assert [(r.fid, r.version) for r in now.rows] == [("a", 2), ("c", 1), ("d", 1)]
    assert storage.features.as_of("lieux", "2000-01-01T00:00:00.000+00:00").rows == []
