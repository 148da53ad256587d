"""Backups of the store while the service serves, and their restore into an empty store.

- SQLite: the online backup API copies the database in one step, inside one read
  transaction: the copy is the state of one instant, whatever the writers do meanwhile
  (in WAL mode they go on during the copy, and so do readers). The backup is itself a
  SQLite file (journal mode DELETE: one file), checked with ``PRAGMA quick_check``.
- PostGIS: ``pg_dump --format=custom`` of the service's tables (those its migrations
  create; not the PostGIS extension), which reads them in one repeatable-read transaction:
  the state of one instant too. Restored by ``pg_restore`` (to SQL, whole) then ``psql``
  in a single transaction (a failed restore leaves the store as it was).

A backup is restored only into a store of its own kind, and only into an empty one (no
collection) unless ``force``: then the store is replaced whole.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from ..errors import GeoserviceError
from ..settings import Settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
KINDS = {"sqlite": "SQLite (magasin embarqué)", "postgis": "PostGIS"}


class BackupError(GeoserviceError):
    title = "Sauvegarde impossible"
    slug = "backup"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    kind: str  # "sqlite" or "postgis"
    size: int  # bytes
    features: int | None  # live features in the copy (None: a pg_dump archive, not read)
    seconds: float


def kind_of(settings: Settings) -> str:
    return "postgis" if settings.database_url else "sqlite"


def backup(settings: Settings, target: Path) -> BackupInfo:
    """Write a consistent copy of the store named by ``settings`` to ``target`` (replaced
    only once the copy is complete)."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} est un dossier : donnez un nom de fichier")
    if not target.parent.is_dir():
        raise BackupError(f"dossier introuvable : {target.parent}")
    partial = target.with_name(f".{target.name}.partiel")
    started = time.monotonic()
    try:
        if settings.database_url:
            _pg_dump(settings.database_url, partial)
        else:
            _sqlite_backup(settings.store_path, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    seconds = time.monotonic() - started
    features = None if settings.database_url else _sqlite_features(target)
    return BackupInfo(target, kind_of(settings), target.stat().st_size, features, seconds)


def restore(settings: Settings, source: Path, force: bool = False) -> BackupInfo:
    """Restore the backup ``source`` into the store named by ``settings``: an empty one,
    or any with ``force`` (replaced whole)."""
    source = Path(source)
    kind = backup_kind(source)
    wanted = kind_of(settings)
    if kind != wanted:
        raise BackupError(
            f"{source} est une sauvegarde {KINDS[kind]}, mais le magasin configuré est "
            f"{KINDS[wanted]} : restaurez-la dans un magasin du même genre")
    started = time.monotonic()
    if kind == "postgis":
        assert settings.database_url
        _refuse_filled(_pg_collections(settings.database_url), settings, force)
        _pg_restore(settings.database_url, source)
        features = _pg_features(settings.database_url)
    else:
        _refuse_filled(_sqlite_collections(settings.store_path), settings, force)
        _sqlite_restore(source, settings.store_path)
        features = _sqlite_features(settings.store_path)
    return BackupInfo(source, kind, source.stat().st_size, features,
                      time.monotonic() - started)


def backup_kind(source: Path) -> str:
    """« sqlite » or « postgis »: what ``source`` is a backup of (else a French error)."""
    if not source.is_file():
        raise BackupError(f"fichier introuvable : {source}")
    with source.open("rb") as stream:
        head = stream.read(len(SQLITE_MAGIC))
    if head.startswith(PGDUMP_MAGIC):
        listing = _run([_pg_tool("pg_restore"), "--list", str(source)], "pg_restore")
        if not re.search(r" TABLE \S+ collections ", listing):
            raise BackupError(f"{source} est une archive pg_dump, mais pas une sauvegarde "
                              "de geoservice (aucune table collections)")
        return "postgis"
    if head == SQLITE_MAGIC:
        damaged = BackupError(f"{source} est une sauvegarde SQLite endommagée "
                              "(incomplète ?) : prenez-en une autre")
        try:
            _sqlite_count(source, "SELECT count(*) FROM schema_migrations")
            _sqlite_count(source, "SELECT count(*) FROM collections")
            db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            try:  # every page read: a cut file would be copied as it is, then fail later
                verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            if "malformed" in str(exc) or "corrupt" in str(exc):
                raise damaged from None
            raise BackupError(f"{source} est une base SQLite, mais pas une sauvegarde de "
                              "geoservice") from None
        if verdict != "ok":
            raise damaged
        return "sqlite"
    raise BackupError(f"{source} n'est pas une sauvegarde de geoservice (ni base SQLite, "
                      "ni archive pg_dump)")


def _refuse_filled(collections: int, settings: Settings, force: bool) -> None:
    if collections and not force:
        where = _redacted(settings.database_url) if settings.database_url else \
            str(settings.store_path)
        raise BackupError(
            f"le magasin {where} n'est pas vide ({collections} collection(s)) : restaurez "
            "dans un magasin vide, ou ajoutez --force pour le remplacer entièrement")


# -- SQLite ---------------------------------------------------------------------------------

_LIVE = "SELECT count(*) FROM features WHERE NOT deleted"


def _sqlite_count(path: Path, sql: str) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute(sql).fetchone()[0])
    finally:
        db.close()


def _sqlite_features(path: Path) -> int:
    return _sqlite_count(path, _LIVE)


def _sqlite_collections(path: Path) -> int:
    if not path.is_file():
        return 0
    try:
        return _sqlite_count(path, "SELECT count(*) FROM collections")
    except sqlite3.OperationalError:  # no schema yet (a new file): empty
        return 0


def _sqlite_backup(store: Path, target: Path) -> None:
    if not store.is_file():
        raise BackupError(f"aucun magasin à sauvegarder : {store} n'existe pas")
    source = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, inside one read transaction (a copy
        # made in several steps would start over at each write of another connection)
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")
        verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"la copie de {store} est endommagée ({verdict})")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"sauvegarde de {store} impossible : {exc}") from exc
    finally:
        copy.close()
        source.close()


def _sqlite_restore(source: Path, store: Path) -> None:
    store.parent.mkdir(parents=True, exist_ok=True)
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    live = sqlite3.connect(store, timeout=30)
    try:
        # the backup API writes the whole store in one write transaction: other
        # connections see the old store or the restored one, never a mix
        backup_db.backup(live, pages=-1)
        live.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"restauration dans {store} impossible : {exc}") from exc
    finally:
        live.close()
        backup_db.close()


# -- PostGIS --------------------------------------------------------------------------------

def service_tables() -> list[str]:
    """The tables the PostGIS migrations create (the service's own, in its schema)."""
    from .postgis import PostgisDatabase

    names = ["schema_migrations"]
    for statements in PostgisDatabase.MIGRATIONS.values():
        for statement in statements:
            match = re.match(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", statement)
            if match and match.group(1) not in names:
                names.append(match.group(1))
    return names


def _pg_tool(name: str) -> str:
    """``pg_dump``, ``pg_restore`` or ``psql``: from PATH, else Debian's PostgreSQL 15."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).is_file():
            return str(folder / name)
    raise BackupError(f"{name} introuvable : installez le client PostgreSQL "
                      "(paquet Debian postgresql-client-15)")


def _pg_env(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and an environment giving it in PGPASSWORD (never on
    a command line, where every user of the machine could read it)."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
        netloc = parts.netloc.replace(f":{parts.password}@", "@")
        url = urlunsplit(parts._replace(netloc=netloc))
    return url, env


def _run(command: list[str], what: str, env: dict[str, str] | None = None,
         stdin: int | None = None) -> str:
    done = subprocess.run(command, env=env, stdin=stdin, capture_output=True, text=True,
                          timeout=3600)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"code {done.returncode}"
        raise BackupError(f"{what} a échoué : {reason[:300]}")
    return done.stdout


def _pg_dump(url: str, target: Path) -> None:
    bare, env = _pg_env(url)
    present = _pg_present_tables(url)
    if "collections" not in present:
        raise BackupError(f"aucun magasin à sauvegarder dans {_redacted(url)} : la base n'a "
                          "pas de table collections")
    tables = [f"--table={name}" for name in service_tables() if name in present]
    _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          f"--file={target}", *tables, f"--dbname={bare}"], "pg_dump", env)


def _connect(url: str):  # noqa: ANN202 — psycopg, imported here only
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise BackupError(f"base PostGIS injoignable ({_redacted(url)}) : "
                          f"{str(exc).splitlines()[0] if str(exc) else exc}") from None


def _pg_present_tables(url: str) -> set[str]:
    with _connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = "
                            "current_schema()").fetchall()
    return {r[0] for r in rows}


def _pg_collections(url: str) -> int:
    if "collections" not in _pg_present_tables(url):
        return 0
    with _connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM collections").fetchone()[0])


def _pg_features(url: str) -> int:
    with _connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM features WHERE NOT deleted"
                                ).fetchone()[0])


def _pg_restore(url: str, source: Path) -> None:
    """The dump turned into SQL by pg_restore (whole, before anything is touched: a damaged
    archive stops here), then run by psql in one transaction after dropping the service's
    tables (``force``; none in an empty store) and making sure PostGIS is there: a failure
    at any statement leaves the store as it was."""
    import tempfile

    bare, env = _pg_env(url)
    drops = "; ".join(f'DROP TABLE IF EXISTS "{name}" CASCADE'
                      for name in reversed(service_tables()))
    with tempfile.TemporaryDirectory(prefix="geoservice-restore-") as folder:
        script = Path(folder) / "restore.sql"
        _run([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}",
              str(source)], "pg_restore", env)
        _run([_pg_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction",
              "--set=ON_ERROR_STOP=1", f"--dbname={bare}",
              "--command=CREATE EXTENSION IF NOT EXISTS postgis",
              f"--command={drops}", f"--file={script}"], "la restauration (psql)", env)


def _redacted(url: str | None) -> str:
    from .postgis import _redacted as redacted

    return redacted(url or "")
