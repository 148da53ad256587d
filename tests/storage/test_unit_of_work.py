"""The unit of work (``with storage.transaction() as tx``): changes, a proposal's decision
and an import's mark commit together, or nothing does, on both stores."""

from __future__ import annotations

import threading

import pytest

from geoservice.editing.entities import Decision, Proposal
from geoservice.errors import Conflict
from geoservice.storage import Change, VersionConflict
from geoservice.storage.base import WriteMeta
from tests.storage.contract import point, row, seed

META = WriteMeta("m@x.fr", "moderator", comment="essai")
DRAFT = {"id": "imp-1", "layer": "lieux", "source_name": "essai", "author": "e@x.fr",
         "created_at": "2026-11-24T00:00:00.000+00:00", "status": "draft",
         "payload": {"rows": []}}


class Boom(Exception):
    """A failure in the middle of a unit of work (after some of its writes)."""


def insert(fid: str) -> Change:
    return Change("insert", "lieux", fid, row(fid, f"Lieu {fid}").properties, point(1.5, 43.6))


def propose(storage, pid: str = "p-0000000001") -> str:
    storage.proposals.add_proposal(Proposal(pid, "new", "lieux", None,
                                            "2026-11-20T00:00:00.000+00:00"), "h", "client:x")
    return pid


def test_a_decision_and_its_changes_commit_together(storage):
    seed(storage)
    pid = propose(storage)
    with storage.transaction() as tx:
        [done] = tx.apply([insert("c")], META)
        tx.decide(Decision(pid, "accepted", "m@x.fr", "merci"))
    decided = storage.proposals.proposal(pid)[0]
    assert (decided.status, decided.result_fid, decided.result_version) == ("accepted", "c", 1)
    assert decided.changeset == done.changeset and done.changeset is not None
    assert storage.features.get("lieux", "c").version == 1
    assert storage.features.revisions()["lieux"] == done.revision == 2
    record, versions = storage.features.changeset(done.changeset)
    assert record["comment"] == "essai" and [v.fid for v in versions] == ["c"]


def test_a_decision_made_first_records_what_the_transaction_applies_after(storage):
    seed(storage)
    pid = propose(storage)
    with storage.transaction() as tx:
        tx.decide(Decision(pid, "accepted", "m@x.fr"))
        first = tx.apply([insert("c")], META)
        second = tx.apply([insert("d")], META)
    decided = storage.proposals.proposal(pid)[0]
    assert (decided.result_fid, decided.changeset) == ("c", first[0].changeset)
    assert second[0].changeset == first[0].changeset  # one changeset per transaction


def test_an_import_mark_and_its_changes_commit_together(storage):
    seed(storage)
    storage.imports.put_import(DRAFT)
    with storage.transaction() as tx:
        tx.mark_import_applied("imp-1")
        applied = tx.apply([insert("c"), insert("d")], META)
    record = storage.imports.get_import("imp-1")
    assert (record["status"], record["changeset"]) == ("applied", applied[0].changeset)
    assert {r.fid for r in storage.features.read("lieux").rows} == {"a", "b", "c", "d"}


def test_a_failure_in_the_middle_of_a_decision_leaves_nothing_written(storage):
    seed(storage)
    pid = propose(storage)
    before = storage.features.revisions()
    with pytest.raises(Boom):
        with storage.transaction() as tx:
            tx.apply([insert("c")], META)
            tx.decide(Decision(pid, "accepted", "m@x.fr"))
            raise Boom
    assert storage.proposals.proposal(pid)[0].status == "pending"
    assert storage.features.get("lieux", "c") is None
    assert storage.features.history("lieux", "c") == []
    assert storage.features.revisions() == before
    # and the same decision commits afterwards: nothing was held
    with storage.transaction() as tx:
        tx.apply([insert("c")], META)
        tx.decide(Decision(pid, "accepted", "m@x.fr"))
    assert storage.proposals.proposal(pid)[0].status == "accepted"


def test_a_failure_in_the_middle_of_an_import_leaves_nothing_written(storage):
    seed(storage)
    storage.imports.put_import(DRAFT)
    before = storage.features.revisions()
    stale = Change("update", "lieux", "a", {"id": "a", "nom": "x"}, None, expected_version=7)
    with pytest.raises(VersionConflict):
        with storage.transaction() as tx:
            tx.mark_import_applied("imp-1")
            tx.apply([insert("c")], META)  # written, then undone
            tx.apply([stale], META)
    record = storage.imports.get_import("imp-1")
    assert (record["status"], record["changeset"]) == ("draft", None)
    assert storage.features.get("lieux", "c") is None
    assert storage.features.revisions() == before


def test_a_decided_proposal_is_a_conflict_before_anything_is_written(storage):
    seed(storage)
    pid = propose(storage)
    with storage.transaction() as tx:
        tx.decide(Decision(pid, "rejected", "m@x.fr", "non"))
    with pytest.raises(Conflict):
        with storage.transaction() as tx:
            tx.decide(Decision(pid, "accepted", "n@x.fr"))
            tx.apply([insert("c")], META)
    assert storage.features.get("lieux", "c") is None
    assert storage.proposals.proposal(pid)[0].moderator == "m@x.fr"


def test_simultaneous_applies_of_one_import_one_wins(storage):
    seed(storage)
    storage.imports.put_import(DRAFT)
    outcomes: list[str] = []

    def apply(n: int) -> None:
        try:
            with storage.transaction() as tx:
                tx.mark_import_applied("imp-1")
                tx.apply([insert(f"w{n}")], META)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=apply, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]
    written = {r.fid for r in storage.features.read("lieux").rows} - {"a", "b"}
    assert len(written) == 1
    assert storage.features.revisions()["lieux"] == 2
