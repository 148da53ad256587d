"""Benchmark (a): batch QPV lookup of 1,000,000 points against the 1,584 QPV 2024 of France.

Our :class:`geoservice.spatial.PolygonIndex` side by side with
``geopandas.sjoin(points, qpv, predicate="intersects")`` in the same run, on the same points;
the (point, QPV) pairs must be identical.

Usage::

    .venv/bin/python bench/bench_lookup.py [--points 1000000] [--seed 42] [--mirror DIR]

Two point sets: uniform over metropolitan France's bounding box, and concentrated around
cities (normal scatter, sigma 3 km, around the QPV centroids: most points near a QPV
boundary, the hard case for the grid pre-filter). Then the whole batch answer (QPV,
commune, nearest QPV with distance in EPSG:2154) on 100,000 points over Toulouse Métropole,
against geopandas ``sjoin`` x2 + ``sjoin_nearest``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

from geoservice.read.model import load_store
from geoservice.sources import read_qpv_2024
from geoservice.spatial import PolygonIndex

FRANCE_BBOX = (-5.2, 41.3, 9.6, 51.1)
DEFAULT_MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"


def uniform_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    west, south, east, north = FRANCE_BBOX
    return rng.uniform(west, east, n), rng.uniform(south, north, n)


def city_points(n: int, rng: np.random.Generator, qpv: gpd.GeoDataFrame
                ) -> tuple[np.ndarray, np.ndarray]:
    metro = qpv[qpv["code_qp"].str.match(r"QN(0[1-9]|[1-8]\d|9[0-5]|2[AB])")]
    centres = metro.geometry.to_crs("EPSG:2154").centroid.to_crs("EPSG:4326")
    pick = rng.integers(0, len(centres), n)
    sigma_deg = 3000 / 111_000
    lon = centres.x.values[pick] + rng.normal(0, sigma_deg / np.cos(np.radians(46)), n)
    lat = centres.y.values[pick] + rng.normal(0, sigma_deg, n)
    return lon, lat


def run_ours(qpv: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray, repeat: int
             ) -> tuple[tuple[np.ndarray, np.ndarray], float, float]:
    """Best of ``repeat``: index build (once per data set in the service) and query."""
    builds, queries = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        index = PolygonIndex(qpv.geometry.values)
        built = time.perf_counter()
        pairs = index.query(lon, lat)
        builds.append(built - start)
        queries.append(time.perf_counter() - built)
    return pairs, min(builds), min(queries)


def run_sjoin(qpv: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray, repeat: int
              ) -> tuple[tuple[np.ndarray, np.ndarray], float, float]:
    """Best of ``repeat``: making the points GeoDataFrame, and sjoin itself."""
    makes, joins = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        made = time.perf_counter()
        fresh = qpv.copy()  # a fresh frame: sjoin builds its spatial index as a user's would
        joined = gpd.sjoin(points, fresh, predicate="intersects", how="inner")
        makes.append(made - start)
        joins.append(time.perf_counter() - made)
    pt = joined.index.to_numpy()
    poly = joined["index_right"].to_numpy()
    order = np.lexsort((poly, pt))
    return (pt[order], poly[order]), min(makes), min(joins)


def compare(ours: tuple[np.ndarray, np.ndarray], peer: tuple[np.ndarray, np.ndarray]) -> int:
    a = set(zip(ours[0].tolist(), ours[1].tolist(), strict=True))
    b = set(zip(peer[0].tolist(), peer[1].tolist(), strict=True))
    return len(a ^ b)


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f} points/s ({seconds:.3f} s)"


def bench(name: str, qpv: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray,
          repeat: int) -> None:
    n = len(lon)
    ours, build, query = run_ours(qpv, lon, lat, repeat)
    peer, make_points, sjoin = run_sjoin(qpv, lon, lat, repeat)
    mismatches = compare(ours, peer)
    inside = len(np.unique(ours[0]))
    print(f"\n== {name}: {n:,} points, {inside:,} in a QPV, {len(ours[0]):,} (point, QPV) "
          f"pairs; best of {repeat}")
    print(f"  ours, index built once (as the service)  : {rate(n, query)}")
    print(f"  geopandas.sjoin, points frame given      : {rate(n, sjoin)}")
    print(f"     -> speed-up {sjoin / query:.1f}x")
    print(f"  ours from lon/lat, index build included  : {rate(n, build + query)}")
    print(f"  sjoin from lon/lat (points_from_xy+sjoin): {rate(n, make_points + sjoin)}")
    print(f"     -> speed-up {(make_points + sjoin) / (build + query):.1f}x")
    print(f"  mismatching (point, QPV) pairs: {mismatches}")


def bench_full_batch(mirror: Path, n: int, rng: np.random.Generator, repeat: int) -> None:
    """Beyond membership: the whole batch answer (QPV, commune, nearest QPV and its distance
    in EPSG:2154) for Toulouse Métropole, against geopandas sjoin + sjoin_nearest."""
    import tempfile

    from geoservice import parallel
    from geoservice.settings import Settings
    from geoservice.sources.pull import pull
    from geoservice.spatial import PointLocator

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), sources=str(mirror))
        pull(settings)
        store = load_store(settings)
    lon = rng.uniform(1.20, 1.60, n)
    lat = rng.uniform(43.50, 43.75, n)
    qpv = store.collections["qpv"].frame
    communes = store.collections["communes"].frame
    start = time.perf_counter()
    PointLocator(store).locate(lon, lat)  # builds the indexes, memoised as when served
    cold = time.perf_counter() - start
    ours_times, peer_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        located = PointLocator(store).locate(lon, lat)
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        in_qpv = gpd.sjoin(points, qpv[["code_qp", "geometry"]], predicate="intersects")
        in_commune = gpd.sjoin(points, communes[["code", "geometry"]], predicate="intersects")
        nearest = gpd.sjoin_nearest(points.to_crs("EPSG:2154"),
                                    qpv[["code_qp", "geometry"]].to_crs("EPSG:2154"),
                                    distance_col="distance_m")
        peer_times.append(time.perf_counter() - start)
    nearest = nearest[~nearest.index.duplicated(keep="first")].sort_index()
    gap = np.abs(located.nearest_distance_m - nearest["distance_m"].to_numpy())
    same_qpv = set(zip(located.point.tolist(), located.qpv.tolist(), strict=True)) == set(
        zip(in_qpv.index.tolist(), in_qpv["index_right"].tolist(), strict=True))
    same_commune = (located.commune[in_commune.index.to_numpy()]
                    == in_commune["index_right"].to_numpy()).all()
    ours, peer = min(ours_times), min(peer_times)
    print(f"\n== whole batch answer, Toulouse Métropole ({len(qpv)} QPV, {len(communes)} "
          f"communes), {n:,} random points over its bbox; best of {repeat}; "
          f"{parallel.workers()} threads")
    print(f"  ours, first call (indexes built)         : {rate(n, cold)}")
    print(f"  ours, indexes built once (as the service): {rate(n, ours)}")
    print(f"  geopandas sjoin x2 + sjoin_nearest (2154) : {rate(n, peer)}")
    print(f"     -> speed-up {peer / ours:.1f}x; same QPV pairs: {same_qpv}; same communes: "
          f"{bool(same_commune)}; largest nearest-distance gap {gap.max():.2e} m")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-points", type=int, default=100_000,
                        help="points of the whole-batch comparison (Toulouse)")
    parser.add_argument("--mirror", type=Path,
                        default=Path(os.environ.get("GEOSERVICE_SOURCES", DEFAULT_MIRROR)))
    args = parser.parse_args()
    start = time.perf_counter()
    qpv, facts = read_qpv_2024(args.mirror / "qpv_2024_france.geojson", None, 0.01)
    print(f"{len(qpv)} QPV 2024 read and repaired ({facts['repaired']} repaired) in "
          f"{time.perf_counter() - start:.1f} s")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
          f"load average {os.getloadavg()[0]:.1f}; "
          f"Python {platform.python_version()}, geopandas {gpd.__version__}")
    rng = np.random.default_rng(args.seed)
    bench("uniform over metropolitan France", qpv, *uniform_points(args.points, rng),
          args.repeat)
    bench("around cities (sigma 3 km)", qpv, *city_points(args.points, rng, qpv), args.repeat)
    bench_full_batch(args.mirror, args.batch_points, rng, args.repeat)


if __name__ == "__main__":
    main()
