"""Benchmark: a CSV import of N synthetic rows (default 100,000; coordinates in the file, so
no geocoding) through ``geoservice import … --apply``, in one go, on the embedded store
pulled from the mirror; printed beside the same import cut in files of 5,000 rows (the
former limit: « Le fichier dépasse 5000 lignes : découpez-le »). The rows are synthetic
(« Lieu synthétique n° k » on a regular grid over the territory) and say so.

Usage::

    .venv/bin/python bench/bench_import.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEOSERVICE = ROOT / ".venv" / "bin" / "geoservice"
MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"


def rows_csv(path: Path, first: int, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("code;nom;lon;lat;type\n")
        for k in range(first, first + count):
            lon, lat = 1.30 + (k % 400) * 0.0007, 43.55 + (k // 400) * 0.0006
            out.write(f"G{k};Lieu synthétique n° {k};{lon:.6f};{lat:.6f};coworking\n")


def store(env: dict) -> None:
    done = subprocess.run([str(GEOSERVICE), "data", "pull", "--from", str(MIRROR)], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)


def run(env: dict, path: Path, source: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(GEOSERVICE), "import", "hebergement", str(path), "--id-column",
                           "code", "--source", source, "--apply"], env=env, capture_output=True,
                          text=True)
    if done.returncode:
        sys.exit(done.stderr)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        figures = {}
        for label in ("un fichier", "fichiers de 5 000 lignes"):
            folder = work / label.replace(" ", "-")
            env = {"PATH": "/usr/bin:/bin", "GEOSERVICE_DATA_DIR": str(folder)}
            store(env)
            if label == "un fichier":
                rows_csv(work / "all.csv", 0, rows)
                figures[label] = run(env, work / "all.csv", "bench")
            else:
                total = 0.0
                for first in range(0, rows, 5_000):
                    part = work / f"part-{first}.csv"
                    rows_csv(part, first, min(5_000, rows - first))
                    total += run(env, part, "bench")
                figures[label] = total
        print(f"import de {rows} lignes synthétiques (coordonnées dans le fichier, --apply)")
        for label, seconds in figures.items():
            print(f"  {label:<28} {seconds:8.1f} s   {rows / seconds:8.0f} lignes/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
