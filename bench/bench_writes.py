"""Benchmark: acknowledged writes (OGC API Features Part 4 PATCH with If-Match) per second
and their p50/p99 latency, with 1 and 8 concurrent writers, on the embedded SQLite store
and on PostGIS (one process, then two workers) side by side; then read p99 (items, lookup)
idle, during a steady 50 writes/s (far above what a territory's team makes), and during 8
writers going as fast as they can (which saturates this machine's two cores).

A write is acknowledged when the server answered 200: it is committed durably (SQLite WAL
synchronous=FULL; PostgreSQL fsync on) and this replica's snapshot includes it. Each writer
patches its own feature (no conflicts), closed loop, keep-alive, for a fixed duration.
Load generator on the same cores as the server: read the figures side by side.

Usage::

    .venv/bin/python bench/bench_writes.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.servers import GEOSERVICE, Served, clean_env  # noqa: E402

MIRROR = HERE.parent.parent / "shared" / "data"
PLACE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.4437, 43.6045]},
         "properties": {"nom": "Lieu de banc d'essai", "type": "tiers_lieu",
                        "defi": ["inclusion"], "statut": "ouvert", "precision": "adresse",
                        "source": "banc d'essai (données synthétiques)"}}
READS = ["/api/collections/qpv/items?limit=20",
         "/api/lookup?lon=1.4437&lat=43.6045"]


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([GEOSERVICE, *args], env=env, capture_output=True, text=True,
                          timeout=600)
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout.strip()


def prepare(env: dict[str, str]) -> str:
    cli(env, "data", "pull", "--from", str(MIRROR))
    cli(env, "users", "add", "bench@example.fr", "--role", "editor")
    return cli(env, "tokens", "create", "bench@example.fr")


def create(port: int, token: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/collections/hebergement/items", json.dumps(PLACE),
                 {"Authorization": f"Bearer {token}", "Content-Type": "application/geo+json",
                  "Geoservice-Duplicate": "distinct"})
    response = conn.getresponse()
    response.read()
    assert response.status == 201, response.status
    return response.getheader("Location").split("/items/")[1]


VERSIONS: dict[str, int] = {}


def writers(port: int, token: str, fids: list[str], seconds: float,
            rate: float | None = None) -> tuple[list[float], int]:
    """Closed loop (as fast as answers come), or paced at ``rate`` writes/s in all."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run(fid: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        version, mine, bad, n = VERSIONS.get(fid, 1), [], 0, 0
        path = f"/api/collections/hebergement/items/{fid}"
        period = len(fids) / rate if rate else 0.0
        due = time.monotonic()
        while time.monotonic() < stop_at:
            if period:
                due += period
                time.sleep(max(0.0, due - time.monotonic()))
            n += 1
            body = json.dumps({"properties": {"description": f"écriture {n}"}})
            started = time.perf_counter()
            conn.request("PATCH", path, body, {
                "Authorization": f"Bearer {token}", "If-Match": f'"{version}"',
                "Content-Type": "application/merge-patch+json"})
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                mine.append(time.perf_counter() - started)
                version = int(response.getheader("ETag").strip('"'))
            else:
                bad += 1
                if bad == 1:
                    print(f"  first error: {response.status} {response.read()[:200]!r} "
                          f"{response.getheader('ETag')}", file=sys.stderr)
        with lock:
            latencies.extend(mine)
            errors[0] += bad
            VERSIONS[fid] = version

    threads = [threading.Thread(target=run, args=(fid,)) for fid in fids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0]


def readers(port: int, stop: threading.Event, clients: int = 4) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, i = [], n
        while not stop.is_set():
            started = time.perf_counter()
            conn.request("GET", READS[i % len(READS)])
            conn.getresponse().read()
            mine.append(time.perf_counter() - started)
            i += 1
            time.sleep(0.005)  # an open-ish read load, not a saturating one
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    return latencies, threads  # type: ignore[return-value]


def ms(values: list[float], q: float) -> float:
    return float(np.percentile(values, q) * 1000) if values else float("nan")


def measure(name: str, env: dict[str, str], seconds: float, *serve: str) -> list[str]:
    token = prepare(env)
    lines = []
    with Served(env, *serve) as server:
        fids = [create(server.port, token) for _ in range(8)]
        for count in (1, 8):
            lat, bad = writers(server.port, token, fids[:count], seconds)
            lines.append(f"{name:<9} {count} writer(s): {len(lat) / seconds:7.1f} writes/s  "
                         f"p50 {ms(lat, 50):6.1f} ms  p99 {ms(lat, 99):6.1f} ms  "
                         f"errors {bad}")
        for label, load, rate in (("idle", 0, None), ("50 w/s", 4, 50.0),
                                  ("8 writers", 8, None)):
            stop = threading.Event()
            reads, threads = readers(server.port, stop)
            if load:
                writers(server.port, token, fids[:load], seconds, rate)
            else:
                time.sleep(seconds)
            stop.set()
            for thread in threads:
                thread.join()
            lines.append(f"{name:<9} reads ({label:<9}): {len(reads):6d} requests  "
                         f"p50 {ms(reads, 50):6.1f} ms  p99 {ms(reads, 99):6.1f} ms")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    from tests.postgres import Postgres

    results: list[str] = []
    with tempfile.TemporaryDirectory() as work:
        env = clean_env(GEOSERVICE_DATA_DIR=work, GEOSERVICE_TILES_URL="")
        results += measure("embedded", env, args.seconds)
        with Postgres() as postgres:
            url = postgres.create_database("bench_writes")
            results += measure("PostGIS", {**env, "GEOSERVICE_DATABASE_URL": url},
                               args.seconds)
            results += measure("PostGIS×2", {**env, "GEOSERVICE_DATABASE_URL": url},
                               args.seconds, "--workers", "2")
    print("\n".join(results))


if __name__ == "__main__":
    main()
