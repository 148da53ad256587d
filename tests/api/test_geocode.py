"""Address search through the BAN stand-in (real HTTP on 127.0.0.1)."""

import httpx
from fastapi.testclient import TestClient

from geoservice.api.app import create_app
from tests.ban import BanStandIn


def test_search_and_reverse_through_live_server(live_server):
    found = httpx.get(f"{live_server.url}/api/geocode/search", params={"q": "bellefontaine"})
    assert found.status_code == 200
    first = found.json()["features"][0]
    assert first["properties"]["label"].startswith("Station Bellefontaine")
    assert 0 < first["properties"]["score"] <= 1
    rev = httpx.get(f"{live_server.url}/api/geocode/reverse", params={"lon": 1.4425, "lat": 43.58})
    assert rev.json()["features"][0]["properties"]["citycode"] == "31555"


def test_bad_queries_are_problems(live_server):
    short = httpx.get(f"{live_server.url}/api/geocode/search", params={"q": "a"})
    assert short.status_code == 400
    assert short.headers["content-type"] == "application/problem+json"
    lon = httpx.get(f"{live_server.url}/api/geocode/reverse", params={"lon": "x", "lat": 43})
    assert lon.status_code == 400


def test_geocoder_down_is_502_problem(toulouse_settings):
    with BanStandIn(fail=True) as ban:
        settings = toulouse_settings.model_copy(update={"ban_url": ban.url})
        with TestClient(create_app(settings)) as client:
            response = client.get("/api/geocode/search", params={"q": "rue de metz"})
    assert response.status_code == 502
    assert "géocodeur" in response.json()["detail"]
