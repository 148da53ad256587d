"""The rate-limits part (:class:`~.base.RateEvents`): short-lived counters of login attempts
and residents' proposals per key, and the salt a client's address is hashed with before it
becomes a key, kept in the store so that every replica counts the same (SQL shared by both
adapters).

Each counted event is one row ``(key, until)``: it counts until ``until`` and is swept
after, whatever its key (nothing outlives its window). An attempt is counted *before* the
work it guards, in the same transaction as the count (:meth:`SqlRates.take`), with the keys
locked until commit: 100 simultaneous attempts against a limit of 5 make 5 rows, the 95
others are refused — on SQLite (one writer at a time) and on PostGIS (a transaction
advisory lock per key) alike.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Mapping

from .base import now
from .database import SqlDatabase

RATE_TABLES = [
    "DROP TABLE login_failures",
    "DROP TABLE rate_events",
    "CREATE TABLE rate_limits (key TEXT NOT NULL, until TEXT NOT NULL)",
    "CREATE INDEX rate_limits_key ON rate_limits (key, until)",
    "CREATE INDEX rate_limits_until ON rate_limits (until)",
    # the client hash of a decided proposal is forgotten; the salt every remaining hash
    # was made with is replaced: none can be reversed any more
    "UPDATE proposals SET client = '' WHERE status <> 'pending' OR contact IS NULL",
    "DELETE FROM secrets WHERE name = 'client-salt'",
]
"""Migration 7 (same SQL in both dialects): one table of counted events with their end,
replacing the failed logins' and proposals' tables (which kept their rows until the same
key came back)."""


class SqlRates:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def take(self, limits: Mapping[str, int], until: str) -> tuple[str, list[str]] | None:
        """Count one event for every key of ``limits``, lasting until ``until``, if each key
        has fewer live events than its limit: None. Otherwise count nothing and return the
        first key at its limit and the ends of its live events (soonest first)."""
        p, moment = self.db.P, now()
        with self.db.tx(write=True) as cur:
            cur.execute(f"DELETE FROM rate_limits WHERE until <= {p}", (moment,))
            for key in sorted(limits):  # one order for every transaction: no deadlock
                self.db.lock_key(cur, _lock_id(key))
            for key, limit in limits.items():
                cur.execute(f"SELECT until FROM rate_limits WHERE key = {p} ORDER BY until",
                            (key,))
                ends = [str(r[0]) for r in cur.fetchall()]
                if len(ends) >= limit:
                    return key, ends
            self.db.executemany(cur, f"INSERT INTO rate_limits (key, until) VALUES ({p}, {p})",
                                [(key, until) for key in limits])
        return None

    def counted(self, key: str) -> list[str]:
        """The ends of ``key``'s live events, soonest first."""
        p = self.db.P
        with self.db.tx() as cur:
            cur.execute(f"SELECT until FROM rate_limits WHERE key = {p} AND until > {p} "
                        "ORDER BY until", (key, now()))
            return [str(r[0]) for r in cur.fetchall()]

    def forget(self, key: str, last_only: bool = False) -> None:
        """Forget every event of ``key`` (``last_only``: the latest-ending one)."""
        p = self.db.P
        with self.db.tx(write=True) as cur:
            if last_only:
                rid = self.db.ROW_ID
                cur.execute(f"DELETE FROM rate_limits WHERE {rid} IN (SELECT {rid} FROM "
                            f"rate_limits WHERE key = {p} ORDER BY until DESC LIMIT 1)", (key,))
            else:
                cur.execute(f"DELETE FROM rate_limits WHERE key = {p}", (key,))

    # -- salts -------------------------------------------------------------------------------

    def secret(self, name: str) -> str:
        """A random value made once per store and shared by every replica (salts); read
        once per process (it never changes)."""
        known: dict[str, str] = self.__dict__.setdefault("_secrets", {})
        if name in known:
            return known[name]
        p = self.db.P
        with self.db.tx(write=True) as cur:
            cur.execute(f"INSERT INTO secrets (name, value) VALUES ({p}, {p}) "
                        "ON CONFLICT (name) DO NOTHING", (name, secrets.token_urlsafe(32)))
            cur.execute(f"SELECT value FROM secrets WHERE name = {p}", (name,))
            known[name] = str(cur.fetchone()[0])
        return known[name]


def _lock_id(key: str) -> int:
    """A 32-bit number naming ``key``'s lock (two keys may share one: they then wait for
    each other, never count wrong)."""
    return zlib.crc32(b"rate:" + key.encode("utf-8"))
