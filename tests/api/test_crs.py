"""OGC API – Features Part 2: crs and bbox-crs, Content-Crs, CRS lists in the metadata."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

from geoservice.read.crs import CRS84, parse_crs

ITEMS = "/api/collections/{}/items"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


def _points(body: dict) -> dict[str, tuple[float, float]]:
    return {f["id"]: tuple(f["geometry"]["coordinates"]) for f in body["features"]}


def test_collections_declare_storage_and_output_crs(client):
    meta = client.get("/api/collections/qpv").json()
    assert meta["storageCrs"] == CRS84
    assert {CRS84, EPSG + "4326", EPSG + "2154", EPSG + "3857"} <= set(meta["crs"])
    assert CRS84 in client.get("/api/collections").json()["crs"]
    classes = client.get("/api/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_default_is_crs84_with_content_crs_header(client):
    response = client.get(ITEMS.format("stations") + "?limit=1")
    assert response.headers["content-crs"] == f"<{CRS84}>"


@pytest.mark.parametrize("crs", [EPSG + "2154", "EPSG:2154", "urn:ogc:def:crs:EPSG::2154"])
def test_lambert93_output_matches_pyproj(client, crs):
    lonlat = _points(client.get(ITEMS.format("stations"), params={"limit": 200}).json())
    response = client.get(ITEMS.format("stations"), params={"limit": 200, "crs": crs})
    assert response.status_code == 200
    assert response.headers["content-crs"] == f"<{EPSG}2154>"
    projected = _points(response.json())
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    for fid, (lon, lat) in lonlat.items():
        x, y = to_l93.transform(lon, lat)
        assert projected[fid] == pytest.approx((x, y), abs=0.02)  # cm rounding, 1e-7° input
        assert 500_000 < x < 620_000 and 6_230_000 < y < 6_320_000  # around Toulouse


def test_epsg4326_is_latitude_first(client):
    lonlat = _points(client.get(ITEMS.format("stations"), params={"limit": 200}).json())
    response = client.get(ITEMS.format("stations"), params={"limit": 200, "crs": EPSG + "4326"})
    assert response.headers["content-crs"] == f"<{EPSG}4326>"
    latlon = _points(response.json())
    assert all(latlon[fid] == (lat, lon) for fid, (lon, lat) in lonlat.items())


def test_web_mercator_output(client):
    body = client.get(ITEMS.format("qpv"), params={"crs": EPSG + "3857"}).json()
    coords = np.array(body["features"][0]["geometry"]["coordinates"][0][0])
    assert (coords[:, 0] > 130_000).all() and (coords[:, 1] > 5_390_000).all()


def test_bbox_crs_selects_the_same_features(client):
    reference = client.get(ITEMS.format("stations"), params={"bbox": "1.40,43.58,1.46,43.62",
                                                            "limit": 200}).json()
    latlon = client.get(ITEMS.format("stations"), params={
        "bbox": "43.58,1.40,43.62,1.46", "bbox-crs": EPSG + "4326", "limit": 200}).json()
    assert _points(latlon) == _points(reference) and reference["numberMatched"] > 5
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    x0, y0, x1, y1 = to_l93.transform_bounds(1.40, 43.58, 1.46, 43.62)
    lambert = client.get(ITEMS.format("stations"), params={
        "bbox": f"{x0},{y0},{x1},{y1}", "bbox-crs": "EPSG:2154", "limit": 200}).json()
    in_box = {fid for fid, (x, y) in _points(client.get(ITEMS.format("stations"), params={
        "crs": "EPSG:2154", "limit": 200}).json()).items() if x0 <= x <= x1 and y0 <= y <= y1}
    assert set(_points(lambert)) == in_box  # exact in the Lambert-93 plane
    assert set(_points(reference)) <= in_box


def test_one_item_in_lambert93(client):
    response = client.get(ITEMS.format("qpv") + "/QN03107M", params={"crs": "EPSG:2154"})
    assert response.headers["content-crs"] == f"<{EPSG}2154>"
    x, y = response.json()["geometry"]["coordinates"][0][0][0]
    assert 500_000 < x < 620_000 and 6_230_000 < y < 6_320_000


@pytest.mark.parametrize("param, value", [
    ("crs", "EPSG:27572"), ("crs", "toto"), ("bbox-crs", "EPSG:99999"),
])
def test_unknown_crs_is_400(client, param, value):
    params = {param: value, "bbox": "1,43,2,44"}
    response = client.get(ITEMS.format("qpv"), params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "non pris en charge" in response.json()["detail"]


def test_projected_bbox_outside_the_projection_is_400(client):
    response = client.get(ITEMS.format("qpv"), params={
        "bbox": "-1e30,-1e30,1e30,1e30", "bbox-crs": "EPSG:2154"})
    assert response.status_code == 400
    assert "domaine" in response.json()["detail"]


def test_parse_crs_forms():
    assert parse_crs(None).uri == CRS84
    assert parse_crs("CRS84").uri == parse_crs("OGC:CRS84").uri == CRS84
    assert parse_crs("EPSG:4326").lat_first and not parse_crs("EPSG:2154").geographic


@pytest.mark.parametrize("bbox_crs", ["CRS84", "EPSG:4326", "EPSG:2154", "EPSG:3857"])
def test_degenerate_bbox_is_a_point_or_segment(client, toulouse_store, bbox_crs):
    station = toulouse_store.collection("stations").frame.iloc[0]
    lon, lat = station.geometry.x, station.geometry.y
    x, y = Transformer.from_crs("EPSG:4326", parse_crs(bbox_crs).epsg, always_xy=True
                                ).transform(lon, lat)
    if bbox_crs == "EPSG:4326":
        x, y = y, x
    body = client.get(ITEMS.format("stations"), params={
        "bbox": f"{x},{y},{x},{y}", "bbox-crs": bbox_crs}).json()
    assert station["id"] in _points(body) or bbox_crs in ("EPSG:2154", "EPSG:3857")
    zero = client.get(ITEMS.format("qpv"), params={"bbox": "0,0,0,0", "bbox-crs": bbox_crs})
    assert zero.status_code in (200, 400) and zero.headers["content-type"] != "text/plain"
    line = client.get(ITEMS.format("stations"), params={
        "bbox": f"{x},{y},{x},{y + 1}" if bbox_crs != "EPSG:4326" else f"{x},{y},{x + 1},{y}",
        "bbox-crs": bbox_crs})
    assert line.status_code == 200


@pytest.mark.parametrize("value", ["1e200", "1e300", "1e307"])
def test_huge_projected_bbox_is_a_400(client, value):
    response = client.get("/api/collections/qpv/items", params={
        "bbox": f"-{value},-{value},{value},{value}", "bbox-crs": "EPSG:2154"})
    assert response.status_code == 400
    assert "bbox hors du domaine" in response.json()["detail"]
