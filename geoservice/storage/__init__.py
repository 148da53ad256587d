"""Storage: the truth, behind one interface (:class:`FeatureStore`), with two adapters."""

from __future__ import annotations

from ..settings import Settings
from .base import (
    Applied,
    Change,
    Changes,
    CollectionData,
    FeatureExists,
    FeatureMissing,
    FeatureStore,
    ReadOnlyCollection,
    ReferenceLoad,
    Row,
    StorageError,
    VersionConflict,
)


def open_store(settings: Settings, create: bool = False) -> FeatureStore:
    """The store the settings name: PostGIS when ``database_url`` is set, else the embedded
    SQLite file. ``create`` allows a new, empty embedded file (``data pull``, ``db upgrade``)."""
    if settings.database_url:
        from .postgis import PostgisStore

        return PostgisStore(settings.database_url)
    from .sqlite import SqliteStore

    return SqliteStore(settings.store_path, create=create)


__all__ = [
    "Applied", "Change", "Changes", "CollectionData", "FeatureExists", "FeatureMissing",
    "FeatureStore",
    "ReadOnlyCollection", "ReferenceLoad", "Row", "StorageError", "VersionConflict",
    "open_store",
]
