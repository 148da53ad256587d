"""Benchmark: 50 concurrent clients for 20 s on ``/api/collections/qpv/items`` and
``/api/lookup``, against ``geoservice serve`` with 1 and with 2 workers (issue 13).

Closed loop: each client sends its next request when the previous one answered (keep-alive,
the standard library's http.client, one thread per client), for a fixed duration. Reports
requests, errors (non-200 or connection errors), throughput and p50/p99/max latency.
Load generator on the same 2 cores as the server: read the figures side by side.

Usage::

    .venv/bin/python bench/bench_concurrency.py [--clients 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from geoservice.settings import Settings  # noqa: E402
from geoservice.sources.pull import pull  # noqa: E402
from tests.servers import Served, clean_env  # noqa: E402

BBOX = (1.20, 43.50, 1.60, 43.75)


def run_clients(port: int, paths: list[str], clients: int, seconds: float
                ) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad, i = [], 0, n
        while time.monotonic() < stop_at:
            path = paths[i % len(paths)]
            i += clients
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--mirror", type=Path, default=HERE.parent.parent / "shared" / "data")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    lookups = [f"/api/lookup?lon={x:.6f}&lat={y:.6f}"
               for x, y in zip(rng.uniform(BBOX[0], BBOX[2], 2000),
                               rng.uniform(BBOX[1], BBOX[3], 2000), strict=True)]
    targets = {"items qpv": ["/api/collections/qpv/items"], "lookup": lookups}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pull(Settings(data_dir=Path(tmp), sources=str(args.mirror)))
        for workers in args.workers:
            env = clean_env(GEOSERVICE_DATA_DIR=tmp, GEOSERVICE_TILES_URL="")
            with Served(env, "--workers", str(workers)) as server:
                for label, paths in targets.items():
                    run_clients(server.port, paths, 10, 2)  # warm every worker
                    latencies, errors = run_clients(server.port, paths, args.clients,
                                                    args.seconds)
                    ms = np.array(latencies) * 1000
                    rows.append((workers, label, len(ms), errors, len(ms) / args.seconds,
                                 *np.percentile(ms, [50, 99]), ms.max()))
    print(f"\n{args.clients} clients simultanés, {args.seconds:g} s par cible, "
          f"{os.cpu_count()} cœurs (générateur de charge sur la même machine)\n")
    print(f"{'workers':>7} {'cible':<10} {'requêtes':>9} {'erreurs':>8} {'req/s':>7} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for workers, label, count, errors, rps, p50, p99, worst in rows:
        print(f"{workers:>7} {label:<10} {count:>9} {errors:>8} {rps:>7.0f} {p50:>7.1f} "
              f"{p99:>7.1f} {worst:>7.1f}")


if __name__ == "__main__":
    main()
