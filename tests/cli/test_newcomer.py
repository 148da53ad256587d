"""The CLI as a newcomer meets it (issue 13): a busy port, a closed pipe, stdout outputs,
an output that would overwrite its input."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import httpx
import pytest

from geoservice.settings import REPO_ROOT
from tests.cli.test_cli import run
from tests.servers import Served, clean_env


def test_serve_on_a_busy_port_is_one_french_line(toulouse_settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port),
                     env={"GEOSERVICE_DATA_DIR": str(toulouse_settings.data_dir)})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("erreur : impossible d'écouter"), lines


def test_layers_into_a_closed_pipe_says_nothing(toulouse_settings):
    env = {"GEOSERVICE_DATA_DIR": str(toulouse_settings.data_dir), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        f"'{sys.executable}' -m geoservice layers | head -1", shell=True, env=env,
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert done.stdout.startswith("Territoire")
    assert done.stderr == ""


def test_export_to_standard_output(toulouse_settings, tmp_path):
    env = {"GEOSERVICE_DATA_DIR": str(toulouse_settings.data_dir)}
    done = run("export", "qpv", "-o", "-", env=env)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["features"]) == 16
    assert not (REPO_ROOT / "-").exists()
    done = run("export", "qpv", "-f", "csv", "-o", "/dev/stdout", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("code_qp,")
    assert "métadonnées" not in done.stderr


def test_lookup_refuses_to_overwrite_its_input(toulouse_settings, tmp_path):
    source = tmp_path / "points.csv"
    source.write_text("lon,lat\n1.4,43.6\n", "utf-8")
    done = run("lookup", str(source), "-o", str(source),
               env={"GEOSERVICE_DATA_DIR": str(toulouse_settings.data_dir)})
    assert done.returncode == 1 and "écraserait" in done.stderr
    assert source.read_text("utf-8") == "lon,lat\n1.4,43.6\n"


def test_serve_with_two_workers(toulouse_settings):
    env = clean_env(GEOSERVICE_DATA_DIR=str(toulouse_settings.data_dir),
                    GEOSERVICE_TILES_URL="")
    with Served(env, "--workers", "2") as server:
        for _ in range(6):  # several connections: any worker answers the same
            with httpx.Client() as fresh:
                body = fresh.get(f"{server.url}/api/collections/qpv/items").json()
            assert body["numberMatched"] == 16


@pytest.mark.parametrize(("args", "expected"), [
    (["analyse", "--ring", "1,5"],
     "erreur : option inconnue : --ring (vouliez-vous dire --ring-m ?) — aide : "
     "geoservice analyse --help"),
    (["user"], "erreur : commande inconnue : user (vouliez-vous dire users"),
    (["export"], "erreur : argument manquant : LAYER — aide : geoservice export --help"),
    (["export", "qpv", "-f", "csv"], "erreur : option manquante : -o / --output"),
    (["serve", "--port", "99999"], "erreur : valeur invalide pour --port : doit être ≤ 65535"),
    (["serve", "--workers", "x"],
     "erreur : valeur invalide pour --workers : nombre entier attendu"),
])
def test_a_usage_error_is_one_french_line_with_where_to_find_help(args, expected):
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr
    assert "--help" in lines[0]
    assert result.stdout == ""


def test_help_and_a_bare_group_still_show_the_help():
    assert run("--help").returncode == 0 and "analyse" in run("--help").stdout
    bare = run("data")
    assert bare.returncode == 2 and "pull" in bare.stdout + bare.stderr


def test_the_default_data_folder_does_not_depend_on_the_current_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOSERVICE_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    done = subprocess.run(
        [sys.executable, "-c", "from geoservice.settings import Settings; "
         "print(Settings().data_dir)"], capture_output=True, text=True, cwd=tmp_path,
        env=env, timeout=60)
    assert done.stdout.strip() == str(REPO_ROOT / "var"), done.stderr
