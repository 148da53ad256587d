"""The CLI, run as a real subprocess (the console script installed by pip)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from geoservice.settings import REPO_ROOT
from tests.conftest import MONTPELLIER

CLI = [sys.executable, "-m", "geoservice"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GEOSERVICE_")}
    full_env.update(env or {})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=full_env,
                          timeout=300, cwd=REPO_ROOT)


def test_layers_shows_counts_for_toulouse(toulouse_settings):
    result = run("layers", env={"GEOSERVICE_DATA_DIR": str(toulouse_settings.data_dir)})
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert lines["qpv"].split()[1] == "16"
    assert lines["communes"].split()[1] == "37"
    assert "Licence Ouverte 2.0" in lines["qpv"] and "2024" in lines["qpv"]
    assert "ODbL" in lines["stations"]


def test_pull_and_layers_for_montpellier(tmp_path, mirror):
    env = {"GEOSERVICE_DATA_DIR": str(tmp_path), "GEOSERVICE_TERRITOIRE": MONTPELLIER}
    pulled = run("data", "pull", "--from", str(mirror), env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert "géométrie(s) réparée(s)" in pulled.stderr
    result = run("layers", env=env)
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert lines["qpv"].split()[1] == "10" and lines["communes"].split()[1] == "31"


def test_validate_passes_on_repo_and_fails_on_broken_file(tmp_path):
    assert run("validate").returncode == 0
    layers = tmp_path / "layers"
    shutil.copytree(REPO_ROOT / "layers", layers)
    (layers / "stations.yaml").write_text(
        (layers / "stations.yaml").read_text().replace("id_field: id", "id_field: absent"))
    result = run("validate", "--layers-dir", str(layers))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "stations.yaml : (racine) : Value error, id_field 'absent' is not a declared property"]


def test_errors_are_one_line_and_non_zero(tmp_path):
    result = run("data", "pull", "--from", str(tmp_path / "missing"),
                 env={"GEOSERVICE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("erreur : dossier miroir introuvable")
    result = run("layers", "--territoire", "atlantide", env={"GEOSERVICE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1 and "Territoire inconnu" in result.stderr


def test_serve_on_empty_store_says_which_command_fills_it(tmp_path):
    result = run("serve", "--port", "8799", env={"GEOSERVICE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "geoservice data pull" in result.stderr


def test_invalid_setting_is_one_line(tmp_path):
    result = run("layers", env={"GEOSERVICE_DEFAULT_LIMIT": "500", "GEOSERVICE_MAX_LIMIT": "10"})
    assert result.returncode == 1
    assert result.stderr.startswith("erreur : configuration invalide")
    assert Path(tmp_path).exists()


def test_a_mistyped_trusted_proxy_is_one_french_line_naming_it():
    result = run("layers", env={"GEOSERVICE_TRUSTED_PROXIES": "10.0.0.0/8, nope"})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "erreur : configuration invalide : GEOSERVICE_TRUSTED_PROXIES : adresse ou réseau "
        "invalide : « nope » (ex. 127.0.0.1, 10.0.0.0/8, ::1)")
