"""`geoservice analyse`, run as a real subprocess; outputs read back with the GDAL CLI."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

from geoservice.settings import REPO_ROOT


def run(settings, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOSERVICE_")}
    env["GEOSERVICE_DATA_DIR"] = str(settings.data_dir)
    return subprocess.run([sys.executable, "-m", "geoservice", "analyse", *args],
                          capture_output=True, text=True, env=env, timeout=300, cwd=REPO_ROOT)


def test_csv_and_geojson_reports(toulouse_settings, tmp_path):
    report = tmp_path / "rapport.csv"
    done = run(toulouse_settings, "--defi", "inclusion", "--ring-m", "800", "-o", str(report))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(report.read_text("utf-8-sig").splitlines(), delimiter=";"))
    assert len(rows) == 16 and rows[0]["rank"] == "1" and rows[0]["ring_m"] == "800,0"
    geojson = tmp_path / "rapport.geojson"
    done = run(toulouse_settings, "--weights", "need:1,access:0", "-o", str(geojson))
    assert done.returncode == 0, done.stderr
    data = json.loads(geojson.read_text("utf-8"))
    assert data["features"][0]["properties"]["weights"].startswith("need:1,")
    info = subprocess.run(["ogrinfo", "-so", "-al", str(geojson)], capture_output=True,
                          text=True, check=True).stdout
    assert "Feature Count: 16" in info and "Multi Polygon" in info


def test_xlsx_report_has_labels_and_a_dictionary(toulouse_settings, tmp_path):
    from openpyxl import load_workbook

    report = tmp_path / "rapport.xlsx"
    done = run(toulouse_settings, "--defi", "inclusion", "-o", str(report))
    assert done.returncode == 0, done.stderr
    book = load_workbook(report)
    sheet = book["diagnostic_qpv"]
    assert sheet["A1"].value == "Code du QPV 2024" and sheet.max_row == 17
    labels = {r[1]: r[2] for r in book["Dictionnaire"].iter_rows(min_row=2, values_only=True)
              if r[1]}
    assert labels["comp_need"] == "Composante besoin social (0-1)"
    assert labels["abcde_f"].startswith("Nombre total de demandeurs d'emploi femmes")


def test_table_on_stdout(toulouse_settings):
    done = run(toulouse_settings)
    assert done.returncode == 0, done.stderr
    assert "QN03107M" in done.stdout and "besoin social inconnu" in done.stdout


def test_table_at_a_date(toulouse_settings):
    done = run(toulouse_settings, "--date", "2022-06-30")
    assert done.returncode == 0, done.stderr
    # the mirror's places carry no dates: all read by their current status, and said so
    assert "Au 30/06/2022 : 0 réponses datées, 97 sans date" in done.stdout
    assert "QN03107M" in done.stdout


def test_bad_input_is_one_line(toulouse_settings, tmp_path):
    for args in (["--weights", "need:x"], ["--defi", "sport"], ["--ring-m", "9000"],
                 ["-o", str(tmp_path / "rapport.kml")], ["--date", "2022-13-01"],
                 ["--date", "2999-01-01"]):
        done = run(toulouse_settings, *args)
        assert done.returncode == 1
        assert done.stderr.startswith("erreur : ") and done.stderr.count("\n") == 1, done.stderr
