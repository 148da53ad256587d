"""Properties of the score on the toy territory (hypothesis, deterministic examples)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoservice.analysis import COMPONENTS, DEFAULT_WEIGHTS, DEFIS, Parameters, diagnose
from tests.analysis import fixture

SETTINGS = settings(max_examples=25, derandomize=True, deadline=None)
defis = st.sampled_from([None, *DEFIS])
rings = st.sampled_from([0.0, 250.0, 500.0, 1200.0])


def scores(result) -> pd.Series:
    return result.frame.set_index("code_qp")["score"].sort_index()


@SETTINGS
@given(defi=defis, ring=rings, target=st.sampled_from(["QN_A", "QN_B", "QN_C"]),
       kind=st.sampled_from(["lieu_totem", "hebergement", "accompagnement", "projet"]),
       tags=st.lists(st.sampled_from(list(DEFIS)), max_size=3, unique=True),
       dx=st.floats(-1.0, 1.0), dy=st.floats(-1.0, 1.0))
def test_adding_an_answer_never_raises_a_score(defi, ring, target, kind, tags, dx, dy):
    params = Parameters(defi=defi, ring_m=ring)
    before = scores(diagnose(fixture.inputs(), params))
    square = fixture.qpv().set_index("code_qp").geometry[target]
    cx, cy = square.centroid.x, square.centroid.y
    reach = (square.bounds[2] - square.bounds[0]) / 2 + ring
    point = gpd.points_from_xy([cx + dx * reach], [cy + dy * reach], crs=fixture.CRS)[0]
    extra = gpd.GeoDataFrame([{"kind": kind, "id": "NEW", "nom": "Nouveau", "defi": tags,
                               "statut": "ouvert", "precision": "adresse", "geometry": point}],
                             geometry="geometry", crs=fixture.CRS)
    places = pd.concat([fixture.places(), extra], ignore_index=True)
    after = scores(diagnose(fixture.inputs(places=gpd.GeoDataFrame(places, crs=fixture.CRS)),
                           params))
    both = before.notna()
    assert (after.isna() == before.isna()).all()
    assert (after[both] <= before[both] + 1e-9).all()


@SETTINGS
@given(component=st.sampled_from(COMPONENTS), defi=defis, ring=rings,
       others=st.lists(st.floats(0.1, 5.0), min_size=5, max_size=5))
def test_a_zero_weight_removes_its_component(component, defi, ring, others):
    weights = dict(zip(COMPONENTS, others, strict=True))
    zero = {**weights, component: 0.0}
    without = {k: v for k, v in weights.items() if k != component}
    got = scores(diagnose(fixture.inputs(), Parameters(defi, ring, zero)))
    expected = scores(diagnose(fixture.inputs(), Parameters(defi, ring, without)))
    pd.testing.assert_series_equal(got, expected)
    # and the component's inputs no longer matter
    emptied = {"access": {"stations": fixture.stations().iloc[:0]},
               "demand": {"besoins": fixture.besoins().iloc[:0]},
               "need": {"qpv_2015": fixture.qpv_2015().iloc[:0]}}.get(component)
    if emptied:
        changed = scores(diagnose(fixture.inputs(**emptied), Parameters(defi, ring, zero)))
        pd.testing.assert_series_equal(changed, got)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), defi=defis, ring=rings)
def test_results_do_not_depend_on_feature_order(seed, defi, ring):
    rng = np.random.default_rng(seed)

    def shuffled(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    params = Parameters(defi, ring)
    reference = diagnose(fixture.inputs(), params).frame
    frames = {"qpv": fixture.qpv(), "qpv_2015": fixture.qpv_2015(),
              "places": fixture.places(), "besoins": fixture.besoins(),
              "stations": fixture.stations()}
    result = diagnose(fixture.inputs(**{k: shuffled(v) for k, v in frames.items()}),
                      params).frame
    columns = [c for c in reference.columns if c != "geometry"]
    pd.testing.assert_frame_equal(result[columns], reference[columns], check_exact=False,
                                  rtol=1e-12)


def test_default_weights_are_documented_values():
    assert DEFAULT_WEIGHTS == {"need": 2.0, "answer": 1.0, "distance": 1.0, "access": 0.5,
                               "demand": 1.0}


@pytest.mark.parametrize("text", ["need", "need:", "x:1", "need:-1", "need:abc",
                                  "need:0,answer:0,distance:0,access:0,demand:0",
                                  "need:1,need:2", "need:nan"])
def test_bad_weights_are_refused(text):
    from geoservice.analysis import parse_weights
    from geoservice.errors import InvalidParameter

    with pytest.raises(InvalidParameter):
        parse_weights(text)
