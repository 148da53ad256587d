"""A pull replaces reference layers only, never loses data, and can be rolled back;
editable layers are seeded once and keep their edits; a damaged store is one clear line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import shapely

from geoservice.errors import SourceDataError
from geoservice.read.model import load_store
from geoservice.settings import Settings
from geoservice.sources.pull import pull, rollback
from geoservice.storage import Change, open_store
from tests.cli.test_cli import run
from tests.sources.test_pull import _digest


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, mirror) -> Path:
    """One pull for the module (the pull itself is tested in test_pull.py)."""
    data_dir = tmp_path_factory.mktemp("pristine") / "var"
    pull(Settings(data_dir=data_dir, sources=str(mirror)))
    return data_dir


@pytest.fixture()
def pulled(pristine, tmp_path, mirror) -> Settings:
    """A store just pulled, of this test's own: a copy of the module's pull."""
    shutil.copytree(pristine, tmp_path / "var")
    return Settings(data_dir=tmp_path / "var", sources=str(mirror))


def _broken_mirror(tmp_path: Path, mirror: Path) -> Path:
    broken = tmp_path / "broken"
    broken.mkdir()
    for item in mirror.iterdir():
        (broken / item.name).symlink_to(item)
    return broken


def _replace(broken: Path, name: str, text: str) -> None:
    (broken / name).unlink()
    (broken / name).write_text(text, "utf-8")


def test_null_geometries_are_refused_and_the_store_is_untouched(pulled, tmp_path, mirror):
    before = _digest(pulled)
    broken = _broken_mirror(tmp_path, mirror)
    data = json.loads((mirror / "qpv_2024_france.geojson").read_text("utf-8"))
    for feature in data["features"]:
        feature["geometry"] = None
    _replace(broken, "qpv_2024_france.geojson", json.dumps(data))
    with pytest.raises(SourceDataError, match="sans géométrie"):
        pull(pulled.model_copy(update={"sources": str(broken)}))
    assert _digest(pulled) == before
    assert len(load_store(pulled).collection("qpv")) == 16


def test_indicators_cut_mid_line_are_refused(pulled, tmp_path, mirror):
    before = _digest(pulled)
    broken = _broken_mirror(tmp_path, mirror)
    text = (mirror / "qpv_indicateurs_occitanie.csv").read_text("utf-8-sig")
    _replace(broken, "qpv_indicateurs_occitanie.csv", text[: len(text) // 2])
    with pytest.raises(SourceDataError, match="tronqué"):
        pull(pulled.model_copy(update={"sources": str(broken)}))
    assert _digest(pulled) == before


def test_indicators_missing_rows_are_refused(pulled, tmp_path, mirror):
    """A file cut at a line boundary parses, but Toulouse QPV lose their indicators."""
    broken = _broken_mirror(tmp_path, mirror)
    lines = (mirror / "qpv_indicateurs_occitanie.csv").read_text("utf-8-sig").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if not line.startswith("QP031")]
    _replace(broken, "qpv_indicateurs_occitanie.csv", "\n".join(kept) + "\n")
    before = _digest(pulled)
    with pytest.raises(SourceDataError, match="sans indicateurs INSEE"):
        pull(pulled.model_copy(update={"sources": str(broken)}))
    assert _digest(pulled) == before


def test_a_layer_that_shrinks_is_refused_unless_allowed(pulled, tmp_path, mirror):
    broken = _broken_mirror(tmp_path, mirror)
    data = json.loads((mirror / "osm_transit_stations_toulouse.geojson").read_text("utf-8"))
    data["features"] = data["features"][:20]
    _replace(broken, "osm_transit_stations_toulouse.geojson", json.dumps(data))
    settings = pulled.model_copy(update={"sources": str(broken)})
    with pytest.raises(SourceDataError, match="--allow-shrink"):
        pull(settings)
    assert len(load_store(pulled).collection("stations")) > 100
    pull(settings, allow_shrink=True)
    assert len(load_store(pulled).collection("stations")) <= 20


def test_edits_survive_a_pull_and_a_rollback(pulled, mirror):
    storage = open_store(pulled)
    try:
        row = storage.features.get("lieux_totems", "lt-le-fil")
        edited = {**row.properties, "nom": "Le FIL (édité)"}
        storage.apply([Change("update", "lieux_totems", "lt-le-fil", edited, row.geometry,
                              expected_version=row.version)])
        storage.apply([Change("insert", "besoins", "b-1", {"id": "b-1", "nom": "Besoin"},
                              shapely.to_wkb(shapely.Point(1.40, 43.57)))])
    finally:
        storage.close()
    pull(pulled)
    store = load_store(pulled)
    totems = store.collection("lieux_totems")
    assert totems.frame.loc[totems.position("lt-le-fil"), "nom"] == "Le FIL (édité)"
    assert len(store.collection("besoins")) == 1
    rollback(pulled)
    store = load_store(pulled)
    totems = store.collection("lieux_totems")
    assert totems.frame.loc[totems.position("lt-le-fil"), "nom"] == "Le FIL (édité)"
    assert len(store.collection("besoins")) == 1 and len(store.collection("qpv")) == 16


def test_rollback_through_the_cli(pulled):
    env = {"GEOSERVICE_DATA_DIR": str(pulled.data_dir)}
    first = run("data", "rollback", env=env)
    assert first.returncode == 1 and first.stderr.startswith("erreur : Aucun import précédent")
    pull(pulled)
    done = run("data", "rollback", env=env)
    assert done.returncode == 0, done.stderr
    assert "qpv" in done.stderr


def test_killed_pull_leftovers_are_cleaned(pulled):
    leftover = pulled.store_dir / ".pull-abc123"
    (leftover / "sub").mkdir(parents=True)
    pull(pulled)
    assert not list(pulled.store_dir.glob(".pull-*"))


@pytest.mark.parametrize("damage", [0, 100, 4096, "flip"])
def test_a_damaged_store_is_one_line_with_what_to_do(pulled, tmp_path, damage):
    data_dir = tmp_path / "damaged"
    shutil.copytree(pulled.data_dir, data_dir)
    path = data_dir / pulled.territoire / "store.sqlite"
    raw = path.read_bytes()
    if damage == "flip":
        raw = raw[:4096] + bytes(b ^ 0xFF for b in raw[4096:16384]) + raw[16384:]
        path.write_bytes(raw)
    else:
        path.write_bytes(raw[:damage])
    for wal in path.parent.glob("store.sqlite-*"):
        wal.unlink()
    for command in (["layers"], ["serve", "--port", "1"]):
        result = run(*command, env={"GEOSERVICE_DATA_DIR": str(data_dir)})
        assert result.returncode == 1, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("erreur : "), result.stderr
        assert "data pull" in lines[0]


def test_db_upgrade_creates_then_reports_up_to_date(tmp_path):
    env = {"GEOSERVICE_DATA_DIR": str(tmp_path)}
    first = run("db", "upgrade", env=env)
    assert first.returncode == 0 and "migration(s) appliquée(s) : 1" in first.stderr
    again = run("db", "upgrade", env=env)
    assert again.returncode == 0 and "schéma à jour" in again.stderr
