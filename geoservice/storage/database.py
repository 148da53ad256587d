"""One SQL database and its dialect: what every part of the SQL storage (features,
accounts, proposals, imports, rate events) needs to run its statements. The SQLite and
PostGIS adapters each give one (:mod:`.sqlite`, :mod:`.postgis`): how to connect, the
placeholder, how geometries and JSON cross the driver, and the migrations."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any

from .base import StorageError

Cursor = Any


class SqlDatabase:
    """A connection (or pool) and its dialect. Subclasses give :meth:`tx` and, when they
    differ, the hooks below."""

    P = "?"
    """The driver's placeholder."""
    MIGRATIONS: dict[int, list[str]] = {}
    TRUE, FALSE = "1", "0"  # boolean literals of the dialect
    ROW_ID = "rowid"  # the dialect's hidden row identifier (PostGIS: ctid)
    LOCK_ROW = ""  # appended to the read of a row about to change (PostGIS: FOR UPDATE)
    description = "sql"

    def tx(self, write: bool = False) -> AbstractContextManager[Cursor]:
        """A cursor in a transaction (``write``: the writing one; committed at the end of
        the ``with`` block, rolled back on an exception)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def stats(self) -> dict[str, int]:
        """The connection pool's use (none for one embedded file)."""
        return {}

    # -- how values cross the driver --------------------------------------------------------

    def geom_in(self) -> str:
        return self.P

    def geom_out(self, column: str = "geometry") -> str:
        return column

    def json_in(self, value: dict) -> Any:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def json_out(self, value: Any) -> dict:
        return json.loads(value) if isinstance(value, str | bytes) else dict(value or {})

    def blob(self, value: Any) -> bytes | None:
        return None if value is None else bytes(value)

    def executemany(self, cur: Cursor, sql: str, values: list[tuple]) -> None:
        cur.executemany(sql, values)

    # -- transactions and schema ------------------------------------------------------------

    def lock_schema(self, cur: Cursor) -> None:
        """Held until the migrating transaction ends (SQLite: its write lock is enough)."""

    def lock_key(self, cur: Cursor, lock_id: int) -> None:
        """Held until the writing transaction ends, by one transaction at a time (SQLite:
        its write lock already serialises writers)."""

    def after_commit(self, cur: Cursor, revisions: dict[str, int]) -> None:
        """Called inside the writing transaction, just before commit (PostGIS notifies)."""

    def applied(self, cur: Cursor) -> set[int]:
        """The migrations applied (none: no schema yet)."""
        try:
            cur.execute("SELECT version FROM schema_migrations")
        except Exception:  # noqa: BLE001 — no table yet: nothing applied
            return set()
        return {int(r[0]) for r in cur.fetchall()}

    def require_schema(self, cur: Cursor) -> None:
        if getattr(self, "_schema_seen", False):  # a schema is never removed once there
            return
        if self.applied(cur):
            self._schema_seen = True
            return
        raise StorageError(
                f"Magasin vide ou non initialisé ({self.description}). Remplissez-le avec : "
                "geoservice data pull --from ../shared/data (ou sans --from avec internet)")
