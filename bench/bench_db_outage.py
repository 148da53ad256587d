"""Reproduction: a PostgreSQL outage under a running replica, and a replica started while
the database is down. Prints, for each request, its status, how long it took, its
Retry-After and the start of its detail, with the database up, then stopped
(``pg_ctl stop -m fast``), then started again; the lines the replica logged meanwhile;
how long it took to write again; and what ``geoservice serve`` does when started while the
database is down.

Run it with the interpreter of the checkout to measure (its ``geoservice`` command serves);
the PostgreSQL server is started here (tests/postgres.py), in a temporary folder::

    .venv/bin/python bench/bench_db_outage.py [--down-seconds 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.postgres import Postgres  # noqa: E402
from tests.servers import GEOSERVICE, Served, clean_env, free_port  # noqa: E402

MIRROR = HERE.parent.parent / "shared" / "data"
PASSWORD = "mot de passe de banc d'essai"  # synthetic account, this run only
FILTER = "lib_qp LIKE 'Grand%'"


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([GEOSERVICE, *args], env=env, capture_output=True, text=True,
                          timeout=600, input=stdin)
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout.strip()


def probe(client: httpx.Client, name: str, method: str, path: str, **kwargs: object
          ) -> dict:
    started = time.perf_counter()
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        return {"request": name, "status": type(exc).__name__,
                "seconds": time.perf_counter() - started}
    seconds = time.perf_counter() - started
    detail = ""
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", "")
        except ValueError:
            detail = response.text
    elif "numberMatched" in response.text[:4000]:
        detail = f"numberMatched={response.json().get('numberMatched')}"
    return {"request": name, "status": response.status_code, "seconds": seconds,
            "retry_after": response.headers.get("retry-after", "—"),
            "detail": detail[:90]}


def requests(client: httpx.Client, token: str, fid: str) -> list[dict]:
    auth = {"Authorization": f"Bearer {token}"}
    etag = client.get(f"/api/collections/lieux_totems/items/{fid}").headers.get("etag")
    return [
        probe(client, "GET items (snapshot)", "GET", "/api/collections/qpv/items?limit=5"),
        probe(client, "GET items + CQL2", "GET", "/api/collections/qpv/items",
              params={"filter": FILTER}),
        probe(client, "GET /api/me (token)", "GET", "/api/me", headers=auth),
        probe(client, "PATCH (token)", "PATCH", f"/api/collections/lieux_totems/items/{fid}",
              headers={**auth, "If-Match": etag or '"1"',
                       "Content-Type": "application/merge-patch+json"},
              json={"properties": {"statut": "ouvert"}}),
        probe(client, "POST /api/auth/login", "POST", "/api/auth/login",
              json={"email": "login@example.fr", "password": PASSWORD}),
        probe(client, "GET /api/ready", "GET", "/api/ready"),
    ]


def show(title: str, rows: list[dict]) -> None:
    print(f"\n## {title}")
    print(f"{'request':<24} {'status':>6} {'seconds':>8} {'Retry-After':>11}  detail")
    for row in rows:
        print(f"{row['request']:<24} {row['status']!s:>6} {row['seconds']:>8.2f} "
              f"{row.get('retry_after', '—'):>11}  {row.get('detail', '')}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--down-seconds", type=float, default=10.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-outage-"))
    with Postgres() as pg:
        url = pg.create_database("outage")
        env = clean_env(GEOSERVICE_DATA_DIR=str(work), GEOSERVICE_DATABASE_URL=url,
                        GEOSERVICE_TILES_URL="")
        cli(env, "data", "pull", "--from", str(MIRROR))
        cli(env, "users", "add", "bench@example.fr", "--role", "editor")
        cli(env, "users", "add", "login@example.fr", "--role", "editor", "--password",
            stdin=f"{PASSWORD}\n{PASSWORD}\n")
        token = cli(env, "tokens", "create", "bench@example.fr")
        log = work / "serve.log"
        with Served(env, log=log) as served, httpx.Client(base_url=served.url,
                                                          timeout=60) as client:
            fid = client.get("/api/collections/lieux_totems/items?limit=1"
                             ).json()["features"][0]["id"]
            show("database up", requests(client, token, fid))
            before = len(log.read_text().splitlines())
            pg.stop()
            stopped = time.monotonic()
            show("database stopped", requests(client, token, fid))
            time.sleep(max(0.0, args.down_seconds - (time.monotonic() - stopped)))
            show(f"database stopped, after {args.down_seconds:g} s",
                 requests(client, token, fid))
            lines = log.read_text().splitlines()[before:]
            pg.start()
            restarted = time.monotonic()
            while True:
                row = requests(client, token, fid)[3]
                if row["status"] == 200:
                    break
                if time.monotonic() - restarted > 120:
                    print("no write accepted 120 s after the restart")
                    break
                time.sleep(0.1)
            print(f"\nfirst write accepted {time.monotonic() - restarted:.2f} s after "
                  "PostgreSQL started again")
            show("database back", requests(client, token, fid))
            print(f"\n## log lines while down ({args.down_seconds:g} s): {len(lines)}, "
                  f"tracebacks: {sum('Traceback' in line for line in lines)}")
            for line in lines[:6]:
                print("   ", line[:160])
            after = log.read_text().splitlines()[before + len(lines):]
            print(f"log lines after the restart: {len(after)}")
            for line in [x for x in after if "access" not in x][:4]:
                print("   ", line[:160])
        pg.stop()
        started = time.perf_counter()
        done = subprocess.run([GEOSERVICE, "serve", "--port", str(free_port())], env=env,
                              capture_output=True, text=True, timeout=120)
        print(f"\n## serve started while the database is down: exit {done.returncode} after "
              f"{time.perf_counter() - started:.1f} s, {len(done.stderr.splitlines())} "
              "line(s) on stderr")
        for line in done.stderr.splitlines()[:5]:
            print("   ", line[:160])
        pg.start()
    print(json.dumps({"work": str(work)}))


if __name__ == "__main__":
    main()
