"""The proposals part (ProposalStore) and a moderator's decision, committed with the change
it applies by the unit of work, on both stores."""

from __future__ import annotations

import pytest

from geoservice.storage import Change, VersionConflict
from tests.storage.contract import seed


def decide(storage, changes, meta, decision):
    """How a proposal is accepted (geoservice.editing): its change, then the decision, in
    one unit of work."""
    with storage.transaction() as tx:
        applied = tx.apply(changes, meta)
        tx.decide(decision)
    return applied


def test_proposals_queue_decision_atomic_with_the_change_and_contacts_purged(storage):
    from geoservice.editing.entities import Decision, Proposal
    from geoservice.errors import Conflict
    from geoservice.storage.base import WriteMeta

    seed(storage)
    old = Proposal("p-0000000001", "new", "lieux", {"type": "Feature", "properties": {}},
                   "2026-01-01T00:00:00.000+00:00", contact="ancien@example.org")
    new = Proposal("p-0000000002", "correction", "lieux", None,
                   "2026-11-20T00:00:00.000+00:00", target="a", target_version=1,
                   contact="recent@example.org", qpv="QN1")
    proposals = storage.proposals
    proposals.add_proposal(old, "hash-1", "client:x")
    proposals.add_proposal(new, "hash-2", "client:x")
    assert [p.id for p in proposals.proposals("pending")] == [old.id, new.id]
    assert [p.id for p in proposals.proposals(qpv="QN1", kind="correction")] == [new.id]
    assert proposals.proposal(new.id)[1] == "hash-2"
    # a stale change: neither the feature nor the proposal moves
    stale = Change("update", "lieux", "a", {"id": "a", "nom": "x"}, None, expected_version=9)
    with pytest.raises(VersionConflict):
        decide(storage, [stale], WriteMeta("m@x.fr", "moderator"),
               Decision(new.id, "accepted", "m@x.fr"))
    assert proposals.proposal(new.id)[0].status == "pending"
    good = Change("update", "lieux", "a", {"id": "a", "nom": "x"}, None, expected_version=1)
    [done] = decide(storage, [good], WriteMeta("m@x.fr", "moderator"),
                    Decision(new.id, "accepted", "m@x.fr", "merci"))
    decided = proposals.proposal(new.id)[0]
    assert (decided.status, decided.result_fid, decided.result_version, decided.message) == (
        "accepted", "a", 2, "merci") and decided.changeset == done.changeset
    # decided once: a second decision (even a rejection) is refused and changes nothing
    with pytest.raises(Conflict):
        decide(storage, [], None, Decision(new.id, "rejected", "n@x.fr", "non"))
    assert storage.features.get("lieux", "a").version == 2
    # contacts older than the cut-off are erased, the others kept
    assert proposals.purge_contacts("2026-06-01T00:00:00.000+00:00") == 1
    assert proposals.proposal(old.id)[0].contact is None
    assert proposals.proposal(new.id)[0].contact == "recent@example.org"


def test_a_rejection_changes_no_feature_and_no_revision(storage):
    from geoservice.editing.entities import Decision, Proposal

    seed(storage)
    storage.proposals.add_proposal(Proposal("p-0000000003", "report", "lieux", None,
                                            "2026-11-20T00:00:00.000+00:00", target="a"),
                                   "hash-3", "client:x")
    before = storage.features.revisions()
    with storage.transaction() as tx:
        tx.decide(Decision("p-0000000003", "rejected", "m@x.fr", "déjà corrigé"))
    decided = storage.proposals.proposal("p-0000000003")[0]
    assert (decided.status, decided.moderator, decided.message) == (
        "rejected", "m@x.fr", "déjà corrigé")
    assert decided.result_fid is None and decided.changeset is None
    assert storage.features.revisions() == before


def test_the_queue_pages_and_counts(storage):
    """More than 500 proposals: a page after an offset, and the count of the whole queue
    (with the same filters)."""
    from geoservice.editing.entities import Proposal

    made = []
    for i in range(520):
        proposal = Proposal(f"p-{i:010x}", "new" if i % 2 else "report", "lieux", None,
                            f"2026-10-01T00:{i // 60:02d}:{i % 60:02d}.000+00:00",
                            qpv="QN1" if i % 4 == 0 else None)
        storage.proposals.add_proposal(proposal, f"hash-{i}", "client:x")
        made.append(proposal.id)
    proposals = storage.proposals
    assert proposals.count_proposals("pending") == 520
    assert proposals.count_proposals(kind="report", qpv="QN1") == 130
    assert proposals.count_proposals("accepted") == 0
    assert [p.id for p in proposals.proposals("pending", limit=30, offset=500)] == made[500:]
    pages = [p.id for offset in range(0, 520, 200)
             for p in proposals.proposals("pending", limit=200, offset=offset)]
    assert pages == made
    assert [p.id for p in proposals.proposals(qpv="QN1", limit=2, offset=1)] == made[4:12:4]


def test_a_merge_retargets_pending_proposals_in_its_transaction(storage):
    from geoservice.editing.entities import Decision, Proposal

    seed(storage)
    for pid, target in (("p-00000000a1", "a"), ("p-00000000a2", "a"), ("p-00000000a3", "b")):
        storage.proposals.add_proposal(Proposal(pid, "correction", "lieux", None,
                                                "2026-11-20T00:00:00.000+00:00", target=target,
                                                target_version=1), "h", "client:x")
    with storage.transaction() as tx:
        tx.decide(Decision("p-00000000a2", "rejected", "m@x.fr", "non"))
    with storage.transaction() as tx:
        assert tx.retarget_proposals("lieux", "a", "b", 4) == 1  # the decided one stays
    moved = storage.proposals.proposal("p-00000000a1")[0]
    assert (moved.target, moved.target_version) == ("b", 4)
    assert storage.proposals.proposal("p-00000000a2")[0].target == "a"
    assert storage.proposals.proposal("p-00000000a3")[0].target_version == 1


def _clients(storage) -> dict[str, str]:
    with storage.db.tx() as cur:
        cur.execute("SELECT id, client FROM proposals ORDER BY id")
        return dict(cur.fetchall())


def test_the_client_hash_goes_with_the_decision_or_the_contact(storage):
    """Was: kept forever beside the salt it was made with (reversible)."""
    from geoservice.editing.entities import Decision, Proposal

    seed(storage)
    for n, created in ((1, "2026-01-01"), (2, "2026-11-20"), (3, "2026-11-21")):
        storage.proposals.add_proposal(
            Proposal(f"p-000000000{n}", "report", "lieux", None,
                     f"{created}T00:00:00.000+00:00", target="a", contact="x@example.org"),
            f"hash-{n}", f"proposition:client:{n}")
    with storage.transaction() as tx:
        tx.decide(Decision("p-0000000003", "rejected", "m@x.fr", "déjà corrigé"))
    storage.proposals.purge_contacts("2026-06-01T00:00:00.000+00:00")
    assert _clients(storage) == {"p-0000000001": "", "p-0000000002": "proposition:client:2",
                                 "p-0000000003": ""}


def test_migration_7_forgets_decided_client_hashes_and_the_old_salt(request, tmp_path):
    from geoservice.editing.entities import Proposal
    from geoservice.storage.postgis import PostgisDatabase, PostgisStorage
    from geoservice.storage.sql import SqlStorage
    from geoservice.storage.sqlite import SqliteDatabase, SqliteStorage

    for database, new in ((SqliteDatabase, SqliteStorage), (PostgisDatabase, PostgisStorage)):
        args: tuple = ((tmp_path / "old.sqlite", True) if new is SqliteStorage
                       else (request.getfixturevalue("postgis_url"),))
        old_db = type("Old", (database,), {
            "MIGRATIONS": {k: v for k, v in database.MIGRATIONS.items() if k < 7}})
        store = SqlStorage(old_db(*args))
        try:
            store.upgrade()
            salt = store.rates.secret("client-salt")
            for n in (1, 2):
                store.proposals.add_proposal(Proposal(
                    f"p-000000000{n}", "report", "lieux", None,
                    "2026-11-20T00:00:00.000+00:00", target="a", contact="x@example.org"),
                    f"hash-{n}", f"proposition:client:{n}")
            with store.db.tx(write=True) as cur:  # decided under the old schema
                cur.execute("UPDATE proposals SET status = 'rejected' "
                            "WHERE id = 'p-0000000001'")
        finally:
            store.close()
        store = new(*args)
        try:
            assert store.upgrade() == [7]
            assert _clients(store) == {"p-0000000001": "",
                                       "p-0000000002": "proposition:client:2"}
            assert store.rates.secret("client-salt") != salt  # a new salt: old hashes dead
            assert store.rates.take({"k": 1}, "2999-01-01T00:00:00.000+00:00") is None
        finally:
            store.close()
