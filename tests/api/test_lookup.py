"""GET /api/lookup (one point) and POST /api/lookup (CSV or JSON batch)."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from fastapi.testclient import TestClient

from geoservice.api.app import create_app
from geoservice.api.routes.lookup import LookupResponse
from geoservice.spatial.lookup import RESULT_COLUMNS, max_body_bytes
from tests.conftest import LiveServer

PROBLEM = "application/problem+json"
BELLEFONTAINE = {"lon": 1.3996743, "lat": 43.5666473}
CAPITOLE = {"lon": 1.4442, "lat": 43.6047}
KEYS = {"lon", "lat", "in_territory", "qpv", "qpvs", "commune", "nearest_qpv", "nearest", "note"}
NEAREST_KEYS = {"lieux_totems", "hebergement", "accompagnement", "projets", "structures_ess",
                "besoins"}


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["detail"] and body["title"] and body["type"]
    return body


def parse_csv(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


# -- GET ----------------------------------------------------------------------------------

def test_get_contract_in_grand_mirail(client):
    response = client.get("/api/lookup", params=BELLEFONTAINE)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == KEYS and set(body["nearest"]) == NEAREST_KEYS
    LookupResponse.model_validate(body)
    assert body["qpv"] == {"code_qp": "QN03107M", "lib_qp": "Grand Mirail"}
    assert body["commune"] == {"code": "31555", "nom": "Toulouse"}
    assert body["nearest_qpv"]["distance_m"] == 0
    assert body["nearest"]["lieux_totems"][0] == {
        "id": "lt-le-fil", "nom": "Le FIL", "type": "lieu_totem", "precision": "quartier",
        "distance_m": 0}
    assert all(set(p) == {"id", "nom", "type", "precision", "distance_m"}
               for places in body["nearest"].values() for p in places)


def test_get_outside_qpv_and_outside_territory(client):
    out = client.get("/api/lookup", params=CAPITOLE).json()
    assert out["qpv"] is None and out["qpvs"] == [] and out["in_territory"] is True
    assert isinstance(out["nearest_qpv"]["distance_m"], int)
    far = client.get("/api/lookup", params={"lon": 3.88, "lat": 43.6086})
    assert far.status_code == 200
    body = far.json()
    assert body["in_territory"] is False and body["commune"] is None and body["qpv"] is None
    assert "hors du territoire" in body["note"]


@pytest.mark.parametrize("params", [
    {}, {"lon": 1.4}, {"lat": 43.6}, {"lon": "abc", "lat": 43.6}, {"lon": 1.4, "lat": ""},
    {"lon": 181, "lat": 43.6}, {"lon": 1.4, "lat": -90.5}, {"lon": "nan", "lat": 43.6},
    {"lon": "inf", "lat": 43.6}, {"lon": "1,4", "lat": 43.6},
])
def test_get_bad_coordinates_are_400_problems(client, params):
    assert_problem(client.get("/api/lookup", params=params), 400)


def test_openapi_declares_the_lookup_contract(client):
    document = client.get("/openapi.json").json()
    get = document["paths"]["/api/lookup"]["get"]
    ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == KEYS
    post = document["paths"]["/api/lookup"]["post"]
    assert {"text/csv", "application/json"} <= set(post["requestBody"]["content"])
    assert {"200", "400", "413", "415"} <= set(post["responses"])


# -- POST CSV -----------------------------------------------------------------------------

def test_post_csv_with_bom_semicolons_extra_columns_and_bad_rows(client):
    text = ("\ufeffnom;Longitude;commentaire;LATITUDE\n"
            "Bellefontaine;1,3996743;« ici »;43.5666473\n"
            "Capitole;1.4442;;43.6047\n"
            "vide;;x;\n"
            "texte;abc;y;43.6\n"
            "hors bornes;200;z;43.6\n"
            "\n"
            "Montpellier;3.88;;43.6086\n")
    response = client.post("/api/lookup", content=text.encode("utf-8"),
                           headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM kept (Excel-FR)
    rows = parse_csv(response.content.decode("utf-8-sig"), ";")
    header = rows[0]
    assert header == ["nom", "Longitude", "commentaire", "LATITUDE", *RESULT_COLUMNS]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert list(by_name) == ["Bellefontaine", "Capitole", "vide", "texte", "hors bornes",
                             "Montpellier"]
    fil = by_name["Bellefontaine"]
    assert fil["commentaire"] == "« ici »" and fil["Longitude"] == "1,3996743"
    assert (fil["result_qpv_code"], fil["result_qpv_name"], fil["result_qpv_status"]) == (
        "QN03107M", "Grand Mirail", "in")
    assert fil["result_commune_code"] == "31555"
    assert fil["result_nearest_qpv_distance_m"] == "0" and fil["result_error"] == ""
    capitole = by_name["Capitole"]
    assert capitole["result_qpv_status"] == "out" and capitole["result_qpv_code"] == ""
    single = client.get("/api/lookup", params=CAPITOLE).json()["nearest_qpv"]
    assert capitole["result_nearest_qpv_code"] == single["code_qp"]
    assert capitole["result_nearest_qpv_distance_m"] == str(single["distance_m"])
    for name, words in (("vide", "manquante"), ("texte", "pas un nombre"),
                        ("hors bornes", "hors de l'intervalle")):
        assert by_name[name]["result_qpv_status"] == "error"
        assert words in by_name[name]["result_error"]
    montpellier = by_name["Montpellier"]
    assert montpellier["result_qpv_status"] == "out" and montpellier["result_commune_code"] == ""
    assert response.headers["x-lookup-counts"] == "in=1,out=2,error=3"


def test_post_csv_commas_without_bom_and_lowercase_names(client):
    text = "id,lat,lon\n1,43.5666473,1.3996743\n2,43.6047,1.4442\n"
    response = client.post("/api/lookup", content=text,
                           headers={"content-type": "text/csv; charset=utf-8"})
    assert response.status_code == 200
    assert not response.content.startswith(b"\xef\xbb\xbf")
    rows = parse_csv(response.text, ",")
    assert rows[0][:3] == ["id", "lat", "lon"]
    assert [r[5] for r in rows[1:]] == ["in", "out"]


def test_post_csv_short_and_long_rows_are_row_errors(client):
    text = "lon;lat;a\n1.3996743;43.5666473\n1.4442;43.6047;x;extra\n1.4442;43.6047;ok\n"
    rows = parse_csv(client.post("/api/lookup", content=text,
                                 headers={"content-type": "text/csv"}).text, ";")
    statuses = [row[5] for row in rows[1:]]
    assert statuses == ["error", "error", "out"]
    assert "champ" in rows[1][-1] and "champ" in rows[2][-1]


# -- POST JSON ----------------------------------------------------------------------------

def test_post_json_list_and_points_object(client):
    response = client.post("/api/lookup", json=[
        {"name": "a", **BELLEFONTAINE}, {"name": "b", "lon": None, "lat": 43.6},
        {"name": "c", "Longitude": "1.4442", "Latitude": "43.6047"},
        {"name": "d", "lon": True, "lat": 43.6}])
    assert response.status_code == 200
    rows = response.json()
    assert [r["name"] for r in rows] == ["a", "b", "c", "d"]
    assert rows[0]["result_qpv_code"] == "QN03107M"
    assert rows[0]["result_nearest_qpv_distance_m"] == 0
    assert rows[1]["result_qpv_status"] == "error" and "manquante" in rows[1]["result_error"]
    assert rows[2]["result_qpv_status"] == "out" and rows[2]["result_error"] is None
    assert rows[3]["result_qpv_status"] == "error"
    huge = client.post("/api/lookup", content=b'[{"lon": 1e400, "lat": 43.6}]',
                       headers={"content-type": "application/json"})
    assert huge.status_code == 200 and b"Infinity" not in huge.content
    assert huge.json()[0]["result_qpv_status"] == "error"
    wrapped = client.post("/api/lookup", json={"points": [BELLEFONTAINE]}).json()
    assert wrapped["points"][0]["result_qpv_name"] == "Grand Mirail"


# -- POST errors ----------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "content_type", "status"), [
    (bytes(range(256)) * 4, "text/csv", 400),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/csv", 400),
    (b"lon;lat\n1\x00;2\n", "text/csv", 400),
    (b"", "text/csv", 400),
    (b"nom,x,y\na,1,2\n", "text/csv", 400),
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'{"lon": 1}', "application/json", 400),
    (b"\xff\xfe[]", "application/json", 400),
    (b'[{"lon": NaN, "lat": 43.6}]', "application/json", 400),
    (b'[{"lon": ' + b"9" * 5000 + b', "lat": 43.6}]', "application/json", 400),
    (b"[" * 100_000, "application/json", 400),
    (b"lon,lat\n1,2\n", "image/png", 415),
    (b"lon,lat\n1,2\n", "application/octet-stream", 415),
])
def test_post_bad_bodies_are_problems(client, body, content_type, status):
    body_json = assert_problem(client.post("/api/lookup", content=body,
                                           headers={"content-type": content_type}), status)
    assert "Erreur interne" not in body_json["title"]


def test_post_without_content_type_is_415(client):
    assert_problem(client.post("/api/lookup", content=b"lon,lat\n1,2\n"), 415)


def test_row_cap_gives_413(toulouse_settings):
    settings = toulouse_settings.model_copy(update={"lookup_max_rows": 3, "tiles_url": None})
    with TestClient(create_app(settings)) as small:
        ok = "lon,lat\n" + "1.44,43.60\n" * 3
        assert small.post("/api/lookup", content=ok,
                          headers={"content-type": "text/csv"}).status_code == 200
        body = assert_problem(small.post("/api/lookup", content=ok + "1.44,43.60\n",
                                         headers={"content-type": "text/csv"}), 413)
        assert "3 lignes" in body["detail"]
        assert_problem(small.post("/api/lookup", json=[CAPITOLE] * 4), 413)
        huge = b"lon,lat\n" + b"1.44,43.60," + b"x" * max_body_bytes(3)
        assert_problem(small.post("/api/lookup", content=huge,
                                  headers={"content-type": "text/csv"}), 413)


def test_real_server_streams_and_caps_the_body(toulouse_settings):
    """A real uvicorn on 127.0.0.1: a chunked upload (no Content-Length) beyond the cap is
    refused with 413 while streaming; a normal upload works."""
    settings = toulouse_settings.model_copy(update={"lookup_max_rows": 3, "tiles_url": None})

    def chunks():
        yield b"lon,lat\n"
        for _ in range(200):
            yield b"1.44,43.60\n" * 100

    with LiveServer(settings) as server, httpx.Client(base_url=server.url) as http:
        ok = http.post("/api/lookup", content=b"lon,lat\n1.3996743,43.5666473\n",
                       headers={"content-type": "text/csv"})
        assert ok.status_code == 200 and ",in," in ok.text
        refused = http.post("/api/lookup", content=chunks(),
                            headers={"content-type": "text/csv"})
        assert_problem(refused, 413)
        point = http.get("/api/lookup", params=BELLEFONTAINE)
        assert point.json()["qpv"]["code_qp"] == "QN03107M"
