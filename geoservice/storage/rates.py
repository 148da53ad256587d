"""The rate-events part (:class:`~.base.RateEvents`): failed logins and residents'
proposals counted per key, and the salts a client's address is hashed with before it
becomes a key, kept in the store so that every replica counts the same (SQL shared by both
adapters; the tables come with migrations 3 and 4)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from .base import now
from .database import SqlDatabase


class SqlRates:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    # -- failed logins ------------------------------------------------------------------------

    def add_login_failure(self, keys: Iterable[str]) -> None:
        p, stamp = self.db.P, now()
        with self.db.tx(write=True) as cur:
            for key in keys:
                cur.execute(f"INSERT INTO login_failures (key, at) VALUES ({p}, {p})",
                            (key, stamp))

    def login_failures(self, key: str, since: str) -> list[str]:
        p = self.db.P
        with self.db.tx(write=True) as cur:
            cur.execute(f"DELETE FROM login_failures WHERE key = {p} AND at < {p}", (key, since))
            cur.execute(f"SELECT at FROM login_failures WHERE key = {p} ORDER BY at",
                        (key,))
            return [r[0] for r in cur.fetchall()]

    def clear_login_failures(self, key: str) -> None:
        with self.db.tx(write=True) as cur:
            cur.execute(f"DELETE FROM login_failures WHERE key = {self.db.P}", (key,))

    # -- residents' proposals -----------------------------------------------------------------

    def hit(self, key: str) -> None:
        p = self.db.P
        with self.db.tx(write=True) as cur:
            cur.execute(f"INSERT INTO rate_events (key, at) VALUES ({p}, {p})", (key, now()))

    def hits(self, key: str, since: str) -> list[str]:
        p = self.db.P
        with self.db.tx(write=True) as cur:
            cur.execute(f"DELETE FROM rate_events WHERE at < {p}", (since,))
            cur.execute(f"SELECT at FROM rate_events WHERE key = {p} ORDER BY at", (key,))
            return [r[0] for r in cur.fetchall()]

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
