"""The real Toulouse Métropole data (and Montpellier by configuration)."""

from __future__ import annotations

import math

from geoservice.analysis import Parameters, diagnose, from_store
from geoservice.analysis.report import items
from geoservice.analysis.summary import summary
from geoservice.readmodel import load_store

NEW_QPV = {"QN03116N": "Le Seycheron", "QN03117N": "Lalande Nord", "QN03118N": "Ginestous",
           "QN03119N": "La Fourguette"}


def test_sixteen_qpv_diagnosed_and_four_unknown(toulouse_store):
    result = diagnose(from_store(toulouse_store))
    got = items(result)
    assert len(got) == 16
    unknown = {i["code_qp"]: i["lib_qp"] for i in got if not i["need_known"]}
    assert unknown == NEW_QPV
    for item in got:
        if item["need_known"]:
            assert 0 < item["indicator_coverage"] <= 1
            assert isinstance(item["rank"], int) and 0 <= item["score"] <= 100
        else:
            assert item["indicator_coverage"] == 0
            assert item["score"] is None and item["rank"] is None
            assert item["components"]["need"] is None
            assert item["measures"]["tp60"] is None and item["measures"]["pop_mun"] is None
            assert item["reasons"][0].startswith("besoin social inconnu")
    # ranked first (1..12), unknown need after, never in between
    assert [i["rank"] for i in got] == [*range(1, 13), None, None, None, None]
    assert [i["code_qp"] for i in got[12:]] == sorted(NEW_QPV)


def test_honest_about_missing_positions(toulouse_store):
    got = {i["code_qp"]: i for i in items(diagnose(from_store(toulouse_store)))}
    for item in got.values():
        assert item["measures"]["dist_accompagnement_m"] is None
        assert "aucune structure d'accompagnement localisée" in item["reasons"]
        assert "aucun lieu d'hébergement ESS localisé" in item["reasons"]
    mirail = got["QN03107M"]  # Le FIL, placed at Bellefontaine at neighbourhood precision
    assert mirail["measures"]["dist_lieu_totem_m"] == 0
    assert mirail["measures"]["answers"] == 1
    assert "position connue au quartier seulement pour : Le FIL" in mirail["reasons"]
    pradettes = got["QN03106I"]["reasons"]
    assert any(r.startswith("lieu totem le plus proche à 1,") and "km (Le FIL)" in r
               for r in pradettes)


def test_carried_indicators_match_single_overlap(toulouse_store):
    """Pradettes 2024 lies on one 2015 QPV only: its rates are carried unchanged."""
    got = diagnose(from_store(toulouse_store)).frame.set_index("code_qp")
    q15 = toulouse_store.collection("qpv_2015").frame.set_index("code_qp")
    assert math.isclose(got.loc["QN03106I", "tp60"], float(q15.loc["QP031006", "tp60"]))
    assert 0.9 < got.loc["QN03106I", "indicator_coverage"] < 1


def test_derived_layers_in_store(toulouse_store):
    diagnostic = toulouse_store.collection("diagnostic_qpv")
    assert len(diagnostic) == 16 and len(diagnostic.located) == 16
    props = diagnostic.properties(diagnostic.position("QN03118N"))
    assert props["need_known"] is False and props["score"] is None and props["rank"] is None
    assert isinstance(props["reasons"], list) and props["reasons"]
    couverture = toulouse_store.collection("couverture")
    assert list(couverture.frame["defi"]) == ["toutes", "inclusion", "economie_circulaire",
                                              "alimentation_durable"]
    answers = dict(zip(couverture.frame["defi"], couverture.frame["answers"], strict=True))
    # located answers today: Le FIL (inclusion), La Passerelle Négreneys (no Défi stated)
    assert answers == {"toutes": 2, "inclusion": 1, "economie_circulaire": 0,
                       "alimentation_durable": 0}
    assert couverture.frame.geometry.iloc[2] is None


def test_defi_and_ring_change_the_answer(toulouse_store):
    inputs = from_store(toulouse_store)
    wide = {i["code_qp"]: i for i in items(diagnose(inputs, Parameters("inclusion", 1000)))}
    assert wide["QN03119N"]["measures"]["answers"] == 1  # La Fourguette: Le FIL at 760 m
    narrow = {i["code_qp"]: i for i in items(diagnose(inputs, Parameters("inclusion", 500)))}
    assert narrow["QN03119N"]["measures"]["answers"] == 0


def test_summary_figures(toulouse_store):
    figures = summary(toulouse_store)
    assert figures["qpv"]["need_unknown"] == sorted(NEW_QPV)
    totems = figures["layers"]["lieux_totems"]
    assert (totems["total"], totems["located"], totems["unlocated"]) == (4, 2, 2)
    assert figures["layers"]["accompagnement"]["located"] == 0
    projects = figures["projects_in_qpv"]
    assert (projects["total"], projects["located"]) == (3, 1)
    # the Négreneys stop (neighbourhood precision) lies 400 m outside the 2015 perimeter
    assert projects["in_qpv_2024"] == 0 and projects["in_qpv_2015"] == 0
    documented = figures["documented_figures"][0]
    assert (documented["value"], documented["total"]) == (14, 31)
    assert "seeds/002" in documented["source"]


def test_montpellier_by_configuration(montpellier_settings):

    store = load_store(montpellier_settings)
    got = items(diagnose(from_store(store)))
    assert len(got) == 10
    assert all("aucune station de métro ou de tram localisée" in i["reasons"] for i in got
               if not len(store.collection("stations")))
    assert summary(store)["documented_figures"] == []
