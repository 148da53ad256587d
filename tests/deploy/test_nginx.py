"""deploy/: Debian's nginx, with the shipped configuration, in front of two real replicas
(`geoservice serve`) on the real PostGIS the tests start.

nginx runs as an unprivileged user (``nobody`` when the tests run as root), with a main
configuration written in a temporary folder (``-p`` prefix, ``daemon off``, no root path)
that includes ``deploy/nginx/geoservice.conf`` with only its ports substituted: the shipped
file is the one tested. A write through nginx is read back through nginx and reaches both
replicas; one replica killed (SIGKILL), requests through nginx are still answered.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from geoservice.settings import REPO_ROOT
from tests.api.test_editing import PLACE
from tests.editing_site import DISTINCT, Site
from tests.postgres import BIN
from tests.servers import GEOSERVICE, Served, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SHIPPED = REPO_ROOT / "deploy" / "nginx" / "geoservice.conf"
UNIT = REPO_ROOT / "deploy" / "systemd" / "geoservice@.service"

_MAIN = """\
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    access_log {root}/access.log;
    include {root}/geoservice.conf;
}}
"""


def render(shipped: str, port: int, replicas: list[int], root: Path) -> str:
    """The shipped configuration with the test's ports: each substitution must happen
    exactly once, so a change of the shipped file cannot leave the test on another one."""
    subs = [(r"listen 80;", f"listen 127.0.0.1:{port};"),
            (r"listen \[::\]:80;", "# (IPv6: not in the test)"),
            (r"server 127\.0\.0\.1:8001 ", f"server 127.0.0.1:{replicas[0]} "),
            (r"server 127\.0\.0\.1:8002 ", f"server 127.0.0.1:{replicas[1]} "),
            (r"access_log /var/log/nginx/geoservice\.access\.log ",
             f"access_log {root}/access.log ")]
    for pattern, replacement in subs:
        shipped, count = re.subn(pattern, replacement, shipped)
        assert count == 1, f"deploy/nginx/geoservice.conf: « {pattern} » found {count} times"
    return shipped


class Nginx:
    """Debian's nginx on a free port of 127.0.0.1, as an unprivileged user."""

    def __init__(self, replicas: list[int]) -> None:
        if not Path(NGINX).is_file():
            raise RuntimeError("nginx introuvable : installez-le (scripts/setup.sh --test)")
        self.root = Path(tempfile.mkdtemp(prefix="geoservice-nginx-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (self.root / "geoservice.conf").write_text(
            render(SHIPPED.read_text("utf-8"), self.port, replicas, self.root), "utf-8")
        (self.root / "nginx.conf").write_text(_MAIN.format(root=self.root), "utf-8")
        command = [NGINX, "-p", str(self.root), "-c", str(self.root / "nginx.conf"),
                   "-e", str(self.root / "error.log")]
        if os.geteuid() == 0:  # as root (CI): run it as nobody, like the PostgreSQL server
            os.chmod(self.root, 0o755)
            for path in (self.root, *self.root.iterdir()):
                shutil.chown(path, "nobody", "nogroup")
            command = ["runuser", "-u", "nobody", "--", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(self.url + "/api/health", timeout=2)
                return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"nginx did not start: {self.errors()}")
            time.sleep(0.1)

    def client(self, address: str = "127.0.0.1", **headers: str) -> httpx.Client:
        """A client from ``address`` (a loopback address: nginx keeps a client on one
        replica by hashing its address)."""
        return httpx.Client(base_url=self.url, headers=headers, timeout=30,
                            transport=httpx.HTTPTransport(local_address=address))

    def replica_of(self, address: str) -> int:
        """The port of the replica that answered the last request from ``address``, read
        from the access log (the shipped format names the upstream)."""
        lines = (self.root / "access.log").read_text().splitlines()
        last = [line for line in lines if line.startswith(address + " ")][-1]
        return int(re.search(r"upstream=[0-9.]+:(\d+)", last).group(1))

    def errors(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def front(postgres, mirror, tmp_path_factory):
    """Two replicas on one PostGIS database (accounts made through the CLI), nginx before."""
    work = tmp_path_factory.mktemp("deploy")
    # the replicas believe X-Forwarded-* from nginx only (deploy/README.md)
    site = Site(work, mirror, postgres.create_database("deploy_nginx"),
                GEOSERVICE_TRUSTED_PROXIES="127.0.0.1")
    second = Served(site.env, log=work / "replica-2.log")
    replicas = [site.server, second]
    proxy = Nginx([replica.port for replica in replicas])
    yield proxy, site, replicas
    proxy.stop()
    for replica in replicas:
        replica.stop()


def _wait(check, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.05)


def test_the_shipped_config_passes_nginx_t(tmp_path):
    text = render(SHIPPED.read_text("utf-8"), free_port(), [free_port(), free_port()],
                  tmp_path)
    (tmp_path / "geoservice.conf").write_text(text, "utf-8")
    (tmp_path / "nginx.conf").write_text(_MAIN.format(root=tmp_path), "utf-8")
    done = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                           "-e", str(tmp_path / "error.log")], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_the_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze absent")
    names = ["geoservice@.service", "geoservice-backup.service", "geoservice-backup.timer"]
    for name in names:
        text = (UNIT.parent / name).read_text("utf-8")
        (tmp_path / name).write_text(text.replace("/opt/geoservice/.venv/bin/geoservice ",
                                                  f"{GEOSERVICE} "), "utf-8")
    units = [tmp_path / "geoservice@8001.service", tmp_path / names[1], tmp_path / names[2]]
    done = subprocess.run([analyze, "verify", *map(str, units)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    unit = UNIT.read_text("utf-8")
    assert unit.count("/opt/geoservice/.venv/bin/geoservice serve ") == 1
    for hardening in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes",
                      "EnvironmentFile=", "Restart=on-failure", "--port %i"):
        assert hardening in unit
    assert "geoservice backup " in (UNIT.parent / names[1]).read_text("utf-8")


def test_a_write_through_nginx_is_read_through_nginx_and_reaches_both_replicas(front):
    proxy, site, replicas = front
    by_port = {r.port: r for r in replicas}
    with proxy.client(**site.auth("editor"), **DISTINCT) as editor:
        landing = editor.get("/api")
        assert landing.status_code == 200
        # the Host header goes through: links name the front, never a replica's port
        hrefs = [link["href"] for link in landing.json()["links"]]
        assert all(h.startswith(proxy.url) for h in hrefs if h.startswith("http")), hrefs
        made = editor.post("/api/collections/hebergement/items", json=PLACE)
        assert made.status_code == 201, made.text
        assert made.headers["Location"].startswith(proxy.url)
        writer = proxy.replica_of("127.0.0.1")
        path = httpx.URL(made.headers["Location"]).path
        # the writer reads its write back at once: it stays on the replica that made it
        read = editor.get(path)
        assert read.status_code == 200, read.text
        assert read.json()["properties"]["nom"] == PLACE["properties"]["nom"]
        assert proxy.replica_of("127.0.0.1") == writer
    # the other replica learns it at its next revision poll (0.25 s here)
    other = next(port for port in by_port if port != writer)
    _wait(lambda: httpx.get(by_port[other].url + path, timeout=10).status_code == 200,
          seconds=10)
    # and serves it through nginx to a client that nginx sends there
    for n in range(2, 60):
        address = f"127.0.0.{n}"
        with proxy.client(address) as reader:
            answer = reader.get(path)
            if proxy.replica_of(address) == other:
                break
    else:
        pytest.fail("no loopback client address hashed to the other replica")
    assert answer.status_code == 200 and answer.json()["id"] == read.json()["id"]


def test_json_and_geojson_are_gzipped(front):
    proxy, _site, _replicas = front
    for path in ("/api/collections/qpv/items?limit=50", "/api/collections?f=json"):
        raw = httpx.get(proxy.url + path, headers={"Accept-Encoding": "gzip"}, timeout=30)
        assert raw.status_code == 200
        assert raw.headers.get("Content-Encoding") == "gzip", (path, raw.headers)
        plain = httpx.get(proxy.url + path, headers={"Accept-Encoding": "identity"},
                          timeout=30)
        assert plain.headers.get("Content-Encoding") is None
        assert len(gzip.compress(plain.content)) < len(plain.content)


def test_a_body_over_the_limit_is_refused_by_nginx_in_french(front):
    proxy, site, replicas = front
    too_big = b"x" * (7 * 1024 * 1024)  # nginx: 6m, but for imports and the batch lookup
    refused = httpx.post(proxy.url + "/api/proposals", content=too_big, timeout=60,
                         headers={"Content-Type": "application/json"})
    assert refused.status_code == 413
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json()["title"] == "Requête trop volumineuse"
    # an import may be up to 64 MiB (100,000 rows in one go): nginx passes it on, the
    # service answers (here: not a multipart form, 415 in French)
    passed = httpx.post(proxy.url + "/api/imports", content=too_big, timeout=120,
                        headers={**site.auth("editor"), "Content-Type": "text/csv"})
    assert passed.status_code == 415, passed.text
    assert passed.headers["Content-Type"].startswith("application/problem+json")
    # a batch lookup may be larger (its own cap): nginx lets it through to the service
    # a batch lookup may be larger (the service's own cap, ~98 MiB): nginx passes it on,
    # the service answers (here: no lon/lat columns, 4xx in French, not nginx's 413)
    answered = httpx.post(proxy.url + "/api/lookup", content=b"nom\n" + too_big, timeout=120,
                          headers={"Content-Type": "text/csv"})
    assert answered.status_code in (400, 422), answered.text
    assert answered.headers["Content-Type"].startswith("application/problem+json")


def test_one_replica_killed_requests_are_still_answered(front):
    proxy, site, replicas = front
    with proxy.client() as client:
        assert client.get("/api/ready").status_code == 200
    pinned = proxy.replica_of("127.0.0.1")
    killed = next(r for r in replicas if r.port == pinned)
    survivor = next(r for r in replicas if r.port != pinned)
    os.kill(killed.pid, signal.SIGKILL)  # the replica this client was sent to
    killed.process.wait(timeout=10)
    with proxy.client(**site.auth("editor"), **DISTINCT) as client:
        statuses = [client.get(path).status_code
                    for path in ("/api", "/api/collections", "/api/ready",
                                 "/api/collections/qpv/items?limit=5", "/") * 4]
        assert statuses == [200] * len(statuses)
        assert proxy.replica_of("127.0.0.1") == survivor.port
        made = client.post("/api/collections/hebergement/items", json=PLACE)
        assert made.status_code == 201, made.text
        assert client.get(httpx.URL(made.headers["Location"]).path).status_code == 200
    # the last one killed too: nginx answers 503 in French with Retry-After
    os.kill(survivor.pid, signal.SIGKILL)
    survivor.process.wait(timeout=10)
    gone = httpx.get(proxy.url + "/api/collections", timeout=30)
    assert gone.status_code == 503
    assert gone.headers["Retry-After"] == "5"
    assert gone.headers["Content-Type"].startswith("application/problem+json")
    assert gone.json()["title"] == "Service momentanément indisponible"
    assert proxy.process.poll() is None


def test_a_database_outage_does_not_cut_the_reads_through_nginx(mirror, tmp_path):
    """PostgreSQL stopped: every replica answers 503 to what needs the database, and goes
    on serving reads from its snapshot. nginx must not count those 503s as replica failures
    (no http_503 in proxy_next_upstream): reads through nginx are still answered."""
    from tests.editing_site import cli
    from tests.postgres import Postgres
    from tests.servers import clean_env

    with Postgres() as own:  # a server of its own: this test stops it
        env = clean_env(GEOSERVICE_DATA_DIR=str(tmp_path), GEOSERVICE_TILES_URL="",
                        GEOSERVICE_DATABASE_URL=own.create_database("outage"),
                        GEOSERVICE_REFRESH_INTERVAL="0.25",
                        GEOSERVICE_TRUSTED_PROXIES="127.0.0.1")
        done = cli(env, "data", "pull", "--from", str(mirror))
        assert done.returncode == 0, done.stderr
        replicas = [Served(env, log=tmp_path / f"replica-{n}.log") for n in (1, 2)]
        proxy = Nginx([r.port for r in replicas])
        try:
            items = "/api/collections/qpv/items?limit=5"
            assert httpx.get(proxy.url + items, timeout=30).status_code == 200
            own._run(str(BIN / "pg_ctl"), "-D", str(own.data), "-m", "immediate", "-w",
                     "stop")
            needing = [httpx.get(proxy.url + "/api/ready", timeout=60) for _ in range(4)]
            assert [r.status_code for r in needing] == [503] * 4
            # the replicas' own answer (theirs says why), passed on as it is
            assert all("base de données" in r.json()["detail"] for r in needing)
            reads = [httpx.get(proxy.url + items, timeout=30).status_code for _ in range(6)]
            assert reads == [200] * 6
        finally:
            proxy.stop()
            for replica in replicas:
                replica.stop()
