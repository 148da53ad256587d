"""Coverage internals against the plain GEOS recipe they replace (random, seeded)."""

import numpy as np
import shapely

from geoservice.analysis.coverage import QUAD_SEGS, _uncovered, covered_share, rings_around


def test_rings_are_the_geos_buffers():
    rng = np.random.default_rng(3)
    points = shapely.points(rng.uniform(-3e5, 1.2e6, 5000), rng.uniform(6e6, 7.2e6, 5000))
    points = np.r_[points, [None, shapely.Point()]]
    for ring_m in (500.0, 333.3, 1000.0):
        mine = rings_around(points, ring_m)
        assert mine[-2] is None and mine[-1] is None
        reference = shapely.buffer(points[:-2], ring_m, quad_segs=QUAD_SEGS)
        assert shapely.equals_exact(mine[:-2], reference, tolerance=1e-9).all()
        assert shapely.is_valid(mine[:-2]).all()
        assert np.allclose(shapely.area(mine[:-2]), shapely.area(reference), rtol=1e-12)


def test_uncovered_is_the_polygon_minus_the_union_of_the_rings():
    rng = np.random.default_rng(5)
    polygon = shapely.Polygon([(0, 0), (3000, 0), (3000, 1000), (1500, 2500), (0, 1000)],
                              holes=[[(1000, 400), (1400, 400), (1400, 800), (1000, 800)]])
    for count in (0, 1, 7, 8, 9, 60, 400):
        rings = rings_around(shapely.points(rng.uniform(-500, 3500, count),
                                            rng.uniform(-500, 3000, count)), 300.0)
        expected = shapely.difference(polygon, shapely.union_all(rings)) if count else polygon
        got = _uncovered(polygon, rings)
        assert abs(shapely.area(got) - shapely.area(expected)) < 1e-6, count
    # covered whole: stops with nothing left
    everywhere = rings_around(shapely.points([1500.0], [1000.0]), 5000.0)
    assert shapely.is_empty(_uncovered(polygon, np.r_[everywhere, everywhere]))


def test_covered_share_matches_the_overlay_of_the_union():
    import geopandas as gpd

    rng = np.random.default_rng(11)
    squares = [shapely.box(x, 0, x + 800 + 40 * k, 900) for k, x in
               enumerate(range(0, 40_000, 2000))]
    qpv = gpd.GeoSeries(squares, crs="EPSG:2154")
    n = 3000
    places = gpd.GeoDataFrame({
        "statut": "ouvert", "precision": "adresse", "defi": [["inclusion"]] * n,
        "kind": "projet", "id": [f"synthetic-{i}" for i in range(n)],
    }, geometry=gpd.points_from_xy(rng.uniform(-600, 41_000, n), rng.uniform(-700, 1600, n)),
        crs="EPSG:2154")
    got = covered_share(qpv, places, 500.0, None)
    union = shapely.union_all(shapely.buffer(places.geometry.values, 500.0,
                                             quad_segs=QUAD_SEGS))
    expected = shapely.area(shapely.intersection(qpv.values, union)) / qpv.area.to_numpy()
    assert np.allclose(got, expected, atol=1e-9)
    assert got.min() > 0 and got.max() <= 1
