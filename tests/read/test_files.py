"""Files people take away (issue 29): one Excel-FR dialect, XLSX and ODS with a dictionary,
zipped Shapefile, GeoJSON that names its CRS. Each file is read back by an independent
reader: openpyxl for XLSX, GDAL's ``ogrinfo`` for ODS, Shapefile and GeoJSON."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from geoservice.read import export
from geoservice.sheets import excel_fr

NUMBER_FR = re.compile(r"-?[0-9]+(,[0-9]+)?(e[+-][0-9]+)?")


def _ogrinfo(*args: str) -> str:
    result = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _excel_rows(raw: bytes) -> list[dict[str, str]]:
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def _numbers_and_booleans(layer) -> tuple[list[str], list[str]]:
    props = layer.properties
    return ([n for n, p in props.items() if p.type in ("number", "integer")],
            [n for n, p in props.items() if p.type == "boolean"])


# -- 1. Excel-FR: every number, every table ----------------------------------------------------


def test_excel_fr_items_put_a_decimal_comma_in_every_number(client, toulouse_store):
    """Before: only the coordinates had a comma (tp60 stayed 17.1, booleans True)."""
    layer = toulouse_store.collection("diagnostic_qpv").layer
    response = client.get("/api/collections/diagnostic_qpv/items",
                          params={"f": "csv", "csv_sep": ";"})
    rows = _excel_rows(response.content)
    numbers, booleans = _numbers_and_booleans(layer)
    seen_comma = set()
    for row in rows:
        for name in numbers:
            value = row[name]
            assert value == "" or NUMBER_FR.fullmatch(value), (name, value)
            if "," in value:
                seen_comma.add(name)
        for name in booleans:
            assert row[name] in ("oui", "non", ""), (name, row[name])
    assert {"score", "tp60", "comp_need", "indicator_coverage"} <= seen_comma


def test_items_and_ranking_speak_the_same_dialect(client):
    """The ranking's CSV and the diagnostic layer's Excel-FR CSV give the same cells."""
    items = _excel_rows(client.get("/api/collections/diagnostic_qpv/items",
                                   params={"f": "csv", "csv_sep": ";"}).content)
    ranking = _excel_rows(client.get("/api/analysis/underserved", params={"f": "csv"}).content)
    by_code = {r["code_qp"]: r for r in items}
    assert len(ranking) == len(items) == 16
    for row in ranking:
        other = by_code[row["code_qp"]]
        for name in ("score", "tp60", "need_known", "comp_need", "dist_station_m", "rank",
                     "population_complete"):
            assert row[name] == other[name], (name, row[name], other[name])


def test_excel_fr_cells():
    assert [excel_fr(v) for v in (17.1, -0.5, 3, True, False, None, ["a", "b"], 1e-7)] == \
        ["17,1", "-0,5", "3", "oui", "non", "", "a|b", "1e-07"]


def test_bilan_csv_is_excel_fr(client):
    raw = client.get("/api/fabrique/bilan", params={"annee": "2021", "f": "csv"}).content
    text = raw.decode("utf-8-sig")
    assert raw.startswith("\ufeff".encode()) and "True" not in text and "False" not in text
    assert not re.search(r";-?[0-9]+\.[0-9]+(;|\r)", text)  # no decimal point anywhere


# -- 2. XLSX and ODS ---------------------------------------------------------------------------


def test_xlsx_has_typed_cells_french_labels_and_a_dictionary(client, tmp_path):
    from openpyxl import load_workbook

    response = client.get("/api/collections/diagnostic_qpv/items", params={"f": "xlsx"})
    assert response.status_code == 200
    assert response.headers["content-type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="diagnostic_qpv.xlsx"' in response.headers["content-disposition"]
    path = tmp_path / "diagnostic_qpv.xlsx"
    path.write_bytes(response.content)
    book = load_workbook(path)
    assert book.sheetnames == ["diagnostic_qpv", "Dictionnaire"]
    sheet = book["diagnostic_qpv"]
    header = [c.value for c in sheet[1]]
    assert header[0] == "Code du QPV 2024" and "Nom du QPV" in header
    score = header.index("Score de sous-desserte (0-100, 100 = le plus mal servi ; vide si "
                         "besoin inconnu)")
    known = header.index("Besoin social connu (indicateurs INSEE disponibles)")
    values = [row[score].value for row in sheet.iter_rows(min_row=2)]
    assert len(values) == 16
    assert all(isinstance(v, float) for v in values if v is not None)
    assert {type(row[known].value) for row in sheet.iter_rows(min_row=2)} == {bool}
    dictionary = book["Dictionnaire"]
    head = [c.value for c in dictionary[1]]
    assert head == ["Feuille", "Colonne", "Libellé", "Type et unité", "Description", "Source",
                    "Millésime"]
    rows = {r[1]: r for r in dictionary.iter_rows(min_row=2, values_only=True) if r[1]}
    assert rows["dist_station_m"][3] == "nombre décimal, m"
    assert rows["decuc_q2"][2].startswith("Médiane (en euros)")
    assert "INSEE" in rows["tp60"][5] and rows["tp60"][6]
    notes = [r[0] for r in dictionary.iter_rows(values_only=True) if r[0] and not r[1]]
    assert any("Licence Ouverte" in n for n in notes)
    assert any("GeoPackage" in n for n in notes)  # polygons: no WKT in a cell


def test_xlsx_text_is_never_a_formula(tmp_path):
    from openpyxl import load_workbook

    from geoservice.sheets import Column, Table, to_xlsx

    table = Table("t", [Column("nom", "Nom")], [['=HYPERLINK("http://x","y")'], ["@SUM(A1)"]])
    path = tmp_path / "t.xlsx"
    path.write_bytes(to_xlsx([table]))
    cells = [c for c in load_workbook(path)["t"]["A"][1:]]
    assert [c.data_type for c in cells] == ["s", "s"]
    assert cells[0].value == '=HYPERLINK("http://x","y")'


def test_control_characters_never_break_a_workbook(tmp_path):
    """Text typed by people may hold control characters XML cannot: dropped, never a 500."""
    from openpyxl import load_workbook

    from geoservice.sheets import Column, Table, to_ods, to_xlsx

    table = Table("t", [Column("nom", "Nom\x01"), Column("jour", "Jour", "date")],
                  [["a\x00b\x07c\x1fd", "2021-05-03"], ["x" * 40_000, "2021"]], ["note\x02"])
    path = tmp_path / "t.xlsx"
    path.write_bytes(to_xlsx([table]))
    sheet = load_workbook(path)["t"]
    assert sheet["A1"].value == "Nom" and sheet["A2"].value == "abcd"
    assert sheet["B2"].is_date and sheet["B3"].value == "2021"  # a partial date stays text
    assert len(sheet["A3"].value) == 32_767
    ods = tmp_path / "t.ods"
    ods.write_bytes(to_ods([table]))
    assert "abcd" in _ogrinfo("-al", "-q", str(ods), "t")


def test_xlsx_points_carry_coordinates_and_dates(client, tmp_path):
    from openpyxl import load_workbook

    response = client.get("/api/collections/stations/items",
                          params={"f": "xlsx", "crs": "EPSG:2154", "limit": "5"})
    path = tmp_path / "stations.xlsx"
    path.write_bytes(response.content)
    sheet = load_workbook(path)["stations"]
    header = [c.value for c in sheet[1]]
    assert header[-3:] == ["Géométrie (WKT)", "X (est)", "Y (nord)"]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        assert 500_000 < row[-2] < 620_000 and 6_230_000 < row[-1] < 6_320_000


def test_ods_is_read_by_gdal(client, tmp_path):
    response = client.get("/api/collections/diagnostic_qpv/items", params={"f": "ods"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oasis.opendocument.spreadsheet"
    path = tmp_path / "diagnostic_qpv.ods"
    path.write_bytes(response.content)
    info = _ogrinfo("-so", str(path), "diagnostic_qpv")
    assert "Feature Count: 16" in info
    assert re.search(r"Score de sous-desserte.*: Real", info)
    assert re.search(r"Code du QPV 2024: String", info)
    dictionary = _ogrinfo("-al", "-q", str(path),
                          "Dictionnaire")
    assert "dist_station_m" in dictionary and "nombre décimal, m" in dictionary


def test_ranking_and_bilan_as_workbooks(client, tmp_path):
    from openpyxl import load_workbook

    for url, params, name in [
        ("/api/analysis/underserved", {"f": "xlsx", "defi": "inclusion"},
         "diagnostic_qpv_inclusion_500m.xlsx"),
        ("/api/map/diagnostic-export", {"f": "xlsx"}, "diagnostic_qpv_tous.xlsx"),
    ]:
        response = client.get(url, params=params)
        assert response.status_code == 200, response.text
        assert f'filename="{name}"' in response.headers["content-disposition"]
        path = tmp_path / name
        path.write_bytes(response.content)
        book = load_workbook(path)
        assert "Dictionnaire" in book.sheetnames
        first = book[book.sheetnames[0]]
        assert first.max_row == 17 and first["A1"].value == "Code du QPV 2024"
    ods = client.get("/api/analysis/underserved", params={"f": "ods"})
    assert ods.status_code == 200 and ods.content[:2] == b"PK"


# -- 3. Shapefile ------------------------------------------------------------------------------


def test_shapefile_zip_in_lambert93_read_by_ogrinfo(client, tmp_path):
    response = client.get("/api/collections/diagnostic_qpv/items",
                          params={"f": "shp", "crs": "EPSG:2154"})
    assert response.status_code == 200
    assert 'filename="diagnostic_qpv.shp.zip"' in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {f"diagnostic_qpv.{e}" for e in ("shp", "shx", "dbf", "prj", "cpg")} <= names
    assert archive.read("diagnostic_qpv.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
    archive.extractall(tmp_path)
    info = _ogrinfo("-so", str(tmp_path / "diagnostic_qpv.shp"), "diagnostic_qpv")
    assert "Feature Count: 16" in info
    assert "Lambert" in info and "2154" in info
    fields = re.findall(r"^(\w+): (?:String|Real|Integer|Integer64|Date)", info, re.M)
    assert fields and all(len(f) <= 10 for f in fields)
    assert len({f.lower() for f in fields}) == len(fields)
    dictionary = _excel_rows(archive.read("diagnostic_qpv_dictionnaire.csv"))
    mapping = {r["colonne"]: r["champ"] for r in dictionary if r["colonne"]}
    assert mapping["indicator_coverage"] in fields and mapping["tx_tot_empl"] in fields
    assert mapping["tx_tot_empl"] != mapping["tx_tot_eprec"]
    # a value survives with its accents (UTF-8 declared by the .cpg)
    data = _ogrinfo("-al", "-q", str(tmp_path / "diagnostic_qpv.shp"),
                    "-where", "code_qp = 'QN03107M'")
    assert "Grand Mirail" in data


def test_shapefile_of_points_keeps_features_without_geometry(toulouse_store, tmp_path):
    totems = toulouse_store.collection("lieux_totems")
    data = export.to_shapefile(totems, range(len(totems)))
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    info = _ogrinfo("-so", str(tmp_path / "lieux_totems.shp"), "lieux_totems")
    assert "Feature Count: 4" in info and "Geometry: Point" in info


# -- 4. GeoJSON that names its CRS -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/collections/qpv/items",
                                  "/api/collections/qpv/items/QN03107M"])
def test_lambert93_geojson_from_the_api_is_placed_by_gdal(client, tmp_path, path):
    """Before: a file saved from …/items?crs=EPSG:2154 had no CRS, GDAL read it as WGS 84."""
    response = client.get(path, params={"crs": "EPSG:2154"})
    body = response.json()
    assert body["crs"] == {"type": "name",
                           "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    assert response.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/2154>"
    saved = tmp_path / "qpv-l93.geojson"
    saved.write_bytes(response.content)
    info = _ogrinfo("-so", "-al", str(saved))
    assert 'ID["EPSG",2154]' in info or "Lambert-93" in info
    assert "crs" not in client.get(path).json()  # CRS84 stays plain RFC 7946


def test_export_command_writes_the_new_formats(toulouse_settings, tmp_path):
    from tests.cli.test_cli import run

    env = {"GEOSERVICE_DATA_DIR": str(toulouse_settings.data_dir)}
    for fmt, name in (("xlsx", "qpv.xlsx"), ("ods", "qpv.ods"), ("shp", "qpv.shp.zip")):
        out = tmp_path / name
        result = run("export", "qpv", "-f", fmt, "--crs", "EPSG:2154", "-o", str(out), env=env)
        assert result.returncode == 0, result.stderr
        assert out.read_bytes()[:2] == b"PK"
    assert "Feature Count: 16" in _ogrinfo("-so", str(tmp_path / "qpv.ods"), "qpv")
    info = _ogrinfo("-so", f"/vsizip/{Path(tmp_path / 'qpv.shp.zip')}/qpv.shp", "qpv")
    assert "Feature Count: 16" in info and "2154" in info


def test_every_collection_in_every_format_and_sort(client):
    """No 500 anywhere: each collection (empty ones, views, dated layers) in each new format,
    with and without properties, sorted by all its sortables at once."""
    ids = [c["id"] for c in client.get("/api/collections").json()["collections"]]
    assert len(ids) >= 10
    for cid in ids:
        for fmt, magic in (("xlsx", b"PK"), ("ods", b"PK"), ("shp", b"PK"), ("csv", b"\xef")):
            for extra in ({"crs": "EPSG:2154"}, {"properties": ""}):
                params = {"f": fmt, "limit": "10000", **extra}
                if fmt == "csv":
                    params["csv_sep"] = ";"
                got = client.get(f"/api/collections/{cid}/items", params=params)
                assert got.status_code == 200, (cid, params, got.text[:200])
                assert got.content.startswith(magic), (cid, params)
        keys = list(client.get(f"/api/collections/{cid}/sortables").json()["properties"])
        got = client.get(f"/api/collections/{cid}/items",
                         params={"sortby": ",".join("-" + k for k in keys)} if keys else {})
        assert got.status_code == 200, (cid, got.text[:200])
