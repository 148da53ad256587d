"""The storage interface (the truth): what both adapters, embedded SQLite and PostGIS,
promise. One contract test suite (``tests/storage``) runs against both.

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
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..errors import GeoserviceError

Kind = Literal["reference", "editable"]
Op = Literal["insert", "update", "delete", "restore"]
SCHEMA_VERSION = 1


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


@dataclass
class ReferenceLoad:
    """What ``data pull`` hands to the store: reference layers to replace, editable layers
    to seed if never seeded."""

    reference: dict[str, list[Row]] = field(default_factory=dict)
    editable: dict[str, list[Row]] = field(default_factory=dict)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)


class StorageError(GeoserviceError):
    """The store cannot be opened or used (damaged file, unreachable database…)."""


class VersionConflict(GeoserviceError):
    """The feature changed since the version the writer read (If-Match is stale)."""

    def __init__(self, detail: str, current: Row | None = None) -> None:
        super().__init__(detail)
        self.current = current


class FeatureMissing(GeoserviceError):
    """No such feature (or no such collection) in the store."""


class FeatureExists(GeoserviceError):
    """An insert whose id is already taken."""


class ReadOnlyCollection(GeoserviceError):
    """A feature write on a reference collection."""


class FeatureStore(Protocol):
    """What the service needs from a store. Implementations: :mod:`.sqlite`, :mod:`.postgis`."""

    description: str
    filters_in_database: bool
    """True when :meth:`match` evaluates CQL2 filters in the database."""

    def upgrade(self) -> list[int]:
        """Create or migrate the schema; return the migrations applied now (idempotent)."""

    def revisions(self) -> dict[str, int]:
        """Revision of every collection (cheap: replicas call it about twice a second)."""

    def read(self, collection: str) -> CollectionData:
        """Every live (not deleted) feature of a collection, in storage order."""

    def get(self, collection: str, fid: str) -> Row | None:
        """One feature, deleted ones included (``deleted=True``), or None."""

    def apply(self, changes: Iterable[Change]) -> list[Applied]:
        """Commit the changes atomically (all or nothing) on editable collections."""

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
            raise VersionConflict(f"{change.collection}/{change.fid} : version attendue "
                                  "manquante")
        if change.op in ("insert", "update") and change.properties is None:
            raise FeatureMissing(f"{change.collection}/{change.fid} : propriétés manquantes")
    return out
