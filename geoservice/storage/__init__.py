"""Storage: the truth, in parts behind narrow interfaces (:mod:`.base`: features, accounts,
proposals, imports, rate events, and a unit of work across them), with two adapters."""

from __future__ import annotations

from ..settings import Settings
from .base import (
    AccountStore,
    Applied,
    Change,
    Changes,
    CollectionData,
    FeatureExists,
    FeatureMissing,
    FeatureStore,
    ImportStore,
    ProposalStore,
    RateEvents,
    ReadOnlyCollection,
    ReferenceLoad,
    Row,
    Storage,
    StorageError,
    UnitOfWork,
    VersionConflict,
    WriteMeta,
)


def open_store(settings: Settings, create: bool = False) -> Storage:
    """The storage the settings name: PostGIS when ``database_url`` is set, else the
    embedded SQLite file. ``create`` allows a new, empty embedded file (``data pull``,
    ``db upgrade``)."""
    if settings.database_url:
        from .postgis import PostgisStorage

        return PostgisStorage(settings.database_url)
    from .sqlite import SqliteStorage

    return SqliteStorage(settings.store_path, create=create)


__all__ = [
    "AccountStore", "Applied", "Change", "Changes", "CollectionData", "FeatureExists",
    "FeatureMissing", "FeatureStore", "ImportStore", "ProposalStore", "RateEvents",
    "ReadOnlyCollection", "ReferenceLoad", "Row", "Storage", "StorageError", "UnitOfWork",
    "VersionConflict", "WriteMeta", "open_store",
]
