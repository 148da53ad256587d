"""A revision's changed rows applied to a collection: the next collection is derived from
the previous one (which stays as it is: snapshots are never mutated), reusing what was
built for the features that did not change — frame rows, versions, serialised GeoJSON,
spatial index, id → position lookup — and building these for the changed rows only.

The result equals a collection read and built whole at the same revision
(``tests/read/test_delta.py``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ..storage import Changes, Row
from .crs import SUPPORTED
from .export import feature_fragments
from .snapshot import Collection, FollowsRows

MAX_SHARE = 0.2
"""Above this share of the layer changed at once, the layer is read and built whole."""
MIN_ROWS = 64
"""…unless so few rows changed that applying them is cheap anyway."""
MAX_RUNS = 256
"""Up to this many runs of consecutive features, values are copied run by run."""


def collection_of(layer, changes: Changes) -> Collection:  # noqa: ANN001 — a LayerDef
    """A collection from every row of a layer (``changes`` since 0, deleted ones left out);
    its frame is typed from the rows on first use."""
    live = [(row, seq) for row, seq in zip(changes.rows, changes.seqs, strict=True)
            if not row.deleted]
    rows = [row for row, _ in live]
    return Collection(layer, None, changes.provenance, changes.revision,
                      np.array([r.version for r in rows], dtype=np.int64), rows=rows,
                      seqs=np.array([s for _, s in live], dtype=np.int64), kind=changes.kind)


def too_large(old: Collection, changes: Changes) -> bool:
    return len(changes.rows) > max(MIN_ROWS, MAX_SHARE * len(old))


def apply_changes(old: Collection, changes: Changes) -> Collection:
    """``old`` with the changed rows applied (inserted, replaced, removed, restored)."""
    if old.seqs is None or old.versions is None:
        raise ValueError("a collection without storage order cannot take changes")
    n = len(old)
    positions = old._positions
    keep = np.ones(n, dtype=bool)
    added: list[Row] = []
    added_seqs: list[int] = []
    key = old.layer.id_field
    for row, seq in zip(changes.rows, changes.seqs, strict=True):
        found = positions.get(str(row.properties.get(key)))
        if found is not None:
            if not row.deleted and int(old.versions[found]) == row.version:
                continue  # already in (a change seen twice)
            keep[found] = False
        if not row.deleted:
            added.append(row)
            added_seqs.append(seq)
    small = Collection(old.layer, None, rows=added,
                       versions=np.array([r.version for r in added], dtype=np.int64),
                       seqs=np.array(added_seqs, dtype=np.int64))
    kept = np.flatnonzero(keep)
    seqs = np.concatenate([old.seqs[kept], small.seqs])
    order = np.argsort(seqs, kind="stable")
    take = np.concatenate([kept, n + np.arange(len(added))])[order]
    fresh = Collection(old.layer, _frame(old, small, take), changes.provenance,
                       changes.revision, np.concatenate([old.versions, small.versions])[take],
                       rows=_rows(old, added, take), seqs=seqs[order], kind=changes.kind)
    _carry(old, small, fresh, take, n)
    return fresh


def _runs(take: np.ndarray, n: int) -> list[tuple[int, int]]:
    """``take`` as (start, stop) slices of consecutive positions, none crossing ``n`` (the
    first changed row, after the ``n`` previous ones): an edit keeps long runs of the
    previous order, copied as blocks rather than one by one."""
    if not len(take):
        return []
    breaks = np.flatnonzero((np.diff(take) != 1) | (take[1:] == n)) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [len(take)]])
    return [(int(take[a]), int(take[a]) + int(b - a)) for a, b in zip(starts, stops,
                                                                        strict=True)]


def _frame(old: Collection, small: Collection, take: np.ndarray):  # noqa: ANN202
    frame = old._frame
    if frame is None:
        return None
    n = len(frame)
    runs = _runs(take, n)
    if len(runs) <= MAX_RUNS:
        parts = [frame.iloc[a:b] if b <= n else small.frame.iloc[a - n:b - n]
                 for a, b in runs]
        out = pd.concat(parts, ignore_index=True) if parts else frame.iloc[:0]
    else:
        if len(small):
            frame = pd.concat([frame, small.frame], ignore_index=True)
        out = frame.take(take)
    out.index = pd.RangeIndex(len(out))
    return out


def _rows(old: Collection, added: list[Row], take: np.ndarray) -> list | None:
    rows = old.rows
    if old._frame is not None or rows is None:
        return None
    return _taken(rows, added, take)


def _taken(values: list, more: list, take: np.ndarray) -> list:
    combined = values + more
    runs = _runs(take, len(values))
    if len(runs) > MAX_RUNS:
        return [combined[i] for i in take]
    out: list = []
    for a, b in runs:
        out.extend(combined[a:b])
    return out


def _carry(old: Collection, small: Collection, fresh: Collection, take: np.ndarray,
           n: int) -> None:
    """What ``old`` had built, extended to ``fresh`` (built for the changed rows only)."""
    built = old.__dict__
    if "_positions" in built:
        ids = np.concatenate([built["_positions"].index.to_numpy(dtype=object),
                              small._positions.index.to_numpy(dtype=object)])[take]
        fresh.__dict__["_positions"] = pd.Series(np.arange(len(take)), index=ids)
    if "geometries" in built or "spatial_index" in built:
        fresh.__dict__["geometries"] = np.concatenate(
            [np.asarray(old.geometries, dtype=object), np.asarray(small.geometries, dtype=object)]
        )[take]
    if "spatial_index" in built:
        moved = np.full(n, -1, dtype=np.int64)
        from_old = take < n
        moved[take[from_old]] = np.flatnonzero(from_old)
        fresh.__dict__["spatial_index"] = built["spatial_index"].derived(
            moved, np.flatnonzero(~from_old), fresh.geometries)
    if "metric" in built:
        values = old.metric.values
        fresh.__dict__["metric"] = gpd.GeoSeries(type(values)._concat_same_type(
            [values, small.metric.values]).take(take), crs=old.metric.crs)
    if "_time_ranges" in built:
        fresh.__dict__["_time_ranges"] = tuple(
            np.concatenate([a, b])[take]
            for a, b in zip(built["_time_ranges"], small._time_ranges, strict=True))
    if "records" in built:
        fresh.__dict__["records"] = _taken(built["records"], small.records, take)
    for key, value in old._memo.items():
        if isinstance(key, tuple) and key[0] == "geojson" and key[1] in SUPPORTED:
            fresh._memo.put(key, _taken(value, feature_fragments(small, SUPPORTED[key[1]]),
                                        take))
        elif isinstance(key, tuple) and key[0] == "column":
            fresh._memo.put(key, _taken(value, small.column(key[1]), take))
        elif isinstance(value, FollowsRows):  # per-feature values of other modules
            fresh._memo.put(key, value.derived(small, take))
