"""Open ESS data from the real mirror (``ess/``, counts from its SOURCES.md): cut to each
territory, imported *to be checked*, one changeset per source, idempotent, and never over
an editor's work (a verification, an edit or a discard survives the next pull)."""

from __future__ import annotations

import pytest

from geoservice.settings import Settings
from geoservice.sources.pull import pull
from geoservice.storage import Change, open_store
from geoservice.storage.base import WriteMeta
from tests.conftest import MONTPELLIER, TOULOUSE

EXPECTED = {  # source → (layer, Toulouse Métropole, Montpellier Méditerranée Métropole)
    "tiers_lieux_cget_2019": ("hebergement", 38, 20),
    "anct_fabt_2024": ("hebergement", 1, 2),
    "anct_manuprox_2024": ("hebergement", 2, 4),
    "siae_2019_lemarche": ("structures_ess", 43, 31),
}


@pytest.mark.parametrize("territoire", [TOULOUSE, MONTPELLIER])
def test_each_source_cut_to_the_territory_and_to_be_checked(tmp_path, mirror, territoire):
    settings = Settings(data_dir=tmp_path, sources=str(mirror), territoire=territoire)
    result = pull(settings)
    column = 1 if territoire == TOULOUSE else 2
    for key, expected in EXPECTED.items():
        record = result[f"ess:{key}"]
        assert (record["layer"], record["feature_count"], record["inserted"]) == (
            expected[0], expected[column], expected[column]), key
        assert len(record["sha256"]) == 64 and record["origin"] == f"miroir/ess/{key}" + (
            ".csv" if "2019" in key else ".geojson")
    storage = open_store(settings)
    try:
        features = storage.features
        rows = features.read("hebergement").rows + features.read("structures_ess").rows
        imported = [r for r in rows if r.properties.get("source_id")]
        assert len(imported) == sum(e[column] for e in EXPECTED.values())
        for row in imported:
            p = row.properties
            assert p["verification"] == "a_verifier" and p["statut"] == "inconnu"
            assert p["territoire"] == territoire and p["millesime"] in ("2019", "2024")
            assert p["licence"] in ("Licence Ouverte 2.0", "licence non précisée")
            assert p["commune"].startswith("31" if territoire == TOULOUSE else "34")
        anct = [r for r in imported if r.fid.startswith("anct2024-")]
        assert anct and all(r.properties["precision"] == "commune" for r in anct)
        siae = [r for r in imported if r.fid.startswith("siae2019-")]
        assert all(r.properties["defi"] == ["inclusion"] and len(r.properties["siret"]) == 14
                   for r in siae)
        # one changeset per source, by the importer, saying what it imported
        changesets = {features.history(r.properties and "hebergement" if not r.fid.startswith(
            "siae") else "structures_ess", r.fid)[0].changeset for r in imported}
        assert len(changesets) == 4
    finally:
        storage.close()


def test_a_second_pull_changes_nothing_and_editors_work_survives(tmp_path, mirror):
    settings = Settings(data_dir=tmp_path, sources=str(mirror), territoire=TOULOUSE)
    pull(settings)
    storage = open_store(settings)
    try:
        serre = next(r for r in storage.features.read("hebergement").rows
                     if r.properties["nom"].startswith("La Serre"))
        verified = {**serre.properties, "verification": "verifie", "defi": ["inclusion"]}
        storage.apply([Change("update", "hebergement", serre.fid, verified, serre.geometry,
                              serre.version)], WriteMeta("anne@metropole.fr", "editor",
                                                         "vérifié sur place"))
        discarded = next(r for r in storage.features.read("structures_ess").rows)
        storage.apply([Change("delete", "structures_ess", discarded.fid,
                              expected_version=discarded.version)],
                      WriteMeta("anne@metropole.fr", "moderator", "n'existe plus"))
        before = {c: [(r.fid, r.version) for r in storage.features.read(c).rows]
                  for c in ("hebergement", "structures_ess")}
    finally:
        storage.close()
    again = pull(settings)
    for key in EXPECTED:
        record = again[f"ess:{key}"]
        assert record["inserted"] == record["updated"] == 0 and record["changeset"] is None
    assert again["ess:tiers_lieux_cget_2019"]["kept"] == 1  # La Serre, verified
    assert again["ess:siae_2019_lemarche"]["kept"] == 1  # the discarded one stays discarded
    storage = open_store(settings)
    try:
        after = {c: [(r.fid, r.version) for r in storage.features.read(c).rows]
                 for c in ("hebergement", "structures_ess")}
        assert after == before
        kept = storage.features.get("hebergement", serre.fid)
        assert kept.properties["verification"] == "verifie"
        assert storage.features.get("structures_ess", discarded.fid).deleted
    finally:
        storage.close()


def test_a_missing_open_file_is_skipped_not_fatal(tmp_path, mirror):
    import shutil

    partial = tmp_path / "mirror"
    shutil.copytree(mirror, partial)
    (partial / "ess" / "siae_2019_lemarche.csv").chmod(0o644)
    (partial / "ess" / "siae_2019_lemarche.csv").unlink()
    result = pull(Settings(data_dir=tmp_path / "var", sources=str(partial)))
    assert "ess:siae_2019_lemarche" not in result
    assert result["ess:tiers_lieux_cget_2019"]["inserted"] == 38
