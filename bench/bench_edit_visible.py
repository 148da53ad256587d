"""Benchmark: what an edit costs with N features in one editable layer. For 1,000, 10,000
and 50,000 features in ``hebergement`` (synthetic features, made up by this script and said
so in their ``source``; the reference layers are the real mirror), on the embedded store and
on PostGIS, a real ``geoservice serve`` on 127.0.0.1 takes a few PATCHes (properties and a
moved point, If-Match) and the script measures:

- acknowledgement: from sending the PATCH to its 200 (committed, and this replica's
  snapshot includes it: read-your-writes);
- edit-to-visible, from sending the PATCH until a GET shows it: the item (its ETag and new
  text), the list (a bbox page around the new position holding the new text) and the
  diagnosis (``diagnostic_qpv`` computed from a snapshot holding the edit: its provenance's
  input revision of ``hebergement``). Three clients poll these on their own connections.

``--full-rebuild`` also runs each case with ``GEOSERVICE_FULL_REBUILD=1`` (every revision
reads and rebuilds the whole layer and warms every view, as before deltas), side by side.
p50/p95 over few edits (p95 is then close to the maximum): read them as orders of size.
Load generator and server share this machine's cores.

Usage::

    .venv/bin/python bench/bench_edit_visible.py [--sizes 1000,10000,50000] [--edits 6]
        [--full-rebuild] [--stores embedded,postgis]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.bench_writes import cli  # noqa: E402
from tests.servers import Served, clean_env  # noqa: E402

MIRROR = HERE.parent.parent / "shared" / "data"
LAYER = "hebergement"
WEST, SOUTH, EAST, NORTH = 1.33, 43.54, 1.52, 43.68  # inside Toulouse Métropole
SYNTHETIC = "banc d'essai bench_edit_visible (données synthétiques)"


def synthetic_rows(count: int) -> list:
    from geoservice.storage import Row

    rng = random.Random(24)
    rows = []
    for i in range(count):
        fid = f"synth-{i:06d}"
        point = shapely.Point(rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH))
        rows.append(Row(fid, {
            "id": fid, "nom": f"Lieu synthétique {i}", "type": "tiers_lieu",
            "defi": ["inclusion"] if i % 2 else ["alimentation_durable"],
            "territoire": "toulouse-metropole",
            "statut": "ouvert", "precision": "adresse", "verification": "verifie",
            "source": SYNTHETIC, "description": f"objet synthétique {i}"},
            shapely.to_wkb(point)))
    return rows


def prepare(env: dict[str, str], count: int) -> str:
    """A store whose ``hebergement`` holds ``count`` synthetic features (seeded before the
    pull, which then leaves it as it is), the real reference layers, and an editor token."""
    from geoservice.settings import Settings
    from geoservice.storage import ReferenceLoad, open_store

    settings = Settings(data_dir=env["GEOSERVICE_DATA_DIR"],
                        database_url=env.get("GEOSERVICE_DATABASE_URL") or None)
    storage = open_store(settings, create=True)
    try:
        storage.upgrade()
        storage.features.load(ReferenceLoad(editable={LAYER: synthetic_rows(count)}, provenance={
            LAYER: {"layer": LAYER, "seeded_at": "bench", "feature_count": count,
                    "sources": [SYNTHETIC]}}))
    finally:
        storage.close()
    cli(env, "data", "pull", "--from", str(MIRROR))
    cli(env, "users", "add", "bench@example.fr", "--role", "editor")
    return cli(env, "tokens", "create", "bench@example.fr")


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, dict, str]:
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read().decode()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def diagnosis_revision(conn: http.client.HTTPConnection) -> int:
    status, _, body = get(conn, "/api/collections/diagnostic_qpv")
    assert status == 200, body[:300]
    return int(json.loads(body)["geoservice:provenance"]["input_revisions"][LAYER])


def poll(port: int, seen: dict[str, float], name: str, check, started: list[float],
         go: threading.Event, done: threading.Event) -> None:  # noqa: ANN001
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    go.wait()
    deadline = time.perf_counter() + 60
    while not done.is_set() and time.perf_counter() < deadline:
        if check(conn):
            seen[name] = time.perf_counter() - started[0]
            return
        time.sleep(0.002)
    seen.setdefault(name, float("nan"))


def measure(port: int, token: str, edits: int) -> dict[str, list[float]]:
    fid = "synth-000000"
    item = f"/api/collections/{LAYER}/items/{quote(fid)}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    status, headers, body = get(conn, item)
    assert status == 200, body[:300]
    version = int(headers["etag"].strip('"'))
    lon, lat = json.loads(body)["geometry"]["coordinates"]
    # what a running service has been asked already: the list and the diagnosis
    get(conn, f"/api/collections/{LAYER}/items?limit=10")
    revision = diagnosis_revision(conn)
    out: dict[str, list[float]] = {"ack": [], "item": [], "list": [], "diagnosis": []}
    for n in range(1, edits + 1):
        text = f"édition {n} {time.time()}"
        lon += 0.0001
        box = f"{lon - 0.0005},{lat - 0.0005},{lon + 0.0005},{lat + 0.0005}"
        checks = {
            "item": lambda c, t=text: (lambda s, h, b: s == 200 and t in b)(*get(c, item)),
            "list": lambda c, t=text, b=box: t in get(
                c, f"/api/collections/{LAYER}/items?bbox={b}&limit=10")[2],
            "diagnosis": lambda c, r=revision + n: diagnosis_revision(c) >= r,
        }
        seen: dict[str, float] = {}
        started = [0.0]
        go, done = threading.Event(), threading.Event()
        threads = [threading.Thread(target=poll, args=(port, seen, k, check, started, go,
                                                       done), daemon=True)
                   for k, check in checks.items()]
        for thread in threads:
            thread.start()
        patch = json.dumps({"geometry": {"type": "Point", "coordinates": [lon, lat]},
                            "properties": {"description": text}})
        conn.close()  # a new connection (the server drops idle ones after a few seconds)
        conn.connect()
        started[0] = time.perf_counter()
        conn.request("PATCH", item, patch, {
            "Authorization": f"Bearer {token}", "If-Match": f'"{version}"',
            "Content-Type": "application/merge-patch+json"})
        response = conn.getresponse()
        answer = response.read()
        out["ack"].append(time.perf_counter() - started[0])
        if response.status != 200:
            done.set()
            raise SystemExit(f"PATCH: {response.status} {answer[:400]!r}")
        version = int(response.getheader("ETag").strip('"'))
        go.set()  # polls start once the writer has its answer
        for thread in threads:
            thread.join()
        done.set()
        for key in ("item", "list", "diagnosis"):
            out[key].append(seen[key])
        time.sleep(1.0)  # a pause between edits (a person editing)
    return out


def ms(values: list[float], q: float) -> str:
    return f"{np.nanpercentile(values, q) * 1000:7.0f}" if values else "    nan"


def case(store: str, env: dict[str, str], count: int, edits: int, full: bool) -> list[str]:
    mode = "full rebuild" if full else "delta"
    run_env = {**env, "GEOSERVICE_FULL_REBUILD": "1" if full else "0"}
    token = env["TOKEN"]
    with Served(run_env, log=Path(env["GEOSERVICE_DATA_DIR"]) / f"serve-{mode}.log") as server:
        figures = measure(server.port, token, edits)
    return [f"{store:<8} {count:>6} {mode:<12} " + "  ".join(
        f"{key} {ms(values, 50)} /{ms(values, 95)}" for key, values in figures.items())]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--edits", type=int, default=6)
    parser.add_argument("--stores", default="embedded,postgis")
    parser.add_argument("--full-rebuild", action="store_true",
                        help="also run every case the old way, side by side")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    stores = args.stores.split(",")
    modes = [False, True] if args.full_rebuild else [False]
    lines = ["store     features mode          ms, p50 / p95 (from sending the PATCH)"]
    from tests.postgres import Postgres

    with tempfile.TemporaryDirectory() as work, Postgres() as postgres:
        for store in stores:
            for count in sizes:
                env = clean_env(GEOSERVICE_DATA_DIR=f"{work}/{store}-{count}",
                                GEOSERVICE_TILES_URL="")
                if store == "postgis":
                    env["GEOSERVICE_DATABASE_URL"] = postgres.create_database(
                        f"bench_edit_{count}")
                started = time.perf_counter()
                env["TOKEN"] = prepare(env, count)
                print(f"[{store} {count}: store ready in {time.perf_counter() - started:.0f} s]",
                      file=sys.stderr, flush=True)
                for full in modes:
                    lines += case(store, env, count, args.edits, full)
                    print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
