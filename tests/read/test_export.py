"""Exports: the writers of geoservice.read.export, through `geoservice export` (a real subprocess)
and through `f=` on items (the same functions)."""

from __future__ import annotations

import csv
import io
import json

import pyogrio
import pytest
import shapely

from geoservice.read import export
from geoservice.read.crs import parse_crs
from tests.cli.test_cli import run


def _env(settings) -> dict[str, str]:
    return {"GEOSERVICE_DATA_DIR": str(settings.data_dir)}


def test_geojson_export_carries_metadata(toulouse_settings, tmp_path):
    out = tmp_path / "qpv.geojson"
    result = run("export", "qpv", "-f", "geojson", "-o", str(out), env=_env(toulouse_settings))
    assert result.returncode == 0, result.stderr
    assert "16 objet(s)" in result.stderr
    body = json.loads(out.read_text("utf-8"))
    assert len(body["features"]) == body["numberMatched"] == 16 and "crs" not in body
    meta = body["metadata"]
    assert meta["publisher"].startswith("ANCT") and meta["licence"] == "Licence Ouverte 2.0"
    assert meta["vintage"] == "2024" and meta["qpv_generation"] == "2024"
    assert meta["provenance"]["sources"][0]["origin"].endswith("qpv_2024_france.geojson")
    assert meta["generated_at"].endswith("Z")


def test_gpkg_export_in_lambert93_with_bbox(toulouse_settings, tmp_path):
    out = tmp_path / "qpv.gpkg"
    result = run("export", "qpv", "-f", "gpkg", "--crs", "EPSG:2154", "--bbox",
                 "1.40,43.55,1.45,43.60", "-o", str(out), env=_env(toulouse_settings))
    assert result.returncode == 0, result.stderr
    info = pyogrio.read_info(out, layer="qpv")
    assert 0 < info["features"] < 16
    assert info["crs"] == "EPSG:2154"
    assert info["layer_metadata"]["licence"] == "Licence Ouverte 2.0"
    assert info["layer_metadata"]["qpv_generation"] == "2024"
    assert "ANCT" in info["layer_metadata"]["DESCRIPTION"]
    frame = pyogrio.read_dataframe(out, layer="qpv")
    x0, y0, x1, y1 = frame.total_bounds
    assert 500_000 < x0 < x1 < 620_000 and 6_230_000 < y0 < y1 < 6_320_000
    assert frame.geometry.is_valid.all()


def test_gpkg_keeps_features_without_geometry_and_empty_layers(toulouse_store, tmp_path):
    totems = toulouse_store.collection("lieux_totems")
    path = tmp_path / "lt.gpkg"
    export.write_gpkg(totems, range(len(totems)), path)
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == 4 and frame.geometry.isna().sum() == 2
    assert set(frame["defi"]) >= {"inclusion"}  # arrays as a|b
    empty = toulouse_store.collection("besoins")
    export.write_gpkg(empty, [], tmp_path / "b.gpkg")
    assert pyogrio.read_info(tmp_path / "b.gpkg")["features"] == 0


def test_csv_export_with_sidecar_wkt_and_lonlat(toulouse_settings, tmp_path):
    out = tmp_path / "stations.csv"
    result = run("export", "stations", "-f", "csv", "-o", str(out), env=_env(toulouse_settings))
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    assert len(rows) == 112 and list(rows[0])[-3:] == ["wkt", "lon", "lat"]
    for row in rows:
        point = shapely.from_wkt(row["wkt"])
        assert (point.x, point.y) == (float(row["lon"]), float(row["lat"]))
    sidecar = json.loads((tmp_path / "stations.csv.metadata.json").read_text("utf-8"))
    assert "OpenStreetMap" in sidecar["attribution"] and sidecar["licence"].startswith("ODbL")


def test_csv_excel_fr_form(toulouse_settings, tmp_path):
    out = tmp_path / "lt.csv"
    result = run("export", "lieux_totems", "-f", "csv", "--excel", "--crs", "EPSG:2154",
                 "-o", str(out), env=_env(toulouse_settings))
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert list(rows[0])[-3:] == ["wkt", "x", "y"]
    placed = [r for r in rows if r["wkt"]]
    assert len(rows) == 4 and len(placed) == 2
    assert all("," in r["x"] and "." not in r["x"] for r in placed)  # decimal comma
    fil = next(r for r in rows if r["id"] == "lt-le-fil")
    assert fil["porteurs"] == "Les Imaginations Fertiles|ETIC"
    x = float(fil["x"].replace(",", "."))
    assert 500_000 < x < 620_000


@pytest.mark.parametrize("args, words", [
    (["nope", "-o", "x.geojson"], "Collection inconnue"),
    (["qpv", "-f", "kml", "-o", "x.kml"], "Format"),
    (["qpv", "--crs", "EPSG:9999", "-o", "x.geojson"], "non pris en charge"),
    (["qpv", "--bbox", "1,2,3", "-o", "x.geojson"], "bbox"),
    (["qpv", "-f", "gpkg", "--excel", "-o", "x.gpkg"], "--excel"),
    (["qpv", "-f", "gpkg", "-o", "/proc/x.gpkg"], "écriture impossible"),
    (["qpv", "--bbox=-1e300,-1e300,1e300,1e300", "--bbox-crs", "EPSG:2154", "-o", "x.geojson"],
     "bbox hors du domaine"),
])
def test_export_errors_are_one_line(toulouse_settings, tmp_path, args, words):
    env = _env(toulouse_settings)
    result = run("export", *[str(tmp_path / a) if a.startswith("x.") else a for a in args],
                 env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("erreur : ") and words in lines[0]


def test_api_downloads_use_the_same_writers(client, toulouse_store):
    qpv = toulouse_store.collection("qpv")
    expected = export.to_csv(qpv, range(len(qpv)), parse_crs("EPSG:2154"), excel=True)
    response = client.get("/api/collections/qpv/items",
                          params={"f": "csv", "crs": "EPSG:2154", "csv_sep": ";"})
    assert response.content.decode("utf-8") == expected
    stations = client.get("/api/collections/stations/items?f=gpkg&limit=1000").content
    assert stations[:16] == b"SQLite format 3\x00"


def test_geojson_document_in_lambert_names_its_crs(toulouse_store):
    qpv = toulouse_store.collection("qpv")
    body = json.loads(export.geojson_document(qpv, range(3), parse_crs("EPSG:2154")))
    assert body["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::2154"
    assert body["metadata"]["crs"].endswith("/2154")


def test_csv_in_epsg4326_names_columns_in_axis_order(toulouse_store):
    collection = toulouse_store.collection("lieux_totems")
    text = export.to_csv(collection, collection.located, parse_crs("EPSG:4326"))
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    fil = rows["lt-le-fil"]
    assert float(fil["lat"]) == pytest.approx(43.5666473)
    assert float(fil["lon"]) == pytest.approx(1.3996743)
    assert list(rows["lt-le-fil"])[-2:] == ["lat", "lon"]
