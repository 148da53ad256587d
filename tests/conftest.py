"""Shared fixtures: the real data mirror (../shared/data, or GEOSERVICE_SOURCES) and stores
pulled from it once per test session."""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geoservice.api.app import create_app
from geoservice.read.model import load_store
from geoservice.read.snapshot import Snapshot
from geoservice.settings import REPO_ROOT, Settings
from geoservice.sources.pull import pull

TOULOUSE = "toulouse-metropole"
MONTPELLIER = "montpellier-mediterranee-metropole"


def _mirror() -> Path:
    configured = os.environ.get("GEOSERVICE_SOURCES")
    if configured and configured != "publishers":
        return Path(configured)
    return REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def mirror() -> Path:
    path = _mirror()
    if not (path / "qpv_2024_france.geojson").is_file():
        pytest.fail(f"data mirror not found at {path} (set GEOSERVICE_SOURCES)")
    return path


@pytest.fixture(autouse=True)
def _no_env_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build their own Settings: ignore the developer's GEOSERVICE_* variables."""
    for name in list(os.environ):
        if name.startswith("GEOSERVICE_") and name != "GEOSERVICE_SOURCES":
            monkeypatch.delenv(name)


def pulled_settings(tmp: Path, mirror: Path, territoire: str) -> Settings:
    settings = Settings(data_dir=tmp, sources=str(mirror), territoire=territoire)
    pull(settings)
    return settings


@pytest.fixture(scope="session")
def toulouse_settings(tmp_path_factory: pytest.TempPathFactory, mirror: Path) -> Settings:
    return pulled_settings(tmp_path_factory.mktemp("store-tm"), mirror, TOULOUSE)


@pytest.fixture(scope="session")
def montpellier_settings(tmp_path_factory: pytest.TempPathFactory, mirror: Path) -> Settings:
    return pulled_settings(tmp_path_factory.mktemp("store-mmm"), mirror, MONTPELLIER)


@pytest.fixture(scope="session")
def toulouse_store(toulouse_settings: Settings) -> Snapshot:
    return load_store(toulouse_settings)


@pytest.fixture(scope="session")
def client(toulouse_settings: Settings) -> TestClient:
    with TestClient(create_app(toulouse_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def ban():
    """The BAN stand-in on 127.0.0.1 for the whole session."""
    from tests.ban import BanStandIn

    with BanStandIn() as stand_in:
        yield stand_in


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, settings: Settings) -> None:
        import uvicorn

        from tests.servers import free_port

        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)

    def __enter__(self) -> LiveServer:
        import threading
        import time

        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(toulouse_settings: Settings, ban) -> LiveServer:
    """The Toulouse Métropole service on a real port, geocoding through the BAN stand-in."""
    settings = toulouse_settings.model_copy(update={"ban_url": ban.url, "tiles_url": None})
    with LiveServer(settings) as server:
        yield server


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL + PostGIS server for the whole session (see tests/postgres.py)."""
    from tests.postgres import Postgres

    with Postgres() as server:
        yield server


_databases = iter(range(1, 10_000))


@pytest.fixture()
def postgis_url(postgres) -> str:
    """A fresh database on the session's PostgreSQL server, empty but for the PostGIS
    extension (installing it is tested by every pull into a new database)."""
    return postgres.create_database(f"geoservice_{next(_databases)}",
                                    template=postgres.with_postgis())


@pytest.fixture(scope="session")
def toulouse_postgis(postgres, tmp_path_factory, mirror) -> Settings:
    """Toulouse Métropole pulled into a PostGIS database (session-wide, read-only use)."""
    url = postgres.create_database("toulouse_shared")
    settings = Settings(data_dir=tmp_path_factory.mktemp("pg-tm"), sources=str(mirror),
                        territoire=TOULOUSE, database_url=url)
    pull(settings)
    return settings


@pytest.fixture(scope="session")
def postgis_client(toulouse_postgis: Settings) -> TestClient:
    with TestClient(create_app(toulouse_postgis)) as test_client:
        yield test_client


# -- Test kinds ---------------------------------------------------------------------------------
# Markers are put on at collection, so a new test gets its kind without thinking:
#   browser   every test under tests/browser/ (headless Chromium)
#   postgres  every test using the PostgreSQL server, by fixture or by a "postgis" parameter
#   gdal      every test whose code, or one of its fixtures' code, runs ogr2ogr or ogrinfo
#   slow      the tests that take about 10 s or more, setup included (SLOW below, measured
#             with --durations; a test that becomes slow is added there)
# `make test-fast` runs -m "not browser and not postgres".

HERE = Path(__file__).parent
POSTGRES_FIXTURES = {"postgres", "postgis_url", "toulouse_postgis", "postgis_client"}
GDAL_COMMANDS = re.compile(r"[\"'](?:ogr2ogr|ogrinfo)[\"']")
SLOW = (
    "tests/api/test_schemathesis.py::",  # ~2,400 generated requests, 35-50 s in all
    "tests/acceptance/test_batch_memory.py::",  # 8 x 50 MB uploads, ~17 s
    "tests/acceptance/test_replicas.py::",  # two `serve` processes on one PostGIS, ~18 s
    "tests/deploy/test_nginx.py::",  # nginx before two `serve` processes on PostGIS, ~30-60 s
    "tests/storage/test_backup.py::",  # backups under HTTP write load, both stores, ~130 s
    "tests/api/test_db_outage.py::",  # its own PostgreSQL stopped and started, ~70 s
    "tests/api/test_audit.py::",  # a writing site per store, ~20 and ~45 s
    "tests/browser/test_accessibility.py::test_details_from_the_list_search_nearest_and_ranking",
    "tests/browser/test_proposals.py::test_a_need_from_a_phone_to_the_diagnosis",
)
"""Node-id prefixes of the tests that take about 10 s or more (each, or their module in
all), measured with --durations on this 2-core machine."""


def _source(function: object) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def _runs_gdal(item: pytest.Item) -> bool:
    functions = [getattr(item, "function", None)]
    for definitions in item._fixtureinfo.name2fixturedefs.values():
        functions.extend(definition.func for definition in definitions)
    return any(GDAL_COMMANDS.search(_source(f)) for f in functions if f is not None)


def _uses_postgres(item: pytest.Item) -> bool:
    if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "postgis" in callspec.params.values()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE / "browser"):
            item.add_marker(pytest.mark.browser)
        if _uses_postgres(item):
            item.add_marker(pytest.mark.postgres)
        if _runs_gdal(item):
            item.add_marker(pytest.mark.gdal)
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)
