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


def test_slices_cover_everything_once(monkeypatch):
    monkeypatch.setattr(parallel, "workers", lambda: 3)
    assert parallel.slices(10, 64) == [slice(0, 10)]
    assert parallel.slices(127, 64) == [slice(0, 127)]
    parts = parallel.slices(1000, 64)
    assert len(parts) == 3 and parts[0].start == 0 and parts[-1].stop == 1000
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:], strict=False))
    assert parallel.slices(0, 64) == [slice(0, 0)]


def test_called_from_the_pool_it_runs_in_place():
    import threading

    got = []

    def outer():  # waiting on the pool from its own threads would never end
        got.extend(parallel.thread_map(
            lambda _: parallel.thread_map(lambda y: y + 1, range(3)), range(8)))

    thread = threading.Thread(target=outer, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "thread_map waited on its own pool"
    assert got == [[1, 2, 3]] * 8
