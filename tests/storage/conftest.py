"""Every contract test runs on both stores: the embedded SQLite file and a real PostGIS
(started by the tests, tests/postgres.py)."""

from __future__ import annotations

import pytest

from geoservice.storage.postgis import PostgisStorage
from geoservice.storage.sqlite import SqliteStorage


@pytest.fixture(params=["sqlite", "postgis"])
def storage(request, tmp_path):
    if request.param == "sqlite":
        store = SqliteStorage(tmp_path / "store.sqlite", create=True)
    else:
        store = PostgisStorage(request.getfixturevalue("postgis_url"))
    store.upgrade()
    yield store
    store.close()
