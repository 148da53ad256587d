"""The ranking in step with the Fabrique: on the hand-computed toy territory, a need in
progress still counts as demand and is named with its stage, a launched need is no longer
unmet and names its answer; then the same on a real server, both stores."""

from __future__ import annotations

import geopandas as gpd

from geoservice.analysis import Parameters, diagnose
from geoservice.analysis.report import items
from tests.analysis import fixture
from tests.fabrique.conftest import create, move, need, project


def _besoins(**stages: tuple) -> gpd.GeoDataFrame:
    frame = fixture.besoins()
    frame["etape"] = None
    frame["reponse"] = None
    for fid, (stage, reply) in stages.items():
        frame.loc[frame["id"] == fid, ["etape", "reponse"]] = [stage, reply]
    return frame


def _by_code(besoins: gpd.GeoDataFrame, defi: str | None = None) -> dict:
    result = diagnose(fixture.inputs(besoins=besoins), Parameters(defi=defi))
    return {item["code_qp"]: item for item in items(result)}


def test_a_need_in_progress_is_demand_named_with_its_stage():
    before = _by_code(_besoins())
    after = _by_code(_besoins(N1=("etude_opportunite", None)))
    bravo = after["QN_B"]
    assert bravo["measures"]["unmet_needs"] == before["QN_B"]["measures"]["unmet_needs"] == 1
    assert bravo["score"] == before["QN_B"]["score"]  # still demand: the score is the same
    assert "1 besoin en étude d'opportunité : Épicerie solidaire" in bravo["reasons"]
    assert not any("Alimentation durable signalé" in r for r in bravo["reasons"])
    assert bravo["needs_in_progress"] == [{"id": "N1", "nom": "Épicerie solidaire",
                                           "defi": ["alimentation_durable"],
                                           "etape": "etude_opportunite"}]
    assert bravo["needs"] == before["QN_B"]["needs"]  # the unmet needs, as before


def test_a_launched_need_is_answered_and_names_its_answer():
    after = _by_code(_besoins(N1=("lance", "hebergement/H1")))
    bravo = after["QN_B"]
    assert bravo["measures"]["unmet_needs"] == 0 and bravo["needs"] == []
    assert "1 besoin lancé : Épicerie solidaire (réponse : H1)" in bravo["reasons"]
    assert bravo["needs_answered"][0]["reponse_nom"] == "H1"
    assert _by_code(_besoins())["QN_B"]["score"] > bravo["score"]  # less demand now
    dropped = _by_code(_besoins(N1=("abandonne", None)))["QN_B"]
    assert dropped["measures"]["unmet_needs"] == 0 and dropped["needs_answered"] == []
    existing = _by_code(_besoins(N3=("reponse_existante", "projets/P-inc")),
                        defi="inclusion")["QN_C"]
    assert ("1 besoin couvert par une réponse existante : Garde d'enfants (réponse : "
            "P-inc)") in existing["reasons"]


def test_the_ranking_on_a_real_server(site):
    editor, public = site.client("editor"), site.client()
    answer, _ = create(editor, "projets", project("Atelier vélo (classement)",
                                                  defi=["economie_circulaire"]))
    studied, tag = create(editor, "besoins", need("Recyclerie (classement)", "2020-01-01",
                                                  defi=["economie_circulaire"]))
    move(editor, studied, tag, etape="etude_opportunite", etape_date="2020-02-02")
    launched, tag = create(editor, "besoins", need("Repair café (classement)", "2020-01-01",
                                                   defi=["economie_circulaire"]))
    move(editor, launched, tag, etape="lance", etape_date="2020-06-06",
         reponse=f"projets/{answer}")
    ranking = public.get("/api/analysis/underserved",
                         params={"defi": "economie_circulaire"}).json()
    mirail = next(i for i in ranking["items"] if i["code_qp"] == "QN03107M")
    assert "1 besoin en étude d'opportunité : Recyclerie (classement)" in mirail["reasons"]
    assert ("1 besoin lancé : Repair café (classement) (réponse : Atelier vélo "
            "(classement))") in mirail["reasons"]
    assert [n["id"] for n in mirail["needs"]] == [studied]
    assert mirail["measures"]["unmet_needs"] == 1
    assert mirail["needs_in_progress"][0]["etape"] == "etude_opportunite"
    assert mirail["needs_answered"][0]["reponse"] == f"projets/{answer}"
