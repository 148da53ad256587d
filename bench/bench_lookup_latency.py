"""Benchmark (c): p50/p99 latency of ``GET /api/lookup`` under a steady, bounded load.

Starts the real service (``geoservice serve``, one uvicorn worker) on 127.0.0.1 with a
Toulouse Métropole store pulled from the mirror into a temporary folder, then sends
requests at a fixed rate (open loop: each request is due at its scheduled time, and its
latency counts from that time, so a slow server cannot hide its queueing; 16 keep-alive
connections of the standard library's light http.client), for a bounded
number of requests per rate. Points are random over the Toulouse Métropole bbox. Side by
side: the same lookups called in-process (no HTTP), to show what the web stack adds. Last,
one batch upload (``POST /api/lookup``, a 100,000-row CSV, the default row cap).

Usage::

    .venv/bin/python bench/bench_lookup_latency.py [--rates 50 100 200] [--requests 1000]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from geoservice.read.model import load_store
from geoservice.settings import Settings
from geoservice.sources.pull import pull
from geoservice.spatial import locator_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import Served, clean_env  # noqa: E402

BBOX = (1.20, 43.50, 1.60, 43.75)
DEFAULT_MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"


def percentiles(latencies: list[float]) -> str:
    ms = np.array(latencies) * 1000
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return f"p50 {p50:6.2f} ms  p90 {p90:6.2f} ms  p99 {p99:6.2f} ms  max {ms.max():6.2f} ms"


def steady_load(port: int, rate: float, points: np.ndarray, workers: int = 16
                ) -> tuple[list[float], int]:
    """Requests due every 1/rate s, sent by a pool of keep-alive connections (stdlib
    http.client: a light client, so the figures are the server's); latency measured from
    each request's due time."""
    latencies: list[float] = []
    errors = [0]
    counter = itertools.count()
    lock = threading.Lock()
    start = time.perf_counter() + 0.05

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next(counter)
            if i >= len(points):
                break
            due = start + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            connection.request("GET", f"/api/lookup?lon={points[i, 0]}&lat={points[i, 1]}")
            response = connection.getresponse()
            response.read()
            done = time.perf_counter()
            with lock:
                latencies.append(done - due)
                errors[0] += response.status != 200
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0]


def batch_upload(port: int, rows: int, rng: np.random.Generator) -> None:
    """One ``POST /api/lookup`` of a CSV of ``rows`` random points (upload to answer)."""
    lon = rng.uniform(BBOX[0], BBOX[2], rows)
    lat = rng.uniform(BBOX[1], BBOX[3], rows)
    body = ("id;lon;lat\n" + "".join(f"{i};{x:.6f};{y:.6f}\n"
                                     for i, (x, y) in enumerate(zip(lon, lat, strict=True))))
    timings = []
    for _ in range(3):
        begin = time.perf_counter()
        response = httpx.post(f"http://127.0.0.1:{port}/api/lookup", content=body.encode(),
                              headers={"content-type": "text/csv"}, timeout=300)
        timings.append(time.perf_counter() - begin)
        assert response.status_code == 200, response.text
    best = min(timings)
    print(f"POST /api/lookup, CSV of {rows:,} rows ({len(body) / 2**20:.1f} MiB): "
          f"{best:.2f} s (best of 3) = {rows / best:,.0f} rows/s")


def in_process(data_dir: Path, points: np.ndarray) -> list[float]:
    settings = Settings(data_dir=data_dir)
    locator = locator_for(load_store(settings))
    latencies = []
    for lon, lat in points:
        begin = time.perf_counter()
        locator.lookup(float(lon), float(lat), settings.lookup_nearest)
        latencies.append(time.perf_counter() - begin)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[50, 100, 200])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--mirror", type=Path,
                        default=Path(os.environ.get("GEOSERVICE_SOURCES", DEFAULT_MIRROR)))
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    points = np.column_stack([rng.uniform(BBOX[0], BBOX[2], args.requests),
                              rng.uniform(BBOX[1], BBOX[3], args.requests)]).round(6)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
          f"load average {os.getloadavg()[0]:.1f}; "
          f"Python {platform.python_version()}; load generator on the same machine")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        pull(Settings(data_dir=data_dir, sources=str(args.mirror)))
        local = in_process(data_dir, points)
        print(f"in-process locator.lookup (no HTTP), {len(points)} calls : "
              f"{percentiles(local)}")
        env = clean_env(GEOSERVICE_DATA_DIR=str(data_dir), GEOSERVICE_TILES_URL="")
        with Served(env) as server:
            port = server.port
            steady_load(port, 50, points[:50])  # warm-up (the index is built on first use)
            for rate in args.rates:
                began = time.perf_counter()
                latencies, errors = steady_load(port, rate, points)
                took = time.perf_counter() - began
                print(f"GET /api/lookup at {rate:5.0f} req/s, {len(points)} requests "
                      f"({len(points) / took:5.0f} req/s achieved, {errors} errors): "
                      f"{percentiles(latencies)}")
            batch_upload(port, args.batch_rows, rng)


if __name__ == "__main__":
    main()
