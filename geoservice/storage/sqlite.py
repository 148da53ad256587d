"""The embedded default: one SQLite file in the data folder (WAL, one writer at a time).

No server to start; several processes may read it while one writes. Durability: WAL with
``synchronous=FULL``: a write acknowledged is on disk, even after ``kill -9`` or a power cut.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .accounts import SESSION_TABLES
from .base import StorageError
from .database import Cursor, SqlDatabase
from .imports import IMPORT_TABLES
from .proposals import PROPOSAL_TABLES
from .rates import RATE_TABLES
from .sql import ROW_REVISIONS, SqlStorage, history_tables

_COMMON = [
    "CREATE TABLE collections (id TEXT PRIMARY KEY, kind TEXT NOT NULL "
    "CHECK (kind IN ('reference', 'editable')), revision INTEGER NOT NULL DEFAULT 0, "
    "provenance TEXT, seeded INTEGER NOT NULL DEFAULT 0, updated_at TEXT)",
    "CREATE TABLE features (collection TEXT NOT NULL REFERENCES collections(id), "
    "fid TEXT NOT NULL, seq INTEGER NOT NULL, version INTEGER NOT NULL, "
    "properties TEXT NOT NULL, geometry BLOB, deleted INTEGER NOT NULL DEFAULT 0, "
    "updated_at TEXT NOT NULL, PRIMARY KEY (collection, fid))",
    "CREATE INDEX features_order ON features (collection, seq)",
    "CREATE TABLE reference_previous (collection TEXT NOT NULL, fid TEXT NOT NULL, "
    "seq INTEGER NOT NULL, version INTEGER NOT NULL, properties TEXT NOT NULL, "
    "geometry BLOB, PRIMARY KEY (collection, fid))",
    "CREATE TABLE collections_previous (id TEXT PRIMARY KEY, provenance TEXT)",
]


class SqliteDatabase(SqlDatabase):
    """One SQLite file: a connection per thread, one writer at a time."""

    MIGRATIONS = {1: _COMMON, 2: history_tables(json="TEXT", geometry="BLOB",
                                                serial="INTEGER PRIMARY KEY AUTOINCREMENT",
                                                big="INTEGER"), 3: SESSION_TABLES,
                  4: PROPOSAL_TABLES, 5: IMPORT_TABLES, 6: ROW_REVISIONS,
                  7: RATE_TABLES}

    def __init__(self, path: Path, create: bool = False) -> None:
        self.path = Path(path)
        self.description = str(self.path)
        if not create and not self.path.is_file():
            raise StorageError(
                f"Aucune donnée dans {self.path}. Remplissez le magasin avec : "
                "geoservice data pull --from ../shared/data (ou sans --from avec internet)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()  # one writer per process; SQLite locks across

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                     check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.execute("PRAGMA foreign_keys=ON")
            except sqlite3.DatabaseError as exc:
                raise self._damaged(exc) from exc
            self._local.db = db
        return db

    def _damaged(self, exc: Exception) -> StorageError:
        return StorageError(
            f"Magasin illisible ({self.path} : {exc}). Restaurez une sauvegarde ou "
            "reconstruisez-le avec : geoservice data pull --from ../shared/data")

    @contextmanager
    def tx(self, write: bool = False) -> Iterator[Cursor]:
        db = self._connection()
        lock = self._write_lock if write else None
        if lock:
            lock.acquire()
        try:
            cur = db.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield cur
                cur.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise StorageError(f"Magasin occupé ({self.path}) : réessayez") from exc
            raise self._damaged(exc) from exc
        finally:
            if lock:
                lock.release()

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


class SqliteStorage(SqlStorage):
    """The storage in one SQLite file (``create``: a new, empty file is allowed)."""

    def __init__(self, path: Path, create: bool = False) -> None:
        super().__init__(SqliteDatabase(path, create))
