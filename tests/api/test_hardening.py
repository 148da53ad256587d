"""Issue 30, hostile review: health and readiness routes for a load balancer, strong
``If-Match`` comparison, 4xx (never 500) for malformed writes and proposals, and a CQL2
filter too deep to parse refused in French — on a real server over both stores."""

from __future__ import annotations

import json

import pytest

from tests.editing_site import Site, site_on

PLACE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.4437, 43.6045]},
         "properties": {"nom": "Recyclerie d'essai", "type": "tiers_lieu",
                        "defi": ["economie_circulaire"], "statut": "ouvert",
                        "precision": "adresse", "adresse": "1 rue d'essai, Toulouse",
                        "source": "test automatique (données synthétiques)"}}
NEED = {"collection": "besoins", "note": "vu à la réunion",
        "feature": {"type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [1.40044, 43.57235]},
                    "properties": {"nom": "Épicerie solidaire", "precision": "rue",
                                   "defi": ["alimentation_durable"],
                                   "description": "Pas de magasin abordable à pied",
                                   "signale_par": "maison_des_citoyens"}}}
MERGE = {"Content-Type": "application/merge-patch+json"}
ITEMS = "/api/collections/hebergement/items"


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def site(request, mirror, tmp_path_factory):
    made = site_on(request, mirror, tmp_path_factory, "hardening",
                   GEOSERVICE_PROPOSALS_PER_HOUR="1000")
    yield made
    made.stop()


def _french_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


# 1. health and readiness

def test_health_and_ready_answer_when_all_is_well(site):
    public = site.client()
    health = public.get("/api/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = public.get("/api/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    assert public.get("/api/ready?x=1").status_code == 400
    paths = public.get("/openapi.json").json()["paths"]
    assert "/api/health" in paths and "/api/ready" in paths


def test_ready_is_503_in_french_when_the_database_is_gone(postgres, mirror, tmp_path):
    url = postgres.create_database("hardening_gone")
    site = Site(tmp_path, mirror, url)
    try:
        public = site.client()
        assert public.get("/api/ready").status_code == 200
        import psycopg

        with psycopg.connect(postgres.url(), autocommit=True) as conn:
            conn.execute('DROP DATABASE "hardening_gone" WITH (FORCE)')
        answer = public.get("/api/ready")
        problem = _french_problem(answer, 503)
        assert int(answer.headers["Retry-After"]) > 0
        assert "base" in problem["detail"]
        health = public.get("/api/health")  # the process itself is alive
        assert health.status_code == 200 and health.json() == {"status": "ok"}
    finally:
        site.stop()


# 2. If-Match compared strongly

def test_if_match_is_compared_strongly(site):
    editor = site.client("editor")
    made = editor.post(ITEMS, json=PLACE)
    assert made.status_code == 201, made.text
    location = made.headers["Location"]
    body = json.dumps({"properties": {"nom": "Nouveau nom"}})
    for tag in ('W/"1"', "garbage", '"abc"', "1"):
        refused = editor.patch(location, content=body, headers={**MERGE, "If-Match": tag})
        problem = _french_problem(refused, 412)
        assert refused.headers["ETag"] == '"1"', tag
        assert problem["currentVersion"] == 1 and problem["etag"] == '"1"', tag
        assert problem["current"]["properties"]["nom"] == PLACE["properties"]["nom"], tag
    assert editor.patch(location, content=body, headers={**MERGE, "If-Match": ""}
                        ).status_code == 428
    assert editor.patch(location, content=body, headers=MERGE).status_code == 428
    assert editor.patch(location, content=body, headers={**MERGE, "If-Match": '"1"'}
                        ).status_code == 200


# 3. malformed input: 4xx, never 500

def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_malformed_writes_are_4xx(site):
    editor = site.client("editor")
    bad_geometry = dict(PLACE, geometry="x")
    problem = _french_problem(editor.post(ITEMS, json=bad_geometry), 422)
    assert "geometry" in problem["detail"]
    bad_coords = dict(PLACE, geometry={"type": "Point", "coordinates": ["a", "b"]})
    problem = _french_problem(editor.post(ITEMS, json=bad_coords), 422)
    assert "geometry" in problem["detail"]
    deep = editor.post(ITEMS, content=_deep(16_000),
                       headers={"Content-Type": "application/geo+json"})
    assert "JSON" in _french_problem(deep, 400)["detail"]
    reason = editor.post(ITEMS, json=PLACE, headers={"Geoservice-Reason": "%ff"})
    assert "Geoservice-Reason" in _french_problem(reason, 400)["detail"]
    made = editor.post(ITEMS, json=PLACE)
    location = made.headers["Location"]
    patched = editor.patch(location, content=json.dumps({"geometry": {
        "type": "Point", "coordinates": ["a", "b"]}}), headers={**MERGE, "If-Match": '"1"'})
    _french_problem(patched, 422)
    deep_patch = editor.patch(location, content=_deep(16_000),
                              headers={**MERGE, "If-Match": '"1"'})
    _french_problem(deep_patch, 400)


def test_malformed_proposals_are_4xx(site):
    public = site.client()
    for geometry in ("x", {"type": "Point", "coordinates": ["a", "b"]}):
        body = dict(NEED, feature=dict(NEED["feature"], geometry=geometry))
        answer = public.post("/api/proposals", json=body)
        assert 400 <= answer.status_code < 500, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    deep = public.post("/api/proposals", content=_deep(16_000),
                       headers={"Content-Type": "application/json"})
    assert "JSON" in _french_problem(deep, 400)["detail"]
    fine = public.post("/api/proposals", json=NEED)
    assert fine.status_code == 202, fine.text  # the same body, well formed, is taken


def test_malformed_import_fields_are_4xx(site):
    editor = site.client("editor")
    for field, value in (("mapping", _deep(16_000).decode()), ("defaults", "{\"a\": ")):
        answer = editor.post("/api/imports", data={"layer": "hebergement", field: value},
                             files={"file": ("lieux.csv", b"nom;adresse\nA;1 rue X\n",
                                             "text/csv")})
        assert field in _french_problem(answer, 400)["detail"]


# 4. a CQL2 filter too deep

@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_a_filter_of_1200_or_terms_is_400_in_french(store, client, request):
    used = client if store == "sqlite" else request.getfixturevalue("postgis_client")
    flt = " OR ".join(["code_qp='x'"] * 1200)
    answer = used.get("/api/collections/qpv/items", params={"filter": flt})
    problem = _french_problem(answer, 400)
    assert "filter" in problem["detail"]
    fewer = used.get("/api/collections/qpv/items",
                     params={"filter": " OR ".join(["code_qp='x'"] * 50)})
    assert fewer.status_code == 200 and fewer.json()["numberReturned"] == 0
