"""Benchmark: ``geoservice backup`` while the service takes writes, on the embedded SQLite
store and on PostGIS, for the real data (the mirror pulled) and for a grown store (the same
plus N synthetic features in ``hebergement``): the backup's duration and size, the restore's
duration, and the writes per second and p99 write latency of one closed-loop writer
(POST through the HTTP API) without a backup, then while backups run back to back, side by
side. The backup is called in-process (``geoservice.storage.backup.backup``: the copy
itself, not the CLI's start-up).

Usage::

    .venv/bin/python bench/bench_backup.py [--synthetic 50000] [--seconds 6]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.bench_edit_visible import prepare  # noqa: E402
from bench.bench_writes import PLACE  # noqa: E402
from tests.servers import Served, clean_env  # noqa: E402


def writer(port: int, token: str, stop: threading.Event) -> list[float]:
    """POSTs one after the other until ``stop``; the latency of each 201."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    while not stop.is_set():
        started = time.perf_counter()
        conn.request("POST", "/api/collections/hebergement/items", json.dumps(PLACE), {
            "Authorization": f"Bearer {token}", "Content-Type": "application/geo+json"})
        response = conn.getresponse()
        response.read()
        assert response.status == 201, response.status
        latencies.append(time.perf_counter() - started)
    return latencies


def load(port: int, token: str, seconds: float, during=None) -> tuple[float, float, list]:  # noqa: ANN001
    """Writes/s and p99 (ms) of one writer for ``seconds``, with ``during()`` called over
    and over meanwhile (its results returned)."""
    stop, out, results = threading.Event(), [], []
    thread = threading.Thread(target=lambda: out.extend(writer(port, token, stop)))
    thread.start()
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if during is None:
            time.sleep(0.05)
        else:
            results.append(during())
    stop.set()
    thread.join()
    return len(out) / seconds, float(np.percentile(out, 99)) * 1000, results


def case(kind: str, count: int, seconds: float, postgres) -> list[str]:  # noqa: ANN001
    from geoservice.settings import Settings
    from geoservice.storage.backup import backup, restore

    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    env = {"GEOSERVICE_DATA_DIR": str(work / "data"), "GEOSERVICE_TILES_URL": ""}
    fresh = {"GEOSERVICE_DATA_DIR": str(work / "restored")}
    if kind == "postgis":
        env["GEOSERVICE_DATABASE_URL"] = postgres.create_database(f"bench_backup_{count}")
        fresh["GEOSERVICE_DATABASE_URL"] = postgres.create_database(f"bench_restore_{count}")
    token = prepare(clean_env(**env), count)
    settings = Settings(data_dir=env["GEOSERVICE_DATA_DIR"],
                        database_url=env.get("GEOSERVICE_DATABASE_URL"))
    with Served(clean_env(**env), log=work / "serve.log") as served:
        idle_rate, idle_p99, _ = load(served.port, token, seconds)
        busy_rate, busy_p99, made = load(
            served.port, token, seconds, lambda: backup(settings, work / "store.backup"))
    target = Settings(data_dir=fresh["GEOSERVICE_DATA_DIR"],
                      database_url=fresh.get("GEOSERVICE_DATABASE_URL"))
    restored = restore(target, work / "store.backup")
    durations = [info.seconds for info in made]
    return [f"{kind:<8} {count:>7} {restored.features:>9} {made[-1].size / 1e6:>8.1f} "
            f"{np.median(durations):>9.2f} {len(made):>7} {restored.seconds:>9.2f}   "
            f"{idle_rate:>6.1f} / {idle_p99:>5.0f}   {busy_rate:>6.1f} / {busy_p99:>5.0f}"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    from tests.postgres import Postgres

    print("store    synthetic  features   size MB  backup s  backups  restore s"
          "   writes/s / p99 ms idle   during backups")
    with Postgres() as postgres:
        for count in (0, args.synthetic):
            for kind in ("sqlite", "postgis"):
                for line in case(kind, count, args.seconds, postgres):
                    print(line, flush=True)


if __name__ == "__main__":
    main()
