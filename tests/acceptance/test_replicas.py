"""Two API replicas (real `geoservice serve` processes) on one real PostGIS database.

A pull through the CLI, a feature write and a rollback each reach both replicas within a
second; GDAL's OAPIF driver copies every collection completely from the second replica.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pyogrio
import pytest
import shapely

from geoservice.catalog import LAYER_IDS
from geoservice.storage import Change
from geoservice.storage.postgis import PostgisStorage
from tests.servers import GEOSERVICE, Served, clean_env

pytestmark = pytest.mark.gdal


def _env(url: str, data_dir: Path) -> dict[str, str]:
    return clean_env(GEOSERVICE_DATABASE_URL=url, GEOSERVICE_DATA_DIR=str(data_dir),
                     GEOSERVICE_TILES_URL="", GEOSERVICE_REFRESH_INTERVAL="0.25")


@pytest.fixture(scope="module")
def cluster(postgres, mirror, tmp_path_factory):
    url = postgres.create_database("replicas")
    work = tmp_path_factory.mktemp("replicas")
    env = _env(url, work)
    done = subprocess.run([GEOSERVICE, "db", "upgrade"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # a first pull with only 10 stations (the others arrive with the second pull, below)
    partial = work / "mirror"
    partial.mkdir()
    for item in mirror.iterdir():
        if item.name.startswith("osm_transit"):
            data = json.loads(item.read_text("utf-8"))
            data["features"] = data["features"][:10]
            (partial / item.name).write_text(json.dumps(data), "utf-8")
        else:
            (partial / item.name).symlink_to(item)
    done = subprocess.run([GEOSERVICE, "data", "pull", "--from", str(partial)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    replicas = [Served(env, log=work / f"replica-{n}.log") for n in (1, 2)]
    yield url, env, replicas
    for replica in replicas:
        replica.stop()


def _counts(url: str) -> dict[str, int]:
    body = httpx.get(f"{url}/api/collections", timeout=10).json()
    return {c["id"]: c["geoservice:featureCount"] for c in body["collections"]}


def _wait(check, seconds: float = 1.0) -> float:
    """Seconds until ``check()`` holds (fails past ``seconds``)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, "not seen in time"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_pull_through_the_cli_reaches_both_replicas(cluster, mirror):
    url, env, (first, second) = cluster
    assert _counts(first.url)["stations"] == 10 == _counts(second.url)["stations"]
    done = subprocess.run([GEOSERVICE, "data", "pull", "--from", "/nonexistent-mirror"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.startswith("erreur :")  # a bad mirror: no harm
    done = subprocess.run([GEOSERVICE, "data", "pull", "--from", str(mirror)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _wait(lambda: _counts(second.url)["stations"] > 100 and _counts(first.url)["stations"] > 100,
          seconds=1.5)
    assert _counts(first.url) == _counts(second.url)
    for collection in ("qpv", "stations", "diagnostic_qpv"):
        a = httpx.get(f"{first.url}/api/collections/{collection}/items?limit=10000").json()
        b = httpx.get(f"{second.url}/api/collections/{collection}/items?limit=10000").json()
        assert a["features"] == b["features"]


def test_a_write_reaches_the_other_replica_within_a_second(cluster):
    url, _env_, (first, second) = cluster
    storage = PostgisStorage(url)
    try:
        point = shapely.to_wkb(shapely.Point(1.4023, 43.5795))
        storage.apply([Change("insert", "besoins", "besoin-replica-test",
                              {"id": "besoin-replica-test", "nom": "Test de réplication"},
                              point)])
    finally:
        storage.close()
    path = "/api/collections/besoins/items/besoin-replica-test"
    seen_after = _wait(lambda: all(httpx.get(r.url + path).status_code == 200
                                   for r in (first, second)), seconds=1.0)
    assert seen_after < 1.0
    for replica in (first, second):
        assert httpx.get(replica.url + path).json()["properties"]["nom"] == \
            "Test de réplication"


def test_an_http_write_on_one_replica_is_read_on_the_other_within_a_second(cluster):
    from tests.api.test_editing import PLACE

    _url, env, (first, second) = cluster
    for args in (("users", "add", "ed@example.fr", "--role", "editor"),
                 ("tokens", "create", "ed@example.fr")):
        done = subprocess.run([GEOSERVICE, *args], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
    auth = {"Authorization": f"Bearer {done.stdout.strip()}",
            "Geoservice-Duplicate": "distinct"}
    made = httpx.post(f"{first.url}/api/collections/hebergement/items", json=PLACE,
                      headers=auth)
    assert made.status_code == 201
    path = httpx.URL(made.headers["Location"]).path
    patched = httpx.patch(first.url + path, content=json.dumps({"properties": {
        "nom": "Renommé sur la réplique 1"}}), headers={
        **auth, "If-Match": '"1"', "Content-Type": "application/merge-patch+json"})
    assert patched.status_code == 200
    seen_after = _wait(lambda: httpx.get(second.url + path).headers.get("ETag") == '"2"',
                       seconds=1.0)
    assert seen_after < 1.0
    assert httpx.get(second.url + path).json()["properties"]["nom"] == \
        "Renommé sur la réplique 1"
    # the token is in the database: the second replica knows it too
    stale = httpx.patch(second.url + path, content=json.dumps({"properties": {"nom": "x"}}),
                        headers={**auth, "If-Match": '"1"',
                                 "Content-Type": "application/merge-patch+json"})
    assert stale.status_code == 412


def test_gdal_copies_every_collection_from_the_second_replica(cluster, tmp_path):
    _url, _env_, (_first, second) = cluster
    out = tmp_path / "copy.gpkg"
    done = subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{second.url}/api",
                           "-oo", "PAGE_SIZE=7"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    listed = {name for name, _ in pyogrio.list_layers(out)}
    assert set(LAYER_IDS) <= listed
    for collection_id in LAYER_IDS:
        matched = httpx.get(f"{second.url}/api/collections/{collection_id}/items?limit=1"
                            ).json()["numberMatched"]
        assert pyogrio.read_info(out, layer=collection_id)["features"] == matched


def test_rollback_reaches_both_replicas(cluster):
    _url, env, (first, second) = cluster
    done = subprocess.run([GEOSERVICE, "data", "rollback"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    _wait(lambda: _counts(first.url)["stations"] == 10 == _counts(second.url)["stations"],
          seconds=1.5)
    assert _counts(second.url)["besoins"] >= 1  # editable layers are not rolled back
