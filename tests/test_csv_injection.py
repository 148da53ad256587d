"""No CSV the service writes can run a formula in a spreadsheet (OWASP CSV injection),
and real numbers stay numbers (issue 13, item 3)."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from geoservice.api.app import create_app
from geoservice.csvsafe import cell
from geoservice.read.snapshot import Collection
from tests.cli.test_cli import run

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+2", "@SUM(A1)", "-3+4", "\tcmd", "\rcmd"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_is_neutralised(value):
    assert cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-3.5", "+2", "-3,5", "12", "1e5", -3.5, 7, None])
def test_numbers_stay_numbers(value):
    assert cell(value) == value


def _cells(text: str, sep: str = ",") -> list[str]:
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=sep)
    return [c for row in rows for c in row]


def _dangerous(cells: list[str]) -> list[str]:
    return [c for c in cells if c.startswith(FORMULA_START)
            and not c.replace(",", ".").lstrip("+-").replace(".", "", 1).isdigit()]


@pytest.fixture(scope="module")
def hostile_client(toulouse_store):
    qpv = toulouse_store.collection("qpv")
    frame = qpv.frame.copy()
    frame["lib_qp"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(frame))]
    store = toulouse_store.with_collection(Collection(qpv.layer, frame, qpv.provenance))
    with TestClient(create_app(toulouse_store.settings, store=store)) as client:
        yield client


@pytest.mark.parametrize("sep", [",", ";"])
def test_items_csv_in_both_forms(hostile_client, sep):
    response = hostile_client.get("/api/collections/qpv/items",
                                  params={"f": "csv", "csv_sep": sep})
    cells = _cells(response.text, sep)
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells and "'-3+4" in cells
    assert _dangerous(cells) == []


def test_underserved_csv(hostile_client):
    response = hostile_client.get("/api/analysis/underserved", params={"f": "csv"})
    cells = _cells(response.text, ";")
    assert "'@SUM(A1)" in cells and _dangerous(cells) == []


def test_batch_lookup_csv_keeps_numbers_and_neutralises_text(client):
    body = "nom,lon,lat\n=1+1,1.4,43.6\n@x,-1.5,43.6\n"
    response = client.post("/api/lookup", content=body.encode(),
                           headers={"Content-Type": "text/csv"})
    cells = _cells(response.text)
    assert "'=1+1" in cells and "'@x" in cells and "-1.5" in cells
    assert _dangerous(cells) == []


def test_cli_export_and_lookup(toulouse_settings, tmp_path):
    env = {"GEOSERVICE_DATA_DIR": str(toulouse_settings.data_dir)}
    source = tmp_path / "in.csv"
    source.write_text("nom,lon,lat\n+cmd,1.4,43.6\n", "utf-8")
    out = tmp_path / "out.csv"
    done = run("lookup", str(source), "-o", str(out), env=env)
    assert done.returncode == 0, done.stderr
    cells = _cells(out.read_text("utf-8"))
    assert "'+cmd" in cells and _dangerous(cells) == []
    exported = tmp_path / "stations.csv"
    done = run("export", "stations", "-f", "csv", "-o", str(exported), env=env)
    assert done.returncode == 0, done.stderr
    assert _dangerous(_cells(exported.read_text("utf-8-sig"))) == []
