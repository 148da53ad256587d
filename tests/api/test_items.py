"""OGC API – Features Part 1: items, one item, paging, filters, datetime, formats, errors."""

from __future__ import annotations

import json
import re
from datetime import date

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from geoservice.api.app import create_app
from geoservice.read.snapshot import Collection

PROBLEM = "application/problem+json"
ITEMS = "/api/collections/{}/items"


def _problem(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    return body


def _rels(body: dict) -> dict[str, dict]:
    return {lk["rel"]: lk for lk in body["links"] if lk["rel"] != "alternate"}


def _local(href: str) -> str:
    return href.replace("http://testserver", "")


def test_items_default_page_has_counts_stamp_and_links(client):
    response = client.get(ITEMS.format("qpv"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == body["numberReturned"] == len(body["features"]) == 16
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timeStamp"])
    rels = _rels(body)
    assert {"self", "collection"} <= set(rels) and "next" not in rels and "prev" not in rels
    alternates = {lk["type"] for lk in body["links"] if lk["rel"] == "alternate"}
    assert alternates == {"text/csv", "application/geopackage+sqlite3"}
    feature = body["features"][0]
    assert feature["id"] == feature["properties"]["code_qp"]
    assert body["metadata"]["licence"] == "Licence Ouverte 2.0"
    assert body["metadata"]["qpv_generation"] == "2024"


def test_paging_by_next_links_returns_every_feature_once(client):
    url, seen, pages = ITEMS.format("stations") + "?limit=25", [], 0
    while url:
        body = client.get(url).json()
        seen += [f["id"] for f in body["features"]]
        assert body["numberReturned"] == len(body["features"]) <= 25
        rels = _rels(body)
        assert ("prev" in rels) == (pages > 0)
        url = _local(rels["next"]["href"]) if "next" in rels else None
        pages += 1
    assert pages == 5 and len(seen) == len(set(seen)) == body["numberMatched"] == 112


def test_next_link_keeps_filters_and_prev_goes_back(client):
    body = client.get(ITEMS.format("stations") + "?type=metro&limit=10&offset=10").json()
    rels = _rels(body)
    assert "type=metro" in rels["next"]["href"] and "offset=20" in rels["next"]["href"]
    back = client.get(_local(rels["prev"]["href"])).json()
    first = client.get(ITEMS.format("stations") + "?type=metro&limit=10").json()
    assert [f["id"] for f in back["features"]] == [f["id"] for f in first["features"]]


def test_offset_beyond_the_end_is_an_empty_page(client):
    body = client.get(ITEMS.format("qpv") + "?offset=1000").json()
    assert body["numberMatched"] == 16 and body["features"] == []
    assert "next" not in _rels(body)


def test_limit_is_clamped_to_the_maximum(toulouse_settings, toulouse_store):
    settings = toulouse_settings.model_copy(update={"default_limit": 2, "max_limit": 3})
    with TestClient(create_app(settings, store=toulouse_store)) as small:
        assert small.get(ITEMS.format("qpv")).json()["numberReturned"] == 2
        body = small.get(ITEMS.format("qpv") + "?limit=5000").json()
        assert body["numberReturned"] == 3
        assert "limit=3" in _rels(body)["next"]["href"]


@pytest.mark.parametrize("query", ["limit=0", "limit=-3", "limit=abc", "offset=-1",
                                   "offset=1.5", "limit="])
def test_bad_paging_is_400(client, query):
    detail = _problem(client.get(ITEMS.format("qpv") + "?" + query))["detail"]
    assert "limit" in detail or "offset" in detail


def test_bbox_selects_intersecting_features(client, toulouse_store):
    qpv = toulouse_store.collection("qpv")
    west, south, east, north = qpv.frame.geometry.iloc[0].bounds
    body = client.get(ITEMS.format("qpv"), params={"bbox": f"{west},{south},{east},{north}"}
                      ).json()
    assert qpv.frame["code_qp"].iloc[0] in [f["id"] for f in body["features"]]
    assert 1 <= body["numberMatched"] < 16
    box = shapely.box(west, south, east, north)
    for feature in body["features"]:
        assert shapely.geometry.shape(feature["geometry"]).intersects(box)
    far = client.get(ITEMS.format("qpv"), params={"bbox": "5,45,5.1,45.1"}).json()
    assert far["numberMatched"] == 0


def test_bbox_excludes_features_without_geometry(client):
    everything = client.get(ITEMS.format("lieux_totems")).json()
    assert sum(f["geometry"] is None for f in everything["features"]) == 2
    boxed = client.get(ITEMS.format("lieux_totems"), params={"bbox": "-180,-90,180,90"}).json()
    assert boxed["numberMatched"] == 2
    assert all(f["geometry"] is not None for f in boxed["features"])
    nothing = client.get(ITEMS.format("accompagnement"), params={"bbox": "-180,-90,180,90"})
    assert nothing.json()["numberMatched"] == 0


@pytest.mark.parametrize("bbox, words", [
    ("1,2,3", "4 nombres"), ("1,2,3,4,5", "4 nombres"), ("a,b,c,d", "nombres"),
    ("1.5,43.5,1.4,43.7", "inversée"), ("1.4,43.7,1.5,43.5", "inversée"),
    ("-200,40,1,45", "longitude"), ("1,-95,2,45", "latitude"), ("1,nan,2,3", "finis"),
    ("1,inf,2,3", "finis"), ("", "4 nombres"),
])
def test_bad_bbox_is_400_with_french_detail(client, bbox, words):
    assert words in _problem(client.get(ITEMS.format("qpv"), params={"bbox": bbox}))["detail"]


def test_six_number_bbox_ignores_heights(client):
    flat = client.get(ITEMS.format("qpv"), params={"bbox": "1.3,43.5,1.5,43.7"}).json()
    tall = client.get(ITEMS.format("qpv"), params={"bbox": "1.3,43.5,0,1.5,43.7,100"}).json()
    assert flat["numberMatched"] == tall["numberMatched"] > 0


def test_equality_filters(client, toulouse_store):
    metro = client.get(ITEMS.format("stations"), params={"type": "metro", "limit": 500}).json()
    frame = toulouse_store.collection("stations").frame
    assert metro["numberMatched"] == int((frame["type"] == "metro").sum()) > 0
    assert {f["properties"]["type"] for f in metro["features"]} == {"metro"}
    inclusion = client.get(ITEMS.format("lieux_totems"), params={"defi": "inclusion"}).json()
    assert inclusion["numberMatched"] >= 1
    assert all("inclusion" in f["properties"]["defi"] for f in inclusion["features"])
    both = client.get(ITEMS.format("stations"), params={"type": "metro", "nom": "Arènes"}).json()
    assert [f["properties"]["nom"] for f in both["features"]] == ["Arènes"]


@pytest.mark.parametrize("collection_id, query, words", [
    ("qpv", "foo=1", "inconnu"),
    ("qpv", "code_qp=QN03107M&couleur=rouge", "couleur"),
    ("projets", "description=x", "inconnu"),  # declared but not filterable
    ("besoins", "couvert=peut-etre", "true ou false"),
    ("projets", "annee=deux-mille", "nombre"),
    ("qpv", "f=xml", "Format"),
    ("stations", "csv_sep=tab", "csv_sep"),
])
def test_bad_filters_are_400(client, collection_id, query, words):
    detail = _problem(client.get(ITEMS.format(collection_id) + "?" + query))["detail"]
    assert words in detail


def test_datetime_only_on_dated_layers_and_well_formed(client):
    assert "datée" in _problem(client.get(ITEMS.format("qpv") + "?datetime=2021"))["detail"]
    for bad in ("hier", "2021-13-01", "2022/2021", "2021/2022/2023", "21-01-01"):
        _problem(client.get(ITEMS.format("projets"), params={"datetime": bad}))
    assert client.get(ITEMS.format("projets"), params={"datetime": "../.."}
                      ).json()["numberMatched"] == 3
    assert client.get(ITEMS.format("besoins"), params={"datetime": "2024-01-01/.."}
                      ).status_code == 200


def _dated(layer, values, geometry=None, **more) -> Collection:
    n = len(values)
    data = {name: [None] * n for name in layer.properties}
    data[layer.id_field] = [f"x{i}" for i in range(n)]
    data[layer.temporal_field or layer.temporal_period.start] = values
    data.update(more)
    geoms = geometry or [shapely.Point(1.44, 43.6)] * n
    return Collection(layer, gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326"))


def test_datetime_on_integer_years(toulouse_store):
    # a layer dated by an integer year (an instant field), as projets was by its `annee`
    layer = toulouse_store.collection("projets").layer.model_copy(
        update={"temporal_field": "annee", "temporal_period": None})
    projets = _dated(layer, [2019, 2020, 2021, None])
    projets.frame["annee"] = projets.frame["annee"].astype("Int64")

    def ids(interval):
        return [projets.frame["id"].iloc[p] for p in projets.select(interval=interval)]

    assert ids((date(2020, 1, 1), date(2020, 12, 31))) == ["x1"]
    assert ids((date(2020, 6, 1), None)) == ["x1", "x2"]
    assert ids((None, date(2019, 12, 31))) == ["x0"]
    assert ids((date(2022, 1, 1), None)) == []
    assert projets.temporal_extent == ["2019-01-01", "2021-12-31"]


def test_datetime_on_dates_of_varying_precision(toulouse_store):
    layer = toulouse_store.collection("besoins").layer
    besoins = _dated(layer, ["2023-05-04", "2023-06", "2024", None])

    def ids(interval):
        return [besoins.frame["id"].iloc[p] for p in besoins.select(interval=interval)]

    assert ids((date(2023, 5, 4), date(2023, 5, 4))) == ["x0"]
    assert ids((date(2023, 6, 30), None)) == ["x1", "x2"]
    assert ids((date(2024, 3, 1), date(2024, 3, 1))) == ["x2"]
    assert besoins.temporal_extent == ["2023-05-04", "2024-12-31"]


def test_datetime_through_the_api_on_a_dated_store(toulouse_settings, toulouse_store):
    from geoservice.read.snapshot import Snapshot

    layer = toulouse_store.collection("projets").layer
    # opened 2019, 2021, 2021-06; the last closed in 2022 (statut ferme)
    dated = _dated(layer, ["2019", "2021", "2021-06"], date_fermeture=[None, None, "2022"],
                   statut=["ouvert", "ouvert", "ferme"])
    store = Snapshot(toulouse_settings, toulouse_store.territory,
                  {**toulouse_store.collections, "projets": dated})
    with TestClient(create_app(toulouse_settings, store=store)) as dated_client:
        url = ITEMS.format("projets")
        assert dated_client.get(url, params={"datetime": "2021"}).json()["numberMatched"] == 3
        assert dated_client.get(url, params={"datetime": "../2020-12-31"}
                                ).json()["numberMatched"] == 1
        assert dated_client.get(url, params={"datetime": "2019-03-01T10:00:00Z/2021-01-01"}
                                ).json()["numberMatched"] == 2
        assert dated_client.get(url, params={"datetime": "2023"}).json()["numberMatched"] == 2
        meta = dated_client.get("/api/collections/projets").json()
        # still open ones: the period has no known end
        assert meta["extent"]["temporal"]["interval"] == [["2019-01-01", None]]


def test_one_item(client):
    response = client.get(ITEMS.format("qpv") + "/QN03107M")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "Feature" and body["id"] == "QN03107M"
    assert body["geometry"]["type"] == "MultiPolygon"
    assert {"self", "collection"} <= set(_rels(body))


def test_item_with_a_slash_in_its_id_and_one_without_geometry(client, toulouse_store):
    station_id = toulouse_store.collection("stations").frame["id"].iloc[0]
    assert "/" in station_id
    body = client.get(ITEMS.format("stations") + "/" + station_id).json()
    assert body["id"] == station_id and body["geometry"]["type"] == "Point"
    unplaced = toulouse_store.collection("accompagnement").frame["id"].iloc[0]
    body = client.get(ITEMS.format("accompagnement") + "/" + unplaced).json()
    assert body["geometry"] is None and body["properties"]["precision"] is None


def test_unknown_feature_and_collection_are_404(client):
    assert "QN00000X" in _problem(client.get(ITEMS.format("qpv") + "/QN00000X"), 404)["detail"]
    assert "nope" in _problem(client.get(ITEMS.format("nope")), 404)["detail"]
    _problem(client.get(ITEMS.format("qpv") + "/QN03107M?limit=3"), 400)


def test_empty_layers_answer_an_empty_collection(client):
    for collection_id in ("besoins",):  # hebergement now holds the open data to check
        body = client.get(ITEMS.format(collection_id)).json()
        assert body["features"] == [] and body["numberMatched"] == 0
        assert client.get(ITEMS.format(collection_id) + "?f=csv").status_code == 200
        assert client.get(ITEMS.format(collection_id) + "?f=gpkg").status_code == 200


@pytest.mark.parametrize("accept, media", [
    ("text/csv", "text/csv; charset=utf-8"),
    ("application/geopackage+sqlite3", "application/geopackage+sqlite3"),
    ("application/json", "application/geo+json"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "application/geo+json"),
    ("application/geo+json;q=0.5, text/csv", "text/csv; charset=utf-8"),
])
def test_format_by_accept_header(client, accept, media):
    response = client.get(ITEMS.format("qpv"), headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"] == media


def test_unacceptable_accept_is_406_and_f_wins(client):
    _problem(client.get(ITEMS.format("qpv"), headers={"Accept": "image/png"}), 406)
    response = client.get(ITEMS.format("qpv") + "?f=json", headers={"Accept": "image/png"})
    assert response.status_code == 200


def test_downloads_carry_content_disposition_and_links(client):
    csv_response = client.get(ITEMS.format("stations") + "?f=csv&limit=10")
    disposition = csv_response.headers["content-disposition"]
    assert disposition == 'attachment; filename="stations.csv"'
    link = csv_response.headers["link"]
    assert 'rel="describedby"' in link and 'rel="next"' in link
    assert csv_response.headers["ogc-numbermatched"] == "112"
    assert len(csv_response.text.strip().splitlines()) == 11
    gpkg = client.get(ITEMS.format("qpv") + "?f=gpkg")
    assert gpkg.headers["content-disposition"] == 'attachment; filename="qpv.gpkg"'
    assert gpkg.content[:16] == b"SQLite format 3\x00"


def _numbers(value) -> list[float]:
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value]


def test_geojson_is_rfc7946(client):
    text = client.get(ITEMS.format("qpv") + "?f=geojson").text
    for number in re.findall(r"-?\d+\.\d+", text.split('"metadata"')[0]):
        assert len(number.split(".")[1]) <= 7, number
    for feature in json.loads(text)["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        assert geom.is_valid
        coords = np.array(_numbers(feature["geometry"]["coordinates"])).reshape(-1, 2)
        assert (np.abs(coords[:, 0]) <= 180).all() and (np.abs(coords[:, 1]) <= 90).all()
        assert coords[:, 0].min() > 1 and coords[:, 1].min() > 43  # lon first
        for polygon in geom.geoms:
            assert polygon.exterior.is_ccw  # right-hand rule: exterior counter-clockwise
            assert all(not ring.is_ccw for ring in polygon.interiors)


def _reject(constant: str) -> None:
    raise ValueError(f"non-JSON constant {constant}")


def test_every_collection_is_strict_json(client):
    for collection in client.get("/api/collections").json()["collections"]:
        text = client.get(ITEMS.format(collection["id"]) + "?limit=10000").text
        body = json.loads(text, parse_constant=_reject)  # no NaN/Infinity (null = unpublished)
        assert body["numberReturned"] == collection["geoservice:featureCount"]
