"""The read model seen from the API: a write shows at once after a refresh, the analysis is
computed once per snapshot and parameters, and a 500 is logged, never sent."""

from __future__ import annotations

import logging

import shapely
from fastapi.testclient import TestClient

from geoservice.analysis import service
from geoservice.api.app import create_app
from geoservice.read.model import ReadModel
from geoservice.settings import Settings
from geoservice.sources.pull import pull
from geoservice.storage import Change, open_store


def test_a_write_reaches_items_lookup_and_the_diagnosis(tmp_path, mirror):
    settings = Settings(data_dir=tmp_path, sources=str(mirror), tiles_url=None,
                        refresh_interval=0)
    pull(settings)
    model = ReadModel(settings)
    with TestClient(create_app(settings, readmodel=model)) as client:
        before = client.get("/api/collections/projets/items").json()["numberMatched"]
        first = model.current
        storage = open_store(settings)
        try:  # a verified inclusion project at the Empalot metro station
            storage.apply([Change("insert", "projets", "p-test", {
                "id": "p-test", "nom": "Projet test", "type": "projet", "defi": ["inclusion"],
                "statut": "ouvert", "precision": "adresse", "territoire": "toulouse-metropole"},
                shapely.to_wkb(shapely.Point(1.4449, 43.5806)))])
        finally:
            storage.close()
        assert model.refresh() is True and model.refresh() is False
        assert model.current is not first
        # unchanged collections are reused as they are, with their caches
        assert model.current.collection("qpv") is first.collection("qpv")
        # the new snapshot is warm before it is swapped in: no first-request CPU work
        from geoservice.read.crs import DEFAULT

        projets = model.current.collection("projets")
        assert projets._memo.peek(("geojson", DEFAULT.uri)) is not None
        assert model.current.derived.peek(("view", "diagnostic_qpv")) is not None
        assert client.get("/api/collections/projets/items").json()["numberMatched"] == before + 1
        answer = client.get("/api/lookup", params={"lon": 1.4449, "lat": 43.5806}).text
        assert "p-test" in answer
        provenance = client.get("/api/collections/diagnostic_qpv").json()[
            "geoservice:provenance"]
        assert provenance["input_revisions"]["projets"] == model.current.revisions["projets"]


def test_the_diagnostic_tab_computes_one_analysis_per_change(tmp_path, mirror, monkeypatch):
    settings = Settings(data_dir=tmp_path, sources=str(mirror), tiles_url=None,
                        refresh_interval=0)
    pull(settings)
    calls = []
    real = service.diagnose
    monkeypatch.setattr(service, "diagnose", lambda *a, **k: calls.append(1) or real(*a, **k))
    with TestClient(create_app(settings)) as client:
        calls.clear()
        ranking = client.get("/api/analysis/underserved", params={"defi": "inclusion"})
        classes = client.get("/api/map/diagnostic-classes", params={"defi": "inclusion"})
        assert ranking.status_code == 200 and classes.status_code == 200, classes.text
        assert len(calls) == 1


def test_a_500_is_logged_with_its_traceback_and_never_sent(toulouse_settings, caplog):
    from fastapi.routing import APIRoute

    def boom() -> None:
        raise RuntimeError("secret detail that must not leak")

    app = create_app(toulouse_settings)
    app.router.routes.insert(0, APIRoute("/boom-test", boom))
    logger = logging.getLogger("geoservice")
    logger.addHandler(caplog.handler)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/boom-test", headers={"X-Request-Id": "req-42"})
    finally:
        logger.removeHandler(caplog.handler)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "secret" not in response.text and "req-42" in response.json()["detail"]
    assert response.json()["type"] == "http://testserver/api/problemes/internal"
    assert response.headers["x-request-id"] == "req-42"
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged and logged[0].exc_info and "secret detail" in str(logged[0].exc_info[1])
    assert logged[0].request_id == "req-42"


def test_openapi_states_the_configured_limits(toulouse_settings):
    settings = toulouse_settings.model_copy(update={"default_limit": 7, "max_limit": 70})
    with TestClient(create_app(settings)) as small:
        operation = small.get("/openapi.json").json()["paths"][
            "/api/collections/{collectionId}/items"]["get"]
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert "7 par défaut" in limit["description"] and "au plus 70" in limit["description"]
    assert limit["schema"]["default"] == 7


def test_a_write_is_applied_to_the_collection_and_views_wait_to_be_asked(tmp_path, mirror):
    from geoservice.read.export import feature_fragments

    settings = Settings(data_dir=tmp_path, sources=str(mirror), tiles_url=None,
                        refresh_interval=0)
    pull(settings)
    model = ReadModel(settings)
    with TestClient(create_app(settings, readmodel=model)) as client:
        assert client.get("/api/collections/diagnostic_qpv").status_code == 200
        before = model.current.collection("projets")
        fragments = feature_fragments(before)
        fid = str(before._positions.index[0])
        row = model.storage.features.get("projets", fid)
        [applied] = model.storage.apply([Change(
            "update", "projets", fid, {**row.properties, "description": "Décrit à nouveau"},
            row.geometry, row.version)])
        model.catch_up({"projets": applied.revision})  # what a write on this replica does
        after = model.current.collection("projets")
        assert after is not before and after.revision == applied.revision and after.ready
        # the other features' GeoJSON is reused as it is (the same strings), not rebuilt
        now = feature_fragments(after)
        assert "Décrit à nouveau" in now[0] and "Décrit à nouveau" not in fragments[0]
        assert len(now) == len(fragments) and all(
            a is b for a, b in zip(now[1:], fragments[1:], strict=True))
        # the views are computed when asked, not on the write
        assert model.current.derived.peek(("view", "diagnostic_qpv")) is None
        item = client.get(f"/api/collections/projets/items/{fid}")
        assert "Décrit à nouveau" in item.text and item.headers["etag"] == f'"{applied.version}"'
        listed = client.get("/api/collections/projets/items", params={"limit": 1})
        assert "Décrit à nouveau" in listed.text
        provenance = client.get("/api/collections/diagnostic_qpv").json()[
            "geoservice:provenance"]
        assert provenance["input_revisions"]["projets"] == applied.revision
