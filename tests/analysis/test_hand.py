"""Every component of the hand-computed toy territory (see fixture.py), and the rank."""

from __future__ import annotations

import math

import pytest

from geoservice.analysis import Parameters, diagnose
from geoservice.analysis.report import items
from tests.analysis import fixture

APPROX = {"rel": 1e-9, "abs": 1e-9}


def rows(params: Parameters | None = None) -> dict[str, dict]:
    result = diagnose(fixture.inputs(), params)
    return {r["code_qp"]: r for r in result.frame.to_dict("records")}


def goalposts(poverty: float, non_employment: float, jobseekers: float) -> float:
    """The need by hand: each measure between its goalposts (15–70, 35–85, 9–40)."""
    return ((poverty - 15) / 55 + (non_employment - 35) / 50 + (jobseekers - 9) / 31) / 3


def test_need_is_carried_by_people_and_scaled_between_goalposts():
    got = rows()
    a, b, c = got["QN_A"], got["QN_B"], got["QN_C"]
    assert a["indicator_coverage"] == pytest.approx(1.0)
    assert a["pop_mun"] == pytest.approx(2000)  # half of P1's 4000
    assert a["population_complete"]
    assert a["abcde"] == pytest.approx(200)
    assert a["tp60"] == pytest.approx(40) and a["tx_tot_empl"] == pytest.approx(50)
    assert a["jobseekers_per_100"] == pytest.approx(10)
    assert a["poor_people"] == pytest.approx(800)
    assert a["comp_need"] == pytest.approx(goalposts(40, 50, 10), **APPROX)
    assert b["indicator_coverage"] == pytest.approx(0.75)
    assert b["pop_mun"] == pytest.approx(1000 + 2000 / 2)
    assert not b["population_complete"]  # a quarter of B has no 2015 perimeter
    assert b["abcde"] == pytest.approx(100 + 300 / 2)
    # rates: weighted by the people carried (all 1000 of P2, half of P3's 2000), not by
    # the overlap areas (which would give 42 and 50)
    assert b["rate_weights"] == "population"
    assert b["tp60"] == pytest.approx((30 * 1000 + 48 * 1000) / 2000)  # 39
    assert b["tx_tot_empl"] == pytest.approx((60 * 1000 + 45 * 1000) / 2000)  # 52.5
    assert b["poor_people"] == pytest.approx(780)
    assert b["comp_need"] == pytest.approx(goalposts(39, 47.5, 12.5), **APPROX)
    assert c["indicator_coverage"] == 0.0 and not c["need_known"]
    assert math.isnan(c["comp_need"]) and math.isnan(c["tp60"]) and math.isnan(c["pop_mun"])


def test_a_need_does_not_depend_on_the_other_qpv():
    alone = diagnose(fixture.inputs(qpv=fixture.qpv().iloc[[0]])).frame
    assert alone["comp_need"].iloc[0] == pytest.approx(rows()["QN_A"]["comp_need"], **APPROX)


def test_rates_by_area_when_a_population_is_unpublished():
    old = fixture.qpv_2015()
    old.loc[2, "pop_mun"] = None
    b = {r["code_qp"]: r for r in diagnose(fixture.inputs(qpv_2015=old)).frame.to_dict(
        "records")}["QN_B"]
    assert b["rate_weights"] == "surface"
    assert b["tp60"] == pytest.approx((30 * 2.5 + 48 * 5) / 7.5)  # overlap areas
    assert math.isnan(b["pop_mun"]) and math.isnan(b["poor_people"])


def test_answers_distances_demand():
    got = rows()
    a, b, c = got["QN_A"], got["QN_B"], got["QN_C"]
    assert (a["answers"], b["answers"], c["answers"]) == (2, 1, 1)  # closed P ignored
    assert a["answers_alimentation_durable"] == 1 and a["answers_inclusion"] == 1
    # by reach: ½ (1 − share of the area within 500 m of an answer) + ½ / (1 + answers)
    for row, reach in ((a, 2), (b, 1), (c, 1)):
        assert row["comp_answer"] == pytest.approx(
            0.5 * (1 - row["covered_share"]) + 0.5 / (1 + reach), **APPROX)
    assert c["comp_answer"] == pytest.approx(0.25)  # fully within reach of P-inc
    assert (a["dist_lieu_totem_m"], b["dist_lieu_totem_m"], c["dist_lieu_totem_m"]) == (
        0, 2500, 5500)
    assert (a["dist_hebergement_m"], b["dist_hebergement_m"], c["dist_hebergement_m"]) == (
        2500, 0, 2500)
    assert all(math.isnan(r["dist_accompagnement_m"]) for r in (a, b, c))
    assert a["comp_distance"] == pytest.approx((0 + 0.5 + 1) / 3, **APPROX)
    assert b["comp_distance"] == pytest.approx((0.5 + 0 + 1) / 3, **APPROX)
    assert c["comp_distance"] == pytest.approx((1 + 0.5 + 1) / 3, **APPROX)
    assert (a["dist_station_m"], b["dist_station_m"], c["dist_station_m"]) == (500, 1500, 4500)
    # access: 0 within 500 m of a station, 1 from 2 km, linear between
    assert (a["comp_access"], b["comp_access"], c["comp_access"]) == (0.0, 2 / 3, 1.0)
    assert (a["unmet_needs"], b["unmet_needs"], c["unmet_needs"]) == (0, 1, 1)
    assert (a["comp_demand"], b["comp_demand"], c["comp_demand"]) == (0.0, 1 / 3, 1 / 3)


def test_scores_and_rank():
    got = rows()
    a, b = got["QN_A"], got["QN_B"]
    # weights need 2, answer 1, distance 1, access 0.5, demand 1 (sum 5.5)
    score_a = 100 * (2 * goalposts(40, 50, 10) + a["comp_answer"] + 0.5 + 0 + 0) / 5.5
    score_b = 100 * (2 * goalposts(39, 47.5, 12.5) + b["comp_answer"] + 0.5 + 0.5 * 2 / 3
                     + 1 / 3) / 5.5
    assert a["score"] == pytest.approx(score_a, **APPROX)
    assert b["score"] == pytest.approx(score_b, **APPROX)
    assert math.isnan(got["QN_C"]["score"])
    result = diagnose(fixture.inputs())
    assert list(result.frame["code_qp"]) == ["QN_B", "QN_A", "QN_C"]
    assert [r["rank"] for r in items(result)] == [1, 2, None]
    assert items(result)[0]["score"] == round(score_b, 2)


def test_need_weight_zero_ranks_unknown_need():
    params = Parameters(weights={"need": 0, "answer": 1, "distance": 1, "access": 0.5,
                                 "demand": 1})
    got = rows(params)
    a, b, c = got["QN_A"], got["QN_B"], got["QN_C"]
    assert c["score"] == pytest.approx(100 * (0.25 + 2.5 / 3 + 0.5 + 1 / 3) / 3.5)
    assert a["score"] == pytest.approx(100 * (a["comp_answer"] + 0.5 + 0) / 3.5)
    assert b["score"] == pytest.approx(100 * (b["comp_answer"] + 0.5 + 1 / 3 + 1 / 3) / 3.5)
    result = diagnose(fixture.inputs(), params)
    assert list(result.frame["code_qp"]) == ["QN_C", "QN_B", "QN_A"]


def test_defi_filter():
    got = rows(Parameters(defi="alimentation_durable"))
    assert [got[q]["answers"] for q in ("QN_A", "QN_B", "QN_C")] == [1, 0, 0]
    # no lieu totem tagged alimentation durable or généraliste: null distance, term 1
    assert all(math.isnan(got[q]["dist_lieu_totem_m"]) for q in got)
    assert got["QN_A"]["dist_hebergement_m"] == 2500  # H1 has no Défi: généraliste
    assert [got[q]["unmet_needs"] for q in ("QN_A", "QN_B", "QN_C")] == [0, 1, 0]
    assert "aucun projet ni lieu ESS Alimentation durable à moins de 500 m" in \
        got["QN_B"]["reasons"]
    # no lieu totem of the Défi anywhere: said once for the territory, not on each QPV
    assert "aucun lieu totem localisé" not in got["QN_B"]["reasons"]
    notes = diagnose(fixture.inputs(), Parameters(defi="alimentation_durable")).notes
    assert any(n.startswith("Aucun lieu totem localisé") for n in notes)


def test_ring_zero_counts_inside_only():
    got = rows(Parameters(ring_m=0))
    assert [got[q]["answers"] for q in ("QN_A", "QN_B", "QN_C")] == [1, 1, 1]
    assert got["QN_B"]["unmet_needs"] == 0 and got["QN_C"]["unmet_needs"] == 1
    assert all(got[q]["covered_share"] == 0 for q in got)
    assert "1 projet ou lieu ESS dans le quartier : H1" in got["QN_B"]["reasons"]


def test_covered_share():
    got = rows()
    assert got["QN_C"]["covered_share"] == pytest.approx(1.0)  # 200 m square, 500 m ring
    # a 32-sided ring inscribed in the 500 m circle centred in the 1 km square B
    assert got["QN_B"]["covered_share"] == pytest.approx(16 * 500**2 * math.sin(math.pi / 16)
                                                         * 2 / 1e6 / 2, rel=1e-6)
    assert math.pi * 0.25 < got["QN_A"]["covered_share"] < math.pi * 0.25 + 0.112


def test_reasons_in_plain_french():
    got = rows()
    assert got["QN_A"]["reasons"] == [
        "besoin social (INSEE, périmètres 2015 couvrant 100 % du quartier) : taux de "
        "pauvreté 40,0 %, taux d'emploi des 15-64 ans 50,0 %, 10,0 demandeurs d'emploi "
        "pour 100 habitants ; 2 000 habitants, dont environ 800 sous le seuil de pauvreté",
        "2 projets ou lieux ESS à moins de 500 m : P-alim, T1",
        "aucun projet ni lieu ESS Économie circulaire à moins de 500 m",
        "position connue au quartier seulement pour : T1",
        "lieu totem le plus proche : dans le quartier (T1 ; position connue au quartier : "
        "distance approchée)",
        "hébergement ESS le plus proche à 2,5 km (H1)",
        "station la plus proche à 500 m (Metro Un, métro)",
    ]
    assert got["QN_B"]["reasons"][0].endswith(
        " ; dans la partie couverte (75 % de la surface) : 2 000 habitants, dont environ "
        "780 sous le seuil de pauvreté (la population du QPV 2024 entier n'est pas connue)")
    assert ("1 besoin Alimentation durable signalé et non couvert, sans réponse ESS à moins "
            "de 500 m : Épicerie solidaire") in got["QN_B"]["reasons"]
    assert ("1 besoin Inclusion signalé et non couvert, 1 réponse ESS Inclusion à moins de "
            "500 m : Garde d'enfants") in got["QN_C"]["reasons"]
    assert got["QN_B"]["needs"] == [{"id": "N1", "nom": "Épicerie solidaire",
                                     "defi": ["alimentation_durable"]}]
    assert got["QN_C"]["reasons"][0].startswith("besoin social inconnu")
    assert ("lieu totem le plus proche à 5,5 km (T1 ; position connue au quartier : "
            "distance approchée)") in got["QN_C"]["reasons"]


def test_coverage_layer_and_shortcut():
    import numpy as np

    from geoservice.analysis.coverage import QUAD_SEGS, coverage_layer, covered_share

    data = fixture.inputs()
    layer = coverage_layer(data.qpv.geometry, data.places, 500).set_index("defi")
    # located open answers: T1 (inclusion), H1 (none), P-alim, P-inc; P-closed is ignored
    assert layer.loc["toutes", "answers"] == 4 and layer.loc["inclusion", "answers"] == 2
    assert layer.loc["economie_circulaire", "geometry"] is None
    ring_area = 2 * QUAD_SEGS * 500**2 * math.sin(math.pi / (2 * QUAD_SEGS))
    assert layer.loc["inclusion", "area_km2"] == pytest.approx(2 * ring_area / 1e6, abs=1e-4)
    # C lies inside one ring: the shortcut and the union give the same share
    shares = covered_share(data.qpv.geometry, data.places, 500, None)
    assert shares[2] == 1.0
    tiny = covered_share(data.qpv.geometry, data.places, 130, None)  # 200 m square, no fit
    assert 0.9 < tiny[2] < 1.0
    assert np.all((shares >= 0) & (shares <= 1))
