"""The imports part (:class:`~.base.ImportStore`): editors' CSV imports, kept in the store
while an editor reviews them (every replica sees the same import), and the column mapping
remembered per source (SQL shared by both adapters). An import is applied once, as one
changeset, by :mod:`geoservice.imports`: its changes and its « applied » mark are one unit
of work (:meth:`SqlImports.claim`, called by :class:`~.sql.SqlTransaction`)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from ..errors import Conflict
from .base import now
from .database import Cursor, SqlDatabase

IMPORT_TABLES = [
    "CREATE TABLE imports (id TEXT PRIMARY KEY, layer TEXT NOT NULL, source_name TEXT NOT NULL, "
    "author TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
    "status TEXT NOT NULL CHECK (status IN ('draft', 'applied')), payload TEXT NOT NULL, "
    "changeset INTEGER)",
    "CREATE TABLE import_mappings (key TEXT PRIMARY KEY, mapping TEXT NOT NULL, "
    "updated_at TEXT NOT NULL)",
]
"""Migration 5 (same SQL in both dialects)."""

_COLUMNS = "id, layer, source_name, author, created_at, updated_at, status, payload, changeset"


def _stamp(stamp: str | None = None) -> str:
    """``updated_at``: the time, and a random tag so that two writes in the same
    millisecond differ (an apply compares it with the one it read)."""
    return f"{stamp or now()} {secrets.token_hex(4)}"


def _record(row: tuple) -> dict[str, Any]:
    out = dict(zip(_COLUMNS.split(", "), row, strict=True))
    out["payload"] = json.loads(out["payload"])
    return out


class SqlImports:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def put_import(self, record: dict[str, Any]) -> None:
        """Create or replace an import (its payload holds the rows and decisions)."""
        p = self.db.P
        payload = json.dumps(record["payload"], ensure_ascii=False)
        with self.db.tx(write=True) as cur:
            cur.execute(f"DELETE FROM imports WHERE id = {p}", (record["id"],))
            cur.execute(f"INSERT INTO imports ({_COLUMNS}) VALUES ({', '.join([p] * 9)})",
                        (record["id"], record["layer"], record["source_name"],
                         record["author"], record["created_at"], _stamp(), record["status"],
                         payload, record.get("changeset")))

    def get_import(self, import_id: str) -> dict[str, Any] | None:
        with self.db.tx() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM imports WHERE id = {self.db.P}", (import_id,))
            row = cur.fetchone()
        return None if row is None else _record(row)

    def claim(self, cur: Cursor, import_id: str, stamp: str,
              record: dict[str, Any] | None = None) -> None:
        """Inside the writing transaction that applies the import: draft → applied, once
        (a concurrent claim waits for this transaction, then finds it applied). With
        ``record``: its status and payload, if the stored import is still the one read
        (same ``updated_at``: a concurrent apply or decision makes this one fail)."""
        p = self.db.P
        if record is None:
            cur.execute(f"UPDATE imports SET status = 'applied', updated_at = {p} "
                        f"WHERE id = {p} AND status = 'draft'", (_stamp(stamp), import_id))
        else:
            cur.execute(f"UPDATE imports SET status = {p}, payload = {p}, updated_at = {p} "
                        f"WHERE id = {p} AND status = 'draft' AND updated_at = {p}",
                        (record["status"], json.dumps(record["payload"], ensure_ascii=False),
                         _stamp(stamp), import_id, record["updated_at"]))
        if int(cur.rowcount or 0) != 1:
            raise Conflict(f"L'import {import_id} a déjà été appliqué, ou vient de changer : "
                           "rechargez-le")

    def record_changeset(self, cur: Cursor, import_id: str, changeset: int) -> None:
        """Inside the same transaction: the changeset the import made."""
        p = self.db.P
        cur.execute(f"UPDATE imports SET changeset = {p} WHERE id = {p}",
                    (changeset, import_id))

    def saved_mapping(self, key: str) -> dict[str, str] | None:
        with self.db.tx() as cur:
            cur.execute(f"SELECT mapping FROM import_mappings WHERE key = {self.db.P}", (key,))
            row = cur.fetchone()
        return None if row is None else json.loads(row[0])

    def save_mapping(self, key: str, mapping: dict[str, str]) -> None:
        p = self.db.P
        with self.db.tx(write=True) as cur:
            cur.execute(f"DELETE FROM import_mappings WHERE key = {p}", (key,))
            cur.execute(f"INSERT INTO import_mappings (key, mapping, updated_at) VALUES "
                        f"({p}, {p}, {p})", (key, json.dumps(mapping, ensure_ascii=False),
                                             now()))
