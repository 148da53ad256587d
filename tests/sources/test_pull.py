import hashlib
import shutil

import pytest

from geoservice.errors import ConfigError, SourceDataError
from geoservice.read.model import load_store
from geoservice.settings import REPO_ROOT, Settings
from geoservice.sources.pull import pull
from tests.conftest import MONTPELLIER, TOULOUSE
from tests.publishers import Publishers


def counts(settings: Settings) -> dict[str, int]:
    return {k: len(c) for k, c in load_store(settings).collections.items()}


def test_toulouse_from_mirror(toulouse_settings):
    got = counts(toulouse_settings)
    assert got["qpv"] == 16 and got["communes"] == 37 and got["qpv_2015"] == 16
    assert got["stations"] > 100 and got["lieux_totems"] == 4
    provenance = {k: c.provenance for k, c in load_store(toulouse_settings).base.items()}
    assert provenance["qpv"]["invalid_in_source"] == 586
    assert provenance["qpv"]["repaired"] == 4
    assert provenance["qpv_2015"]["repaired"] == 1
    assert len(provenance["qpv"]["sources"][0]["sha256"]) == 64
    assert provenance["qpv"]["pulled_at"].startswith("20")


def test_montpellier_by_configuration_alone(montpellier_settings):
    got = counts(montpellier_settings)
    assert got["qpv"] == 10 and got["communes"] == 31
    assert got["lieux_totems"] == 0  # Toulouse's authored features stay in Toulouse
    assert got["projets"] == 3 and got["accompagnement"] == 1
    # 1 authored place + the open data to check (20 tiers-lieux, 2 + 4 ANCT places)
    assert got["hebergement"] == 1 + 20 + 2 + 4 and got["structures_ess"] == 31
    store = load_store(montpellier_settings)
    assert "Mosson" in set(store.collection("qpv").frame["lib_qp"])


def test_official_names_restored(toulouse_store):
    names = dict(zip(toulouse_store.collection("communes").frame["code"],
                     toulouse_store.collection("communes").frame["nom"], strict=True))
    assert names["31561"] == "L'Union"


def test_pull_is_idempotent(tmp_path, mirror):
    settings = Settings(data_dir=tmp_path, sources=str(mirror))
    pull(settings)
    first = counts(settings)
    pull(settings)
    assert counts(settings) == first
    assert not list(settings.store_dir.glob(".pull-*"))  # no leftovers


def _digest(settings: Settings) -> str:
    """Everything the store holds (revisions, provenance, every row), as one hash."""
    from geoservice.storage import open_store

    storage = open_store(settings)
    try:
        revisions = storage.features.revisions()
        provenance = storage.features.provenance()
        parts = [repr(sorted(revisions.items())), repr(sorted(provenance.items()))]
        for collection in sorted(revisions):
            data = storage.features.read(collection)
            parts += [repr((r.fid, r.version, sorted(r.properties.items()), r.geometry))
                      for r in data.rows]
    finally:
        storage.close()
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@pytest.mark.parametrize("breakage", ["truncated", "missing_code_qp", "wrong_crs"])
def test_bad_input_keeps_previous_store(tmp_path, mirror, breakage):
    settings = Settings(data_dir=tmp_path / "var", sources=str(mirror))
    pull(settings)
    before = _digest(settings)
    broken = tmp_path / "broken"
    shutil.copytree(mirror, broken)
    if breakage == "truncated":
        qpv = broken / "qpv_2024_france.geojson"
        qpv.write_bytes(qpv.read_bytes()[: 100_000])
        expected = "tronqué"
    elif breakage == "missing_code_qp":
        csv = broken / "qpv_indicateurs_occitanie.csv"
        csv.write_text(csv.read_text("utf-8-sig").replace("code_qp,", "code,", 1), "utf-8")
        expected = "code_qp"
    else:
        import geopandas as gpd

        communes = gpd.read_file(mirror / "communes_haute_garonne.geojson").to_crs(2154)
        target = broken / "communes_haute_garonne.geojson"
        target.unlink()
        communes.set_crs(None, allow_override=True).to_file(target, driver="GeoJSON")
        expected = "autre système de coordonnées"
    with pytest.raises(SourceDataError, match=expected):
        pull(Settings(data_dir=tmp_path / "var", sources=str(broken)))
    assert _digest(settings) == before


def test_unknown_territory(tmp_path, mirror):
    with pytest.raises(ConfigError, match="Territoire inconnu"):
        pull(Settings(data_dir=tmp_path, sources=str(mirror), territoire="paris"))


def test_broken_layer_yaml_keeps_previous_store(tmp_path, mirror):
    settings = Settings(data_dir=tmp_path / "var", sources=str(mirror))
    pull(settings)
    before = _digest(settings)
    layers = tmp_path / "layers"
    shutil.copytree(REPO_ROOT / "layers", layers)
    (layers / "qpv.yaml").write_text((layers / "qpv.yaml").read_text()
                                     .replace("geometry_type: MultiPolygon", "geometry_type: 3"))
    with pytest.raises(ConfigError, match="qpv.yaml : geometry_type"):
        pull(Settings(data_dir=tmp_path / "var", sources=str(mirror), layers_dir=layers))
    assert _digest(settings) == before


def test_missing_mirror_directory(tmp_path):
    with pytest.raises(SourceDataError, match="dossier miroir introuvable"):
        pull(Settings(data_dir=tmp_path, sources=str(tmp_path / "nope")))


def test_from_publishers_over_http(tmp_path, mirror):
    with Publishers(mirror) as publishers:
        settings = Settings(data_dir=tmp_path, **publishers.settings_overrides())
        provenance = pull(settings)
    assert provenance["qpv"]["feature_count"] == 16
    assert provenance["qpv"]["sources"][0]["origin"].endswith(
        "qpv-2024-geojson.zip#QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson")
    assert provenance["communes"]["feature_count"] == 37
    assert "/epcis/243100518/communes" in publishers.requests
    assert provenance["qpv_2015"]["feature_count"] == 16
    assert provenance["stations"]["feature_count"] > 100
    # open data with a publisher URL comes over HTTP; the others are mirror-only (skipped)
    assert provenance["ess:anct_fabt_2024"]["inserted"] == 1
    assert provenance["ess:anct_fabt_2024"]["origin"].endswith("/anct/fabt_geom.geojson")
    assert "ess:tiers_lieux_cget_2019" not in provenance


def test_publishers_for_montpellier(tmp_path, mirror):
    with Publishers(mirror) as publishers:
        settings = Settings(data_dir=tmp_path, territoire=MONTPELLIER,
                            **publishers.settings_overrides())
        provenance = pull(settings)
    assert provenance["qpv"]["feature_count"] == 10
    assert provenance["communes"]["feature_count"] == 31


def test_publisher_failure_keeps_previous_store(tmp_path, mirror):
    settings = Settings(data_dir=tmp_path, sources=str(mirror), territoire=TOULOUSE)
    pull(settings)
    before = _digest(settings)
    with Publishers(mirror, broken={"/files/qpv-2024-geojson.zip"}) as publishers:
        with pytest.raises(SourceDataError, match="téléchargement impossible"):
            pull(Settings(data_dir=tmp_path, **publishers.settings_overrides()))
    assert _digest(settings) == before
