"""``geoservice lookup IN -o OUT``, run as a real subprocess, against the same functions as
the API (same bytes out)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from geoservice.api.app import create_app
from geoservice.spatial.lookup import RESULT_COLUMNS
from tests.cli.test_cli import run

CSV_IN = ("\ufeffnom;lon;lat;code\n"
          "Bellefontaine;1.3996743;43.5666473;007\n"
          "Capitole;1.4442;43.6047;008\n"
          "cassé;un;deux;009\n")


def env_for(settings) -> dict:
    return {"GEOSERVICE_DATA_DIR": str(settings.data_dir)}


def test_cli_lookup_csv_same_bytes_as_the_api(tmp_path, toulouse_settings):
    source, target = tmp_path / "adresses.csv", tmp_path / "resultats.csv"
    source.write_text(CSV_IN, encoding="utf-8")
    result = run("lookup", str(source), "-o", str(target), env=env_for(toulouse_settings))
    assert result.returncode == 0, result.stderr
    assert "3 ligne(s) : 1 dans un QPV, 1 hors QPV, 1 en erreur" in result.stderr
    out = target.read_bytes()
    lines = out.decode("utf-8-sig").splitlines()
    assert lines[0] == "nom;lon;lat;code;" + ";".join(RESULT_COLUMNS)
    assert lines[1].startswith("Bellefontaine;1.3996743;43.5666473;007;QN03107M;Grand Mirail;in")
    assert ";error;" in lines[3] and "n'est pas un nombre" in lines[3]
    settings = toulouse_settings.model_copy(update={"tiles_url": None})
    with TestClient(create_app(settings)) as client:
        api = client.post("/api/lookup", content=CSV_IN.encode(),
                          headers={"content-type": "text/csv"})
    assert api.content == out


def test_cli_lookup_json_to_stdout(tmp_path, toulouse_settings):
    source = tmp_path / "points.json"
    source.write_text(json.dumps({"points": [{"lon": 1.3996743, "lat": 43.5666473}]}))
    result = run("lookup", str(source), env=env_for(toulouse_settings))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["points"][0]["result_qpv_code"] == "QN03107M"


def test_cli_lookup_bad_inputs_fail_in_one_line(tmp_path, toulouse_settings):
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 8)
    no_columns = tmp_path / "columns.csv"
    no_columns.write_text("nom;x;y\na;1;2\n", encoding="utf-8")
    for path, words in ((garbage, "UTF-8"), (no_columns, "lon et lat"),
                        (tmp_path / "absent.csv", "introuvable")):
        result = run("lookup", str(path), "-o", str(tmp_path / "out.csv"),
                     env=env_for(toulouse_settings))
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("erreur : ") and words in lines[0]
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.csv").exists()
