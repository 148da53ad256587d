"""Benchmark: the territory over time (not a test), side by side with today's analysis in
one run.

1. Toulouse Métropole (the mirror's real QPV, places and stations) plus SYNTHETIC dated
   places and needs (seeded, generated here, labelled ``synthetic-*``): the ranking at a
   past date against the current ranking (goal ≤ 1.5×), and the evolution of every QPV
   over 6 years, 2020–2025 (goal < 2 s);
2. France: the 1,584 QPV 2024, the 105 QPV 2015 of Occitanie with their indicators and
   200,000 SYNTHETIC places (60 % dated), 2,000 needs, 3,000 stations (as
   ``bench_analysis.py``): the national analysis at a date (goal < 5 s) against the
   national analysis of today.

Each timing is the median of ``--repeat`` runs on a snapshot whose diagnoses were dropped
(the collections keep what they keep in service: their tables and periods); the first,
cold run is printed beside it.

Usage::

    .venv/bin/python bench/bench_time.py [--places 200000] [--dated 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_analysis import DEFAULT_MIRROR  # noqa: E402
from bench.bench_analysis import load as national_data  # noqa: E402

YEARS = (2020, 2025)
PAST = date(2021, 6, 30)
SYNTHETIC = "synthétique (benchmark)"


def _timed(*builds, repeat: int) -> list[tuple[float, float]]:
    """For each ``build()`` (a fresh snapshot-bound call): (cold seconds, median of the warm
    runs). The builds run interleaved, round after round, so that a busy machine slows
    them alike and their ratio holds."""
    times: list[list[float]] = [[] for _ in builds]
    for _ in range(repeat + 1):
        for build, found in zip(builds, times, strict=True):
            start = time.perf_counter()
            build()
            found.append(time.perf_counter() - start)
    return [(found[0], statistics.median(found[1:])) for found in times]


def _dates(rng, n: int, dated_share: float) -> tuple[list, list, list]:
    """Opening and closing dates (partial, like real ones) and statuses; part undated."""
    opening, closing, statut = [], [], []
    for i in range(n):
        if rng.random() >= dated_share:
            opening.append(None)
            closing.append(None)
            statut.append("ouvert" if rng.random() < 0.9 else "ferme")
            continue
        year = int(rng.integers(2012, 2026))
        month = int(rng.integers(1, 13))
        opening.append(f"{year}-{month:02d}" if i % 3 else str(year))
        if rng.random() < 0.2:
            closing.append(str(int(rng.integers(year + 1, 2027))))
            statut.append("ferme")
        else:
            closing.append(None)
            statut.append("ouvert")
    return opening, closing, statut


def toulouse(mirror: Path, n_dated: int, seed: int, repeat: int) -> None:
    import geopandas as gpd

    from geoservice.analysis.evolution import evolution
    from geoservice.analysis.service import AnalysisRequest, run
    from geoservice.read.model import load_store
    from geoservice.read.snapshot import Collection, Snapshot
    from geoservice.settings import Settings
    from geoservice.sources.pull import pull

    tmp = Path(tempfile.mkdtemp(prefix="bench-time-"))
    settings = Settings(data_dir=tmp, sources=str(mirror), territoire="toulouse-metropole")
    pull(settings)
    real = load_store(settings)
    rng = np.random.default_rng(seed)
    qpv = real.collection("qpv").frame.to_crs("EPSG:2154")
    reps = qpv.geometry.representative_point()
    pick = rng.integers(0, len(reps), n_dated)
    points = gpd.GeoSeries(gpd.points_from_xy(reps.x.values[pick] + rng.normal(0, 700, n_dated),
                                              reps.y.values[pick] + rng.normal(0, 700, n_dated)),
                           crs="EPSG:2154").to_crs("EPSG:4326")
    layer = real.collection("projets").layer
    opening, closing, statut = _dates(rng, n_dated, 0.8)
    data = {name: [None] * n_dated for name in layer.properties}
    data.update({"id": [f"synthetic-{i}" for i in range(n_dated)],
                 "nom": [f"Projet synthétique {i}" for i in range(n_dated)],
                 "type": "projet_ess", "defi": [["inclusion"]] * n_dated,
                 "precision": "adresse", "source": SYNTHETIC, "statut": statut,
                 "date_ouverture": opening, "date_fermeture": closing})
    projets = Collection(layer, gpd.GeoDataFrame(data, geometry=points.values, crs="EPSG:4326"))
    store = Snapshot(real.settings, real.territory, {**real.base, "projets": projets},
                     real.layers, real.views)
    now = AnalysisRequest.parse(settings=settings)
    past = replace(now, day=PAST)

    def fresh() -> Snapshot:
        store.derived.clear()
        return store

    current, at_date, series = _timed(lambda: run(fresh(), now), lambda: run(fresh(), past),
                                      lambda: evolution(fresh(), now, *YEARS), repeat=repeat)
    print(f"Toulouse Métropole: {len(qpv)} QPV, {len(store.collection('lieux_totems')) + len(store.collection('hebergement')) + len(store.collection('accompagnement')) + len(store.collection('structures_ess'))} real places (undated) "  # noqa: E501
          f"+ {n_dated:,} synthetic projects (80 % dated)")
    print(f"{'measure':<52}{'cold (s)':>10}{'median (s)':>12}{'goal':>16}")
    print(f"{'ranking today':<52}{current[0]:>10.3f}{current[1]:>12.3f}{'':>16}")
    ratio = at_date[1] / current[1]
    print(f"{'ranking at ' + PAST.isoformat():<52}{at_date[0]:>10.3f}{at_date[1]:>12.3f}"
          f"{'≤ 1.5× today':>16}")
    print(f"{'  ratio at a date / today':<52}{'':>10}{ratio:>12.2f}"
          f"{'ok' if ratio <= 1.5 else 'MISSED':>16}")
    label = f"evolution of every QPV, {YEARS[0]}–{YEARS[1]} (6 steps)"
    print(f"{label:<52}{series[0]:>10.3f}{series[1]:>12.3f}"
          f"{'< 2 s ' + ('ok' if series[1] < 2 else 'MISSED'):>16}")


def national(mirror: Path, n_places: int, seed: int, repeat: int) -> None:
    import geopandas as gpd
    import pandas as pd

    from geoservice.analysis.service import AnalysisRequest, run
    from geoservice.catalog import load_catalog
    from geoservice.read.snapshot import Collection, Snapshot
    from geoservice.settings import Settings
    from geoservice.territory import get_territory

    qpv, qpv_2015, places, besoins, stations = national_data(mirror, n_places, seed)
    settings = Settings(territoire="toulouse-metropole")
    layers = load_catalog(settings.layers_dir)
    rng = np.random.default_rng(seed + 1)
    opening, closing, statut = _dates(rng, len(places), 0.6)
    places = places.assign(date_ouverture=opening, date_fermeture=closing, statut=statut,
                           source=SYNTHETIC)
    reported = [f"{int(y)}-{int(m):02d}-01" for y, m in zip(rng.integers(2015, 2026, len(besoins)),
                                                             rng.integers(1, 13, len(besoins)),
                                                             strict=True)]
    besoins = besoins.assign(date_signalement=reported, etape="repere", etape_date=None,
                             reponse=None, type="besoin")
    kinds = {"lieu_totem": "lieux_totems", "hebergement": "hebergement",
             "accompagnement": "accompagnement", "projet": "projets"}
    base = {"qpv": Collection(layers["qpv"], qpv.to_crs("EPSG:4326")),
            "qpv_2015": Collection(layers["qpv_2015"], qpv_2015.to_crs("EPSG:4326")),
            "besoins": Collection(layers["besoins"], besoins.to_crs("EPSG:4326")),
            "stations": Collection(layers["stations"], stations.to_crs("EPSG:4326"))}
    for kind, layer_id in kinds.items():
        part = places[places["kind"] == kind].drop(columns="kind").reset_index(drop=True)
        part = part.assign(type=None, territoire=None)
        base[layer_id] = Collection(layers[layer_id], gpd.GeoDataFrame(
            pd.DataFrame(part.drop(columns="geometry")), geometry=part.geometry.to_crs(
                "EPSG:4326").values, crs="EPSG:4326"))
    store = Snapshot(settings, get_territory("toulouse-metropole"), base, layers)
    now = AnalysisRequest.parse(settings=settings)
    past = replace(now, day=PAST)

    def fresh() -> Snapshot:
        store.derived.clear()
        return store

    current, at_date = _timed(lambda: run(fresh(), now), lambda: run(fresh(), past),
                              repeat=repeat)
    print(f"France: {len(qpv):,} QPV 2024, {n_places:,} synthetic places (60 % dated), "
          f"{len(besoins):,} synthetic needs (dated), {len(stations):,} synthetic stations")
    print(f"{'national analysis today':<52}{current[0]:>10.3f}{current[1]:>12.3f}{'':>16}")
    print(f"{'national analysis at ' + PAST.isoformat():<52}{at_date[0]:>10.3f}"
          f"{at_date[1]:>12.3f}{'< 5 s ' + ('ok' if at_date[1] < 5 else 'MISSED'):>16}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=200_000)
    parser.add_argument("--dated", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    toulouse(args.mirror, args.dated, args.seed, args.repeat)
    national(args.mirror, args.places, args.seed, args.repeat)


if __name__ == "__main__":
    main()
