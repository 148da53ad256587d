"""Benchmark: the PostGIS store. (1) ``/api/collections/{qpv,qpv_france}/items`` req/s,
geoservice on PostGIS vs **tipg** (the PostGIS OGC API Features server of the FastAPI
world) on the same database and the same data, one uvicorn worker each, the same query
(``limit=100``); (2) CQL2-filtered items latency on the 1,584 national QPV, embedded store
vs PostGIS (pushed down to SQL), and the embedded store's items req/s for comparison.

The script starts its own PostgreSQL 15 + PostGIS (as the tests do, tests/postgres.py),
pulls Toulouse Métropole from the mirror into it and into an embedded store, adds the
national QPV as a ``qpv_france`` reference collection to both, and gives tipg the same
rows as plain tables (its best case: typed columns, GiST index). tipg runs from its own
virtualenv (``bench/setup_tipg.sh``). Load from ``wrk`` (Debian) when present.

Usage::

    .venv/bin/python bench/bench_postgis.py [--mirror ../shared/data] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from bench.bench_items import _free_port, _wait, measure  # noqa: E402
from tests.postgres import Postgres  # noqa: E402

TIPG_VENV = HERE / ".venv-tipg"
QUERY = "limit=100"
FILTERS = {
    "LIKE": "lib_qp LIKE 'Les %'",
    "IN + =": "insee_com IN ('31555', '34172', '13055') AND generation = '2024'",
    "S_INTERSECTS bbox": "S_INTERSECTS(geometry, BBOX(1.2, 43.4, 1.7, 43.8))",
    "OR / NOT / BBOX": "(lib_qp LIKE 'Centre%' OR NOT (insee_com LIKE '75%')) AND "
                       "S_INTERSECTS(geometry, BBOX(-5, 41, 10, 51))",
}


def layers_with_france(work: Path) -> Path:
    """The project's layer catalogue plus ``qpv_france`` (a copy of ``qpv``)."""
    layers = work / "layers"
    shutil.copytree(REPO / "layers", layers)
    text = (layers / "qpv.yaml").read_text("utf-8")
    (layers / "qpv_france.yaml").write_text(text.replace("id: qpv\n", "id: qpv_france\n", 1),
                                            "utf-8")
    return layers


def prepare(settings, mirror: Path) -> int:
    """Pull Toulouse, then load the national QPV as ``qpv_france`` into the same store."""
    from geoservice.catalog import load_catalog
    from geoservice.read.frames import frame_rows
    from geoservice.sources import read_qpv_2024
    from geoservice.sources.pull import pull
    from geoservice.storage import ReferenceLoad, open_store

    pull(settings)
    france, _ = read_qpv_2024(mirror / "qpv_2024_france.geojson", None,
                              settings.max_repair_area_change)
    france["generation"] = "2024"
    layer = load_catalog(settings.layers_dir)["qpv_france"]
    storage = open_store(settings)
    try:
        storage.features.load(ReferenceLoad(reference={"qpv_france": frame_rows(france, layer)},
                                   provenance={"qpv_france": {"feature_count": len(france)}}))
    finally:
        storage.close()
    return len(france)


def tipg_tables(url: str) -> None:
    """The same rows as plain tables for tipg (schema ``tipg``), typed, with a GiST index."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS tipg")
        for name in ("qpv", "qpv_france"):
            conn.execute(f"DROP TABLE IF EXISTS tipg.{name}")
            conn.execute(
                f"CREATE TABLE tipg.{name} AS SELECT fid AS code_qp, "
                "properties->>'lib_qp' AS lib_qp, properties->>'insee_com' AS insee_com, "
                "properties->>'generation' AS generation, geometry::geometry(MultiPolygon, 4326) "
                f"AS geom FROM features WHERE collection = '{name}' AND NOT deleted ORDER BY seq")
            conn.execute(f"ALTER TABLE tipg.{name} ADD PRIMARY KEY (code_qp)")
            conn.execute(f"CREATE INDEX ON tipg.{name} USING gist (geom)")
            conn.execute(f"ANALYZE tipg.{name}")


def start_geoservice(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen([str(Path(sys.executable).with_name("geoservice")), "serve",
                             "--port", str(port)], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_tipg(url: str, port: int) -> subprocess.Popen:
    if not (TIPG_VENV / "bin" / "python").exists():
        subprocess.run(["bash", str(HERE / "setup_tipg.sh")], check=True)
    env = {**os.environ, "DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["tipg"]',
           "TIPG_DEFAULT_FEATURES_LIMIT": "100", "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
    return subprocess.Popen(
        [str(TIPG_VENV / "bin" / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port",
         str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def latency(url: str, requests: int) -> tuple[float, float, int]:
    """p50 and p99 in ms of sequential requests, and the number of features matched
    (uncompressed, as wrk measures req/s: the filter's cost, not gzip's)."""
    with httpx.Client(timeout=60, headers={"Accept-Encoding": "identity"}) as client:
        matched = client.get(url).json()["numberMatched"]
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            client.get(url).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1], matched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    from geoservice.settings import Settings

    loader = "wrk" if shutil.which("wrk") else "boucle Python"
    with tempfile.TemporaryDirectory(prefix="bench-postgis-") as tmp, Postgres() as pg:
        work = Path(tmp)
        layers = layers_with_france(work)
        url = pg.create_database("bench")
        base = {k: v for k, v in os.environ.items() if not k.startswith("GEOSERVICE_")}
        stores = {
            "embarqué (SQLite)": {"GEOSERVICE_DATA_DIR": str(work / "var")},
            "PostGIS": {"GEOSERVICE_DATA_DIR": str(work / "var-pg"),
                        "GEOSERVICE_DATABASE_URL": url},
        }
        print("préparation des données…", file=sys.stderr)
        for extra in stores.values():
            settings = Settings(data_dir=Path(extra["GEOSERVICE_DATA_DIR"]),
                                database_url=extra.get("GEOSERVICE_DATABASE_URL"),
                                sources=str(args.mirror), layers_dir=layers)
            count = prepare(settings, args.mirror)
        tipg_tables(url)
        ports = {name: _free_port() for name in [*stores, "tipg"]}
        servers = {}
        try:
            for name, extra in stores.items():
                env = {**base, **extra, "GEOSERVICE_LAYERS_DIR": str(layers),
                       "GEOSERVICE_TILES_URL": ""}
                servers[name] = start_geoservice(env, ports[name])
            servers["tipg"] = start_tipg(url, ports["tipg"])
            for name in stores:
                _wait(f"http://127.0.0.1:{ports[name]}/api", servers[name])
            _wait(f"http://127.0.0.1:{ports['tipg']}/collections", servers["tipg"])
            rps = []
            for collection, label in (("qpv", "Toulouse Métropole (16 QPV)"),
                                      ("qpv_france", f"France ({count} QPV)")):
                ours = {name: f"http://127.0.0.1:{ports[name]}/api/collections/{collection}"
                              f"/items?{QUERY}" for name in stores}
                peer = (f"http://127.0.0.1:{ports['tipg']}/collections/tipg.{collection}"
                        f"/items?{QUERY}")
                ids = {httpx.get(u).json()["numberMatched"] for u in (*ours.values(), peer)}
                if len(ids) != 1:
                    raise RuntimeError(f"different counts for {collection}: {ids}")
                print(f"mesure : {label}…", file=sys.stderr)
                rps.append((label, *(measure(ours[n], args.seconds, args.connections)
                                     for n in stores),
                            measure(peer, args.seconds, args.connections)))
            cql = []
            for label, flt in FILTERS.items():
                row = [label]
                answers = set()
                for name in stores:
                    q = httpx.QueryParams({"filter": flt, "limit": "100"})
                    p50, p99, matched = latency(
                        f"http://127.0.0.1:{ports[name]}/api/collections/qpv_france/items?{q}",
                        args.requests)
                    answers.add(matched)
                    row += [p50, p99]
                if len(answers) != 1:
                    raise RuntimeError(f"stores disagree on {flt}: {answers}")
                cql.append((*row, answers.pop()))
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(timeout=30)
    print(f"\nGET …/items?{QUERY} — 1 worker uvicorn chacun, {loader} ({args.connections} "
          f"connexions, {args.seconds} s), {os.cpu_count()} cœurs, même base PostGIS pour "
          "geoservice-PostGIS et tipg\n")
    print(f"{'données':<28} {'geoservice SQLite':>18} {'geoservice PostGIS':>19} "
          f"{'tipg 1.x':>10} {'PostGIS/tipg':>13}")
    for label, sqlite_rps, pg_rps, tipg_rps in rps:
        print(f"{label:<28} {sqlite_rps:>14.0f} r/s {pg_rps:>15.0f} r/s {tipg_rps:>6.0f} r/s "
              f"{pg_rps / tipg_rps:>12.1f}×")
    print(f"\nCQL2 sur qpv_france ({count} QPV), limit=100, {args.requests} requêtes "
          "séquentielles — latence en ms\n")
    print(f"{'filtre':<20} {'SQLite p50':>11} {'p99':>7} {'PostGIS p50':>12} {'p99':>7} "
          f"{'objets':>7}")
    for label, s50, s99, p50, p99, matched in cql:
        print(f"{label:<20} {s50:>11.1f} {s99:>7.1f} {p50:>12.1f} {p99:>7.1f} {matched:>7}")
    print(json.dumps({"items_rps": rps, "cql2_ms": cql}, ensure_ascii=False), file=sys.stderr)


if __name__ == "__main__":
    main()
