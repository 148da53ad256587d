"""Storage: the truth, in parts behind narrow interfaces (:mod:`.base`: features, accounts,
proposals, imports, rate events, and a unit of work across them), with two adapters."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import StoreUnavailable
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


def open_store(settings: Settings, create: bool = False, wait: float = 0.0,
               waiting: Callable[[str], None] | None = None) -> Storage:
    """The storage the settings name: PostGIS when ``database_url`` is set, else the
    embedded SQLite file. ``create`` allows a new, empty embedded file (``data pull``,
    ``db upgrade``). A database that does not answer raises :class:`StoreUnavailable`
    after ``settings.db_timeout`` seconds, or is tried again for up to ``wait`` seconds
    (``waiting`` is told once, with the reason, when it starts waiting)."""
    if settings.database_url:
        from .postgis import PostgisStorage

        deadline = time.monotonic() + wait
        while True:
            try:
                return PostgisStorage(settings.database_url, timeout=settings.db_timeout)
            except StoreUnavailable as exc:
                if time.monotonic() >= deadline:
                    raise
                if waiting is not None:
                    waiting(exc.detail)
                    waiting = None
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    from .sqlite import SqliteStorage

    return SqliteStorage(settings.store_path, create=create)


__all__ = [
    "AccountStore", "Applied", "Change", "Changes", "CollectionData", "FeatureExists",
    "FeatureMissing", "FeatureStore", "ImportStore", "ProposalStore", "RateEvents",
    "ReadOnlyCollection", "ReferenceLoad", "Row", "Storage", "StorageError",
    "StoreUnavailable", "UnitOfWork",
    "VersionConflict", "WriteMeta", "open_store",
]
