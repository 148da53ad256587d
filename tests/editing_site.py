"""A real `geoservice serve` on a pulled store (embedded SQLite or PostGIS), with one
account per role and its API token, made through the CLI as an administrator would."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from tests.servers import GEOSERVICE, Served, clean_env

ROLES = ("editor", "moderator", "admin")
DISTINCT = {"Geoservice-Duplicate": "distinct"}
"""Synthetic test places are other places than their look-alikes (without it, a creation
near a similar one answers 409 doublon-probable: tests/api/test_duplicates.py)."""
TEMPLATE_DATABASE = "geoservice_site_template"


@dataclass
class Template:
    """A store pulled from the mirror with one account per role and its token, all made
    through the CLI once per test session; each site starts from a copy of it (the pull
    itself is tested by tests/sources/test_pull.py and tests/sources/test_open_data.py)."""

    folder: Path
    tokens: dict[str, str]
    database_url: str | None = None


_TEMPLATES: dict[tuple[str, str | None], Template] = {}


def _make_template(mirror: Path, server_url: str | None) -> Template:
    folder = Path(tempfile.mkdtemp(prefix="geoservice-site-"))
    atexit.register(shutil.rmtree, folder, True)
    settings = {"GEOSERVICE_DATA_DIR": str(folder)}
    database_url = None
    if server_url is not None:
        database_url = _database(server_url, TEMPLATE_DATABASE)
        _admin(server_url, f'CREATE DATABASE "{TEMPLATE_DATABASE}"')
        settings["GEOSERVICE_DATABASE_URL"] = database_url
    env = clean_env(**settings)
    done = cli(env, "data", "pull", "--from", str(mirror))
    assert done.returncode == 0, done.stderr
    return Template(folder, _accounts(env), database_url)


def _template(mirror: Path, database_url: str | None) -> Template:
    server = None if database_url is None else _database(database_url, "postgres")
    key = (str(mirror), server)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = _make_template(mirror, server)
    return _TEMPLATES[key]


def _accounts(env: dict[str, str]) -> dict[str, str]:
    """One account per role and its API token, through the CLI as an administrator would."""
    tokens = {}
    for role in ROLES:
        email = f"{role}@example.fr"
        assert cli(env, "users", "add", email, "--role", role).returncode == 0
        made = cli(env, "tokens", "create", email)
        assert made.returncode == 0, made.stderr
        tokens[role] = made.stdout.strip()
    return tokens


def _database(url: str, name: str) -> str:
    """``url`` with another database name, on the same PostgreSQL server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(_database(url, "postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _copy_database(template: Template, database_url: str) -> None:
    """Replace the (new, empty) database of ``database_url`` by a copy of the template."""
    name = urlsplit(database_url).path.lstrip("/")
    _admin(database_url, f'DROP DATABASE "{name}"',
           f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DATABASE}"')


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([GEOSERVICE, *args], env=env, capture_output=True, text=True,
                          timeout=300)


class Site:
    def __init__(self, work: Path, mirror: Path, database_url: str | None = None,
                 **extra: str) -> None:
        settings = {"GEOSERVICE_DATA_DIR": str(work), "GEOSERVICE_TILES_URL": "",
                    "GEOSERVICE_REFRESH_INTERVAL": "0.25", **extra}
        if database_url:
            settings["GEOSERVICE_DATABASE_URL"] = database_url
        self.env = clean_env(**settings)
        self.work = work
        if "GEOSERVICE_TERRITOIRE" in extra:  # another territory: a pull of its own
            done = cli(self.env, "data", "pull", "--from", str(mirror))
            assert done.returncode == 0, done.stderr
            self.tokens = _accounts(self.env)
        else:
            template = _template(mirror, database_url)
            shutil.copytree(template.folder, work, dirs_exist_ok=True)
            if database_url:
                _copy_database(template, database_url)
            self.tokens = dict(template.tokens)
        self.server: Served | None = None
        self.start()

    def set_password(self, email: str, password: str) -> None:
        """``users add --password``, answering its prompt as an administrator would."""
        role = email.split("@")[0]
        done = subprocess.run([GEOSERVICE, "users", "add", email, "--role", role,
                               "--password"], env=self.env, capture_output=True, text=True,
                              input=f"{password}\n{password}\n", timeout=120)
        assert done.returncode == 0, done.stderr

    def start(self) -> None:
        self.server = Served(self.env, log=self.work / "serve.log")

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def client(self, role: str | None = None, distinct: bool = True) -> httpx.Client:
        """A client with ``role``'s token; ``distinct``: it creates synthetic places
        that are not duplicates (:data:`DISTINCT`)."""
        headers = {**(self.auth(role) if role else {}), **(DISTINCT if distinct else {})}
        return httpx.Client(base_url=self.url, timeout=30, headers=headers)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def site_on(request, mirror: Path, tmp_path_factory, name: str,  # noqa: ANN001
            **settings: str) -> Site:
    """A writing site on the store a parametrised fixture asks for (``request.param``:
    "sqlite" or "postgis"), in a folder (and a PostGIS database) of its own called ``name``;
    ``settings``: GEOSERVICE_* variables of its server."""
    url = None
    if request.param == "postgis":
        url = request.getfixturevalue("postgres").create_database(name)
    made = Site(tmp_path_factory.mktemp(f"{name}-{request.param}"), mirror, url, **settings)
    made.database_url = url
    return made


def site_on_both_stores(name: str, **settings: str):  # noqa: ANN201
    """A module fixture ``site``: a writing site called ``name`` on the embedded store, then
    on PostGIS (``settings``: GEOSERVICE_* variables of its server). In a test module:
    ``site = site_on_both_stores("agenda")``."""
    import pytest

    @pytest.fixture(scope="module", params=["sqlite", "postgis"])
    def site(request, mirror, tmp_path_factory):  # noqa: ANN001, ANN202
        made = site_on(request, mirror, tmp_path_factory, name, **settings)
        yield made
        made.stop()

    return site
