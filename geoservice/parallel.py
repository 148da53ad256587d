"""Large array work spread over the machine's cores: GEOS (tree queries, overlays),
numpy, pyproj and scipy's k-d tree release the GIL, so threads share the arrays and
geometries without copying them. Small work (one point, a few geometries) stays on the
caller's thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import shapely

T = TypeVar("T")
R = TypeVar("R")
MIN_CHUNK = 64
"""Fewer query geometries than this per thread are not worth a thread."""


def workers() -> int:
    """Threads of the pool: the cores, at most 4."""
    return min(4, os.cpu_count() or 1)


def slices(n: int, smallest: int) -> list[slice]:
    """``range(n)`` cut into one part per thread, each of at least ``smallest`` items;
    a single part when there is not enough for two."""
    count = min(workers(), n // max(smallest, 1))
    if count < 2:
        return [slice(0, n)]
    bounds = np.linspace(0, n, count + 1).astype(int)
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_PREFIX = "geoservice-parallel"


def _pool() -> ThreadPoolExecutor:
    """One pool for the process, made on first use: its threads keep what they make once
    per thread (a pyproj transformer costs milliseconds)."""
    global _POOL  # noqa: PLW0603 - the process-wide pool, made once
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=workers(), thread_name_prefix=_PREFIX)
        return _POOL


def thread_map(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``map`` over the pool's threads, results in order. Called from one of the pool's
    own threads, it runs in that thread (waiting on the pool from inside could deadlock)."""
    if threading.current_thread().name.startswith(_PREFIX):
        return [function(item) for item in items]
    return list(_pool().map(function, items))


def query(tree: shapely.STRtree, geometries: np.ndarray, **kwargs: Any
          ) -> tuple[np.ndarray, np.ndarray]:
    """``tree.query(geometries, **kwargs)`` with the geometries split between threads; the
    same (input position, tree position) pairs, in the same order."""
    return _split(lambda part: (tree.query(part, **kwargs),), geometries)[0]


def query_nearest(tree: shapely.STRtree, geometries: np.ndarray, **kwargs: Any
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``tree.query_nearest(geometries, return_distance=True, **kwargs)`` split between
    threads: ((input position, tree position), distances), in the same order."""
    return _split(lambda part: tree.query_nearest(part, return_distance=True, **kwargs),
                  geometries)


def _split(run: Callable[[np.ndarray], tuple], geometries: np.ndarray) -> tuple:
    """Run on chunks of the geometries, then put the answers back together: the first
    item of each answer is the (input position, tree position) pair array, whose input
    positions are shifted back; the other items are concatenated as they are."""
    geometries = np.asarray(geometries, dtype=object)
    parts = slices(len(geometries), MIN_CHUNK)
    if len(parts) == 1:
        return run(geometries)
    answers = thread_map(lambda part: run(geometries[part]), parts)
    pairs = np.concatenate([a[0] + np.array([[part.start], [0]]) for a, part in
                            zip(answers, parts, strict=True)], axis=1)
    rest = tuple(np.concatenate([a[k] for a in answers]) for k in range(1, len(answers[0])))
    return (pairs, *rest)
