"""Every problem+json ``type`` is the address of a page of this service that says what the
problem means and what to do (RFC 9457 §3.1.1), not a placeholder domain."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from geoservice.api.app import create_app

PROBLEM = "application/problem+json"

# (method, path, extra request arguments, status): one request per kind of error the API
# answers, from the domain, from request validation and from the framework itself
ERRORS = [
    ("GET", "/api/collections/qpv/items?bbox=1,2", {}, 400),
    ("GET", "/api/lookup?lon=abc&lat=43.6", {}, 400),
    ("GET", "/api/collections/nope", {}, 404),
    ("GET", "/api/collections/qpv/items/nope", {}, 404),
    ("GET", "/pas/de/route", {}, 404),
    ("DELETE", "/api/collections/qpv/items", {}, 405),
    ("GET", "/api/collections/qpv/items?f=kml", {}, 400),
    ("GET", "/api/collections/qpv/items", {"headers": {"Accept": "image/png"}}, 406),
    ("POST", "/api/collections/lieux_totems/items",
     {"content": b"{}", "headers": {"Content-Type": "application/geo+json"}}, 401),
    ("POST", "/api/lookup", {"content": b"x", "headers": {"Content-Type": "image/png"}}, 415),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), ERRORS)
def test_the_type_of_every_error_leads_to_its_description(client, method, path, kwargs,
                                                          status):
    response = client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    uri = urlsplit(body["type"])
    assert (uri.scheme, uri.netloc) == ("http", "testserver"), body["type"]
    assert uri.path.startswith("/api/problemes/")
    about = client.get(uri.path)
    assert about.status_code == 200, about.text
    described = about.json()
    assert described["type"] == body["type"]
    assert described["title"] == body["title"]
    assert described["status"] == status
    assert len(described["description"]) > 40


def test_the_catalogue_lists_each_type_once_with_a_french_description(client):
    listed = client.get("/api/problemes").json()
    slugs = [entry["slug"] for entry in listed]
    assert len(slugs) == len(set(slugs))
    assert {"invalid-parameter", "not-found", "precondition-failed", "precondition-required",
            "conflict", "internal", "untrusted-host", "geocoder-unavailable"} <= set(slugs)
    for entry in listed:
        assert entry["type"] == f"http://testserver/api/problemes/{entry['slug']}"
        assert client.get(f"/api/problemes/{entry['slug']}").json() == entry
        assert entry["description"].endswith(".") and len(entry["description"]) > 40
    descriptions = [entry["description"] for entry in listed]
    assert len(descriptions) == len(set(descriptions))


def test_an_unknown_type_is_a_404_whose_own_type_resolves(client):
    response = client.get("/api/problemes/pas-un-type")
    assert response.status_code == 404
    assert client.get(urlsplit(response.json()["type"]).path).json()["slug"] == "not-found"
    assert client.get("/api/problemes?x=1").status_code == 400


def test_types_come_from_the_public_url_not_the_host_header(toulouse_settings):
    settings = toulouse_settings.model_copy(update={"public_url": "https://carte.example.fr/"})
    with TestClient(create_app(settings)) as public:
        body = public.get("/api/collections/nope", headers={"Host": "evil.example"}).json()
        listed = public.get("/api/problemes", headers={"Host": "evil.example"}).json()
    assert body["type"] == "https://carte.example.fr/api/problemes/not-found"
    assert all(entry["type"].startswith("https://carte.example.fr/api/problemes/")
               for entry in listed)


def test_a_refused_host_is_a_problem_that_never_names_the_host_in_a_link(toulouse_settings):
    settings = toulouse_settings.model_copy(update={"allowed_hosts": ["carte.example.fr",
                                                                      "*.carte.example.fr"]})
    with TestClient(create_app(settings), base_url="http://carte.example.fr") as strict:
        assert strict.get("/api").status_code == 200
        assert strict.get("/api", headers={"Host": "www.carte.example.fr:8443"}) \
            .status_code == 200
        refused = strict.get("/api", headers={"Host": "evil.example"})
        assert strict.get("/api", headers={"Host": "evilcarte.example.fr"}).status_code == 400
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith(PROBLEM)
    body = refused.json()
    assert body["type"] == "/api/problemes/untrusted-host"
    assert "evil.example" in body["detail"]
    assert refused.headers["x-content-type-options"] == "nosniff"  # like every answer
    assert refused.headers["x-request-id"]
