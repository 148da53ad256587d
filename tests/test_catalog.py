import json
import shutil
from pathlib import Path

import pytest

from geoservice.catalog import LAYER_IDS, load_catalog, validate_feature, validate_repo
from geoservice.errors import ConfigError
from geoservice.settings import REPO_ROOT

LAYERS = REPO_ROOT / "layers"


def test_repo_layers_are_valid():
    assert validate_repo(LAYERS) == []
    catalog = load_catalog(LAYERS)
    assert set(catalog) == set(LAYER_IDS)
    assert all(layer.title.fr and layer.title.en for layer in catalog.values())


@pytest.fixture
def layers_copy(tmp_path: Path) -> Path:
    target = tmp_path / "layers"
    shutil.copytree(LAYERS, target)
    return target


def test_wrong_type_in_yaml_is_one_clear_line(layers_copy: Path):
    path = layers_copy / "qpv.yaml"
    path.write_text(path.read_text().replace("type: string", "type: texte", 1))
    problems = validate_repo(layers_copy)
    assert len(problems) == 1
    assert problems[0].startswith("qpv.yaml : properties.code_qp.type")
    with pytest.raises(ConfigError, match="qpv.yaml"):
        load_catalog(layers_copy)


def test_missing_layer_file_is_reported(layers_copy: Path):
    (layers_copy / "besoins.yaml").unlink()
    assert validate_repo(layers_copy) == ["besoins.yaml : couche attendue absente"]


def test_authored_feature_problems_are_listed(layers_copy: Path):
    path = layers_copy / "projets.geojson"
    data = json.loads(path.read_text())
    first = data["features"][0]["properties"]
    first["precision"] = "approximative"
    first["defi"] = ["culture"]
    first["invente"] = 1
    data["features"].append(data["features"][1])  # duplicate id
    path.write_text(json.dumps(data))
    problems = validate_repo(layers_copy)
    joined = "\n".join(problems)
    assert "prj-passerelle-negreneys : invente : ce champ n'existe pas" in joined
    assert "prj-passerelle-negreneys : defi : « culture » n'est pas une valeur admise" in joined
    assert "prj-passerelle-negreneys : precision" in joined
    assert "prj-fidia-diala : identifiant en double" in joined


def test_truncated_authored_geojson(layers_copy: Path):
    path = layers_copy / "lieux_totems.geojson"
    path.write_text(path.read_text()[:200])
    problems = validate_repo(layers_copy)
    assert len(problems) == 1
    assert problems[0].startswith("lieux_totems.geojson : GeoJSON illisible (ligne")


def test_every_authored_feature_cites_a_seed_and_states_precision():
    catalog = load_catalog(LAYERS)
    for layer in catalog.values():
        if not layer.authored:
            continue
        data = json.loads((LAYERS / str(layer.source.file)).read_text())
        for feature in data["features"]:
            props = feature["properties"]
            assert "seeds/" in props["source"], props["id"]
            assert validate_feature(layer, feature) == []
            if feature["geometry"] is None:
                assert props["precision"] is None and props["notes"], props["id"]
            else:
                assert props["precision"] in ("adresse", "rue", "quartier", "commune")
                if props["precision"] == "quartier":
                    assert props["reference_position"], props["id"]


def test_authored_facts_from_the_documents():
    features = {f["properties"]["id"]: f for f in
                json.loads((LAYERS / "lieux_totems.geojson").read_text())["features"]}
    fil = features["lt-le-fil"]["properties"]
    assert fil["porteurs"] == ["Les Imaginations Fertiles", "ETIC"]
    assert fil["defi"] == ["inclusion"] and fil["precision"] == "quartier"
    assert "seeds/000" in fil["source"] and "seeds/002" in fil["source"]
    assert features["lt-halles-cartoucherie"]["properties"]["statut"] == "a_venir"
    projets = {f["properties"]["id"]: f["properties"] for f in
               json.loads((LAYERS / "projets.geojson").read_text())["features"]}
    passerelle = projets["prj-passerelle-negreneys"]
    assert passerelle["dispositif"] == ["premiere_brique_ou_aap_prix"]
    assert "et/ou" in passerelle["notes"]
    assert all(p["adresse"] is None for p in projets.values())  # no address in the sources


def test_non_utf8_files_are_one_clear_line(layers_copy: Path):
    (layers_copy / "projets.geojson").write_bytes("{\"nom\": \"caf\xe9\"}".encode("latin-1"))
    (layers_copy / "qpv.yaml").write_bytes("id: qpv\ntitle: caf\xe9\n".encode("latin-1"))
    problems = validate_repo(layers_copy)
    assert "qpv.yaml : pas du texte UTF-8" in problems
    assert "projets.geojson : pas du texte UTF-8" in problems
