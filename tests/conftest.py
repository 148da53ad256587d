"""Shared fixtures: the real data mirror (../shared/data, or GEOSERVICE_SOURCES) and stores
pulled from it once per test session."""

from __future__ import annotations

import os
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
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgres.create_database(f"geoservice_{next(_databases)}")


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
