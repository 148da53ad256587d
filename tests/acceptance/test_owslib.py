"""OWSLib's OGC API – Features client against the real server."""

from __future__ import annotations

from owslib.ogcapi.features import Features

from geoservice.catalog import LAYER_IDS


def test_owslib_reads_landing_collections_items_and_one_item(live_server):
    api = Features(f"{live_server.url}/api")
    landing = api.links
    assert {"service-desc", "conformance", "data"} <= {lk["rel"] for lk in landing}
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in \
        api.conformance()["conformsTo"]
    ids = {c["id"] for c in api.collections()["collections"]}
    assert set(LAYER_IDS) <= ids
    assert api.collection("qpv")["storageCrs"].endswith("CRS84")
    page = api.collection_items("qpv", limit=5)
    assert page["numberMatched"] == 16 and page["numberReturned"] == 5
    assert any(lk["rel"] == "next" for lk in page["links"])
    feature_id = page["features"][0]["id"]
    item = api.collection_item("qpv", feature_id)
    assert item["id"] == feature_id and item["properties"]["code_qp"] == feature_id
    queryables = api.collection_queryables("qpv")
    assert "lib_qp" in queryables["properties"]


def test_owslib_reads_a_feature_with_a_slash_in_its_id(live_server):
    api = Features(f"{live_server.url}/api")
    station = api.collection_items("stations", limit=1)["features"][0]
    assert "/" in station["id"]
    item = api.collection_item("stations", station["id"])
    assert item["properties"]["nom"] == station["properties"]["nom"]


def test_owslib_reads_a_layer_without_positions(live_server):
    api = Features(f"{live_server.url}/api")
    page = api.collection_items("accompagnement")
    assert page["numberMatched"] == page["numberReturned"] == 7
    assert all(f["geometry"] is None for f in page["features"])
    empty = api.collection_items("besoins")
    assert empty["numberMatched"] == 0 and empty["features"] == []
