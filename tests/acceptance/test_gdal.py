"""GDAL's OAPIF driver (Debian gdal-bin: ogr2ogr, ogrinfo) against the real server."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pyogrio
import pytest

from geoservice.catalog import LAYER_IDS

pytestmark = pytest.mark.gdal


def _run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _matched(url: str, collection_id: str) -> int:
    body = httpx.get(f"{url}/api/collections/{collection_id}/items?limit=1").json()
    return body["numberMatched"]


@pytest.fixture(scope="module")
def copied(live_server, tmp_path_factory) -> tuple[str, object]:
    out = tmp_path_factory.mktemp("gdal") / "copy.gpkg"
    _run("ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{live_server.url}/api",
         "-oo", "PAGE_SIZE=5")
    return live_server.url, out


def test_ogr2ogr_copies_every_collection_completely(copied):
    url, out = copied
    listed = {name for name, _ in pyogrio.list_layers(out)}
    assert set(LAYER_IDS) <= listed
    for collection_id in LAYER_IDS:
        info = pyogrio.read_info(out, layer=collection_id)
        assert info["features"] == _matched(url, collection_id), collection_id


def test_ogr2ogr_copy_keeps_geometries_and_properties(copied):
    _, out = copied
    qpv = pyogrio.read_dataframe(out, layer="qpv")
    assert len(qpv) == 16 and qpv.geometry.notna().all()
    assert qpv["code_qp"].str.startswith("QN").all()
    west, south, east, north = qpv.total_bounds
    assert 1.2 < west < east < 1.6 and 43.5 < south < north < 43.8
    totems = pyogrio.read_dataframe(out, layer="lieux_totems")
    assert totems.geometry.isna().sum() == 2  # features without a position survive the copy


@pytest.mark.parametrize("collection_id", LAYER_IDS)
def test_ogrinfo_summary_per_collection(live_server, collection_id):
    text = _run("ogrinfo", "-so", f"OAPIF:{live_server.url}/api", collection_id)
    expected = _matched(live_server.url, collection_id)
    assert f"Feature Count: {expected}" in text


def test_ogrinfo_reads_lambert93_geopackage_download(live_server, tmp_path):
    response = httpx.get(f"{live_server.url}/api/collections/qpv/items",
                         params={"f": "gpkg", "crs": "EPSG:2154"})
    assert response.status_code == 200
    path = tmp_path / "qpv.gpkg"
    path.write_bytes(response.content)
    text = _run("ogrinfo", "-so", str(path), "qpv")
    assert "Feature Count: 16" in text
    assert 'ID["EPSG",2154]' in text
    assert "Licence Ouverte" in text  # layer description carries the metadata


def test_pyogrio_reads_a_collection(live_server):
    # In a child process: pyogrio's GDAL holds the GIL while it fetches, and the live
    # server runs in a thread of this process.
    code = ("import json, sys, pyogrio; f = pyogrio.read_dataframe(sys.argv[1], "
            "layer='stations'); print(json.dumps([len(f), sorted(set(f['type']))]))")
    count, types = json.loads(_run(sys.executable, "-c", code, f"OAPIF:{live_server.url}/api"))
    assert count == _matched(live_server.url, "stations") > 100
    assert set(types) <= {"metro", "tram", "train"}
