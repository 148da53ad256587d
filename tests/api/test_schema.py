"""``/collections/{id}/schema`` in the form of OGC API – Features Part 5: the feature's
properties at the top with their titles, types, coded values and their labels in French and
English, ``x-ogc-role`` and ``readOnly``; a valid JSON Schema that the real features meet."""

from __future__ import annotations

import jsonschema
import pytest

from geoservice.catalog import load_catalog, read_authored
from geoservice.settings import REPO_ROOT

EDITABLE = ("lieux_totems", "hebergement", "accompagnement", "projets", "structures_ess",
            "besoins")


def _coded(spec: dict) -> list[dict]:
    found = spec.get("oneOf") or spec.get("items", {}).get("oneOf") or []
    return [one for one in found if "const" in one]


@pytest.mark.parametrize("layer_id", [*EDITABLE, "qpv", "communes", "stations"])
def test_schema_is_part_5_and_valid_json_schema(client, layer_id):
    response = client.get(f"/api/collections/{layer_id}/schema")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    assert response.headers["content-language"] == "fr"
    schema = response.json()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["$id"].endswith(f"/{layer_id}/schema")
    props = schema["properties"]
    roles = {name: spec["x-ogc-role"] for name, spec in props.items() if "x-ogc-role" in spec}
    assert "primary-geometry" in roles.values() and "id" in roles.values()
    for name, spec in props.items():
        assert spec["title"], name
        if spec.get("x-ogc-role") != "primary-geometry":
            assert "type" in spec, name


def test_roles_types_and_read_only(client):
    props = client.get("/api/collections/projets/schema").json()["properties"]
    assert props["id"]["x-ogc-role"] == "id" and props["id"]["readOnly"] is True
    assert props["geometry"]["x-ogc-role"] == "primary-geometry"
    assert props["geometry"]["format"] == "geometry-point"
    # a project is dated by the period it is open (issue 26), its year is a plain field
    assert props["date_ouverture"]["x-ogc-role"] == "primary-interval-start"
    assert props["date_fermeture"]["x-ogc-role"] == "primary-interval-end"
    assert "x-ogc-role" not in props["annee"]
    assert props["annee"]["type"] == ["integer", "null"]
    assert props["statut"]["enum"] == ["ouvert", "a_venir", "ferme", "inconnu"]
    assert {"const": "ferme", "title": "Fermé"} in props["statut"]["oneOf"]
    besoins = client.get("/api/collections/besoins/schema").json()["properties"]
    assert besoins["date_signalement"]["x-ogc-role"] == "primary-instant"


@pytest.mark.parametrize("layer_id", [*EDITABLE, "stations"])
def test_every_coded_value_has_french_and_english_labels(client, layer_id):
    fr = client.get(f"/api/collections/{layer_id}/schema").json()["properties"]
    en = client.get(f"/api/collections/{layer_id}/schema?lang=en").json()["properties"]
    by_header = client.get(f"/api/collections/{layer_id}/schema",
                           headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert by_header.headers["content-language"] == "en"
    assert by_header.json()["properties"] == en
    checked = 0
    for name, spec in fr.items():
        values = spec.get("enum") or spec.get("items", {}).get("enum") or []
        said_fr = {one["const"]: one["title"] for one in _coded(spec)}
        said_en = {one["const"]: one["title"] for one in _coded(en[name])}
        for value in values:
            if value is None:
                continue
            checked += 1
            # a label, not the code again (an accent, a capital or a space says it in words)
            assert said_fr.get(value) and said_fr[value] != value, (name, value)
            assert said_en.get(value) and said_en[value] != value, (name, value)
    assert checked >= 3


def test_language_parameter_and_errors(client):
    en = client.get("/api/collections/projets/schema?lang=en").json()
    assert en["properties"]["statut"]["title"] == "Status"
    assert {"const": "ferme", "title": "Closed"} in en["properties"]["statut"]["oneOf"]
    refused = client.get("/api/collections/projets/schema?lang=de")
    assert refused.status_code == 400 and refused.headers["content-type"].startswith(
        "application/problem+json")
    assert client.get("/api/collections/projets/schema",
                      headers={"Accept-Language": "de, *;q=0.1"}).headers[
        "content-language"] == "fr"


@pytest.mark.parametrize("layer_id", EDITABLE)
def test_real_features_meet_their_schema(client, layer_id):
    """The project-authored features and what the store serves validate against the schema
    (flattened: the properties, the id and the geometry at one level)."""
    validator = jsonschema.Draft202012Validator(
        client.get(f"/api/collections/{layer_id}/schema").json())
    served = client.get(f"/api/collections/{layer_id}/items", params={"limit": 1000}).json()
    layer = load_catalog(REPO_ROOT / "layers")[layer_id]
    features = served["features"] + read_authored(REPO_ROOT / "layers", layer)["features"]
    assert features or layer_id in ("hebergement", "besoins")
    for feature in features:
        flat = {**feature["properties"], "geometry": feature["geometry"]}
        errors = [e.message for e in validator.iter_errors(flat)]
        assert errors == [], (feature.get("id"), errors[:3])


def test_collection_links_its_schema_and_conformance_declares_part_5(client):
    links = client.get("/api/collections/projets").json()["links"]
    schema = [lk for lk in links if lk["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/schema"]
    assert len(schema) == 1 and schema[0]["type"] == "application/schema+json"
    assert schema[0]["href"].endswith("/api/collections/projets/schema")
    classes = client.get("/api/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas" in classes
