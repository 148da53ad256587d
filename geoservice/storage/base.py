"""The storage interfaces (the truth): what both adapters, embedded SQLite and PostGIS,
promise, one narrow interface per part (features, accounts, proposals, imports, rate
events) and a unit of work across them. One contract test suite (``tests/storage``) runs
against both.

Vocabulary
----------
- a *collection* is one layer; its ``kind`` is ``reference`` (replaced as a whole by
  ``data pull``) or ``editable`` (changed feature by feature; seeded once).
- every feature has a ``version`` (1 when created, +1 on each committed change);
- every collection has a ``revision`` that moves on each committed change to it, so a
  replica learns that it must rebuild its snapshot by comparing revisions.

Storage never imports the analysis, the API or pandas: rows in, rows out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ..errors import (
    Conflict,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
)

if TYPE_CHECKING:  # domain entities (plain data); storage adapters import them at run time
    from ..auth.entities import Account, Session, Token
    from ..editing.entities import Decision, Proposal

Kind = Literal["reference", "editable"]
Op = Literal["insert", "update", "delete", "restore"]


def stamp(moment: datetime) -> str:
    """A timestamp as the store writes it: ISO 8601, milliseconds (sortable as text)."""
    return moment.isoformat(timespec="milliseconds")


def now() -> str:
    """The current time as the store writes it (UTC)."""
    return stamp(datetime.now(UTC))


@dataclass(frozen=True)
class Row:
    """One feature as stored: id, version, JSON-ready properties, WKB geometry (or None)."""

    fid: str
    properties: dict[str, Any]
    geometry: bytes | None
    version: int = 1
    deleted: bool = False


@dataclass(frozen=True)
class CollectionData:
    """Every live feature of a collection, in storage order, at one revision."""

    id: str
    kind: Kind
    revision: int
    provenance: dict[str, Any]
    rows: list[Row]


@dataclass(frozen=True)
class Changes:
    """What changed in a collection after a revision (:meth:`FeatureStore.changes`): its
    current revision, kind and provenance, and every row changed after ``since``, deleted
    ones flagged ``deleted=True``, in storage order with their position key ``seqs``
    (aligned with ``rows``). ``since=0`` gives every row, deleted ones included."""

    id: str
    kind: Kind
    revision: int
    provenance: dict[str, Any]
    since: int
    rows: list[Row]
    seqs: list[int]


@dataclass(frozen=True)
class Change:
    """One feature change; ``expected_version`` is required except for ``insert``."""

    op: Op
    collection: str
    fid: str
    properties: dict[str, Any] | None = None
    geometry: bytes | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class Applied:
    collection: str
    fid: str
    version: int
    revision: int
    changeset: int | None = None


@dataclass(frozen=True)
class WriteMeta:
    """Who writes and why: recorded with every version the transaction makes (history)."""

    author: str = "systeme"
    role: str = "systeme"
    reason: str | None = None
    comment: str | None = None
    """Changeset comment (one changeset per transaction)."""


@dataclass(frozen=True)
class Version:
    """One version of a feature, as the history keeps it (every version, newest first)."""

    collection: str
    fid: str
    version: int
    op: str
    properties: dict[str, Any]
    geometry: bytes | None
    author: str
    role: str
    reason: str | None
    changeset: int | None
    created_at: str


@dataclass
class ReferenceLoad:
    """What ``data pull`` hands to the store: reference layers to replace, editable layers
    to seed if never seeded."""

    reference: dict[str, list[Row]] = field(default_factory=dict)
    editable: dict[str, list[Row]] = field(default_factory=dict)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)


class StorageError(ServiceUnavailable):
    """The store cannot be opened or used (damaged file, unreachable database…)."""


class VersionConflict(PreconditionFailed):
    """The feature changed since the version the writer read (If-Match is stale)."""

    def __init__(self, detail: str, current: Row | None = None) -> None:
        super().__init__(detail)
        self.current = current


class FeatureMissing(NotFound):
    """No such feature (or no such collection) in the store."""


class FeatureExists(Conflict):
    """An insert whose id is already taken."""


class ReadOnlyCollection(MethodNotAllowed):
    """A feature write on a reference collection."""


# -- the interfaces: one per part of the storage, and the storage that composes them -------
#
# Each part is used alone: a function that needs accounts takes an AccountStore
# (``storage.accounts``), not the whole storage. Writes that must commit together (changes,
# a proposal's decision, an import's mark) go through one unit of work,
# ``with storage.transaction() as tx: …``.


class FeatureStore(Protocol):
    """The features of every collection: reads, history, reference loads. Feature writes go
    through a unit of work (:meth:`Storage.transaction`)."""

    filters_in_database: bool
    """True when :meth:`match` evaluates CQL2 filters in the database."""

    def revisions(self) -> dict[str, int]:
        """Revision of every collection (cheap: replicas call it about twice a second)."""

    def read(self, collection: str) -> CollectionData:
        """Every live (not deleted) feature of a collection, in storage order."""

    def get(self, collection: str, fid: str) -> Row | None:
        """One feature, deleted ones included (``deleted=True``), or None."""

    def changes(self, collection: str, since_revision: int) -> Changes:
        """The rows of a collection changed after ``since_revision`` (each row keeps the
        collection revision at which it last changed; one indexed query). Rows removed
        from a reference collection by ``load`` or ``rollback`` are not listed: such a
        whole-layer change is read again with :meth:`read`."""

    def history(self, collection: str, fid: str) -> list[Version]:
        """Every version of a feature, newest first (empty: unknown feature)."""

    def as_of(self, collection: str, instant: str) -> CollectionData:
        """The features of an editable collection as recorded at ``instant`` (a stamp of
        :func:`stamp`, UTC), from the history: each feature's last version written at or
        before it, those deleted then left out, in storage order (the head is today's)."""

    def changeset(self, changeset: int) -> tuple[dict[str, Any], list[Version]] | None:
        """A changeset's record (author, comment, date) and the versions it made."""

    def load(self, load: ReferenceLoad) -> dict[str, int]:
        """In one transaction: replace every reference collection given (keeping the
        previous content for :meth:`rollback`), and seed each editable collection that was
        never seeded. Returns the new revisions."""

    def rollback(self) -> dict[str, int]:
        """Put back the reference collections as they were before the last load."""

    def provenance(self) -> dict[str, dict[str, Any]]:
        """The provenance record of every collection (empty store: {})."""

    def match(self, collection: str, where: Any) -> set[str] | None:
        """Ids of the live features matching a CQL2 filter evaluated by the database, or
        None when the adapter evaluates filters on the snapshot instead."""


class AccountStore(Protocol):
    """Accounts, API tokens, browser sessions and pending OpenID Connect logins (in the
    store: every replica knows them). Only hashes of tokens, cookies and states are kept."""

    def put_account(self, account: Account) -> None:
        """Create an account, or change its role / password / disabled flag."""

    def account(self, email: str) -> Account | None: ...

    def accounts(self) -> list[Account]: ...

    def add_token(self, token: Token, secret_hash: str) -> None: ...

    def token_by_hash(self, secret_hash: str) -> tuple[Token, Account] | None:
        """The token with this hash and its account (revoked or expired included)."""

    def tokens(self, email: str | None = None) -> list[Token]: ...

    def revoke_tokens(self, token_id: str | None = None, email: str | None = None) -> int:
        """Revoke one token, or every token of an account; how many were revoked."""

    def add_session(self, session: Session, id_hash: str) -> None: ...

    def session_by_hash(self, id_hash: str) -> tuple[Session, Account] | None:
        """The session with this hash and its account (revoked or expired included)."""

    def revoke_sessions(self, id_hash: str | None = None, email: str | None = None) -> int: ...

    def put_login_state(self, state_hash: str, payload: dict[str, str],
                        expires_at: str) -> None:
        """Keep what an OpenID Connect login must find again at its callback."""

    def pop_login_state(self, state_hash: str) -> dict[str, str] | None:
        """Take (and delete: single use) a pending login; None if unknown or expired."""


class ProposalStore(Protocol):
    """Residents' proposals and problem reports (the moderation queue). A decision is
    committed with the changes it applies: :meth:`UnitOfWork.decide`."""

    def add_proposal(self, proposal: Proposal, follow_hash: str, client: str) -> None: ...

    def proposal(self, proposal_id: str) -> tuple[Proposal, str] | None:
        """A proposal and the hash of its follow-up key."""

    def proposals(self, status: str | None = None, collection: str | None = None,
                  qpv: str | None = None, kind: str | None = None,
                  limit: int = 500, offset: int = 0) -> list[Proposal]:
        """Proposals, oldest first (the queue's order): ``limit`` of them after the first
        ``offset``."""

    def count_proposals(self, status: str | None = None, collection: str | None = None,
                        qpv: str | None = None, kind: str | None = None) -> int:
        """How many proposals :meth:`proposals` would list without a limit."""

    def purge_contacts(self, before: str) -> int:
        """Forget the contact and the client hash of every proposal made before
        ``before``; how many contacts. (A decision forgets the client hash too.)"""


class ImportStore(Protocol):
    """Editors' CSV imports under review, and the column mapping remembered per source. An
    import is marked applied with its changes: :meth:`UnitOfWork.mark_import_applied`."""

    def put_import(self, record: dict[str, Any]) -> None:
        """Create or replace an import (its payload holds the rows and decisions)."""

    def get_import(self, import_id: str) -> dict[str, Any] | None: ...

    def saved_mapping(self, key: str) -> dict[str, str] | None: ...

    def save_mapping(self, key: str, mapping: dict[str, str]) -> None: ...


class RateEvents(Protocol):
    """Short-lived counters for rate limits (login attempts, residents' proposals), and the
    salt a client's address is hashed with before it becomes a key (every replica counts
    the same). An event counts until its end, then is forgotten, whatever its key."""

    def take(self, limits: Mapping[str, int], until: str) -> tuple[str, list[str]] | None:
        """Atomically, before the work the limit guards: when every key of ``limits`` has
        fewer live events than its limit, count one event for each, lasting until
        ``until``, and return None; otherwise count nothing and return the first key at its
        limit with the ends of its live events (soonest first). Simultaneous calls are
        serialised per key: N of them against a limit L count at most L."""

    def counted(self, key: str) -> list[str]:
        """The ends of ``key``'s live events, soonest first."""

    def forget(self, key: str, last_only: bool = False) -> None:
        """Forget ``key``'s events (``last_only``: only the one ending last)."""

    def secret(self, name: str) -> str:
        """A random value made once per store, the same on every replica (salts)."""


class UnitOfWork(Protocol):
    """One writing transaction: everything done through it commits together when the
    ``with`` block ends, or nothing does (an exception rolls all of it back)."""

    def apply(self, changes: Iterable[Change], meta: WriteMeta | None = None) -> list[Applied]:
        """Apply changes on editable collections (checked, versioned, in the history with
        ``meta``); the transaction's changes are one changeset. Nothing to change: []."""

    def decide(self, decision: Decision) -> None:
        """Decide a proposal; it records what this transaction applies (its first feature
        and the changeset). :class:`Conflict` if it is no longer pending: two moderators
        never both decide it."""

    def mark_import_applied(self, import_id: str, record: dict[str, Any] | None = None
                            ) -> None:
        """Mark an import applied, with this transaction's changeset. Call it before
        :meth:`apply`: a second apply, even a simultaneous one, then gets
        :class:`Conflict` before writing anything. With ``record`` (the import as read,
        rows decided): its status and payload are stored instead, provided the import
        was not changed since it was read (its ``updated_at``): an import with rows left
        to review stays a draft and is applied again later."""

    def retarget_proposals(self, collection: str, old: str, new: str, version: int) -> int:
        """Pending proposals about ``collection/old`` now name ``new`` at ``version`` (a
        merge: the merged feature's corrections and reports follow the survivor); how
        many."""


class Storage(Protocol):
    """The truth, in parts; ``open_store(settings)`` opens it. Implementations:
    :mod:`.sqlite`, :mod:`.postgis` (both built by :mod:`.sql`)."""

    description: str
    features: FeatureStore
    accounts: AccountStore
    proposals: ProposalStore
    imports: ImportStore
    rates: RateEvents

    def upgrade(self) -> list[int]:
        """Create or migrate the schema of every part; the migrations applied now
        (idempotent)."""

    def transaction(self) -> AbstractContextManager[UnitOfWork]:
        """A unit of work (:class:`UnitOfWork`), committed when the ``with`` block ends."""

    def apply(self, changes: Iterable[Change], meta: WriteMeta | None = None) -> list[Applied]:
        """Changes alone, in their own unit of work (atomic: all or nothing)."""

    def connections(self) -> dict[str, int]:
        """The database connections now (metrics): PostGIS gives ``size``, ``idle``,
        ``waiting``, ``max`` and ``up`` (1 when the database answered last, else 0); the
        embedded store, nothing."""

    def close(self) -> None: ...

def check_changes(changes: Iterable[Change], kinds: Mapping[str, Kind]) -> list[Change]:
    """Refuse changes on reference or unknown collections, and updates without a version."""
    out = list(changes)
    for change in out:
        kind = kinds.get(change.collection)
        if kind is None:
            raise FeatureMissing(f"Collection inconnue : « {change.collection} »")
        if kind != "editable":
            raise ReadOnlyCollection(
                f"La collection {change.collection} est une couche de référence : elle "
                "n'est modifiée que par « geoservice data pull »")
        if change.op != "insert" and change.expected_version is None:
            raise PreconditionRequired(f"{change.collection}/{change.fid} : la version "
                                       "attendue manque (If-Match)")
        if change.op in ("insert", "update") and change.properties is None:
            raise FeatureMissing(f"{change.collection}/{change.fid} : propriétés manquantes")
    return out
