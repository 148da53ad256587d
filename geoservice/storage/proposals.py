"""The proposals part (:class:`~.base.ProposalStore`): residents' proposals and problem
reports (the moderation queue), kept in the store so that every replica sees the same queue
(SQL shared by both adapters; migration 4 also makes the rate events' table, :mod:`.rates`).

A proposal never touches the public layers: only a moderator's decision applies it, in the
same transaction as the changes (:meth:`SqlProposals.claim` and :meth:`record_result`,
called by the unit of work, :class:`~.sql.SqlTransaction`)."""

from __future__ import annotations

import json

from ..editing.entities import Decision, Proposal
from ..errors import Conflict
from .base import FeatureMissing
from .database import Cursor, SqlDatabase

_COLUMNS = ("id, kind, collection, feature, created_at, target, target_version, note, "
            "contact, problem, qpv, status, message, moderator, decided_at, result_fid, "
            "result_version, changeset")

PROPOSAL_TABLES = [
    "CREATE TABLE proposals (id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN "
    "('new', 'correction', 'report')), collection TEXT NOT NULL, feature TEXT, "
    "created_at TEXT NOT NULL, target TEXT, target_version INTEGER, note TEXT, contact TEXT, "
    "problem TEXT, qpv TEXT, status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN "
    "('pending', 'accepted', 'rejected')), message TEXT, moderator TEXT, decided_at TEXT, "
    "result_fid TEXT, result_version INTEGER, changeset INTEGER, follow_hash TEXT NOT NULL, "
    "client TEXT NOT NULL)",
    "CREATE INDEX proposals_queue ON proposals (status, created_at)",
    "CREATE TABLE rate_events (key TEXT NOT NULL, at TEXT NOT NULL)",
    "CREATE INDEX rate_events_key ON rate_events (key, at)",
]
"""Migration 4 (same SQL in both dialects)."""


def _proposal(row: tuple) -> Proposal:
    values = list(row)
    values[3] = None if values[3] is None else json.loads(values[3])
    for i in (6, 16, 17):
        values[i] = None if values[i] is None else int(values[i])
    return Proposal(*values)


class SqlProposals:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def add_proposal(self, proposal: Proposal, follow_hash: str, client: str) -> None:
        p = self.db.P
        feature = None if proposal.feature is None else json.dumps(proposal.feature,
                                                                    ensure_ascii=False)
        with self.db.tx(write=True) as cur:
            cur.execute(
                f"INSERT INTO proposals ({_COLUMNS}, follow_hash, client) VALUES "
                f"({', '.join([p] * 20)})",
                (proposal.id, proposal.kind, proposal.collection, feature,
                 proposal.created_at, proposal.target, proposal.target_version, proposal.note,
                 proposal.contact, proposal.problem, proposal.qpv, proposal.status,
                 proposal.message, proposal.moderator, proposal.decided_at,
                 proposal.result_fid, proposal.result_version, proposal.changeset,
                 follow_hash, client))

    def proposal(self, proposal_id: str) -> tuple[Proposal, str] | None:
        with self.db.tx() as cur:
            cur.execute(f"SELECT {_COLUMNS}, follow_hash FROM proposals WHERE id = {self.db.P}",
                        (proposal_id,))
            row = cur.fetchone()
        return None if row is None else (_proposal(row[:-1]), str(row[-1]))

    def _where(self, status: str | None, collection: str | None, qpv: str | None,
               kind: str | None) -> tuple[str, tuple]:
        where, params = [], []
        for column, value in (("status", status), ("collection", collection), ("qpv", qpv),
                              ("kind", kind)):
            if value is not None:
                where.append(f"{column} = {self.db.P}")
                params.append(value)
        return (f"WHERE {' AND '.join(where)} " if where else ""), tuple(params)

    def proposals(self, status: str | None = None, collection: str | None = None,
                  qpv: str | None = None, kind: str | None = None,
                  limit: int = 500, offset: int = 0) -> list[Proposal]:
        clause, params = self._where(status, collection, qpv, kind)
        with self.db.tx() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM proposals {clause}ORDER BY created_at, id "
                        f"LIMIT {max(0, int(limit))} OFFSET {max(0, int(offset))}", params)
            return [_proposal(r) for r in cur.fetchall()]

    def count_proposals(self, status: str | None = None, collection: str | None = None,
                        qpv: str | None = None, kind: str | None = None) -> int:
        clause, params = self._where(status, collection, qpv, kind)
        with self.db.tx() as cur:
            cur.execute(f"SELECT COUNT(*) FROM proposals {clause}", params)
            return int(cur.fetchone()[0])

    def purge_contacts(self, before: str) -> int:
        """Forget the contact and the client hash of every proposal made before
        ``before`` (the count: contacts forgotten)."""
        with self.db.tx(write=True) as cur:
            cur.execute(f"UPDATE proposals SET client = '' WHERE client <> '' AND "
                        f"created_at < {self.db.P}", (before,))
            cur.execute(f"UPDATE proposals SET contact = NULL WHERE contact IS NOT NULL AND "
                        f"created_at < {self.db.P}", (before,))
            return int(cur.rowcount or 0)

    def retarget(self, cur: Cursor, collection: str, old: str, new: str, version: int
                 ) -> int:
        """Inside a writing transaction (a merge): pending proposals about ``old`` name
        ``new`` at ``version`` (the survivor's, as the merge leaves it)."""
        p = self.db.P
        cur.execute(f"UPDATE proposals SET target = {p}, target_version = {p} WHERE "
                    f"collection = {p} AND target = {p} AND status = 'pending'",
                    (new, version, collection, old))
        return int(cur.rowcount or 0)

    def claim(self, cur: Cursor, decision: Decision, stamp: str) -> None:
        """Inside a writing transaction: decide a proposal that must still be pending (its
        row locked until commit, so two moderators never both decide it)."""
        p = self.db.P
        cur.execute(f"SELECT status FROM proposals WHERE id = {p}{self.db.LOCK_ROW}",
                    (decision.proposal,))
        found = cur.fetchone()
        if found is None:
            raise FeatureMissing(f"Aucune proposition « {decision.proposal} »")
        if found[0] != "pending":
            raise Conflict(f"La proposition {decision.proposal} a déjà été traitée "
                           f"({'acceptée' if found[0] == 'accepted' else 'refusée'})")
        # decided: the client hash (kept for the queue's spam triage) is forgotten
        cur.execute(f"UPDATE proposals SET status = {p}, moderator = {p}, message = {p}, "
                    f"decided_at = {p}, client = '' WHERE id = {p}",
                    (decision.status, decision.moderator, decision.message, stamp,
                     decision.proposal))

    def record_result(self, cur: Cursor, proposal_id: str, fid: str, version: int,
                      changeset: int | None) -> None:
        """Inside the same transaction: the feature the decision published, and how."""
        p = self.db.P
        cur.execute(f"UPDATE proposals SET result_fid = {p}, result_version = {p}, "
                    f"changeset = {p} WHERE id = {p}", (fid, version, changeset, proposal_id))
