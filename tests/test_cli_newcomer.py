"""The CLI as a newcomer meets it (issue 13): a busy port, a closed pipe, stdout outputs,
an output that would overwrite its input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from geoservice.settings import REPO_ROOT

from .test_cli import run


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
    import os
    import time

    import httpx

    from .acceptance.test_replicas import _port

    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOSERVICE_")}
    env.update(GEOSERVICE_DATA_DIR=str(toulouse_settings.data_dir), GEOSERVICE_TILES_URL="")
    server = subprocess.Popen([sys.executable, "-m", "geoservice", "serve", "--port",
                               str(port), "--workers", "2"], env=env, cwd=REPO_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/collections/qpv/items")
                if response.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.3)
        assert response.json()["numberMatched"] == 16
    finally:
        server.terminate()
        server.wait(timeout=30)
