"""CQL2 filtering (OGC API – Features Part 3) on items: both stores answer the same, and
answers are checked against an independent computation on the snapshot's frame."""

from __future__ import annotations

import json

import pytest
import shapely

ITEMS = "/api/collections/{}/items"
FILTERS = [
    ("qpv", "lib_qp LIKE 'Grand%'"),
    ("qpv", "lib_qp NOT LIKE '%a%'"),
    ("qpv", "code_qp IN ('QN03107M', 'QN03112M', 'nope')"),
    ("qpv", "insee_com = '31555' AND NOT (lib_qp LIKE 'E%')"),
    ("qpv", "S_INTERSECTS(geometry, BBOX(1.40, 43.55, 1.45, 43.60))"),
    ("qpv", "S_INTERSECTS(geometry, POINT(1.4023 43.5795)) OR lib_qp = 'Empalot'"),
    ("qpv", "CASEI(lib_qp) LIKE casei('%MIRAIL%')"),
    ("qpv_2015", "pop_mun BETWEEN 2000 AND 5000"),
    ("qpv_2015", "pop_mun > 10000 OR pop_mun IS NULL"),
    ("qpv_2015", "tp60 IS NOT NULL AND tp60 >= 40"),
    ("stations", "type IN ('metro', 'tram') AND nom LIKE 'A%'"),
    ("lieux_totems", "defi = 'inclusion'"),
    ("lieux_totems", "adresse IS NULL"),
    ("projets", "defi IN ('alimentation_durable', 'economie_circulaire')"),
]


def _ids(client, collection: str, flt: str, lang: str | None = None) -> list[str]:
    params = {"filter": flt, "limit": "10000"}
    if lang:
        params["filter-lang"] = lang
    response = client.get(ITEMS.format(collection), params=params)
    assert response.status_code == 200, response.text
    return [f["id"] for f in response.json()["features"]]


@pytest.mark.parametrize(("collection", "flt"), FILTERS)
def test_both_stores_answer_the_same(client, postgis_client, collection, flt):
    assert _ids(client, collection, flt) == _ids(postgis_client, collection, flt)


def test_answers_match_an_independent_computation(client, toulouse_store):
    frame = toulouse_store.collection("qpv").frame
    expected = frame.loc[frame["lib_qp"].str.startswith("Grand"), "code_qp"].tolist()
    assert expected and _ids(client, "qpv", "lib_qp LIKE 'Grand%'") == expected
    box = shapely.box(1.40, 43.55, 1.45, 43.60)
    expected = frame.loc[frame.geometry.intersects(box), "code_qp"].tolist()
    got = _ids(client, "qpv", "S_INTERSECTS(geometry, BBOX(1.40, 43.55, 1.45, 43.60))")
    assert expected and got == expected
    q15 = toulouse_store.collection("qpv_2015").frame
    pop = q15["pop_mun"].astype(float)
    expected = q15.loc[(pop >= 2000) & (pop <= 5000), "code_qp"].tolist()
    assert _ids(client, "qpv_2015", "pop_mun BETWEEN 2000 AND 5000") == expected


def test_cql2_json_equals_cql2_text(client, postgis_client):
    as_json = json.dumps({"op": "and", "args": [
        {"op": "like", "args": [{"property": "lib_qp"}, "Grand%"]},
        {"op": "s_intersects", "args": [{"property": "geometry"},
                                        {"bbox": [1.3, 43.5, 1.5, 43.7]}]}]})
    text = "lib_qp LIKE 'Grand%' AND S_INTERSECTS(geometry, BBOX(1.3, 43.5, 1.5, 43.7))"
    expected = _ids(client, "qpv", text)
    assert expected
    assert _ids(client, "qpv", as_json, "cql2-json") == expected
    assert _ids(postgis_client, "qpv", as_json, "cql2-json") == expected


def test_filter_combines_with_bbox_paging_and_count(client):
    response = client.get(ITEMS.format("stations"), params={
        "filter": "type = 'metro'", "limit": "5", "bbox": "1.3,43.5,1.6,43.7"})
    body = response.json()
    assert body["numberReturned"] == 5 and body["numberMatched"] > 5
    assert all(f["properties"]["type"] == "metro" for f in body["features"])
    nxt = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert "filter=type" in nxt


@pytest.mark.parametrize(("flt", "lang", "words"), [
    ("lib_qp = ", None, "le filtre s'arrête trop tôt ; il manque une valeur"),
    ("lib_qp = 'Bagatelle", None, "apostrophe non fermée (colonne 10) : un texte s'écrit"),
    ("(lib_qp = 'a'", None, "il manque AND ou OR ou une parenthèse fermante « ) »"),
    ("lib_qp = 'a')", None,
     "« ) » inattendu (colonne 13) ; attendu : AND ou OR ou la fin du filtre"),
    ("lib_qp @ 3", None, "caractère « @ » inattendu (colonne 8)"),
    ("inconnue = 'x'", None, "propriété inconnue « inconnue »"),
    ("lib_qp > 3", None, "n'est pas un nombre"),
    ("S_INTERSECTS(lib_qp, BBOX(1,2,3,4))", None, "geometry"),
    ("S_INTERSECTS(geometry, lib_qp)", None, "géométrie"),
    ("S_WITHIN(geometry, BBOX(1,2,3,4))", None, "non prise en charge"),
    ("{not json", "cql2-json", "JSON illisible (ligne 1, colonne 2)"),
    ("lib_qp = 'x'", "ecql", "filter-lang"),
])
def test_bad_filters_are_400_in_french(client, postgis_client, flt, lang, words):
    params = {"filter": flt}
    if lang:
        params["filter-lang"] = lang
    for c in (client, postgis_client):
        response = c.get(ITEMS.format("qpv"), params=params)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert words in response.json()["detail"]
        assert not any(w in response.json()["detail"] for w in ("Token", "Unexpected", "Expected"))


def test_conformance_and_queryables_advertise_filtering(client):
    conforms = client.get("/api/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter" in conforms
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json" in conforms
    queryables = client.get("/api/collections/qpv/queryables").json()["properties"]
    assert queryables["geometry"]["x-ogc-role"] == "primary-geometry"
