"""PostGIS: for several stateless API replicas on one database
(``GEOSERVICE_DATABASE_URL=postgresql://…``).

Same schema and algorithms as the embedded store (:mod:`.sql`); geometries are PostGIS
``geometry(Geometry, 4326)`` with a GiST index, properties ``jsonb``. Each committed change
sends ``NOTIFY geoservice`` with the new revisions; replicas also compare revisions, which
costs one indexed query. CQL2 filters are evaluated by the database (:mod:`.cql2sql`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import StoreUnavailable
from .accounts import SESSION_TABLES
from .base import StorageError
from .database import Cursor, SqlDatabase
from .imports import IMPORT_TABLES
from .pg_errors import connection_reason, url_problem
from .proposals import PROPOSAL_TABLES
from .rates import RATE_TABLES
from .sql import ROW_REVISIONS, SqlFeatures, SqlStorage, history_tables

CHANNEL = "geoservice"
log = logging.getLogger("geoservice.storage")
RATE_LOCKS = 7243  # the advisory locks' first key for rate limits (the second: the key's)

_SCHEMA = [
    "CREATE EXTENSION IF NOT EXISTS postgis",
    "CREATE TABLE collections (id TEXT PRIMARY KEY, kind TEXT NOT NULL "
    "CHECK (kind IN ('reference', 'editable')), revision BIGINT NOT NULL DEFAULT 0, "
    "provenance JSONB, seeded INTEGER NOT NULL DEFAULT 0, updated_at TEXT)",
    "CREATE TABLE features (collection TEXT NOT NULL REFERENCES collections(id), "
    "fid TEXT NOT NULL, seq BIGINT NOT NULL, version BIGINT NOT NULL, "
    "properties JSONB NOT NULL, geometry geometry(Geometry, 4326), "
    "deleted BOOLEAN NOT NULL DEFAULT FALSE, updated_at TEXT NOT NULL, "
    "PRIMARY KEY (collection, fid))",
    "CREATE INDEX features_order ON features (collection, seq)",
    "CREATE INDEX features_geometry ON features USING gist (geometry)",
    "CREATE TABLE reference_previous (collection TEXT NOT NULL, fid TEXT NOT NULL, "
    "seq BIGINT NOT NULL, version BIGINT NOT NULL, properties JSONB NOT NULL, "
    "geometry geometry(Geometry, 4326), PRIMARY KEY (collection, fid))",
    "CREATE TABLE collections_previous (id TEXT PRIMARY KEY, provenance JSONB)",
]


def _why(url: str, timeout: float) -> str:
    """Why no connection came within ``timeout``: one direct attempt, its reason in French."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=max(2, math.ceil(timeout))).close()
    except Exception as exc:  # noqa: BLE001 — OperationalError and its kin
        return connection_reason(exc)
    return f"aucune connexion en {timeout:g} s"


class PostgisDatabase(SqlDatabase):
    """A pool of connections to one PostgreSQL + PostGIS database.

    Outages: a statement waits at most ``timeout`` seconds for a connection (half a second
    once the database is known to be down), then raises :class:`StoreUnavailable` (503
    with Retry-After); the pool keeps trying to reconnect on its own, so the first
    statement after the database returns works again. The state changes are logged once
    each (French), never a traceback per attempt.
    """

    P = "%s"
    MIGRATIONS = {1: _SCHEMA, 2: history_tables(
        json="JSONB", geometry="geometry(Geometry, 4326)",
        serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", big="BIGINT"), 3: SESSION_TABLES,
                  4: PROPOSAL_TABLES, 5: IMPORT_TABLES, 6: ROW_REVISIONS,
                  7: RATE_TABLES}
    TRUE, FALSE = "TRUE", "FALSE"
    LOCK_ROW = " FOR UPDATE"
    DOWN_WAIT = 0.5
    """Seconds a statement waits for a connection once the database is known to be down."""
    ROW_ID = "ctid"

    def __init__(self, url: str, pool_size: int = 8, timeout: float = 2.0) -> None:
        try:
            import psycopg  # noqa: F401
            from psycopg_pool import ConnectionPool
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise StorageError("psycopg n'est pas installé (pip install 'psycopg[binary]')"
                               ) from exc
        # the pool's own messages (one per failed attempt, in English) are not ours to
        # print: the state changes are logged once each below
        logging.getLogger("psycopg.pool").setLevel(logging.CRITICAL)
        self.url = url
        self.description = _redacted(url)
        self.timeout = timeout
        self.down_since: float | None = None
        """When this process last found the database unreachable (None: it answers)."""
        self._state = threading.Lock()
        problem = url_problem(url)
        if problem is not None:
            raise StorageError(f"GEOSERVICE_DATABASE_URL ({self.description}) : {problem}")
        try:
            # a broken connection (left by an outage) is checked and replaced before use;
            # a failed reconnection gives up after ``timeout`` so that the next request
            # tries again at once (the default backoff waits minutes after a long outage)
            self.pool = ConnectionPool(
                url, min_size=1, max_size=pool_size, open=True, timeout=timeout,
                reconnect_timeout=max(timeout, 1.0), check=ConnectionPool.check_connection,
                kwargs={"autocommit": True, "connect_timeout": max(2, math.ceil(timeout))})
            self.pool.wait(timeout=timeout)
        except Exception as exc:  # noqa: BLE001 — PoolTimeout, OperationalError…
            with contextlib.suppress(Exception):
                self.pool.close(timeout=0)
            raise StoreUnavailable(
                f"base de données PostGIS injoignable ({self.description}) : "
                f"{_why(url, timeout)}. Vérifiez qu'elle tourne et son adresse (geoservice "
                "serve --wait-db SECONDES l'attend au démarrage)") from exc

    @property
    def up(self) -> bool:
        """Whether the last statement found the database answering."""
        return self.down_since is None

    def _lost(self, exc: BaseException) -> StoreUnavailable:
        with self._state:
            first = self.down_since is None
            if first:
                self.down_since = time.monotonic()
        if first:
            from psycopg_pool import PoolTimeout

            reason = ("aucune connexion obtenue à temps" if isinstance(exc, PoolTimeout)
                      else str(exc).splitlines()[0][:200] if str(exc)
                      else type(exc).__name__)
            log.error("base de données injoignable (%s : %s) : écritures, connexions et "
                      "lectures de la base répondent 503 ; la carte et l'API servent "
                      "l'instantané en mémoire", self.description, reason)
        return StoreUnavailable(
            f"La base de données ne répond pas : réessayez dans "
            f"{StoreUnavailable.RETRY_AFTER} s. Les lectures de la carte et de l'API "
            "continuent.")

    def _back(self) -> None:
        with self._state:
            since, self.down_since = self.down_since, None
        if since is not None:
            log.warning("base de données de retour après %.1f s d'absence : écritures et "
                        "connexions reprennent", time.monotonic() - since)

    def stats(self) -> dict[str, int]:
        """The pool's use now: connections open, idle, and requests waiting for one."""
        stats = self.pool.get_stats()
        return {"size": stats.get("pool_size", 0), "idle": stats.get("pool_available", 0),
                "waiting": stats.get("requests_waiting", 0),
                "max": self.pool.max_size, "up": int(self.up)}

    # -- hooks ---------------------------------------------------------------------------

    @contextmanager
    def tx(self, write: bool = False) -> Iterator[Cursor]:
        import psycopg
        from psycopg_pool import PoolTimeout

        wait = self.timeout if self.up else min(self.timeout, self.DOWN_WAIT)
        try:
            with self.pool.connection(timeout=wait) as conn:
                if write:  # BEGIN … COMMIT (or ROLLBACK on error)
                    with conn.transaction(), conn.cursor() as cur:
                        yield cur
                else:  # reads: each statement on its own, one round trip (no BEGIN/COMMIT)
                    with conn.cursor() as cur:
                        yield cur
        except psycopg.errors.SerializationFailure as exc:  # pragma: no cover
            raise StorageError("Conflit d'écriture concurrente : réessayez") from exc
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise self._lost(exc) from exc
        if not self.up:
            self._back()

    def geom_in(self) -> str:
        return "ST_GeomFromWKB(%s, 4326)"

    def geom_out(self, column: str = "geometry") -> str:
        return f"ST_AsBinary({column})"

    def json_in(self, value: dict) -> Any:
        from psycopg.types.json import Jsonb

        return Jsonb(value)

    def applied(self, cur: Cursor) -> set[int]:
        cur.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not cur.fetchone()[0]:
            return set()
        cur.execute("SELECT version FROM schema_migrations")
        return {int(r[0]) for r in cur.fetchall()}

    def after_commit(self, cur: Cursor, revisions: dict[str, int]) -> None:
        import json

        cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps(revisions)))

    def lock_key(self, cur: Cursor, lock_id: int) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (RATE_LOCKS, lock_id - 2**31))

    def lock_schema(self, cur: Cursor) -> None:
        # one migrator at a time across replicas, until the migrating transaction ends
        cur.execute("SELECT pg_advisory_xact_lock(7243100518)")

    def close(self) -> None:
        self.pool.close()


class PostgisFeatures(SqlFeatures):
    """The features part, with CQL2 filters evaluated by PostgreSQL (:mod:`.cql2sql`)."""

    filters_in_database = True

    def match(self, collection: str, where: Any) -> set[str] | None:
        """Ids of the live features of ``collection`` for which the compiled CQL2
        ``where`` (SQL text, parameters) holds, evaluated by PostgreSQL;
        ``None`` while the database is away: the caller evaluates the filter on its
        snapshot instead (same answers), without waiting for the database."""
        if not self.db.up:
            return None
        sql, params = where
        try:
            with self.db.tx() as cur:
                cur.execute(f"SELECT fid FROM features WHERE collection = %s AND NOT deleted "
                            f"AND ({sql})", (collection, *params))
                return {r[0] for r in cur.fetchall()}
        except StoreUnavailable:
            return None


class PostgisStorage(SqlStorage):
    """The storage in one PostGIS database, shared by every replica."""

    def __init__(self, url: str, pool_size: int = 8, timeout: float = 2.0) -> None:
        db = PostgisDatabase(url, pool_size, timeout)
        super().__init__(db, PostgisFeatures(db))


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
