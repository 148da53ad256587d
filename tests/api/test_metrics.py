"""/metrics in the Prometheus text format, read by prometheus_client's own parser, on a real
server on 127.0.0.1 (embedded store and PostGIS); who may read it
(GEOSERVICE_METRICS=loopback by default, open, off)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from geoservice.api.app import create_app
from tests.conftest import LiveServer

ITEMS = "/api/collections/{collectionId}/items"


def families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(family, **labels: str) -> float:
    found = [s.value for s in family.samples
             if s.name.endswith("_total") or s.name == family.name
             if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (labels, family.samples)
    return found[0]


def test_requests_latency_and_the_snapshot_are_measured(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        before = families(client.get("/metrics").text)
        for _ in range(3):
            assert client.get("/api/collections/qpv/items?limit=2").status_code == 200
        assert client.get("/api/collections/inconnue/items").status_code == 404
        assert client.get("/js/i18n.js").status_code == 200  # a static file
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = families(response.text)
    assert all(name.startswith("geoservice_") for name in found), sorted(found)
    requests = found["geoservice_http_requests"]
    assert requests.type == "counter"
    old = [s.value for s in before["geoservice_http_requests"].samples
           if s.name.endswith("_total") and s.labels.get("route") == ITEMS
           and s.labels["status"] == "200"]
    assert value(requests, method="GET", route=ITEMS, status="200") == sum(old) + 3
    assert value(requests, method="GET", route=ITEMS, status="404") >= 1
    assert value(requests, method="GET", route="other", status="200") >= 1
    assert value(requests, method="GET", route="/metrics", status="200") >= 1
    latency = found["geoservice_http_request_duration_seconds"]
    assert latency.type == "histogram"
    samples = [s for s in latency.samples if s.labels.get("route") == ITEMS]
    count = next(s.value for s in samples if s.name.endswith("_count"))
    infinite = next(s.value for s in samples if s.labels.get("le") == "+Inf")
    assert count == infinite >= 4
    assert next(s.value for s in samples if s.name.endswith("_sum")) > 0
    lag = found["geoservice_revision_lag"]
    assert {s.labels["collection"] for s in lag.samples} >= {"qpv", "lieux_totems"}
    assert all(s.value == 0 for s in lag.samples)
    assert found["geoservice_snapshot_rebuild_seconds"].type == "histogram"
    assert found["geoservice_database_up"].samples[0].value == 1
    assert "geoservice_writes" in found


def test_postgis_pool_use_is_measured(toulouse_postgis):
    with LiveServer(toulouse_postgis.model_copy(update={"tiles_url": None})) as server:
        found = families(httpx.get(f"{server.url}/metrics", timeout=30).text)
    pool = {s.labels["state"]: s.value for s in found["geoservice_db_pool_connections"].samples}
    assert pool["max"] == 8 and 1 <= pool["size"] <= 8 and 0 <= pool["idle"] <= pool["size"]
    assert found["geoservice_db_pool_requests_waiting"].samples[0].value == 0
    assert found["geoservice_database_up"].samples[0].value == 1
    assert found["geoservice_revision_check_age_seconds"].samples[0].value < 60


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_relayed_requests_are_refused_by_default(live_server, header):
    response = httpx.get(f"{live_server.url}/metrics", headers={header: "203.0.113.9"},
                         timeout=30)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "réservées aux clients de cette machine" in response.json()["detail"]
    assert "geoservice_" not in response.text


def test_who_may_read_is_a_setting(toulouse_settings):
    # TestClient's client is "testclient", not a loopback address
    with TestClient(create_app(toulouse_settings)) as client:
        assert client.get("/metrics").status_code == 403
        assert client.get("/metrics?x=1").status_code == 400
    opened = toulouse_settings.model_copy(update={"metrics": "open"})
    with TestClient(create_app(opened)) as client:
        assert "geoservice_http_requests_total" in client.get("/metrics").text
    off = toulouse_settings.model_copy(update={"metrics": "off"})
    with TestClient(create_app(off)) as client:
        response = client.get("/metrics")
        assert response.status_code == 404 and "désactivées" in response.json()["detail"]
