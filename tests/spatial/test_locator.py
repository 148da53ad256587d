"""Point lookup on the real data: QPV membership (edge rule), commune, nearest QPV and ESS
places; answers checked against geopandas (sjoin, distance in EPSG:2154)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geoservice.read.model import load_store
from geoservice.read.snapshot import Collection, Snapshot
from geoservice.sources import read_qpv_2024
from geoservice.spatial import ESS_LAYERS, PolygonIndex, locator_for

BELLEFONTAINE = (1.3996743, 43.5666473)  # metro station, in Grand Mirail; Le FIL is placed here
CAPITOLE = (1.4442, 43.6047)  # Toulouse city centre, in no QPV
MONTPELLIER_COMEDIE = (3.8800, 43.6086)
TOULOUSE_BBOX = (1.30, 43.50, 1.55, 43.72)


@pytest.fixture(scope="module")
def locator(toulouse_store):
    return locator_for(toulouse_store)


def sjoin_pairs(lon, lat, polygons: gpd.GeoDataFrame) -> set[tuple[int, int]]:
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    joined = gpd.sjoin(points, polygons, predicate="intersects", how="inner")
    return set(zip(joined.index.tolist(), joined["index_right"].tolist(), strict=True))


def test_point_in_grand_mirail(locator):
    answer = locator.lookup(*BELLEFONTAINE, k=3)
    assert answer["qpv"] == {"code_qp": "QN03107M", "lib_qp": "Grand Mirail"}
    assert answer["qpvs"] == [answer["qpv"]]
    assert answer["commune"] == {"code": "31555", "nom": "Toulouse"}
    assert answer["in_territory"] is True
    assert answer["nearest_qpv"] == {"code_qp": "QN03107M", "lib_qp": "Grand Mirail",
                                     "distance_m": 0}
    first_totem = answer["nearest"]["lieux_totems"][0]
    assert first_totem["id"] == "lt-le-fil" and first_totem["nom"] == "Le FIL"
    assert first_totem["distance_m"] == 0 and first_totem["precision"] == "quartier"
    assert answer["note"] is None


def test_point_outside_any_qpv_nearest_distance_matches_geopandas(locator, toulouse_store):
    answer = locator.lookup(*CAPITOLE, k=3)
    assert answer["qpv"] is None and answer["qpvs"] == []
    assert answer["commune"]["code"] == "31555"
    qpv = toulouse_store.collections["qpv"].frame
    point = gpd.GeoDataFrame(geometry=gpd.points_from_xy([CAPITOLE[0]], [CAPITOLE[1]]),
                             crs="EPSG:4326").to_crs("EPSG:2154")
    nearest = gpd.sjoin_nearest(point, qpv.to_crs("EPSG:2154"), distance_col="d")
    assert answer["nearest_qpv"]["code_qp"] == nearest["code_qp"].iloc[0]
    assert answer["nearest_qpv"]["distance_m"] == round(float(nearest["d"].iloc[0]))
    assert 500 < answer["nearest_qpv"]["distance_m"] < 5000


def test_point_in_montpellier_is_outside_the_toulouse_territory(locator):
    answer = locator.lookup(*MONTPELLIER_COMEDIE, k=3)
    assert answer["in_territory"] is False
    assert answer["qpv"] is None and answer["commune"] is None
    assert "hors du territoire" in answer["note"] and "Toulouse" in answer["note"]


def test_no_distance_outside_the_lambert93_area(locator):
    answer = locator.lookup(0.0, 0.0, k=3)  # Gulf of Guinea: Lambert-93 means nothing there
    assert answer["nearest_qpv"] is None
    assert all(places == [] for places in answer["nearest"].values())
    assert "Lambert-93" in answer["note"]
    located = locator.locate([0.0, 1.4442], [0.0, 43.6047])
    assert located.nearest_qpv[0] == -1 and np.isnan(located.nearest_distance_m[0])
    assert located.nearest_qpv[1] >= 0


def test_montpellier_by_configuration(montpellier_settings):
    store = load_store(montpellier_settings)
    qpv = store.collections["qpv"].frame
    inside = qpv.geometry.iloc[0].representative_point()
    answer = locator_for(store).lookup(inside.x, inside.y, k=3)
    assert answer["qpv"]["code_qp"] == qpv["code_qp"].iloc[0]
    assert answer["in_territory"] is True and answer["commune"]["code"].startswith("34")
    assert set(answer["nearest"]) == set(ESS_LAYERS)


def test_point_exactly_on_a_qpv_boundary_counts_as_inside(locator, toulouse_store):
    qpv = toulouse_store.collections["qpv"].frame
    polygon = qpv.geometry.iloc[3]  # Grand Mirail
    x, y = shapely.get_coordinates(polygon.exterior if polygon.geom_type == "Polygon"
                                   else polygon.geoms[0].exterior)[5]
    on_edge = shapely.Point(x, y)
    assert not polygon.contains(on_edge) and polygon.touches(on_edge)  # truly on the boundary
    answer = locator.lookup(x, y, k=1)
    assert answer["qpv"]["code_qp"] == qpv["code_qp"].iloc[3]
    assert answer["nearest_qpv"]["distance_m"] == 0
    assert "limite" in answer["note"]
    assert (0, 3) in sjoin_pairs([x], [y], qpv)  # the same rule as sjoin "intersects"


def test_locate_matches_sjoin_on_random_and_boundary_points(locator, toulouse_store):
    qpv = toulouse_store.collections["qpv"].frame
    rng = np.random.default_rng(7)
    lon = rng.uniform(TOULOUSE_BBOX[0], TOULOUSE_BBOX[2], 3000)
    lat = rng.uniform(TOULOUSE_BBOX[1], TOULOUSE_BBOX[3], 3000)
    vertices = shapely.get_coordinates(qpv.geometry.values)[::3]
    jitter = vertices + rng.normal(0, 2e-5, vertices.shape)  # within a few metres of edges
    lon = np.concatenate([lon, vertices[:, 0], jitter[:, 0]])
    lat = np.concatenate([lat, vertices[:, 1], jitter[:, 1]])
    located = locator.locate(lon, lat)
    ours = set(zip(located.point.tolist(), located.qpv.tolist(), strict=True))
    assert ours == sjoin_pairs(lon, lat, qpv)
    assert len(ours) > len(vertices)  # every vertex is in, and some random points too


def test_polygon_index_matches_sjoin_for_all_france(mirror):
    qpv, _ = read_qpv_2024(mirror / "qpv_2024_france.geojson", None, 0.01)
    rng = np.random.default_rng(3)
    centres = qpv.geometry.representative_point()
    pick = rng.integers(0, len(qpv), 20_000)
    lon = centres.x.values[pick] + rng.normal(0, 0.01, 20_000)
    lat = centres.y.values[pick] + rng.normal(0, 0.01, 20_000)
    points, polys = PolygonIndex(qpv.geometry.values).query(lon, lat)
    assert set(zip(points.tolist(), polys.tolist(), strict=True)) == sjoin_pairs(lon, lat, qpv)
    assert len(points) > 2000


def test_polygon_index_overlaps_holes_missing_and_bad_coordinates():
    ring = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    polygons = np.array([ring, shapely.box(3, 3, 6, 6), None, shapely.Polygon()], dtype=object)
    index = PolygonIndex(polygons, cell=0.5)
    lon = np.array([0.5, 1.5, 3.5, 4.0, 1.0, np.nan, 10.0, 500.0])
    lat = np.array([0.5, 1.5, 3.5, 5.0, 1.5, 1.0, 10.0, 1.0])
    points, polys = index.query(lon, lat)
    assert list(zip(points.tolist(), polys.tolist(), strict=True)) == [
        (0, 0),  # inside the first polygon
        # (1): in the hole → nothing
        (2, 0), (2, 1),  # where both overlap
        (3, 1),  # on the second polygon's edge, outside the first
        (4, 0),  # on the hole's edge: on the boundary, so inside
    ]
    assert index.first(lon, lat).tolist() == [0, -1, 0, 1, 0, -1, -1, -1]


def test_nearest_distances_match_geopandas(locator, toulouse_store):
    rng = np.random.default_rng(11)
    lon = rng.uniform(1.1, 1.7, 500)
    lat = rng.uniform(43.4, 43.8, 500)
    located = locator.locate(lon, lat)
    metric = toulouse_store.collections["qpv"].frame.to_crs("EPSG:2154").geometry
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs("EPSG:2154")
    distances = np.vstack([metric.distance(p).to_numpy() for p in points])
    np.testing.assert_allclose(located.nearest_distance_m, distances.min(axis=1), atol=1e-6)
    assert (located.nearest_qpv == distances.argmin(axis=1)).all()


def test_nearest_places_skip_features_without_geometry(locator, toulouse_store):
    answer = locator.lookup(*CAPITOLE, k=10)
    totems = toulouse_store.collections["lieux_totems"]
    assert len(answer["nearest"]["lieux_totems"]) == len(totems.located) == 2 < len(totems)
    assert answer["nearest"]["accompagnement"] == []  # none of its 7 features is located
    distances = [p["distance_m"] for p in answer["nearest"]["lieux_totems"]]
    assert distances == sorted(distances)
    point = gpd.GeoSeries(gpd.points_from_xy([CAPITOLE[0]], [CAPITOLE[1]]),
                          crs="EPSG:4326").to_crs("EPSG:2154").iloc[0]
    expected = sorted(round(g.distance(point)) for g in totems.metric.iloc[totems.located])
    assert distances == expected


def test_nearest_places_keep_at_most_k(locator):
    answer = locator.lookup(*BELLEFONTAINE, k=1)
    assert [p["id"] for p in answer["nearest"]["lieux_totems"]] == ["lt-le-fil"]


def overlapping_store(store: Snapshot) -> Snapshot:
    """The Toulouse store plus a made-up QPV overlapping Grand Mirail around Bellefontaine."""
    qpv = store.collections["qpv"]
    extra = gpd.GeoDataFrame(
        [{"code_qp": "QNTEST01", "lib_qp": "Quartier test", "insee_com": "31555",
          "generation": "2024",
          "geometry": shapely.Point(*BELLEFONTAINE).buffer(0.002)}],
        geometry="geometry", crs="EPSG:4326")
    frame = gpd.GeoDataFrame(
        [*qpv.frame.to_dict("records"), *extra.to_dict("records")],
        geometry="geometry", crs="EPSG:4326")
    collections = {**store.collections, "qpv": Collection(qpv.layer, frame)}
    return Snapshot(store.settings, store.territory, collections)


def test_overlapping_qpv_are_all_returned(toulouse_store):
    answer = locator_for(overlapping_store(toulouse_store)).lookup(*BELLEFONTAINE, k=1)
    assert [q["code_qp"] for q in answer["qpvs"]] == ["QN03107M", "QNTEST01"]
    assert answer["qpv"]["code_qp"] == "QN03107M"
    assert "plusieurs QPV" in answer["note"]


def test_batch_joins_overlapping_qpv_with_a_pipe(toulouse_store):
    from geoservice.spatial.lookup import lookup_csv

    locator = locator_for(overlapping_store(toulouse_store))
    data, counts = lookup_csv(locator, b"lon,lat\n1.3996743,43.5666473\n1.4442,43.6047\n")
    rows = data.decode().splitlines()
    assert rows[1].split(",")[2:5] == ["QN03107M|QNTEST01", "Grand Mirail|Quartier test", "in"]
    assert rows[1].split(",")[6:8] == ["QN03107M", "0"]  # nearest: the first containing one
    assert counts == {"in": 1, "out": 1, "error": 0}


def test_locator_is_cached_per_store_and_rebuilt_when_a_layer_changes(toulouse_store):
    first = locator_for(toulouse_store)
    assert locator_for(toulouse_store) is first
    other = overlapping_store(toulouse_store)
    assert locator_for(other) is not first and locator_for(other) is locator_for(other)
    assert "_point_locator" not in vars(toulouse_store)  # nothing added to the store
    before = locator_for(other)
    other = other.with_collection(Collection(other.collections["qpv"].layer,
                                             toulouse_store.collections["qpv"].frame))
    after = locator_for(other)  # a snapshot with the qpv layer replaced
    assert after is not before
    assert [q["code_qp"] for q in after.lookup(*BELLEFONTAINE, k=1)["qpvs"]] == ["QN03107M"]


def test_boundary_segments_exact_near_far_and_on_ties():
    """Every stage of the nearest search (few candidates, more, the R-tree) agrees with
    the exact distance to each polygon; an exact tie goes to the lowest polygon."""
    import shapely

    from geoservice.spatial.nearest import BoundarySegments

    rng = np.random.default_rng(5)
    polygons = np.array([shapely.box(0, 0, 1000, 1000), shapely.box(3000, 0, 4000, 1000),
                         shapely.Polygon([(0, 5000), (900, 5000), (450, 5600)]),
                         shapely.box(3000, 5000, 9000, 5100)], dtype=object)
    index = BoundarySegments(polygons)
    x = np.concatenate([rng.uniform(-2_000, 10_000, 3_000), rng.uniform(-500_000, 500_000, 500),
                        [2_000.0]])  # the last point: 1000 m from squares 0 and 1 (a tie)
    y = np.concatenate([rng.uniform(-2_000, 8_000, 3_000), rng.uniform(-500_000, 500_000, 500),
                        [500.0]])
    exact = np.array([[shapely.distance(shapely.Point(px, py), g) for g in polygons]
                      for px, py in zip(x, y, strict=True)])
    outside = exact.min(axis=1) > 0  # the index serves points outside every polygon
    x, y, exact = x[outside], y[outside], exact[outside]
    points, poly, dist = index.nearest(x, y)
    assert points.tolist() == list(range(len(x)))
    np.testing.assert_allclose(dist, exact.min(axis=1), atol=1e-6)
    assert (poly == exact.argmin(axis=1)).all()
    assert poly[-1] == 0 and dist[-1] == pytest.approx(1000.0)
    # the R-tree stage alone gives the same answers
    rest_poly, rest_dist = index._rtree(x[:200], y[:200])
    np.testing.assert_allclose(rest_dist, exact[:200].min(axis=1), atol=1e-6)


def test_large_batch_split_between_threads_gives_the_one_thread_answer(locator, monkeypatch):
    from geoservice import parallel
    from geoservice.spatial import locator as module

    rng = np.random.default_rng(13)
    n = 5 * module.CHUNK + 17  # uneven parts
    lon = rng.uniform(1.1, 1.7, n)
    lat = rng.uniform(43.4, 43.8, n)
    lon[::997] = np.nan  # bad rows stay where they are
    monkeypatch.setattr(parallel, "workers", lambda: 1)
    alone = locator.locate(lon, lat)
    monkeypatch.setattr(parallel, "workers", lambda: 4)
    split = locator.locate(lon, lat)
    for name in ("point", "qpv", "commune", "nearest_qpv"):
        assert np.array_equal(getattr(split, name), getattr(alone, name)), name
    assert np.array_equal(split.nearest_distance_m, alone.nearest_distance_m, equal_nan=True)
    assert len(split.point) > 50 and (split.commune >= 0).sum() > n // 10
