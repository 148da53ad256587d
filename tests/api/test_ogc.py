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


def test_conformance_declares_parts_2_and_3(client):
    classes = client.get("/api/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables" in classes


def test_landing_page_with_trailing_slash(client):
    assert client.get("/api/").json()["links"] == client.get("/api").json()["links"]


def test_collection_links_items_in_every_format_and_queryables(client):
    links = client.get("/api/collections/stations").json()["links"]
    items = {lk["type"] for lk in links if lk["rel"] == "items"}
    assert items == {"application/geo+json", "text/csv", "application/geopackage+sqlite3",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "application/vnd.oasis.opendocument.spreadsheet",
                     "application/x-shapefile+zip"}
    rels = {lk["rel"] for lk in links}
    assert "http://www.opengis.net/def/rel/ogc/1.0/queryables" in rels


def test_temporal_extent_only_for_dated_layers(client):
    by_id = {c["id"]: c for c in client.get("/api/collections").json()["collections"]}
    for dated in ("projets", "besoins"):
        temporal = by_id[dated]["extent"]["temporal"]
        assert len(temporal["interval"]) == 1 and len(temporal["interval"][0]) == 2
        assert temporal["trs"].endswith("Gregorian")
    assert "temporal" not in by_id["qpv"]["extent"]


def test_queryables_from_the_layer_schema(client):
    response = client.get("/api/collections/projets/queryables")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    props = schema["properties"]
    assert schema["type"] == "object" and schema["$id"].endswith("/projets/queryables")
    assert props["annee"]["type"] == "integer" and "x-ogc-role" not in props["annee"]
    assert props["date_ouverture"]["x-ogc-role"] == "primary-interval-start"
    assert props["date_fermeture"]["x-ogc-role"] == "primary-interval-end"
    assert props["statut"]["enum"] == ["ouvert", "a_venir", "ferme", "inconnu"]
    assert props["defi"]["items"]["enum"] == ["inclusion", "economie_circulaire",
                                              "alimentation_durable"]
    assert "description" not in props and "porteurs" not in props  # not filterable
    assert props["geometry"]["x-ogc-role"] == "primary-geometry"
    besoins = client.get("/api/collections/besoins/queryables").json()["properties"]
    assert besoins["couvert"]["type"] == "boolean"


def test_every_queryable_is_accepted_as_a_filter(client):
    for collection_id in LAYER_IDS:
        props = client.get(f"/api/collections/{collection_id}/queryables").json()["properties"]
        for name, spec in props.items():
            if name == "geometry":
                continue
            value = {"integer": "1", "number": "1", "boolean": "true"}.get(spec["type"], "x")
            response = client.get(f"/api/collections/{collection_id}/items",
                                  params={name: value})
            assert response.status_code == 200, (collection_id, name, response.text)


def test_openapi_documents_problem_responses_not_422(client):
    paths = client.get("/openapi.json").json()["paths"]
    items = paths["/api/collections/{collectionId}/items"]["get"]
    assert {"200", "400", "404", "406"} <= set(items["responses"])
    assert "application/problem+json" in items["responses"]["400"]["content"]
    names = {p["name"] for p in items["parameters"]}
    assert {"bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "f"} <= names
    assert all("422" not in op["responses"] for path in paths.values() for op in path.values())


def test_openapi_parameters_are_unique_per_operation(client):
    for path, methods in client.get("/openapi.json").json()["paths"].items():
        for method, operation in methods.items():
            keys = [(p["name"], p["in"]) for p in operation.get("parameters", [])]
            assert len(keys) == len(set(keys)), (method, path, keys)
