"""Secure defaults and the hostile review's defects, on a real server (127.0.0.1) over both
stores: proxy headers believed only from a trusted proxy, rate limits per network (IPv6
/64) with a global cap, counted before the check under real concurrency, the accepted
``Host``, slow clients (headers, bodies) on real sockets, an anonymous or oversized import
refused while it streams, reports checked against the layer, Part 4 writes outside the
territory refused.

Loopback addresses stand for distinct machines: Linux routes all of 127.0.0.0/8 to the
loopback, so a client socket bound to 127.0.0.2 comes from another address than one bound
to 127.0.0.1. The server trusts 127.0.0.2 as its reverse proxy, nobody else."""

from __future__ import annotations

import json
import os
import select
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api.test_editing import MERGE, PLACE, create
from tests.api.test_proposals import NEED
from tests.editing_site import Site, site_on

PER_CLIENT = 20
GLOBAL = 100
LOGINS = 5
PROXY = "127.0.0.2"
PASSWORD = "un mot de passe assez long"
PARIS = [2.3522, 48.8566]
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def site(request, mirror, tmp_path_factory):
    spool = tmp_path_factory.mktemp("spool")
    made = site_on(request, mirror, tmp_path_factory, "secure",
                   GEOSERVICE_PROPOSALS_PER_HOUR=str(PER_CLIENT),
                   GEOSERVICE_PROPOSALS_GLOBAL_PER_HOUR=str(GLOBAL),
                   GEOSERVICE_LOGIN_MAX_FAILURES=str(LOGINS),
                   GEOSERVICE_TRUSTED_PROXIES=PROXY,
                   GEOSERVICE_HEADER_TIMEOUT="2", GEOSERVICE_BODY_TIMEOUT="2",
                   TMPDIR=str(spool))
    made.spool = spool
    yield made
    made.stop()


def client_from(site: Site, address: str, role: str | None = None) -> httpx.Client:
    """A client whose connections come from ``address`` (a loopback address)."""
    return httpx.Client(base_url=site.url, timeout=60,
                        transport=httpx.HTTPTransport(local_address=address),
                        headers=site.auth(role) if role else {})


def queued(site: Site) -> int:
    return site.client("moderator").get("/api/proposals?status=all&limit=1").json()[
        "numberMatched"]


# -- who the client is -----------------------------------------------------------------------

def test_a_spoofed_forwarded_for_is_ignored(site):
    """Was: 25 of 25 proposals accepted, each with another X-Forwarded-For."""
    before = queued(site)
    with client_from(site, "127.0.0.1") as public:
        codes = [public.post("/api/proposals", json=NEED,
                             headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                 for i in range(25)]
    assert codes == [202] * PER_CLIENT + [429] * 5
    assert queued(site) - before == PER_CLIENT


def test_a_trusted_proxy_names_the_client_and_ipv6_counts_per_64(site):
    with client_from(site, PROXY) as proxy:
        codes = [proxy.post("/api/proposals", json=NEED, headers={
            "X-Forwarded-For": f"203.0.113.9, 2001:db8:1:2:{i:x}::1"}).status_code
            for i in range(PER_CLIENT + 1)]  # one subscriber's /64, 21 addresses
        assert codes == [202] * PER_CLIENT + [429]
        other = proxy.post("/api/proposals", json=NEED,
                           headers={"X-Forwarded-For": "2001:db8:1:3::1"})  # next /64
        assert other.status_code == 202
        # scheme and host from the proxy; from anyone else they are not believed
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "localhost:8443"}
        links = proxy.get("/api", headers=forwarded).json()["links"]
        assert links[0]["href"].startswith("https://localhost:8443/api")
    with client_from(site, "127.0.0.1") as public:
        links = public.get("/api", headers=forwarded).json()["links"]
    assert links[0]["href"].startswith(site.url + "/api")


def test_simultaneous_proposals_stop_at_the_limit(site):
    """40 proposals at once from one client: exactly 20 accepted (was 22 of 20)."""
    before = queued(site)
    start = threading.Barrier(40)

    def one(_: int) -> int:
        with client_from(site, "127.0.0.5") as public:
            start.wait()
            return public.post("/api/proposals", json=NEED).status_code

    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(one, range(40)))
    assert codes.count(202) == PER_CLIENT and codes.count(429) == 40 - PER_CLIENT
    assert queued(site) - before == PER_CLIENT


def test_simultaneous_logins_check_at_most_the_limit(site):
    """100 wrong passwords at once for one account: 5 password checks (401), 95 refused
    before any check (429). Was: 33 checks."""
    site.set_password("admin@example.fr", PASSWORD)
    start = threading.Barrier(100)

    def one(i: int) -> int:
        with client_from(site, f"127.0.1.{i + 1}") as browser:
            start.wait()
            return browser.post("/api/auth/login", json={
                "email": "admin@example.fr", "password": f"faux {i}"}).status_code

    with ThreadPoolExecutor(100) as pool:
        codes = list(pool.map(one, range(100)))
    assert codes.count(401) == LOGINS and codes.count(429) == 100 - LOGINS, codes


# -- Host --------------------------------------------------------------------------------------

def test_only_the_served_host_names_are_accepted(site):
    port = site.url.rsplit(":", 1)[1]
    with client_from(site, "127.0.0.1") as public:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "[::1]"):
            assert public.get("/api", headers={"Host": host}).status_code == 200, host
        refused = public.get("/api", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert "Hôte non servi" in refused.json()["detail"]
    assert "evil.example" not in refused.json()["type"]


# -- slow clients --------------------------------------------------------------------------

def _connect(site: Site) -> socket.socket:
    port = int(site.url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    return sock


def _answer(sock: socket.socket) -> bytes:
    """What the server sends until it closes (b"" when it closes without a word)."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_headers_trickled_byte_by_byte_are_cut_off(site):
    """A client sending one header byte every 0.2 s: the connection is closed after the
    header timeout (was: kept open as long as bytes kept coming)."""
    with _connect(site) as sock:
        sock.sendall(b"GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        closed = False
        for _ in range(200):  # 40 s of trickling at most
            try:
                sock.sendall(b"X")
            except OSError:
                closed = True
                break
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable and sock.recv(1024) == b"":
                closed = True
                break
    assert closed


def test_a_body_that_stops_coming_gets_408(site):
    with _connect(site) as sock:
        sock.sendall(b"POST /api/proposals HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"co")
        answer = _answer(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"application/problem+json" in head
    assert "trop lente" in json.loads(body)["detail"]


# -- imports: the caller first, then a cap while the body streams ---------------------------

def _chunked_headers(site: Site, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST /api/imports HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
            "Content-Type: multipart/form-data; boundary=XyZ\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()


def test_an_anonymous_import_is_401_before_its_body(site):
    """Only the headers are sent: the answer comes at once, 401 (was: the whole body was
    read and spooled first, then 413)."""
    with _connect(site) as sock:
        sock.sendall(_chunked_headers(site, None))
        head = sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 401"), head[:200]
    assert b"application/problem+json" in head


def _spooled(pid: int, folder: Path) -> int:
    """Bytes in the server's open temporary files (deleted ones included) in ``folder``."""
    total = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd).startswith(str(folder)):
                total += os.stat(fd).st_size
        except OSError:
            continue
    return total


def test_an_oversized_import_is_413_while_it_streams(site):
    """A 200 MB upload without Content-Length: 413 once the 5 MB cap is passed, long
    before the client is done, and the server never spooled more than the cap."""
    from geoservice.api.routes.imports import MAX_FILE, MAX_FORM_EXTRA

    cap = MAX_FILE + MAX_FORM_EXTRA
    block = b"a;b\n" * 16384  # 64 KiB of CSV
    part = (b"--XyZ\r\nContent-Disposition: form-data; name=\"layer\"\r\n\r\nhebergement\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
            b"Content-Type: text/csv\r\n\r\n")
    sent, most_spooled, answer = 0, 0, b""
    with _connect(site) as sock:
        sock.sendall(_chunked_headers(site, site.tokens["editor"]))
        sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        while sent < 200 * 1024 * 1024:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
            except OSError:  # the server answered and closed
                break
            sent += len(block)
            most_spooled = max(most_spooled, _spooled(site.server.pid, site.spool))
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
        sock.settimeout(30)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert sent < cap + 32 * 1024 * 1024  # socket buffers aside, it stopped at the cap
    assert most_spooled <= cap


# -- what is written -----------------------------------------------------------------------

def test_a_report_with_a_feature_is_checked_against_the_layer(site):
    editor = site.client("editor")
    fid = create(editor).json()["id"]
    with client_from(site, "127.0.0.7") as public:
        bad = public.post("/api/proposals", json={
            "collection": "hebergement", "target": fid, "problem": "information_fausse",
            "note": "le statut est faux", "feature": {
                "type": "Feature", "geometry": None,
                "properties": {"statut": "pas-un-statut"}}})
        assert bad.status_code == 422, bad.text  # was 202
        assert bad.headers["content-type"].startswith(PROBLEM)
        assert [e["field"] for e in bad.json()["errors"]] == ["statut"]
        good = public.post("/api/proposals", json={
            "collection": "hebergement", "target": fid, "problem": "information_fausse",
            "note": "il est fermé", "feature": {
                "type": "Feature", "geometry": None, "properties": {"statut": "ferme"}}})
        assert good.status_code == 202, good.text


def test_part4_writes_outside_the_territory_are_refused(site):
    editor = site.client("editor")
    paris = dict(PLACE, geometry={"type": "Point", "coordinates": PARIS})
    refused = editor.post("/api/collections/hebergement/items", json=paris)
    assert refused.status_code == 422, refused.text  # was 201
    assert refused.headers["content-type"].startswith(PROBLEM)
    errors = refused.json()["errors"]
    assert [e["field"] for e in errors] == ["geometry"]
    assert "hors du territoire" in errors[0]["message"]
    made = create(editor)
    location = made.headers["Location"]
    moved = editor.patch(location, content=json.dumps({"geometry": paris["geometry"]}),
                         headers={**MERGE, "If-Match": made.headers["ETag"]})
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "geometry"
    put = editor.put(location, json=paris, headers={"If-Match": made.headers["ETag"]})
    assert put.status_code == 422
    # a change that leaves the geometry alone is not refused
    kept = editor.patch(location, content=json.dumps({"properties": {"statut": "ferme"}}),
                        headers={**MERGE, "If-Match": made.headers["ETag"]})
    assert kept.status_code == 200, kept.text


# -- last: it uses up the hour's global allowance ---------------------------------------------

def test_zz_a_flood_from_many_addresses_meets_the_global_cap(site):
    used = queued(site)  # every proposal of this module so far counted for everyone
    codes = []
    for i in range(GLOBAL - used + 5):
        with client_from(site, f"127.0.2.{i % 250 + 1}") as public:
            codes.append(public.post("/api/proposals", json=NEED))
            if codes[-1].status_code == 429:
                break
    assert [c.status_code for c in codes[:-1]] == [202] * (GLOBAL - used)
    last = codes[-1]
    assert last.status_code == 429 and "pour tous" in last.json()["detail"]
    assert int(last.headers["Retry-After"]) > 0
    assert queued(site) == GLOBAL
