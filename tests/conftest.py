"""Shared fixtures: the real data mirror (../shared/data, or GEOSERVICE_SOURCES) and stores
pulled from it once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geoservice.api.app import create_app
from geoservice.pull import pull
from geoservice.settings import REPO_ROOT, Settings
from geoservice.store import Store

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
def toulouse_store(toulouse_settings: Settings) -> Store:
    return Store.load(toulouse_settings)


@pytest.fixture(scope="session")
def client(toulouse_settings: Settings) -> TestClient:
    with TestClient(create_app(toulouse_settings)) as test_client:
        yield test_client
