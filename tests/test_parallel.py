"""GEOS queries split between threads give the very answers of one call."""

import numpy as np
import pytest
import shapely

from geoservice import parallel


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(2)
    points = shapely.points(rng.uniform(0, 10_000, 20_000), rng.uniform(0, 10_000, 20_000))
    corners = rng.uniform(0, 9_500, (700, 2))
    squares = shapely.box(corners[:, 0], corners[:, 1], corners[:, 0] + 300,
                          corners[:, 1] + 200)
    return shapely.STRtree(points), squares


@pytest.mark.parametrize("count", [0, 1, 63, 64, 65, 700])
def test_query_same_pairs_in_same_order(data, count, monkeypatch):
    monkeypatch.setattr(parallel, "workers", lambda: 3)
    tree, squares = data
    for kwargs in ({"predicate": "dwithin", "distance": 150.0},
                   {"predicate": "intersects"}):
        expected = tree.query(squares[:count], **kwargs)
        got = parallel.query(tree, squares[:count], **kwargs)
        assert got.shape == expected.shape and np.array_equal(got, expected)


@pytest.mark.parametrize("count", [0, 5, 200, 700])
def test_query_nearest_same_answers(data, count, monkeypatch):
    monkeypatch.setattr(parallel, "workers", lambda: 4)
    tree, squares = data
    (pairs, distance) = parallel.query_nearest(tree, squares[:count], all_matches=True)
    expected, expected_distance = tree.query_nearest(squares[:count], return_distance=True,
                                                     all_matches=True)
    assert np.array_equal(pairs, expected)
    assert np.array_equal(distance, expected_distance)


def test_thread_map_keeps_order():
    assert list(parallel.thread_map(lambda x: x * x, range(50))) == [x * x for x in range(50)]
