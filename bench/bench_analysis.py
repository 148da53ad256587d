"""Benchmark: the whole underserved analysis at national scale (not a test).

The 1,584 QPV 2024 of France, the 105 QPV 2015 of Occitanie with their INSEE indicators,
and SYNTHETIC ESS data (seeded, generated here, labelled ``synthetic-*``): 200,000 ESS
places (75 % scattered around QPV, sigma 800 m, 25 % uniform over metropolitan France),
2,000 needs and 3,000 metro/tram stations.

Two implementations of the same computation, each in its own subprocess (fair peak RSS):

- ``geoservice``: :func:`geoservice.analysis.diagnose` (STRtree ``dwithin`` and nearest
  queries, per-QPV ring unions, reasons in French);
- ``geopandas``: a straightforward version with ``gpd.overlay`` (need carry),
  ``gpd.sjoin(predicate="dwithin")`` (answers and needs in the ring), ``gpd.sjoin_nearest``
  (distances), buffer + ``dissolve`` + ``gpd.overlay`` (coverage); the same component and
  score formulas. No reasons.

Both results are compared (counts equal; distances, shares and scores to 1e-6).

Usage::

    .venv/bin/python bench/bench_analysis.py [--places 200000] [--seed 7] [--mirror DIR]
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

DEFAULT_MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"
METRO_CODES = r"QN(0[1-9]|[1-8]\d|9[0-5]|2[AB])"
KINDS = np.array(["projet", "hebergement", "accompagnement", "lieu_totem"])
DEFIS = ["inclusion", "economie_circulaire", "alimentation_durable"]
COMPARED = ["indicator_coverage", "pop_mun", "tp60", "tx_tot_empl", "answers", "answers_1km",
            "unmet_needs",
            "dist_lieu_totem_m", "dist_hebergement_m", "dist_accompagnement_m",
            "dist_station_m", "covered_share", "comp_need", "comp_answer", "comp_distance",
            "comp_access", "comp_demand", "score"]


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load(mirror: Path, n_places: int, seed: int):
    """Real QPV (2024 France, 2015 Occitanie) and seeded synthetic ESS data, EPSG:2154."""
    import geopandas as gpd

    from geoservice.sources import read_qpv_2015, read_qpv_2024

    qpv, _ = read_qpv_2024(mirror / "qpv_2024_france.geojson", None, 0.01)
    qpv_2015, _ = read_qpv_2015(mirror / "qpv_occitanie_2015.geojson",
                                mirror / "qpv_indicateurs_occitanie.csv", None, 0.01)
    rng = np.random.default_rng(seed)
    metric = qpv.to_crs("EPSG:2154")
    metro = metric[metric["code_qp"].str.match(METRO_CODES)]
    reps = metro.geometry.representative_point()
    west, south, east, north = metro.total_bounds

    def scatter(n: int, near_share: float) -> tuple[np.ndarray, np.ndarray]:
        near = int(n * near_share)
        pick = rng.integers(0, len(reps), near)
        x = np.r_[reps.x.values[pick] + rng.normal(0, 800, near),
                  rng.uniform(west, east, n - near)]
        y = np.r_[reps.y.values[pick] + rng.normal(0, 800, near),
                  rng.uniform(south, north, n - near)]
        return x, y

    x, y = scatter(n_places, 0.75)
    tags = rng.random((n_places, 3)) < 0.4
    places = gpd.GeoDataFrame({
        "kind": KINDS[rng.choice(4, n_places, p=[0.6, 0.15, 0.15, 0.1])],
        "id": [f"synthetic-{i}" for i in range(n_places)],
        "nom": [f"Lieu synthétique {i}" for i in range(n_places)],
        "defi": [[d for d, t in zip(DEFIS, row, strict=True) if t] for row in tags],
        "statut": np.where(rng.random(n_places) < 0.9, "ouvert", "ferme"),
        "precision": "adresse",
    }, geometry=gpd.points_from_xy(x, y), crs="EPSG:2154")
    bx, by = scatter(2000, 0.9)
    besoins = gpd.GeoDataFrame({
        "id": [f"synthetic-need-{i}" for i in range(2000)],
        "nom": [f"Besoin synthétique {i}" for i in range(2000)],
        "defi": [[DEFIS[i % 3]] for i in range(2000)], "statut": "ouvert",
        "couvert": rng.random(2000) < 0.3, "qpv": None, "precision": "rue",
    }, geometry=gpd.points_from_xy(bx, by), crs="EPSG:2154")
    sx, sy = scatter(3000, 0.8)
    stations = gpd.GeoDataFrame({
        "id": [f"synthetic-station-{i}" for i in range(3000)],
        "nom": [f"Station {i}" for i in range(3000)],
        "type": np.where(rng.random(3000) < 0.5, "metro", "tram"),
    }, geometry=gpd.points_from_xy(sx, sy), crs="EPSG:2154")
    return qpv, qpv_2015, places, besoins, stations


def run_geoservice(qpv, qpv_2015, places, besoins, stations):
    from geoservice.analysis import Parameters, diagnose, make_inputs

    result = diagnose(make_inputs(qpv, qpv_2015, places, besoins, stations), Parameters())
    return result.frame.drop(columns="geometry")


def run_geopandas(qpv, qpv_2015, places, besoins, stations):  # noqa: PLR0915 - one recipe
    import geopandas as gpd
    import pandas as pd

    from geoservice.analysis import DEFAULT_WEIGHTS, score
    from geoservice.analysis.need import COUNT_INDICATORS, MEAN_INDICATORS

    ring = 500.0
    q = qpv.to_crs("EPSG:2154")[["code_qp", "lib_qp", "geometry"]].reset_index(drop=True)
    q["geometry"] = q.geometry.make_valid()
    q["qid"] = np.arange(len(q))
    q["area"] = q.geometry.area
    old = qpv_2015.to_crs("EPSG:2154").reset_index(drop=True)
    old["geometry"] = old.geometry.make_valid()
    old["A_j"] = old.geometry.area
    warnings.filterwarnings("ignore", message=".*keep_geom_type.*")
    inter = gpd.overlay(q[["qid", "geometry"]], old, how="intersection", keep_geom_type=True)
    inter["a_ij"] = inter.geometry.area
    inter = inter[inter["a_ij"] > 0]
    out = pd.DataFrame({"code_qp": q["code_qp"]})
    out["indicator_coverage"] = (inter.groupby("qid")["a_ij"].sum()
                                 .reindex(q["qid"]).fillna(0).to_numpy() / q["area"]).clip(0, 1)
    for name in COUNT_INDICATORS:
        values = pd.to_numeric(inter[name], errors="coerce").astype(float)
        part = values * inter["a_ij"] / inter["A_j"]
        summed = part.groupby(inter["qid"]).sum(min_count=1)
        missing = values.isna().groupby(inter["qid"]).any()
        out[name] = summed.where(~missing).reindex(q["qid"]).to_numpy()
    # rates weighted by the people carried, by overlap area where a population is unpublished
    people = pd.to_numeric(inter["pop_mun"], errors="coerce").astype(float) \
        * inter["a_ij"] / inter["A_j"]
    by_people = people.notna().groupby(inter["qid"]).transform("all")
    weight = people.where(by_people, inter["a_ij"])
    for name in MEAN_INDICATORS:
        values = pd.to_numeric(inter[name], errors="coerce").astype(float)
        known = values.notna()
        num = (values.fillna(0) * weight).groupby(inter["qid"]).sum()
        den = (weight * known).groupby(inter["qid"]).sum()
        out[name] = (num / den.where(den > 0)).reindex(q["qid"]).to_numpy()
    jobseekers = 100 * out["abcde"] / out["pop_mun"].where(out["pop_mun"] > 0)
    # goalposts: poverty 15–70 %, without a job 35–85 %, jobseekers 9–40 per 100
    need = pd.concat([((out["tp60"] - 15) / 55).clip(0, 1),
                      ((100 - out["tx_tot_empl"] - 35) / 50).clip(0, 1),
                      ((jobseekers - 9) / 31).clip(0, 1)], axis=1).mean(axis=1)
    out["need"] = need

    open_places = places[places["statut"].isin(["ouvert", "inconnu"])]
    pairs = gpd.sjoin(q[["qid", "geometry"]], open_places[["geometry"]], predicate="dwithin",
                      distance=ring)
    out["answers"] = pairs.groupby("qid").size().reindex(q["qid"], fill_value=0).to_numpy()
    wide = gpd.sjoin(q[["qid", "geometry"]], open_places[["geometry"]], predicate="dwithin",
                     distance=1000.0)
    out["answers_1km"] = wide.groupby("qid").size().reindex(q["qid"], fill_value=0).to_numpy()
    distances = {}
    for kind in ("lieu_totem", "hebergement", "accompagnement"):
        chosen = open_places[open_places["kind"] == kind][["geometry"]]
        near = gpd.sjoin_nearest(q[["qid", "geometry"]], chosen, distance_col="d")
        distances[kind] = near.groupby("qid")["d"].min().reindex(q["qid"]).to_numpy()
        out[f"dist_{kind}_m"] = distances[kind]
    metro_tram = stations[stations["type"].isin(["metro", "tram"])][["geometry"]]
    near = gpd.sjoin_nearest(q[["qid", "geometry"]], metro_tram, distance_col="d")
    out["dist_station_m"] = near.groupby("qid")["d"].min().reindex(q["qid"]).to_numpy()
    unmet = besoins[(besoins["couvert"] != True) & (besoins["statut"] != "ferme")]  # noqa: E712
    spotted = gpd.sjoin(q[["qid", "geometry"]], unmet[["geometry"]], predicate="dwithin",
                        distance=ring)
    out["unmet_needs"] = spotted.groupby("qid").size().reindex(q["qid"], fill_value=0
                                                                 ).to_numpy()
    rings = gpd.GeoDataFrame(geometry=open_places.geometry.buffer(ring, quad_segs=8),
                             crs="EPSG:2154").dissolve()
    covered = gpd.overlay(q[["qid", "geometry"]], rings, how="intersection")
    out["covered_share"] = (covered.geometry.area.groupby(covered["qid"]).sum()
                            .reindex(q["qid"]).fillna(0).to_numpy() / q["area"]).clip(0, 1)
    parts = score.components(out["need"].to_numpy(float), out["answers"].to_numpy(float),
                             out["answers_1km"].to_numpy(float),
                             out["covered_share"].to_numpy(float), distances,
                             out["dist_station_m"].to_numpy(), out["unmet_needs"].to_numpy(float))
    for name in parts.columns:
        out[f"comp_{name}"] = parts[name].to_numpy()
    out["score"] = score.score(parts, DEFAULT_WEIGHTS)
    return out


def child(variant: str, mirror: Path, n_places: int, seed: int, output: Path) -> None:
    data = load(mirror, n_places, seed)
    baseline = _rss_mb("VmRSS")
    start = time.perf_counter()
    frame = (run_geoservice if variant == "geoservice" else run_geopandas)(*data)
    elapsed = time.perf_counter() - start
    frame = frame[["code_qp", *COMPARED]].sort_values("code_qp").reset_index(drop=True)
    with output.open("wb") as handle:
        pickle.dump({"seconds": elapsed, "rss_after_load_mb": baseline,
                     "peak_rss_mb": _rss_mb("VmHWM"), "frame": frame}, handle)


def compare(ours, peer) -> list[str]:
    problems = []
    for name in COMPARED:
        a = ours[name].to_numpy(dtype=float)
        b = peer[name].to_numpy(dtype=float)
        same = np.isclose(a, b, rtol=1e-6, atol=1e-6, equal_nan=True)
        if not same.all():
            worst = np.nanmax(np.abs(a - b))
            problems.append(f"{name}: {int((~same).sum())} QPV differ (max {worst:.3g})")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR)
    parser.add_argument("--child", choices=["geoservice", "geopandas"])
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if args.child and args.output is None:
        parser.error("--child needs --output (the file the child writes its figures to)")
    if args.child:
        child(args.child, args.mirror, args.places, args.seed, args.output)
        return
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"data: 1,584 QPV 2024, 105 QPV 2015 (Occitanie), {args.places:,} synthetic ESS "
          "places, 2,000 synthetic needs, 3,000 synthetic stations (seed "
          f"{args.seed}); ring 500 m, default weights")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in ("geoservice", "geopandas"):
            output = Path(tmp) / f"{variant}.pickle"
            subprocess.run([sys.executable, __file__, "--child", variant, "--places",
                            str(args.places), "--seed", str(args.seed), "--mirror",
                            str(args.mirror), "--output", str(output)], check=True)
            with output.open("rb") as handle:
                results[variant] = pickle.load(handle)  # noqa: S301 - our own file
    print(f"{'variant':<12}{'analysis (s)':>14}{'RSS after load (MB)':>22}"
          f"{'peak RSS (MB)':>16}")
    for variant, got in results.items():
        print(f"{variant:<12}{got['seconds']:>14.2f}{got['rss_after_load_mb']:>22.0f}"
              f"{got['peak_rss_mb']:>16.0f}")
    speedup = results["geopandas"]["seconds"] / results["geoservice"]["seconds"]
    print(f"speed-up: x{speedup:.1f}")
    problems = compare(results["geoservice"]["frame"], results["geopandas"]["frame"])
    print("same results: " + ("yes" if not problems else "NO\n  " + "\n  ".join(problems)))


if __name__ == "__main__":
    main()
