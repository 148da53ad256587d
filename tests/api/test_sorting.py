"""Issue 29: OGC ``sortby`` (Part 8), ``properties`` and ``skipGeometry`` (Part 6) on items,
on a real server over both stores (SQLite and PostGIS: the CQL2 filter is evaluated by
PostgreSQL there, the sort on the snapshot), checked against an independent sort in Python."""

from __future__ import annotations

import re
import unicodedata

import pytest

from tests.editing_site import site_on_both_stores

ITEMS = "/api/collections/hebergement/items"
PLACE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.4437, 43.6045]},
         "properties": {"nom": "Àaa atelier d'essai", "type": "tiers_lieu",
                        "defi": ["economie_circulaire"], "statut": "ouvert",
                        "precision": "adresse", "adresse": "1 rue d'essai, Toulouse",
                        "source": "test automatique (données synthétiques)"}}


site = site_on_both_stores("sorting")


def _plain(text: str) -> str:
    """Written apart from the service's fold: NFKD, accents dropped, lower case, each run
    of other characters as one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^0-9a-z]+", " ", bare).strip()


def _all(client, **params) -> list[dict]:
    features, url, query = [], ITEMS, {"limit": "7", **params}
    while url:
        body = client.get(url, params=query).json()
        features += body["features"]
        url = next((lk["href"] for lk in body["links"] if lk["rel"] == "next"), None)
        query = None
    return features


def test_sortby_several_keys_across_pages_after_a_write(site):
    editor = site.client("editor")
    made = editor.post(ITEMS, json=PLACE)
    assert made.status_code == 201, made.text
    public = site.client()
    storage_order = _all(public)
    got = _all(public, sortby="-statut,nom")  # paged by 7: the sort holds across pages
    assert len(got) == len(storage_order) > 20

    def key(feature: dict) -> tuple:
        nom = feature["properties"]["nom"]
        return (nom is None, _plain(nom or ""), nom or "")

    # statut descending: an independent stable sort, twice (secondary key first)
    expected = sorted(storage_order, key=key)  # nom: no feature lacks one
    expected = sorted(expected, key=lambda f: _plain(f["properties"]["statut"] or ""),
                      reverse=True)
    assert [f["id"] for f in got] == [f["id"] for f in expected]
    ascending = _all(public, sortby="nom")
    assert ascending[0]["properties"]["nom"] == PLACE["properties"]["nom"]  # « À » as « a »
    assert [f["id"] for f in ascending] == [f["id"] for f in sorted(storage_order, key=key)]
    plus = public.get(ITEMS, params={"sortby": "+nom", "limit": "3"}).json()
    assert [f["id"] for f in plus["features"]] == [f["id"] for f in ascending[:3]]


def test_sortby_with_a_cql2_filter(site):
    """On PostGIS the filter is PostgreSQL's (pushdown); the order is the same."""
    public = site.client()
    flt = "statut = 'ouvert'"
    got = _all(public, filter=flt, sortby="-nom")
    names = [f["properties"]["nom"] for f in got]
    assert got and all(f["properties"]["statut"] == "ouvert" for f in got)
    assert [_plain(n) for n in names] == sorted((_plain(n) for n in names), reverse=True)


def test_properties_and_skip_geometry(site):
    public = site.client()
    body = public.get(ITEMS, params={"properties": "nom,commune", "skipGeometry": "true",
                                     "limit": "5", "sortby": "nom"}).json()
    assert len(body["features"]) == 5
    for feature in body["features"]:
        assert set(feature["properties"]) == {"nom", "commune"}
        assert feature["geometry"] is None and feature["id"]
    next_link = next(lk["href"] for lk in body["links"] if lk["rel"] == "next")
    assert "properties=nom%2Ccommune" in next_link and "sortby=nom" in next_link
    one = body["features"][0]["id"]
    item = public.get(f"{ITEMS}/{one}", params={"properties": "statut"}).json()
    assert set(item["properties"]) == {"statut"} and item["geometry"]["type"] == "Point"
    empty = public.get(ITEMS, params={"properties": "", "limit": "1"}).json()
    assert empty["features"][0]["properties"] == {}
    csv_text = public.get(ITEMS, params={"f": "csv", "properties": "nom",
                                         "skipGeometry": "true"}).text
    assert csv_text.splitlines()[0] == "nom"


@pytest.mark.parametrize("params, words", [
    ({"sortby": "inconnu"}, "n'est pas une propriété triable"),
    ({"sortby": "defi"}, "n'est pas une propriété triable"),  # a list
    ({"sortby": "description"}, "n'est pas une propriété triable"),  # not a queryable
    ({"sortby": "nom,-nom"}, "deux fois"),
    ({"sortby": "nom,"}, "une propriété manque"),
    ({"properties": "nom,inconnu"}, "n'est pas une propriété"),
    ({"skipGeometry": "oui"}, "true ou false"),
    ({"skipGeometry": "true", "f": "gpkg"}, "ne s'applique pas"),
])
def test_bad_sorting_or_selection_is_a_french_400(site, params, words):
    response = site.client().get(ITEMS, params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]


def test_conformance_openapi_and_sortables(site):
    public = site.client()
    classes = public.get("/api/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/sorting" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-6/1.0/conf/property-selection" \
        in classes
    operation = public.get("/openapi.json").json()["paths"][
        "/api/collections/{collectionId}/items"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"sortby", "properties", "skipGeometry"} <= names
    sortables = public.get("/api/collections/hebergement/sortables").json()
    assert "nom" in sortables["properties"] and "defi" not in sortables["properties"]
    links = public.get("/api/collections/hebergement").json()["links"]
    assert any(lk["rel"].endswith("/sortables") for lk in links)
