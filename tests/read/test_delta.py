"""A collection derived from the previous one by applying a revision's changed rows equals
the collection read and built whole at that revision: same frame, versions, storage order,
GeoJSON in every CRS, id lookup and spatial index answers (inserts, updates, deletes,
restores, a geometry removed or moved), on one delta and on a chain of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geoservice.catalog import load_catalog
from geoservice.read.crs import SUPPORTED
from geoservice.read.delta import apply_changes, collection_of, too_large
from geoservice.read.export import feature_fragments, prepare
from geoservice.settings import Settings
from geoservice.storage import Change, ReferenceLoad, Row
from geoservice.storage.sqlite import SqliteStorage

LAYER = "projets"  # strings, arrays, an integer year (its temporal field)
BOXES = [(1.0, 43.0, 2.0, 44.0), (1.40, 43.55, 1.45, 43.60), (1.3, 43.5, 1.3, 43.5),
         (0.0, 0.0, 0.1, 0.1)]


@pytest.fixture(scope="module")
def layer():
    return load_catalog(Settings().layers_dir)[LAYER]


def props(i: int, name: str = "Projet", year: int | None = 2021) -> dict:
    return {"id": f"p{i}", "nom": f"{name} {i}", "type": "projet_ess",
            "defi": ["inclusion"] if i % 2 else [], "statut": "ouvert", "annee": year,
            "porteurs": [f"asso {i}"], "description": None if i % 3 else "texte « é »"}


def point(i: int, shift: float = 0.0) -> bytes | None:
    if i % 7 == 0:
        return None  # not located
    return shapely.to_wkb(shapely.Point(1.3 + (i % 20) * 0.01 + shift,
                                        43.5 + (i // 20) * 0.01))


@pytest.fixture
def storage(tmp_path):
    store = SqliteStorage(tmp_path / "store.sqlite", create=True)
    store.upgrade()
    store.features.load(ReferenceLoad(editable={LAYER: [Row(f"p{i}", props(i), point(i))
                                               for i in range(200)]}))
    yield store
    store.close()


def built(collection):
    """Everything a snapshot builds on use, built now (so that the delta must carry it)."""
    prepare(collection)
    for crs in SUPPORTED.values():
        feature_fragments(collection, crs)
    collection.spatial_index  # noqa: B018
    collection.metric  # noqa: B018
    collection.records  # noqa: B018
    collection.column("nom")
    collection.temporal_extent  # noqa: B018
    return collection


def assert_same(derived, whole) -> None:
    assert derived.revision == whole.revision and derived.kind == whole.kind == "editable"
    assert derived.provenance == whole.provenance
    np.testing.assert_array_equal(derived.versions, whole.versions)
    np.testing.assert_array_equal(derived.seqs, whole.seqs)
    pd.testing.assert_frame_equal(derived.frame, whole.frame)
    for crs in SUPPORTED.values():
        assert feature_fragments(derived, crs) == feature_fragments(whole, crs)
    assert derived._positions.to_dict() == whole._positions.to_dict()
    assert list(derived._positions.index) == list(whole._positions.index)
    for box in BOXES:
        np.testing.assert_array_equal(derived.select(bbox=box), whole.select(bbox=box))
    polygon = shapely.Polygon([(1.3, 43.5), (1.5, 43.5), (1.4, 43.7)])
    np.testing.assert_array_equal(derived.select(bbox=polygon), whole.select(bbox=polygon))
    assert derived.records == whole.records
    assert derived.column("nom") == whole.column("nom")
    assert derived.temporal_extent == whole.temporal_extent
    assert list(derived.located) == list(whole.located)
    assert all(shapely.equals_exact(a, b, 0) or (a is None and b is None)
               for a, b in zip(derived.metric.values, whole.metric.values, strict=True))


def edit(storage, revision_rows: dict[str, int]) -> None:
    """Inserts, updates (properties, geometry moved or removed), deletes and a restore."""
    v = revision_rows
    storage.apply([Change("insert", LAYER, "p500", props(500), point(501))])
    storage.apply([Change("insert", LAYER, "p501", props(501, year=None), None)])
    storage.apply([Change("update", LAYER, "p3", props(3, "Renommé", 1999), point(3, 0.2),
                          expected_version=v.get("p3", 1))])
    storage.apply([Change("update", LAYER, "p8", props(8), None,
                          expected_version=v.get("p8", 1))])
    storage.apply([Change("delete", LAYER, "p10", expected_version=v.get("p10", 1)),
                   Change("delete", LAYER, "p11", expected_version=v.get("p11", 1))])
    storage.apply([Change("restore", LAYER, "p10", expected_version=v.get("p10", 1) + 1)])
    storage.apply([Change("delete", LAYER, "p0", expected_version=v.get("p0", 1))])


def test_a_delta_built_collection_equals_a_whole_rebuild(storage, layer):
    before = built(collection_of(layer, storage.features.changes(LAYER, 0)))
    edit(storage, {})
    changes = storage.features.changes(LAYER, before.revision)
    assert not too_large(before, changes) and len(changes.rows) == 7
    derived = apply_changes(before, changes)
    assert derived.ready  # a page or an item needs no more work
    whole = built(collection_of(layer, storage.features.changes(LAYER, 0)))
    assert len(derived) == 200 + 2 - 2 and "p10" in derived._positions
    assert "p0" not in derived._positions and "p11" not in derived._positions
    assert_same(derived, whole)
    # the previous collection is untouched (a snapshot is never mutated)
    assert len(before) == 200 and "p500" not in before._positions
    assert feature_fragments(before)[3].count("Renommé") == 0


def test_a_chain_of_deltas_and_a_change_seen_twice(storage, layer):
    first = built(collection_of(layer, storage.features.changes(LAYER, 0)))
    collection = first
    for n in range(1, 6):
        current = {r.fid: r.version for r in storage.features.read(LAYER).rows}
        storage.apply([Change("update", LAYER, f"p{n * 20}", props(n * 20, f"Tour {n}"),
                              point(n, 0.5), expected_version=current[f"p{n * 20}"]),
                       Change("insert", LAYER, f"n{n}", {**props(900 + n), "id": f"n{n}"},
                              point(n, -0.5))])
        collection = apply_changes(collection, storage.features.changes(LAYER, collection.revision))
    again = apply_changes(collection, storage.features.changes(LAYER, first.revision))  # all again
    whole = built(collection_of(layer, storage.features.changes(LAYER, 0)))
    assert_same(collection, whole)
    assert_same(again, whole)


def test_a_delta_on_a_collection_never_used_stays_light(storage, layer):
    before = collection_of(layer, storage.features.changes(LAYER, 0))  # frame not typed yet
    edit(storage, {})
    derived = apply_changes(before, storage.features.changes(LAYER, before.revision))
    assert derived._frame is None and derived.rows is not None
    assert_same(derived, built(collection_of(layer, storage.features.changes(LAYER, 0))))


def test_a_large_change_is_read_whole(storage, layer):
    before = collection_of(layer, storage.features.changes(LAYER, 0))
    storage.apply([Change("update", LAYER, f"p{i}", props(i, "Tout"), point(i), 1)
                   for i in range(1, 100)])
    assert too_large(before, storage.features.changes(LAYER, before.revision))


def test_an_insert_after_the_last_feature_and_a_delete_of_the_first(storage, layer):
    before = built(collection_of(layer, storage.features.changes(LAYER, 0)))
    storage.apply([Change("insert", LAYER, "p900", props(900), point(900))])
    after_insert = apply_changes(before, storage.features.changes(LAYER, before.revision))
    assert_same(after_insert, built(collection_of(layer, storage.features.changes(LAYER, 0))))
    storage.apply([Change("delete", LAYER, "p1", expected_version=1)])
    after_delete = apply_changes(after_insert,
                                 storage.features.changes(LAYER, after_insert.revision))
    assert_same(after_delete, built(collection_of(layer, storage.features.changes(LAYER, 0))))
