"""OGC API landing page, conformance and collections (foundation part)."""

from geoservice.catalog import LAYER_IDS

PROBLEM = "application/problem+json"


def test_landing_page_links(client):
    response = client.get("/api")
    assert response.status_code == 200
    rels = {link["rel"]: link for link in response.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    openapi = client.get(rels["service-desc"]["href"].replace("http://testserver", ""))
    assert openapi.status_code == 200 and openapi.json()["openapi"].startswith("3.")


def test_conformance_declares_core(client):
    classes = client.get("/api/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes


def test_collections_list_every_layer_with_extent(client):
    body = client.get("/api/collections").json()
    by_id = {c["id"]: c for c in body["collections"]}
    assert set(LAYER_IDS) <= set(by_id)
    qpv = by_id["qpv"]
    assert qpv["geoservice:featureCount"] == 16
    west, south, east, north = qpv["extent"]["spatial"]["bbox"][0]
    assert 1.2 < west < east < 1.6 and 43.5 < south < north < 43.8
    assert qpv["geoservice:provenance"]["repaired"] == 4


def test_unknown_collection_is_problem_json(client):
    response = client.get("/api/collections/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 404 and "nope" in body["detail"]
    assert {"type", "title", "status", "detail"} <= set(body)


def test_unknown_path_is_problem_json(client):
    response = client.get("/api/nulle-part")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
