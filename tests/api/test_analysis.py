"""API: /api/analysis/underserved (JSON, CSV, bad parameters) and /api/analysis/summary."""

from __future__ import annotations

import csv
import io

import pytest

from geoservice.api.routes.analysis import Summary, Underserved

URL = "/api/analysis/underserved"


def test_ranking_json_contract(client):
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    Underserved.model_validate(body)
    assert body["defi"] is None and body["ring_m"] == 500
    assert body["weights"] == {"need": 2, "answer": 1, "distance": 1, "access": 0.5,
                               "demand": 1}
    assert body["method"].startswith("Score")
    ranks = [i["rank"] for i in body["items"]]
    assert ranks == [*range(1, 13), None, None, None, None]
    first = body["items"][0]
    assert set(first["components"]) == {"need", "answer", "distance", "access", "demand"}
    assert all(isinstance(r, str) for r in first["reasons"])
    unknown = [i for i in body["items"] if not i["need_known"]]
    assert {i["code_qp"] for i in unknown} == {"QN03116N", "QN03117N", "QN03118N",
                                               "QN03119N"}
    assert all(i["score"] is None for i in unknown)


def test_parameters_are_applied(client):
    body = client.get(URL, params={"defi": "inclusion", "ring_m": "1000",
                                   "weights": "need:0,access:0"}).json()
    assert body["defi"] == "inclusion" and body["ring_m"] == 1000
    assert body["weights"]["need"] == 0 and body["weights"]["answer"] == 1
    assert all(i["rank"] is not None for i in body["items"])  # need unused: all ranked
    fourguette = next(i for i in body["items"] if i["code_qp"] == "QN03119N")
    assert fourguette["measures"]["answers"] == 1
    assert any("à moins de 1,0 km : Le FIL" in r for r in fourguette["reasons"])


@pytest.mark.parametrize("params, words", [
    ({"defi": "sport"}, "Défi inconnu"),
    ({"ring_m": "-1"}, "ring_m"),
    ({"ring_m": "5001"}, "ring_m"),
    ({"ring_m": "loin"}, "ring_m"),
    ({"weights": "need=2"}, "nom:valeur"),
    ({"weights": "beauty:1"}, "Composante inconnue"),
    ({"weights": "need:-1"}, "entre 0 et 1000"),
    ({"weights": "need:1e308,answer:1e308"}, "entre 0 et 1000"),
    ({"weights": "need:0,answer:0,distance:0,access:0,demand:0"}, "strictement positif"),
    ({"f": "xml"}, "Format inconnu"),
])
def test_bad_parameters_are_400_problems(client, params, words):
    response = client.get(URL, params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400 and words in problem["detail"]


def test_csv_for_excel(client):
    response = client.get(URL, params={"f": "csv", "defi": "alimentation_durable"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 16
    assert rows[0]["rank"] == "1" and rows[-1]["rank"] == ""
    assert rows[-1]["need_known"] == "non" and rows[-1]["score"] == ""
    assert "," in rows[0]["score"]  # decimal comma
    assert "aucun projet ni lieu ESS Alimentation durable à moins de 500 m" in \
        rows[0]["reasons"]
    assert rows[0]["defi"] == "alimentation_durable"


def test_summary(client):
    response = client.get("/api/analysis/summary")
    assert response.status_code == 200
    body = Summary.model_validate(response.json())
    assert body.territoire.id == "toulouse-metropole"
    assert body.layers["lieux_totems"].by_defi["inclusion"] == 1
    assert body.projects_in_qpv.total == 3
    assert body.documented_figures[0].value == 14 and body.documented_figures[0].total == 31


def test_diagnostic_is_an_ogc_collection(client):
    ids = [c["id"] for c in client.get("/api/collections").json()["collections"]]
    assert "diagnostic_qpv" in ids and "couverture" in ids
    doc = client.get("/api/collections/diagnostic_qpv").json()
    assert doc["geoservice:featureCount"] == 16


def test_openapi_documents_the_analysis(client):
    paths = client.get("/openapi.json").json()["paths"]
    operation = paths["/api/analysis/underserved"]["get"]
    assert {"200", "400"} <= set(operation["responses"])
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert "/api/analysis/summary" in paths


def test_diagnostic_items_through_ogc(client):
    body = client.get("/api/collections/diagnostic_qpv/items").json()
    assert body["numberMatched"] == 16
    by_code = {f["properties"]["code_qp"]: f["properties"] for f in body["features"]}
    assert by_code["QN03117N"]["need_known"] is False and by_code["QN03117N"]["score"] is None
    assert by_code["QN03107M"]["reasons"]
    cover = client.get("/api/collections/couverture/items").json()
    assert [f["properties"]["defi"] for f in cover["features"]] == [
        "toutes", "inclusion", "economie_circulaire", "alimentation_durable"]


def test_unverified_answers_apart_unless_included(client):
    """The mirror's open data (to be checked) never counts in the default score; it is
    reported apart, and counts with include=a_verifier (ranking, classes, exports)."""
    default = client.get(URL).json()
    included = client.get(URL, params={"include": "a_verifier"}).json()
    assert default["unverified_included"] is False and included["unverified_included"] is True
    assert default["answers_unverified"]["inclusion"] == 43  # SIAE and GEIQ, Défi inclusion
    assert default["answers_located"]["inclusion"] == 1  # Le FIL only
    assert included["answers_located"]["inclusion"] == 44
    assert any("restent à vérifier" in n for n in default["notes"])
    assert any("connue qu'à la commune" in n for n in included["notes"])
    mirail = {i["code_qp"]: i for i in default["items"]}["QN03107M"]
    assert mirail["measures"]["answers"] == 1 and mirail["measures"]["answers_unverified"] == 5
    assert any("encore à vérifier" in r for r in mirail["reasons"])
    # the ANCT places of Toulouse are known only to the commune: named, never counted
    said = [r for r in mirail["reasons"] if r.startswith("position connue à la commune")]
    assert said and "La Manufacture Distribuée" in said[0]
    with_them = {i["code_qp"]: i for i in included["items"]}["QN03107M"]
    assert with_them["measures"]["answers"] == 6
    # the answers to check move the ranking only through the QPV they reach (1 km)
    before = {i["code_qp"]: i for i in default["items"]}
    moved = 0
    for item in included["items"]:
        old = before[item["code_qp"]]
        reach = ("answers", "answers_1km", "covered_share")
        if all(item["measures"][k] == old["measures"][k] for k in reach):
            assert item["components"]["answer"] == old["components"]["answer"]
        else:
            moved += 1
            assert item["components"]["answer"] < old["components"]["answer"]
    assert moved >= 3
    assert [i["code_qp"] for i in default["items"]] != [i["code_qp"] for i in included["items"]]
    for path in ("/api/map/diagnostic-classes", "/api/map/diagnostic-export"):
        assert client.get(path, params={"include": "a_verifier"}).status_code == 200
    bad = client.get(URL, params={"include": "tout"})
    assert bad.status_code == 400 and "a_verifier" in bad.json()["detail"]
