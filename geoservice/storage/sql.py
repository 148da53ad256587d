"""What the SQLite and PostGIS adapters share: the storage composed of one part per
interface (:class:`SqlStorage`), the features part with every algorithm (read, versioned
writes, reference replacement with rollback, seeding) and the unit of work that commits
changes, a proposal's decision and an import's mark together (:class:`SqlTransaction`).
Each adapter gives only its database (:class:`~.database.SqlDatabase`): how to connect, its
placeholders, and how geometries and JSON cross the driver."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ..auth.roles import ROLES
from ..editing.entities import Decision
from .accounts import SqlAccounts
from .base import (
    Applied,
    Change,
    Changes,
    CollectionData,
    FeatureExists,
    FeatureMissing,
    Kind,
    ReferenceLoad,
    Row,
    StorageError,
    Version,
    VersionConflict,
    WriteMeta,
    check_changes,
    now,
)
from .database import Cursor, SqlDatabase
from .imports import SqlImports
from .proposals import SqlProposals
from .rates import SqlRates

SEED = WriteMeta(author="import", role="systeme", reason="semis initial de la couche")


def history_tables(json: str, geometry: str, serial: str, big: str) -> list[str]:
    """Migration 2 (both dialects): accounts, API tokens, changesets and feature history;
    the history starts with every editable feature as it is."""
    return [
        "CREATE TABLE accounts (email TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN "
        f"({', '.join(repr(r) for r in ROLES)})), password_hash TEXT, "
        "disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)",
        "CREATE TABLE tokens (id TEXT PRIMARY KEY, email TEXT NOT NULL REFERENCES "
        "accounts(email), secret_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, "
        "expires_at TEXT, revoked_at TEXT)",
        f"CREATE TABLE changesets (id {serial}, author TEXT NOT NULL, role TEXT NOT NULL, "
        "comment TEXT, created_at TEXT NOT NULL)",
        f"CREATE TABLE feature_history (collection TEXT NOT NULL, fid TEXT NOT NULL, "
        f"version {big} NOT NULL, op TEXT NOT NULL, properties {json} NOT NULL, "
        f"geometry {geometry}, author TEXT NOT NULL, role TEXT NOT NULL, reason TEXT, "
        f"changeset {big} REFERENCES changesets(id), created_at TEXT NOT NULL, "
        "PRIMARY KEY (collection, fid, version))",
        "CREATE INDEX feature_history_changeset ON feature_history (changeset)",
        "INSERT INTO feature_history (collection, fid, version, op, properties, geometry, "
        "author, role, reason, changeset, created_at) SELECT f.collection, f.fid, f.version, "
        "'seed', f.properties, f.geometry, 'import', 'systeme', "
        "'état des données au passage au schéma 2', NULL, f.updated_at FROM features f "
        "JOIN collections c ON c.id = f.collection WHERE c.kind = 'editable'",
    ]


ROW_REVISIONS = [
    # migration 6 (both dialects): the collection revision at which each row last changed,
    # so a replica reads only what changed since its snapshot (`changes`)
    "ALTER TABLE features ADD COLUMN revision BIGINT NOT NULL DEFAULT 0",
    "UPDATE features SET revision = (SELECT c.revision FROM collections c "
    "WHERE c.id = features.collection)",
    "CREATE INDEX features_revision ON features (collection, revision)",
]


class SqlFeatures:
    """The features part (:class:`~.base.FeatureStore`) on one database; its writes run
    inside a :class:`SqlTransaction`."""

    filters_in_database = False  # True: `match` evaluates CQL2 in SQL (PostGIS)

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    # -- reads --------------------------------------------------------------------------

    def revisions(self) -> dict[str, int]:
        with self.db.tx() as cur:
            self.db.require_schema(cur)
            cur.execute("SELECT id, revision FROM collections")
            return {str(i): int(r) for i, r in cur.fetchall()}

    def read(self, collection: str) -> CollectionData:
        p = self.db.P
        with self.db.tx() as cur:
            self.db.require_schema(cur)
            head = self._head(cur, collection)
            cur.execute(
                f"SELECT fid, version, properties, {self.db.geom_out()} FROM features "
                f"WHERE collection = {p} AND NOT deleted ORDER BY seq", (collection,))
            rows = [Row(fid, self.db.json_out(props), self.db.blob(geom), int(version))
                    for fid, version, props, geom in cur.fetchall()]
        provenance = self.db.json_out(head[2])
        return CollectionData(collection, head[0], int(head[1]), provenance, rows)

    def _head(self, cur: Cursor, collection: str) -> tuple[Any, Any, Any]:
        """A collection's kind, revision and provenance, read BEFORE its rows: without a
        snapshot (PostGIS reads outside a transaction) the rows may then be newer than the
        revision, never older, so a later refresh reads them again rather than keeping
        stale rows as current."""
        cur.execute(f"SELECT kind, revision, provenance FROM collections WHERE id = {self.db.P}",
                    (collection,))
        head = cur.fetchone()
        if head is None:
            raise FeatureMissing(f"Collection absente du magasin : « {collection} »")
        return head

    def get(self, collection: str, fid: str) -> Row | None:
        with self.db.tx() as cur:
            return self._get(cur, collection, fid)

    def changes(self, collection: str, since_revision: int) -> Changes:
        p = self.db.P
        with self.db.tx() as cur:
            self.db.require_schema(cur)
            head = self._head(cur, collection)
            cur.execute(
                f"SELECT fid, version, properties, {self.db.geom_out()}, deleted, seq "
                f"FROM features WHERE collection = {p} AND revision > {p} ORDER BY seq",
                (collection, since_revision))
            found = cur.fetchall()
        rows = [Row(fid, self.db.json_out(props), self.db.blob(geom), int(version), bool(gone))
                for fid, version, props, geom, gone, _ in found]
        provenance = self.db.json_out(head[2])
        return Changes(collection, head[0], int(head[1]), provenance, since_revision, rows,
                       [int(r[5]) for r in found])

    def _get(self, cur: Cursor, collection: str, fid: str, lock: str = "") -> Row | None:
        p = self.db.P
        cur.execute(f"SELECT fid, version, properties, {self.db.geom_out()}, deleted "
                    f"FROM features WHERE collection = {p} AND fid = {p}{lock}",
                    (collection, fid))
        found = cur.fetchone()
        if found is None:
            return None
        return Row(found[0], self.db.json_out(found[2]), self.db.blob(found[3]), int(found[1]),
                   bool(found[4]))

    def match(self, collection: str, where: Any) -> set[str] | None:
        return None

    # -- writes -------------------------------------------------------------------------

    def write(self, cur: Cursor, changes: list[Change], meta: WriteMeta,
              changeset: int | None, stamp: str) -> list[Applied]:
        """Inside a writing transaction (:meth:`SqlTransaction.apply`): check, version and
        record the changes, and move their collections' revisions."""
        out: list[tuple[str, str, int]] = []
        for change in changes:
            current = self._get(cur, change.collection, change.fid, self.db.LOCK_ROW)
            version = self._apply_one(cur, change, current, stamp)
            after = change if change.op in ("insert", "update") else current
            self._record(cur, change.collection, change.fid, version, change.op,
                         after.properties or {}, after.geometry, meta, changeset, stamp)
            out.append((change.collection, change.fid, version))
        revisions = self._bump(cur, {c.collection for c in changes}, stamp)
        self._mark_rows(cur, revisions, [(c, f) for c, f, _ in out])
        return [Applied(c, f, v, revisions[c], changeset) for c, f, v in out]

    def check(self, cur: Cursor, changes: list[Change]) -> None:
        """Refuse changes on reference or unknown collections, updates without a version."""
        check_changes(changes, self._kinds(cur, {c.collection for c in changes}))

    def new_changeset(self, cur: Cursor, meta: WriteMeta, stamp: str) -> int:
        """Inside a writing transaction: the changeset its changes make."""
        p = self.db.P
        cur.execute(f"INSERT INTO changesets (author, role, comment, created_at) VALUES "
                    f"({p}, {p}, {p}, {p}) RETURNING id",
                    (meta.author, meta.role, meta.comment, stamp))
        return int(cur.fetchone()[0])

    def _record(self, cur: Cursor, collection: str, fid: str, version: int, op: str,
                properties: dict, geometry: bytes | None, meta: WriteMeta,
                changeset: int | None, stamp: str) -> None:
        p = self.db.P
        cur.execute(
            "INSERT INTO feature_history (collection, fid, version, op, properties, geometry, "
            f"author, role, reason, changeset, created_at) VALUES ({p}, {p}, {p}, {p}, {p}, "
            f"{self.db.geom_in()}, {p}, {p}, {p}, {p}, {p})",
            (collection, fid, version, op, self.db.json_in(properties), geometry, meta.author,
             meta.role, meta.reason, changeset, stamp))

    def history(self, collection: str, fid: str) -> list[Version]:
        with self.db.tx() as cur:
            self.db.require_schema(cur)
            return self._versions_where(cur, "collection = {p} AND fid = {p}",
                                        (collection, fid))

    def as_of(self, collection: str, instant: str) -> CollectionData:
        p = self.db.P
        with self.db.tx() as cur:
            self.db.require_schema(cur)
            head = self._head(cur, collection)
            cur.execute(
                f"SELECT h.fid, h.version, h.properties, {self.db.geom_out('h.geometry')} "
                "FROM feature_history h JOIN (SELECT fid, MAX(version) AS version "
                f"FROM feature_history WHERE collection = {p} AND created_at <= {p} "
                "GROUP BY fid) last ON last.fid = h.fid AND last.version = h.version "
                "JOIN features f ON f.collection = h.collection AND f.fid = h.fid "
                f"WHERE h.collection = {p} AND h.op <> 'delete' ORDER BY f.seq",
                (collection, instant, collection))
            rows = [Row(fid, self.db.json_out(props), self.db.blob(geom), int(version))
                    for fid, version, props, geom in cur.fetchall()]
        return CollectionData(collection, head[0], int(head[1]), self.db.json_out(head[2]),
                              rows)

    def changeset(self, changeset: int) -> tuple[dict[str, Any], list[Version]] | None:
        p = self.db.P
        with self.db.tx() as cur:
            self.db.require_schema(cur)
            cur.execute(f"SELECT id, author, role, comment, created_at FROM changesets "
                        f"WHERE id = {p}", (changeset,))
            head = cur.fetchone()
            if head is None:
                return None
            record = dict(zip(("id", "author", "role", "comment", "created_at"), head,
                              strict=True))
            return record, self._versions_where(cur, "changeset = {p}", (changeset,))

    def _versions_where(self, cur: Cursor, where: str, params: tuple) -> list[Version]:
        cur.execute(
            "SELECT collection, fid, version, op, properties, "
            f"{self.db.geom_out()}, author, role, reason, changeset, created_at "
            f"FROM feature_history WHERE {where.format(p=self.db.P)} "
            "ORDER BY version DESC, collection, fid", params)
        return [Version(c, f, int(v), op, self.db.json_out(props), self.db.blob(g), a, r, why,
                        None if cs is None else int(cs), at)
                for c, f, v, op, props, g, a, r, why, cs, at in cur.fetchall()]

    def _kinds(self, cur: Cursor, wanted: set[str] | None = None) -> dict[str, Kind]:
        """Kind of every collection (a collection's kind never changes once created: the
        answer is kept, and asked again only for a collection it does not know)."""
        known: dict[str, Kind] = getattr(self, "_known_kinds", {})
        if wanted is not None and wanted <= known.keys():
            return known
        cur.execute("SELECT id, kind FROM collections")
        self._known_kinds = {str(i): k for i, k in cur.fetchall()}
        return self._known_kinds

    def _apply_one(self, cur: Cursor, change: Change, current: Row | None, stamp: str) -> int:
        p = self.db.P
        where = f"WHERE collection = {p} AND fid = {p}"
        key = (change.collection, change.fid)
        label = f"{change.collection}/{change.fid}"
        if change.op == "insert":
            if current is not None:
                raise FeatureExists(f"L'objet {label} existe déjà")
            cur.execute(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM features WHERE collection = {p}",
                        (change.collection,))
            seq = int(cur.fetchone()[0])
            cur.execute(
                "INSERT INTO features (collection, fid, seq, version, properties, geometry, "
                f"deleted, updated_at) VALUES ({p}, {p}, {p}, 1, {p}, {self.db.geom_in()}, "
                f"{self.db.FALSE}, {p})",
                (*key, seq, self.db.json_in(change.properties or {}), change.geometry, stamp))
            return 1
        if current is None:
            raise FeatureMissing(f"Aucun objet {label}")
        if change.expected_version != current.version:
            raise VersionConflict(
                f"{label} a changé : version {current.version}, pas "
                f"{change.expected_version}", current)
        if change.op == "update" and current.deleted:
            raise FeatureMissing(f"L'objet {label} est supprimé")
        version = current.version + 1
        if change.op == "update":
            cur.execute(f"UPDATE features SET version = {p}, properties = {p}, "
                        f"geometry = {self.db.geom_in()}, updated_at = {p} {where}",
                        (version, self.db.json_in(change.properties or {}), change.geometry,
                         stamp, *key))
        else:  # delete (soft) or restore
            deleted = self.db.TRUE if change.op == "delete" else self.db.FALSE
            cur.execute(f"UPDATE features SET version = {p}, deleted = {deleted}, "
                        f"updated_at = {p} {where}", (version, stamp, *key))
        return version

    def _mark_rows(self, cur: Cursor, revisions: dict[str, int],
                   rows: list[tuple[str, str]] | None = None) -> None:
        """Stamp rows with the revision that changed them: the given (collection, fid), or
        every row of each collection (a load, a rollback). Called after :meth:`_bump`,
        whose row lock on the collection orders writers, so the stamps follow commits."""
        p = self.db.P
        if rows is None:
            for collection, revision in revisions.items():
                cur.execute(f"UPDATE features SET revision = {p} WHERE collection = {p}",
                            (revision, collection))
        elif rows:
            self.db.executemany(
                cur, f"UPDATE features SET revision = {p} WHERE collection = {p} AND fid = {p}",
                [(revisions[c], c, f) for c, f in rows])

    def _bump(self, cur: Cursor, collections: Iterable[str], stamp: str) -> dict[str, int]:
        p = self.db.P
        out = {}
        for collection in sorted(collections):
            cur.execute(f"UPDATE collections SET revision = revision + 1, updated_at = {p} "
                        f"WHERE id = {p} RETURNING revision", (stamp, collection))
            out[collection] = int(cur.fetchone()[0])
        return out

    # -- pull ---------------------------------------------------------------------------

    def load(self, load: ReferenceLoad) -> dict[str, int]:
        p = self.db.P
        stamp = now()
        with self.db.tx(write=True) as cur:
            kinds = self._kinds(cur)
            changed: set[str] = set()
            for collection, rows in load.reference.items():
                if kinds.get(collection, "reference") != "reference":
                    raise StorageError(f"{collection} n'est pas une couche de référence")
                existed = collection in kinds
                self._ensure(cur, collection, "reference", kinds)
                # keep the previous content for `data rollback` (none on a first pull)
                cur.execute(f"DELETE FROM reference_previous WHERE collection = {p}",
                            (collection,))
                cur.execute(f"DELETE FROM collections_previous WHERE id = {p}", (collection,))
                if existed:
                    cur.execute("INSERT INTO reference_previous (collection, fid, seq, "
                                "version, properties, geometry) SELECT collection, fid, seq, "
                                "version, properties, geometry FROM features WHERE "
                                f"collection = {p}", (collection,))
                    cur.execute("INSERT INTO collections_previous (id, provenance) "
                                f"SELECT id, provenance FROM collections WHERE id = {p}",
                                (collection,))
                versions = self._versions(cur, collection)
                cur.execute(f"DELETE FROM features WHERE collection = {p}", (collection,))
                self._insert_rows(cur, collection, rows, versions, stamp)
                self._set_provenance(cur, collection, load.provenance.get(collection))
                changed.add(collection)
            for collection, rows in load.editable.items():
                if kinds.get(collection, "editable") != "editable":
                    raise StorageError(f"{collection} n'est pas une couche modifiable")
                self._ensure(cur, collection, "editable", kinds)
                cur.execute(f"SELECT seeded FROM collections WHERE id = {p}", (collection,))
                if int(cur.fetchone()[0]):
                    continue  # editable layers are seeded once, then only edited
                cur.execute(f"SELECT COUNT(*) FROM features WHERE collection = {p}",
                            (collection,))
                if int(cur.fetchone()[0]) == 0:
                    self._insert_rows(cur, collection, rows, {}, stamp)
                    for row in rows:
                        self._record(cur, collection, row.fid, 1, "seed", row.properties,
                                     row.geometry, SEED, None, stamp)
                cur.execute(f"UPDATE collections SET seeded = 1 WHERE id = {p}", (collection,))
                self._set_provenance(cur, collection, load.provenance.get(collection))
                changed.add(collection)
            revisions = self._bump(cur, changed, stamp)
            self._mark_rows(cur, revisions)
            self.db.after_commit(cur, revisions)
        return revisions

    def rollback(self) -> dict[str, int]:
        stamp = now()
        with self.db.tx(write=True) as cur:
            self.db.require_schema(cur)
            cur.execute("SELECT DISTINCT id FROM collections_previous")
            collections = [r[0] for r in cur.fetchall()]
            if not collections:
                raise StorageError("Aucun import précédent à restaurer")
            for collection in collections:
                self._swap_previous(cur, collection, stamp)
            revisions = self._bump(cur, collections, stamp)
            self._mark_rows(cur, revisions)
            self.db.after_commit(cur, revisions)
        return revisions

    def _swap_previous(self, cur: Cursor, collection: str, stamp: str) -> None:
        """Exchange a reference collection's content and provenance with the previous ones
        (in memory: reference layers hold a few thousand features at most)."""
        p = self.db.P
        select = f"SELECT fid, seq, version, properties, {self.db.geom_out()} FROM "
        cur.execute(select + f"features WHERE collection = {p} ORDER BY seq", (collection,))
        current = cur.fetchall()
        cur.execute(select + f"reference_previous WHERE collection = {p} ORDER BY seq",
                    (collection,))
        previous = cur.fetchall()
        for table in ("features", "reference_previous"):
            cur.execute(f"DELETE FROM {table} WHERE collection = {p}", (collection,))
        if previous:
            self.db.executemany(
                cur, "INSERT INTO features (collection, fid, seq, version, properties, "
                f"geometry, deleted, updated_at) VALUES ({p}, {p}, {p}, {p}, {p}, "
                f"{self.db.geom_in()}, {self.db.FALSE}, {p})",
                [(collection, fid, seq, version, self.db.json_in(self.db.json_out(props)),
                  self.db.blob(geom), stamp) for fid, seq, version, props, geom in previous])
        if current:
            self.db.executemany(
                cur, "INSERT INTO reference_previous (collection, fid, seq, version, "
                f"properties, geometry) VALUES ({p}, {p}, {p}, {p}, {p}, {self.db.geom_in()})",
                [(collection, fid, seq, version, self.db.json_in(self.db.json_out(props)),
                  self.db.blob(geom)) for fid, seq, version, props, geom in current])
        cur.execute(f"SELECT provenance FROM collections_previous WHERE id = {p}", (collection,))
        before = cur.fetchone()[0]
        cur.execute(f"SELECT provenance FROM collections WHERE id = {p}", (collection,))
        now_record = cur.fetchone()[0]
        cur.execute(f"UPDATE collections SET provenance = {p} WHERE id = {p}",
                    (self._json_copy(before), collection))
        cur.execute(f"UPDATE collections_previous SET provenance = {p} WHERE id = {p}",
                    (self._json_copy(now_record), collection))

    def _json_copy(self, value: Any) -> Any:
        return None if value is None else self.db.json_in(self.db.json_out(value))

    def provenance(self) -> dict[str, dict]:
        with self.db.tx() as cur:
            self.db.require_schema(cur)
            cur.execute("SELECT id, provenance FROM collections")
            return {i: self.db.json_out(v) for i, v in cur.fetchall()}

    def _ensure(self, cur: Cursor, collection: str, kind: Kind, kinds: dict[str, Kind]) -> None:
        if collection not in kinds:
            p = self.db.P
            cur.execute(f"INSERT INTO collections (id, kind, revision, seeded, updated_at) "
                        f"VALUES ({p}, {p}, 0, 0, {p})", (collection, kind, now()))
            kinds[collection] = kind

    def _set_provenance(self, cur: Cursor, collection: str, record: dict | None) -> None:
        if record is not None:
            cur.execute(f"UPDATE collections SET provenance = {self.db.P} WHERE id = {self.db.P}",
                        (self.db.json_in(record), collection))

    def _versions(self, cur: Cursor, collection: str) -> dict[str, tuple[int, Any, Any]]:
        cur.execute(f"SELECT fid, version, properties, {self.db.geom_out()} FROM features "
                    f"WHERE collection = {self.db.P}", (collection,))
        return {fid: (int(v), self.db.json_out(props), self.db.blob(g))
                for fid, v, props, g in cur.fetchall()}

    def _insert_rows(self, cur: Cursor, collection: str, rows: list[Row],
                     previous: dict[str, tuple[int, Any, Any]], stamp: str) -> None:
        p = self.db.P
        values = []
        for seq, row in enumerate(rows, start=1):
            version = 1
            if row.fid in previous:  # unchanged features keep their version
                old_version, old_props, old_geom = previous[row.fid]
                same = old_props == row.properties and old_geom == row.geometry
                version = old_version if same else old_version + 1
            values.append((collection, row.fid, seq, version, self.db.json_in(row.properties),
                           row.geometry, stamp))
        if values:
            self.db.executemany(
                cur, "INSERT INTO features (collection, fid, seq, version, properties, "
                f"geometry, deleted, updated_at) VALUES ({p}, {p}, {p}, {p}, {p}, "
                f"{self.db.geom_in()}, {self.db.FALSE}, {p})", values)



class SqlTransaction:
    """The unit of work (:class:`~.base.UnitOfWork`) on one writing transaction: changes,
    a proposal's decision and an import's mark commit together. The decision and the mark
    claim their record at once (:class:`~geoservice.errors.Conflict` when it is claimed
    already, before anything else is written when called first); what the transaction
    applied (changeset, first feature) is attached to them when it ends."""

    def __init__(self, db: SqlDatabase, cur: Cursor, features: SqlFeatures,
                 proposals: SqlProposals, imports: SqlImports) -> None:
        self.db, self.cur = db, cur
        self.features, self.proposals, self.imports = features, proposals, imports
        self.stamp = now()
        self.changeset: int | None = None
        self.applied: list[Applied] = []
        self.decided: list[Decision] = []
        self.marked: list[str] = []

    def apply(self, changes: Iterable[Change], meta: WriteMeta | None = None) -> list[Applied]:
        changes = list(changes)
        if not changes:
            return []
        meta = meta or WriteMeta()
        self.features.check(self.cur, changes)
        if self.changeset is None:  # one changeset per transaction
            self.changeset = self.features.new_changeset(self.cur, meta, self.stamp)
        applied = self.features.write(self.cur, changes, meta, self.changeset, self.stamp)
        self.applied.extend(applied)
        return applied

    def decide(self, decision: Decision) -> None:
        self.proposals.claim(self.cur, decision, self.stamp)
        self.decided.append(decision)

    def mark_import_applied(self, import_id: str, record: dict[str, Any] | None = None
                            ) -> None:
        self.imports.claim(self.cur, import_id, self.stamp, record)
        self.marked.append(import_id)

    def retarget_proposals(self, collection: str, old: str, new: str, version: int) -> int:
        return self.proposals.retarget(self.cur, collection, old, new, version)

    def finish(self) -> None:
        """Attach what was applied to the decisions and marks; tell the replicas (the last
        statements before commit)."""
        first = self.applied[0] if self.applied else None
        for decision in self.decided:
            if first is not None:
                self.proposals.record_result(self.cur, decision.proposal, first.fid,
                                             first.version, self.changeset)
        for import_id in self.marked:
            if self.changeset is not None:
                self.imports.record_changeset(self.cur, import_id, self.changeset)
        revisions: dict[str, int] = {}
        for done in self.applied:
            revisions[done.collection] = max(done.revision,
                                             revisions.get(done.collection, 0))
        if revisions:
            self.db.after_commit(self.cur, revisions)


class SqlStorage:
    """The storage (:class:`~.base.Storage`) on one SQL database, composed of one part per
    interface, each readable alone: ``features``, ``accounts``, ``proposals``,
    ``imports``, ``rates``. Only the unit of work (:meth:`transaction`) spans parts."""

    def __init__(self, db: SqlDatabase, features: SqlFeatures | None = None) -> None:
        self.db = db
        self.description = db.description
        self.features = features or SqlFeatures(db)
        self.accounts = SqlAccounts(db)
        self.proposals = SqlProposals(db)
        self.imports = SqlImports(db)
        self.rates = SqlRates(db)

    def connections(self) -> dict[str, int]:
        return self.db.stats()

    def upgrade(self) -> list[int]:
        db = self.db
        done: list[int] = []
        with db.tx(write=True) as cur:
            db.lock_schema(cur)
            cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                        "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            applied = db.applied(cur)
            for number in sorted(db.MIGRATIONS):
                if number in applied:
                    continue
                for statement in db.MIGRATIONS[number]:
                    cur.execute(statement)
                cur.execute(f"INSERT INTO schema_migrations VALUES ({db.P}, {db.P})",
                            (number, now()))
                done.append(number)
        return done

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self.db.tx(write=True) as cur:
            self.db.require_schema(cur)
            tx = SqlTransaction(self.db, cur, self.features, self.proposals, self.imports)
            yield tx
            tx.finish()

    def apply(self, changes: Iterable[Change], meta: WriteMeta | None = None) -> list[Applied]:
        changes = list(changes)
        if not changes:
            return []
        with self.transaction() as tx:
            return tx.apply(changes, meta)

    def close(self) -> None:
        self.db.close()
