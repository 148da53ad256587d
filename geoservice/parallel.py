"""GEOS work spread over the machine's cores: shapely releases the GIL inside GEOS calls
(tree queries, overlays), so threads share the geometries without copying them."""

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
    """Threads for GEOS work: the cores, at most 4."""
    return min(4, os.cpu_count() or 1)


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_PREFIX = "geoservice-geos"


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
    chunks = min(workers(), max(1, len(geometries) // MIN_CHUNK))
    if chunks == 1:
        return run(geometries)
    starts = np.linspace(0, len(geometries), chunks + 1).astype(int)
    answers = thread_map(lambda k: run(geometries[starts[k]:starts[k + 1]]), range(chunks))
    pairs = np.concatenate([a[0] + np.array([[start], [0]]) for a, start in
                            zip(answers, starts, strict=False)], axis=1)
    rest = tuple(np.concatenate([a[k] for a in answers]) for k in range(1, len(answers[0])))
    return (pairs, *rest)
