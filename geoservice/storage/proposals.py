"""Residents' proposals and problem reports (the moderation queue) and rate-limit counts,
kept in the store so that every replica sees the same queue (SQL shared by both adapters).

A proposal never touches the public layers: only a moderator's decision applies it, in the
same transaction as the changes (:meth:`ProposalsSql._decide`, called by ``apply``)."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any

from ..errors import Conflict
from .base import Decision, FeatureMissing, Proposal, now

Cursor = Any
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


class ProposalsSql:
    P = "?"

    def _tx(self, write: bool = False) -> AbstractContextManager[Cursor]:
        raise NotImplementedError

    def add_proposal(self, proposal: Proposal, follow_hash: str, client: str) -> None:
        p = self.P
        feature = None if proposal.feature is None else json.dumps(proposal.feature,
                                                                    ensure_ascii=False)
        with self._tx(write=True) as cur:
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
        with self._tx() as cur:
            cur.execute(f"SELECT {_COLUMNS}, follow_hash FROM proposals WHERE id = {self.P}",
                        (proposal_id,))
            row = cur.fetchone()
        return None if row is None else (_proposal(row[:-1]), str(row[-1]))

    def proposals(self, status: str | None = None, collection: str | None = None,
                  qpv: str | None = None, kind: str | None = None,
                  limit: int = 500) -> list[Proposal]:
        where, params = [], []
        for column, value in (("status", status), ("collection", collection), ("qpv", qpv),
                              ("kind", kind)):
            if value is not None:
                where.append(f"{column} = {self.P}")
                params.append(value)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        with self._tx() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM proposals {clause}ORDER BY created_at, id "
                        f"LIMIT {int(limit)}", tuple(params))
            return [_proposal(r) for r in cur.fetchall()]

    def purge_contacts(self, before: str) -> int:
        with self._tx(write=True) as cur:
            cur.execute(f"UPDATE proposals SET contact = NULL WHERE contact IS NOT NULL AND "
                        f"created_at < {self.P}", (before,))
            return int(cur.rowcount or 0)

    def hit(self, key: str) -> None:
        p = self.P
        with self._tx(write=True) as cur:
            cur.execute(f"INSERT INTO rate_events (key, at) VALUES ({p}, {p})", (key, now()))

    def hits(self, key: str, since: str) -> list[str]:
        p = self.P
        with self._tx(write=True) as cur:
            cur.execute(f"DELETE FROM rate_events WHERE at < {p}", (since,))
            cur.execute(f"SELECT at FROM rate_events WHERE key = {p} ORDER BY at", (key,))
            return [r[0] for r in cur.fetchall()]

    def _decide(self, cur: Cursor, decision: Decision, result: tuple[str, int] | None,
                changeset: int | None, stamp: str) -> None:
        """Inside the writing transaction: the proposal must still be pending."""
        p = self.P
        cur.execute(f"SELECT status FROM proposals WHERE id = {p}{self._lock_row}",
                    (decision.proposal,))
        found = cur.fetchone()
        if found is None:
            raise FeatureMissing(f"Aucune proposition « {decision.proposal} »")
        if found[0] != "pending":
            raise Conflict(f"La proposition {decision.proposal} a déjà été traitée "
                           f"({'acceptée' if found[0] == 'accepted' else 'refusée'})")
        fid, version = result if result else (None, None)
        cur.execute(f"UPDATE proposals SET status = {p}, moderator = {p}, message = {p}, "
                    f"decided_at = {p}, result_fid = {p}, result_version = {p}, "
                    f"changeset = {p} WHERE id = {p}",
                    (decision.status, decision.moderator, decision.message, stamp, fid,
                     version, changeset, decision.proposal))
