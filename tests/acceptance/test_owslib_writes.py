"""An independent client writes: OWSLib's OGC API – Features transaction methods create,
update (PUT) and delete a feature on the real server. OWSLib sends no If-Match of its own:
the ETag read with the feature goes in its ``headers``, as its documentation allows."""

from __future__ import annotations

import json

import httpx
import owslib.ogcapi
import pytest
from owslib.ogcapi.features import Features

from tests.api.test_editing import PLACE
from tests.editing_site import Site


def features(url: str, headers: dict[str, str]) -> Features:
    """OWSLib 0.35 updates its module-wide REQUEST_HEADERS with an instance's headers (so a
    token would leak into every later client): give the instance its own copy."""
    shared = owslib.ogcapi.REQUEST_HEADERS
    before = dict(shared)
    client = Features(url, headers=headers)
    client.headers = dict(client.headers)
    shared.clear()
    shared.update(before)
    return client


@pytest.fixture(scope="module")
def site(mirror, tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("owslib-writes"), mirror)
    yield made
    made.stop()


def test_owslib_creates_updates_and_deletes(site):
    client = features(f"{site.url}/api",
                      {**site.auth("moderator"), "Content-Type": "application/geo+json"})
    before = client.collection_items("hebergement", limit=1000)["numberMatched"]
    assert client.collection_item_create("hebergement", json.dumps(PLACE)) is True
    items = client.collection_items("hebergement", limit=1000)
    assert items["numberMatched"] == before + 1
    fid = next(f["id"] for f in items["features"]
               if f["properties"]["nom"] == PLACE["properties"]["nom"])

    etag = httpx.get(f"{site.url}/api/collections/hebergement/items/{fid}").headers["ETag"]
    client.headers["If-Match"] = etag
    renamed = dict(PLACE, properties={**PLACE["properties"], "nom": "Renommé par OWSLib"})
    assert client.collection_item_update("hebergement", fid, json.dumps(renamed)) is True
    assert client.collection_item("hebergement", fid)["properties"]["nom"] == \
        "Renommé par OWSLib"

    client.headers["If-Match"] = '"2"'
    assert client.collection_item_delete("hebergement", fid) is True
    assert httpx.get(f"{site.url}/api/collections/hebergement/items/{fid}").status_code == 404
    assert client.collection_items("hebergement", limit=1000)["numberMatched"] == before


def test_owslib_without_credentials_is_refused(site):
    client = features(f"{site.url}/api", {"Content-Type": "application/geo+json"})
    with pytest.raises(RuntimeError, match="401"):
        client.collection_item_create("hebergement", json.dumps(PLACE))
