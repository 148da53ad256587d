"""A real PostgreSQL 15 + PostGIS 3 for the tests, started by the tests themselves.

PostgreSQL refuses to run as root, so when the tests run as root (CI) the server runs as
the unprivileged user ``nobody`` (``runuser``), in a temporary folder, listening on
127.0.0.1 on a free port with trust authentication. Debian package:
``postgresql-15-postgis-3`` (installed by ``scripts/setup.sh --test``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.servers import free_port

POSTGIS_TEMPLATE = "geoservice_postgis_template"
BIN = Path(os.environ.get("GEOSERVICE_PG_BIN", "/usr/lib/postgresql/15/bin"))


class Postgres:
    def __init__(self) -> None:
        if not (BIN / "pg_ctl").is_file():
            raise RuntimeError(f"PostgreSQL introuvable dans {BIN} : installez "
                               "postgresql-15-postgis-3 (scripts/setup.sh --test)")
        self.root = Path(tempfile.mkdtemp(prefix="geoservice-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self._postgis_template = ""

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "nobody", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True,
                              cwd=self.root, timeout=120)

    def __enter__(self) -> Postgres:
        os.chmod(self.root, 0o755)
        if self.as_root:
            shutil.chown(self.root, "nobody", "nogroup")
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")
        self.start()
        return self

    def start(self) -> None:
        """Start the server (again, after :meth:`stop`: same folder, same port)."""
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                  "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                  "-c fsync=on -c max_connections=200", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``pg_ctl stop``; fast: clients are disconnected at once), as
        an outage would: every open connection breaks, new ones are refused."""
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database, empty, or a copy of the database ``template``."""
        import psycopg

        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def with_postgis(self) -> str:
        """The name of a database holding only the PostGIS extension, made once, to copy:
        a new database from it skips installing PostGIS (about a second each)."""
        import psycopg

        if not self._postgis_template:
            with psycopg.connect(self.create_database(POSTGIS_TEMPLATE), autocommit=True
                                 ) as conn:
                conn.execute("CREATE EXTENSION postgis")
            self._postgis_template = POSTGIS_TEMPLATE
        return self._postgis_template

    def __exit__(self, *exc: object) -> None:
        # immediate: no shutdown checkpoint (about 10 s after a session's many databases),
        # the cluster is thrown away just after
        try:
            self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                      "stop")
        except subprocess.CalledProcessError:  # pragma: no cover
            time.sleep(0.5)
        shutil.rmtree(self.root, ignore_errors=True)
