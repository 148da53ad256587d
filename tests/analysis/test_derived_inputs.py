"""The analysis inputs a snapshot reuses or derives after edits (each answer layer's table
kept on its collection, an edited layer's table derived from the previous one and the
changed rows) give the same tables and the same ranking as inputs built from scratch at
the same revisions: inserts, updates (moved, retagged, closed, to check, known only to the
commune, geometry removed), deletes and a restore, over a chain of revisions."""

from __future__ import annotations

import random

import numpy as np
import pytest
import shapely

from geoservice.analysis.inputs import from_store, layer_places
from geoservice.analysis.places import Places
from geoservice.analysis.service import AnalysisRequest, ranking, run
from geoservice.read.model import build_snapshot
from geoservice.storage import Change, open_store
from tests.conftest import TOULOUSE, pulled_settings

LAYER = "hebergement"
WEST, SOUTH, EAST, NORTH = 1.38, 43.56, 1.48, 43.64  # around several QPV of Toulouse
REQUESTS = [AnalysisRequest.parse(), AnalysisRequest.parse(defi="inclusion", ring_m="800"),
            AnalysisRequest.parse(defi="alimentation_durable", include="a_verifier"),
            AnalysisRequest.parse(ring_m="0")]


@pytest.fixture(scope="module")
def storage(tmp_path_factory, mirror):
    settings = pulled_settings(tmp_path_factory.mktemp("derived-inputs"), mirror, TOULOUSE)
    store = open_store(settings)
    store.apply([Change("insert", LAYER, fid, props(i), point(i))
                 for i, fid in enumerate(ids(300))])
    yield settings, store
    store.close()


def ids(count: int, start: int = 0) -> list[str]:
    return [f"synth-{i:04d}" for i in range(start, start + count)]


def props(i: int, **changed) -> dict:
    tags = [["inclusion"], ["alimentation_durable"], [], ["inclusion", "economie_circulaire"]]
    return {"id": f"synth-{i:04d}", "nom": f"Lieu {i}", "type": "tiers_lieu",
            "defi": tags[i % 4], "territoire": TOULOUSE, "statut": "ouvert",
            "precision": "adresse" if i % 5 else "rue", "commune": "31555",
            "verification": "a_verifier" if i % 7 == 0 else "verifie", **changed}


def point(i: int, seed: int = 0) -> bytes:
    rng = random.Random(i * 31 + seed)
    return shapely.to_wkb(shapely.Point(rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)))


def edit(store, step: int) -> None:
    """One revision's worth of every kind of change (fewer rows than a whole re-read)."""
    rows = {r.fid: r for r in store.features.read(LAYER).rows}
    live = sorted(rows)
    rng = random.Random(step)
    picked = rng.sample(live, 12)
    changes = [Change("insert", LAYER, fid, props(1000 + 10 * step + k), point(k, step))
               for k, fid in enumerate(ids(3, 1000 + 10 * step))]
    updates = [
        {"nom": f"Renommé {step}"},
        {"defi": ["economie_circulaire"]},
        {"defi": []},
        {"statut": "ferme"},
        {"verification": "a_verifier"},
        {"verification": "verifie"},
        {"precision": "commune"},
        {"precision": "quartier"},
    ]
    for fid, change in zip(picked, updates, strict=False):
        row = rows[fid]
        changes.append(Change("update", LAYER, fid, {**row.properties, **change}, row.geometry,
                              expected_version=row.version))
    moved, unplaced = rows[picked[8]], rows[picked[9]]
    changes.append(Change("update", LAYER, moved.fid, moved.properties, point(7, 100 + step),
                          expected_version=moved.version))
    changes.append(Change("update", LAYER, unplaced.fid, unplaced.properties, None,
                          expected_version=unplaced.version))
    for fid in picked[10:]:
        changes.append(Change("delete", LAYER, fid, expected_version=rows[fid].version))
    store.apply(changes)
    if step == 2:  # one deleted earlier comes back
        gone = [r for r in store.features.changes(LAYER, 0).rows if r.deleted][0]
        store.apply([Change("restore", LAYER, gone.fid, expected_version=gone.version)])


def assert_same_table(got: Places, expected: Places) -> None:
    for name in ("kind", "ids", "nom", "names", "precision", "commune", "open", "by_commune",
                 "located", "unverified", "tagged"):
        assert getattr(got, name).tolist() == getattr(expected, name).tolist(), name
    assert len(got.geometry) == len(expected.geometry)
    assert all(a is None and b is None or shapely.equals_exact(a, b, 0)
               for a, b in zip(got.geometry, expected.geometry, strict=True))
    for tag in set(got.tags) | set(expected.tags):
        np.testing.assert_array_equal(got.defi(tag), expected.defi(tag))


def assert_same_analysis(snapshot, settings, store) -> None:
    scratch = build_snapshot(settings, store.features)
    assert scratch.revisions == snapshot.revisions
    assert_same_table(from_store(snapshot).table, from_store(scratch).table)
    for request in REQUESTS:
        assert ranking(snapshot, request) == ranking(scratch, request)
        got, expected = run(snapshot, request), run(scratch, request)
        assert got.notes == expected.notes
        assert got.answers_located == expected.answers_located
        assert got.answers_unverified == expected.answers_unverified


def test_reused_and_derived_inputs_rank_like_inputs_built_from_scratch(storage):
    settings, store = storage
    snapshot = build_snapshot(settings, store.features)
    assert len(from_store(snapshot).table) >= 300
    ranking(snapshot, REQUESTS[0])  # asked once: each layer keeps its table
    kept = layer_places(snapshot.base["lieux_totems"], "lieu_totem")
    for step in range(1, 4):  # deltas never asked in between: derived from a derived part
        edit(store, step)
        snapshot = build_snapshot(settings, store.features, snapshot)
        assert ("analysis-places", LAYER) in dict(snapshot.base[LAYER]._memo.items())
    assert layer_places(snapshot.base["lieux_totems"], "lieu_totem") is kept  # unchanged layer
    assert_same_analysis(snapshot, settings, store)
    for step in range(4, 6):  # each revision asked for
        edit(store, step)
        snapshot = build_snapshot(settings, store.features, snapshot)
        assert ("analysis-places", LAYER) in dict(snapshot.base[LAYER]._memo.items())
        assert_same_analysis(snapshot, settings, store)
