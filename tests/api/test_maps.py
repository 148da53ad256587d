"""Map configuration, choropleth classes, folium report maps, static assets and security headers."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from geoservice.api.app import create_app
from geoservice.catalog import load_catalog
from geoservice.maps.web import score_classes
from geoservice.settings import REPO_ROOT


def test_map_config_carries_the_layer_styles(client, toulouse_settings):
    response = client.get("/api/map/config")
    assert response.status_code == 200
    config = response.json()
    assert config["territory"]["nom"] == "Toulouse Métropole"
    west, south, east, north = config["territory"]["bbox"]
    assert 1.1 < west < east < 1.7 and 43.4 < south < north < 43.8
    catalog = load_catalog(toulouse_settings.layers_dir)
    layers = {layer["id"]: layer for layer in config["layers"]}
    assert set(layers) == {i for i, layer in catalog.items() if not layer.derived}
    for layer_id in layers:
        layer = catalog[layer_id]
        assert layers[layer_id]["style"]["color"] == layer.style.color
        assert layers[layer_id]["title"] == {"fr": layer.title.fr, "en": layer.title.en}
    assert layers["qpv"]["kind"] == "area" and layers["qpv"]["count"] == 16
    assert layers["lieux_totems"]["kind"] == "ess" and layers["lieux_totems"]["located"] == 2
    assert layers["stations"]["kind"] == "point" and layers["stations"]["style"]["visible"] is False
    assert layers["lieux_totems"]["style"]["glyph"] == "★"
    assert set(config["defis"]) == {"inclusion", "economie_circulaire", "alimentation_durable"}
    assert config["tiles"]["url"].startswith("https://tile.openstreetmap.org/")
    assert "OpenStreetMap" in config["tiles"]["attribution"]


def test_map_config_without_tiles(toulouse_settings):
    settings = toulouse_settings.model_copy(update={"tiles_url": None})
    with TestClient(create_app(settings)) as client:
        config = client.get("/api/map/config").json()
        assert config["tiles"] is None
        csp = client.get("/").headers["content-security-policy"]
        assert "img-src 'self' data:;" in csp


def test_score_classes_keep_unknown_apart():
    result = score_classes([12.0, None, 40.0, 41.0, 80.0, 95.0, None], k=3)
    assert result["k"] == 3 and result["scheme"] == "FisherJenks"
    assert result["unknown"]["count"] == 2 and result["unknown"]["fr"] == "Besoin inconnu"
    assert result["bins"][1] is None and result["bins"][6] is None
    assert result["bins"][0] == 0 and result["bins"][5] == 2
    assert result["breaks"][-1] == 95.0
    assert [c["upper"] for c in result["classes"]] == result["breaks"]
    assert score_classes([None, None])["k"] == 0
    assert score_classes([50.0, 50.0])["k"] == 1


def test_diagnostic_classes_route(client):
    response = client.get("/api/map/diagnostic-classes")
    assert response.status_code == 200
    body = response.json()
    assert {"breaks", "classes", "unknown", "qpv"} <= set(body)
    bad = client.get("/api/map/diagnostic-classes", params={"defi": "<script>"})
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    assert "Défi inconnu" in bad.json()["detail"]


def test_qpv_report_map_is_standalone(client):
    response = client.get("/api/maps/qpv/QN03107M.html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "Grand Mirail" in html
    # folium's CDN assets are replaced by the inlined local Leaflet
    for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com",
                "netdna.bootstrapcdn.com"):
        assert cdn not in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html)
    assert "L.map(" in html and "Leaflet" in html
    csp = response.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp


def test_territory_report_map(client):
    response = client.get("/api/maps/territoire.html")
    assert response.status_code == 200
    assert response.text.count("QN031") >= 16


@pytest.mark.parametrize(("path", "status"), [
    ("/api/maps/qpv/QN99999X.html", 404),
    ("/api/maps/qpv/QN03107M.html?ring_m=-5", 400),
    ("/api/maps/qpv/QN03107M.html?ring_m=abc", 400),
])
def test_report_map_bad_input_is_problem_json(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def test_web_map_and_vendor_assets_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert 'src="vendor/leaflet/leaflet.js"' in html
    assert "http://" not in html and "https://" not in html
    assert "<script>" not in html  # no inline script
    for asset in ("/vendor/leaflet/leaflet.js", "/vendor/leaflet/leaflet.css",
                  "/vendor/markercluster/leaflet.markercluster.js",
                  "/vendor/markercluster/MarkerCluster.Default.css",
                  "/app.js", "/js/i18n.js", "/style.css", "/favicon.svg"):
        assert client.get(asset).status_code == 200, asset


def test_app_js_never_writes_html_from_data():
    for path in (REPO_ROOT / "static").rglob("*.js"):  # app.js and every module it loads
        source = path.read_text("utf-8")
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, path
        assert "document.write" not in source and "eval(" not in source, path


def test_assets_are_gzipped(client):
    response = client.get("/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"


def test_security_headers_on_every_response(client):
    for path in ("/", "/app.js", "/api", "/api/collections", "/api/nowhere", "/api/map/config"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, path
        assert "object-src 'none'" in csp and "frame-ancestors 'self'" in csp
        assert "img-src 'self' data: https://tile.openstreetmap.org" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "SAMEORIGIN"
        assert "geolocation=(self)" in headers["permissions-policy"]


def test_docs_page_is_local_and_under_the_same_policy(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert "cdn" not in response.text and "<script>" not in response.text
    assert response.headers["content-security-policy"] == \
        client.get("/").headers["content-security-policy"]
    assert client.get("/vendor/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs.js").status_code == 200


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    import os

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GEOSERVICE_")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "geoservice", *args], capture_output=True,
                          text=True, env=full_env, timeout=300, cwd=REPO_ROOT)


def test_cli_map_writes_an_offline_file(toulouse_settings, tmp_path):
    env = {"GEOSERVICE_DATA_DIR": str(toulouse_settings.data_dir)}
    out = tmp_path / "carte.html"
    result = _cli("map", "--qpv", "QN03109M", "--no-tiles", "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    html = out.read_text("utf-8")
    assert "Empalot" in html and "tile.openstreetmap.org" not in html
    assert "cdn.jsdelivr.net" not in html
    overview = _cli("map", "-o", str(tmp_path / "tout.html"), env=env)
    assert overview.returncode == 0, overview.stderr
    assert "tile.openstreetmap.org" in (tmp_path / "tout.html").read_text("utf-8")


def test_cli_map_unknown_qpv_is_one_line_error(toulouse_settings, tmp_path):
    env = {"GEOSERVICE_DATA_DIR": str(toulouse_settings.data_dir)}
    result = _cli("map", "--qpv", "NOPE", "-o", str(tmp_path / "x.html"), env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("erreur : QPV inconnu")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.html").exists()


def test_montpellier_by_configuration_alone(montpellier_settings):
    with TestClient(create_app(montpellier_settings)) as client:
        config = client.get("/api/map/config").json()
        assert config["territory"]["nom"] == "Montpellier Méditerranée Métropole"
        west, south, east, north = config["territory"]["bbox"]
        assert 3.6 < west < east < 4.1 and 43.4 < south < north < 43.8
        layers = {layer["id"]: layer for layer in config["layers"]}
        assert layers["qpv"]["count"] == 10
        code = client.get("/api/collections/qpv/items", params={"limit": 1}).json()[
            "features"][0]["id"]
        report = client.get(f"/api/maps/qpv/{code}.html")
        assert report.status_code == 200 and code in report.text


def test_ign_background_preset(toulouse_settings):
    from fastapi.testclient import TestClient

    from geoservice.api.app import create_app
    from geoservice.settings import Settings

    settings = Settings(**{**toulouse_settings.model_dump(exclude={"tiles_url",
                                                                    "tiles_attribution"}),
                           "tiles": "ign"})
    assert "PLANIGNV2" in settings.tiles_url and "IGN" in settings.tiles_attribution
    with TestClient(create_app(settings)) as ign:
        config = ign.get("/api/map/config").json()
        assert config["tiles"]["url"].startswith("https://data.geopf.fr/wmts?")
        assert "https://data.geopf.fr" in ign.get("/").headers["content-security-policy"]
