"""Every number a user types is read in ASCII digits only, and a bad one is a 400 (or a
one-line CLI error), never a 500 nor a silent reinterpretation (issue 13, item 4)."""

from __future__ import annotations

import pytest

from tests.cli.test_cli import run

ITEMS = "/api/collections/qpv/items"


@pytest.mark.parametrize("url", [
    ITEMS + "?crs=EPSG:%C2%B2",
    ITEMS + "?bbox=1,43,2,44&bbox-crs=EPSG:%C2%B9",
    ITEMS + "?crs=urn:ogc:def:crs:EPSG::%C2%B3",
    ITEMS + "/QN03107M?crs=EPSG:%C2%B2",
    ITEMS + "?crs=EPSG:" + "9" * 5000,
    ITEMS + "?crs=EPSG:%EF%BC%92%EF%BC%91%EF%BC%95%EF%BC%94",  # full-width 2154
    ITEMS + "?limit=%EF%BC%91%EF%BC%90",  # full-width 10
    ITEMS + "?offset=%D9%A1",  # Arabic-Indic 1
    ITEMS + "?limit=1_0",
    ITEMS + "?bbox=%EF%BC%91.3,43.5,1.5,43.7",
    "/api/lookup?lon=%EF%BC%91.%EF%BC%94&lat=43.6",
    "/api/lookup?lon=1_4&lat=43.6",
    "/api/analysis/underserved?ring_m=1,5",
    "/api/analysis/underserved?ring_m=%EF%BC%95%EF%BC%90%EF%BC%90",
    "/api/analysis/underserved?weights=need:%EF%BC%92",
    "/api/map/diagnostic-classes?ring_m=%D9%A5",
])
def test_non_ascii_numbers_are_400(client, url):
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code, response.text[:200])
    assert response.headers["content-type"].startswith("application/problem+json")


def test_ascii_forms_still_work(client):
    assert client.get(ITEMS + "?crs=EPSG:2154&limit=10").status_code == 200
    assert client.get(ITEMS + "?crs=urn:ogc:def:crs:EPSG::3857").status_code == 200
    assert client.get("/api/lookup?lon=1.4&lat=43.6").status_code == 200
    assert client.get("/api/analysis/underserved?ring_m=500&weights=need:2.5"
                      ).status_code == 200


def test_batch_rows_with_non_ascii_digits_are_row_errors(client):
    body = "id,lon,lat\na,1.40,43.60\nb,１.４,43.60\n"
    response = client.post("/api/lookup", content=body.encode(),
                           headers={"Content-Type": "text/csv"})
    assert response.status_code == 200
    lines = response.text.lstrip("\ufeff").splitlines()
    assert ",error," in lines[2] or lines[2].count("error") >= 1
    assert "error" not in lines[1]


def test_cli_crs_with_a_superscript_is_one_line(toulouse_settings, tmp_path):
    result = run("export", "qpv", "--crs", "EPSG:²", "-o", str(tmp_path / "x.geojson"),
                 env={"GEOSERVICE_DATA_DIR": str(toulouse_settings.data_dir)})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("erreur : "), result.stderr
