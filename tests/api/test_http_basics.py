"""HTTP correctness (issue 13): HEAD, Allow on 405, CORS for reads only, the OpenAPI
version announced, enums in the OpenAPI document, unknown parameters refused everywhere,
ambiguous coordinates (JSON keys in two cases, a query parameter given twice) refused."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("path", ["/api", "/api/collections/qpv/items?limit=2",
                                  "/api/lookup?lon=1.4&lat=43.6", "/api/conformance",
                                  "/api/analysis/summary", "/"])
def test_head_is_get_without_body(client, path):
    got = client.get(path, headers={"Accept-Encoding": "identity"})
    head = client.head(path, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 == got.status_code
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers.get("content-length") == got.headers.get("content-length")


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("DELETE", "/api/collections/qpv/items", "GET"),
    ("PUT", "/api/lookup", "GET"),
    ("POST", "/api/conformance", "GET"),
])
def test_405_says_allow(client, method, path, allowed):
    response = client.request(method, path)
    assert response.status_code == 405
    assert allowed in response.headers["allow"]
    assert response.headers["content-type"].startswith("application/problem+json")


def test_cors_for_reads_not_writes(client):
    got = client.get("/api/collections/qpv/items?limit=1",
                     headers={"Origin": "https://ailleurs.example"})
    assert got.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in got.headers
    preflight = client.options("/api/lookup", headers={
        "Origin": "https://ailleurs.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 400
    assert "POST" not in preflight.headers.get("access-control-allow-methods", "")


def test_landing_announces_the_openapi_version_served(client):
    link = next(lk for lk in client.get("/api").json()["links"] if lk["rel"] == "service-desc")
    version = client.get("/openapi.json").json()["openapi"]
    assert link["type"].endswith("version=" + version[:3])


def test_openapi_lists_the_values_of_defi_and_f(client):
    paths = client.get("/openapi.json").json()["paths"]
    params = {p["name"]: p for p in paths["/api/analysis/underserved"]["get"]["parameters"]}
    assert set(params["defi"]["schema"]["enum"]) >= {"inclusion", "economie_circulaire"}
    assert params["f"]["schema"]["enum"] == ["json", "csv", "xlsx", "ods"]
    params = {p["name"]: p for p in paths["/api/map/diagnostic-export"]["get"]["parameters"]}
    assert params["f"]["schema"]["enum"] == ["geojson", "gpkg", "xlsx", "ods", "shp"]


@pytest.mark.parametrize("path", ["/api/lookup?lon=1.4&lat=43.6&lng=2",
                                  "/api/analysis/underserved?defi=inclusion&poids=2",
                                  "/api/analysis/summary?x=1",
                                  "/api/map/diagnostic-classes?ring=500"])
def test_unknown_parameters_are_refused_everywhere(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "Paramètre inconnu" in response.json()["detail"]


KNOWN = {"{collectionId}": "qpv", "{featureId}": "QN03107M", "{code_qp}": "QN03107M",
         "{slug}": "not-found"}
REQUIRED = {"lon": "1.4", "lat": "43.6", "q": "rue de metz"}


def _get_operations(client) -> list[str]:
    """Every GET of the OpenAPI document, as a URL with its required query parameters."""
    urls = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        if "get" not in operations:
            continue
        for name, value in KNOWN.items():
            path = path.replace(name, value)
        required = [p["name"] for p in operations["get"].get("parameters", [])
                    if p.get("required") and p["in"] == "query"]
        urls.append(path + ("?" + "&".join(f"{n}={REQUIRED.get(n, 'x')}" for n in required)
                            if required else ""))
    return urls


def test_no_route_ignores_an_unknown_parameter(client):
    checked = 0
    for url in _get_operations(client):
        if client.get(url).status_code >= 400:  # needs credentials or an existing id
            continue
        checked += 1
        response = client.get(url + ("&" if "?" in url else "?") + "zzz=1")
        assert response.status_code == 400, url
        assert "zzz" in response.json()["detail"], url
    assert checked >= 20


@pytest.mark.parametrize("path", ["/api", "/api/conformance", "/api/collections",
                                  "/api/collections/qpv", "/api/collections/qpv/queryables",
                                  "/api/collections/qpv/schema"])
def test_json_documents_take_f_json_and_refuse_other_formats(client, path):
    assert client.get(path + "?f=json").status_code == 200
    refused = client.get(path + "?f=html")
    assert refused.status_code == 400 and "f" in refused.json()["detail"]


@pytest.mark.parametrize("path", ["/api/lookup?lon=1.4&lat=43.6&lon=2",
                                  "/api/analysis/underserved?f=csv&f=json",
                                  "/api/collections/qpv/items?limit=1&limit=500",
                                  "/api/collections?f=json&f=json"])
def test_a_parameter_given_twice_is_refused(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "plusieurs fois" in response.json()["detail"]


def test_json_lookup_with_two_cases_of_lon_is_a_row_error(client):
    body = json.dumps([{"lon": 1.4, "LON": 200, "lat": 43.6}, {"lon": 1.4, "lat": 43.6}])
    response = client.post("/api/lookup", content=body,
                           headers={"Content-Type": "application/json"})
    rows = response.json()
    assert rows[0]["result_qpv_status"] == "error" and rows[1]["result_qpv_status"] != "error"


def test_links_come_from_the_public_url_not_the_host_header(toulouse_settings):
    from fastapi.testclient import TestClient

    from geoservice.api.app import create_app

    settings = toulouse_settings.model_copy(update={"public_url": "https://carte.example.fr/"})
    with TestClient(create_app(settings)) as public:
        body = public.get("/api", headers={"Host": "evil.example"}).json()
    assert all(lk["href"].startswith("https://carte.example.fr/") for lk in body["links"])


def test_allowed_hosts_refuse_other_host_headers(toulouse_settings):
    from fastapi.testclient import TestClient

    from geoservice.api.app import create_app

    settings = toulouse_settings.model_copy(update={"allowed_hosts": ["carte.example.fr"]})
    with TestClient(create_app(settings), base_url="http://carte.example.fr") as strict:
        assert strict.get("/api").status_code == 200
        assert strict.get("/api", headers={"Host": "evil.example"}).status_code == 400
