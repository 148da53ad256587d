"""A real `geoservice serve` on a pulled store (embedded SQLite or PostGIS), with one
account per role and its API token, made through the CLI as an administrator would."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx

from tests.servers import GEOSERVICE, Served, clean_env

ROLES = ("editor", "moderator", "admin")
_PULLED: dict[str, Path] = {}
"""One embedded store pulled per mirror and test session; each site starts from a copy
(the pull itself is tested by tests/sources/test_pull.py and tests/sources/test_open_data.py)."""


def _pulled(mirror: Path) -> Path:
    if str(mirror) not in _PULLED:
        folder = Path(tempfile.mkdtemp(prefix="geoservice-pulled-"))
        atexit.register(shutil.rmtree, folder, True)
        done = cli(clean_env(GEOSERVICE_DATA_DIR=str(folder)), "data", "pull", "--from",
                   str(mirror))
        assert done.returncode == 0, done.stderr
        _PULLED[str(mirror)] = folder
    return _PULLED[str(mirror)]


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
        if database_url is None and "GEOSERVICE_TERRITOIRE" not in extra:
            shutil.copytree(_pulled(mirror), work, dirs_exist_ok=True)
        else:
            done = cli(self.env, "data", "pull", "--from", str(mirror))
            assert done.returncode == 0, done.stderr
        self.tokens = {}
        for role in ROLES:
            email = f"{role}@example.fr"
            assert cli(self.env, "users", "add", email, "--role", role).returncode == 0
            made = cli(self.env, "tokens", "create", email)
            assert made.returncode == 0, made.stderr
            self.tokens[role] = made.stdout.strip()
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

    def client(self, role: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers=self.auth(role) if role else {})

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
