"""The real Toulouse Métropole data (and Montpellier by configuration)."""

from __future__ import annotations

import math

import pytest

from geoservice.analysis import Parameters, diagnose, from_store
from geoservice.analysis.report import items
from geoservice.analysis.summary import summary
from geoservice.read.model import load_store

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
            assert item["measures"]["tp60"] is None and item["measures"]["population"] is None
            assert item["reasons"][0].startswith("besoin social inconnu")
    # ranked first (1..12), unknown need after, never in between
    assert [i["rank"] for i in got] == [*range(1, 13), None, None, None, None]
    assert [i["code_qp"] for i in got[12:]] == sorted(NEW_QPV)


def test_honest_about_missing_positions(toulouse_store):
    result = diagnose(from_store(toulouse_store))
    got = {i["code_qp"]: i for i in items(result)}
    for item in got.values():
        assert item["measures"]["dist_accompagnement_m"] is None
        # a territory-wide fact is said once, in the header, not on every QPV
        assert not any("accompagnement" in r for r in item["reasons"])
    assert any(n.startswith("Aucun lieu d'hébergement ESS localisé, aucune structure "
                            "d'accompagnement localisée sur le territoire")
               for n in result.notes)
    mirail = got["QN03107M"]  # Le FIL, placed at Bellefontaine at neighbourhood precision
    assert mirail["measures"]["dist_lieu_totem_m"] == 0
    assert mirail["measures"]["answers"] == 1
    assert "position connue au quartier seulement pour : Le FIL" in mirail["reasons"]
    pradettes = got["QN03106I"]["reasons"]
    assert any(r.startswith("lieu totem le plus proche à 1,") and "km (Le FIL ; position "
               "connue au quartier : distance approchée)" in r
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
    if not len(store.collection("stations")):
        notes = diagnose(from_store(store)).notes
        assert "Aucune station localisée : l'accès en transport n'entre pas dans le score." \
            in notes
    assert summary(store)["documented_figures"] == []


def test_colomiers_station_counts_for_grand_val_by_default(toulouse_store):
    """Line C (Arènes – Colomiers) is in the Tisséo fare: its stations give access."""
    result = diagnose(from_store(toulouse_store))
    val = next(i for i in items(result) if i["code_qp"] == "QN03105M")
    assert val["measures"]["nearest_station"] == "Colomiers"
    assert val["measures"]["nearest_station_kind"] == "train, ligne C"
    assert 600 < val["measures"]["dist_station_m"] < 700
    assert "station la plus proche à 660 m (Colomiers, train, ligne C)" in val["reasons"]
    assert val["components"]["access"] < 0.7
    assert result.access["urban_rail_line"] == "ligne C"
    assert "Colomiers" in result.access["urban_rail"]
    # a train station outside the urban fare never counts (Toulouse-Matabiau is not listed)
    from geoservice.analysis.stations import access_stations

    stations = from_store(toulouse_store).stations
    assert "Toulouse-Matabiau" in set(stations["nom"])
    assert "Toulouse-Matabiau" not in set(access_stations(
        stations, toulouse_store.territory.urban_rail)["nom"])


def test_duplicate_osm_stations_are_merged(toulouse_store):
    from geoservice.analysis.stations import access_stations, station_key

    stations = from_store(toulouse_store).stations
    raw = stations[stations["nom"].isin(["Basso Cambo", "Métro Basso Cambo"])]
    assert len(raw) == 2 and station_key("Métro Basso Cambo") == "basso cambo"
    merged = access_stations(stations)
    assert list(merged["nom"]).count("Basso Cambo") == 1
    assert "Métro Basso Cambo" not in set(merged["nom"])
    # Arènes: the metro and the two tram platforms are one station, with both modes
    arenes = merged[merged["nom"] == "Arènes"]
    assert len(arenes) == 1 and arenes["kinds"].iloc[0] == "métro, tram"
    result = diagnose(from_store(toulouse_store))
    assert result.access["osm_features_merged"] == int(merged["merged"].sum() - len(merged))
    assert result.access["osm_features_merged"] >= 30


def test_people_concerned_and_the_territory_benchmark(toulouse_store):
    result = diagnose(from_store(toulouse_store))
    got = {i["code_qp"]: i for i in items(result)}
    mirail = got["QN03107M"]["measures"]  # 84 % covered by 2015 perimeters
    assert mirail["population"] is None and not mirail["population_complete"]
    assert mirail["people_counted"] > 30000
    assert mirail["people_in_poverty"] == pytest.approx(
        mirail["people_counted"] * mirail["tp60"] / 100, rel=1e-3)
    assert "la population du QPV 2024 entier n'est pas connue" in got["QN03107M"]["reasons"][0]
    facts = result.indicators
    assert facts["sources"] == {"report_2015": 12}
    assert 35 < facts["benchmark"]["tp60"] < 50
    assert facts["goalposts"]["poverty"]["low"] == 15
    assert result.notes[0].startswith("Besoin social de 12 QPV sur 16 : INSEE sur les "
                                      "périmètres 2015")
    assert "Repère du territoire : taux de pauvreté moyen de ses QPV" in result.notes[0]


def test_reasons_of_grand_val_in_french(toulouse_store):
    got = {i["code_qp"]: i for i in items(diagnose(from_store(toulouse_store)))}
    reasons = got["QN03105M"]["reasons"]
    assert reasons[0].startswith(
        "besoin social (INSEE, périmètres 2015 couvrant 71 % du quartier) : taux de pauvreté ")
    assert "aucun projet ni lieu ESS à moins de 500 m" in reasons
    assert ("lieu totem le plus proche à 7,3 km (Le FIL ; position connue au quartier : "
            "distance approchée)") in reasons
    assert got["QN03105M"]["drivers"].startswith("pèse surtout (par rapport à la moyenne des "
                                                 "QPV classés) : ")
    seycheron = got["QN03116N"]["reasons"][0]
    assert seycheron.startswith("besoin social inconnu : aucun QPV 2015 ne recouvre ce quartier")
    assert "à documenter en priorité" in seycheron and "rang possible 1 à " in seycheron
