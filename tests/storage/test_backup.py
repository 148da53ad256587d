"""``geoservice backup`` while a real server takes writes, ``geoservice restore`` into a
fresh store, on both stores (SQLite file; the real PostGIS the tests start).

A thread POSTs features one after the other through the HTTP API while the backup runs
(synthetic features, named so). Each write is one transaction touching several rows (the
feature, its history, the collection's revision): the restored store must hold exactly
the writes acknowledged before the backup began plus a prefix of those made during it,
each one whole (feature and history agree, revisions agree), nothing after.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.api.test_editing import PLACE
from tests.editing_site import cli, site_on
from tests.servers import Served, clean_env

NAME = "Charge de sauvegarde (donnée synthétique de test) n°"


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def site(request, mirror, tmp_path_factory):
    made = site_on(request, mirror, tmp_path_factory, "backup")
    made.kind = request.param
    yield made
    made.stop()


class Writer(threading.Thread):
    """Sequential POSTs through the API; each acknowledged write with the times just
    before it was sent and just after its 201."""

    def __init__(self, site) -> None:  # noqa: ANN001
        super().__init__(daemon=True)
        self.client = site.client("editor")
        self.acked: list[tuple[int, str, float, float]] = []
        self.failures: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        n = 0
        deadline = time.monotonic() + 600  # bounded, whatever happens
        while not self.halt.is_set() and time.monotonic() < deadline:
            n += 1
            feature = {**PLACE, "properties": {**PLACE["properties"], "nom": f"{NAME}{n}"}}
            sent = time.monotonic()
            answer = self.client.post("/api/collections/hebergement/items", json=feature)
            if answer.status_code != 201:
                self.failures.append(f"{answer.status_code} {answer.text[:200]}")
                return
            self.acked.append((n, answer.json()["id"], sent, time.monotonic()))

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 120
        while len(self.acked) < count:
            assert not self.failures and time.monotonic() < deadline, self.failures
            time.sleep(0.02)


def _fresh(site, tmp_path: Path, request, name: str) -> dict[str, str]:  # noqa: ANN001
    """The environment of a new, empty store of the site's kind."""
    settings = {"GEOSERVICE_DATA_DIR": str(tmp_path / name), "GEOSERVICE_TILES_URL": "",
                "GEOSERVICE_REFRESH_INTERVAL": "0.25"}
    if site.kind == "postgis":
        settings["GEOSERVICE_DATABASE_URL"] = request.getfixturevalue(
            "postgres").create_database(f"restored_{name}")
    return clean_env(**settings)


def _rows(env: dict[str, str], sql: str) -> list[tuple]:
    url = env.get("GEOSERVICE_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchall()
    path = Path(env["GEOSERVICE_DATA_DIR"]) / "toulouse-metropole" / "store.sqlite"
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def _check_whole(env: dict[str, str]) -> None:
    """Every feature agrees with its history and every collection with its rows."""
    features = {(c, f): int(v) for c, f, v in _rows(
        env, "SELECT collection, fid, version FROM features")}
    history: dict[tuple[str, str], list[int]] = {}
    for c, f, v in _rows(env, "SELECT collection, fid, version FROM feature_history"):
        history.setdefault((c, f), []).append(int(v))
    for key, versions in history.items():
        assert key in features, f"history without its feature: {key}"
        assert sorted(versions) == list(range(1, features[key] + 1)) or \
            max(versions) == features[key], (key, versions, features[key])
    editable = {r[0] for r in _rows(env, "SELECT id FROM collections WHERE kind = "
                                         "'editable'")}
    for key, version in features.items():
        if key[0] in editable:
            assert max(history.get(key, [0])) == version, f"feature without history: {key}"
    heads = dict(_rows(env, "SELECT id, revision FROM collections"))
    for collection, top in _rows(env, "SELECT collection, max(revision) FROM features "
                                      "GROUP BY collection"):
        assert int(top) <= int(heads[collection]), collection


def test_a_backup_under_write_load_restores_the_state_of_one_instant(site, tmp_path,
                                                                    request):
    writer = Writer(site)
    writer.start()
    try:
        writer.wait_for(5)
        began = time.monotonic()
        done = cli(site.env, "backup", str(tmp_path / "store.backup"))
        ended = time.monotonic()
        writer.wait_for(len(writer.acked) + 3)  # writes went on after it
    finally:
        writer.halt.set()
        writer.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("sauvegarde écrite : ")
    during = [n for n, _, sent, acked in writer.acked if acked > began and sent < ended]
    assert during, "no write while the backup ran"

    env = _fresh(site, tmp_path, request, "one")
    restored = cli(env, "restore", str(tmp_path / "store.backup"))
    assert restored.returncode == 0, restored.stderr
    assert restored.stderr.startswith("magasin restauré depuis ")
    names = [json.loads(p)["nom"] if isinstance(p, str) else p["nom"] for (p,) in _rows(
        env, "SELECT properties FROM features WHERE collection = 'hebergement'")]
    found = {int(name[len(NAME):]) for name in names if name.startswith(NAME)}
    # a prefix of the writes: the state of one instant, between the start and the end
    assert found == set(range(1, len(found) + 1)), sorted(found)
    before = {n for n, _, _, acked in writer.acked if acked < began}
    after = {n for n, _, sent, _ in writer.acked if sent > ended}
    assert before <= found and not (after & found)
    _check_whole(env)
    # and the restored store serves and takes writes (sequences restored too)
    with Served(env, log=tmp_path / "restored.log") as served:
        fid = next(fid for n, fid, _, _ in writer.acked if n == max(found))
        read = httpx.get(f"{served.url}/api/collections/hebergement/items/{fid}", timeout=30)
        assert read.status_code == 200
        assert read.json()["properties"]["nom"] == f"{NAME}{max(found)}"
        made = httpx.post(f"{served.url}/api/collections/hebergement/items", json=PLACE,
                          headers=site.auth("editor"), timeout=30)
        assert made.status_code == 201, made.text
    print(f"\n{site.kind}: {len(writer.acked)} writes, {len(during)} during the backup "
          f"({ended - began:.2f} s with the CLI start), {len(found)} restored; {done.stderr}")


def test_restore_refuses_a_filled_store_and_bad_files(site, tmp_path, request):
    backup = tmp_path / "copy.backup"
    assert cli(site.env, "backup", str(backup)).returncode == 0
    # the site's own store is filled: refused without --force, one French line, exit 1
    refused = cli(site.env, "restore", str(backup))
    assert refused.returncode == 1
    assert refused.stderr.startswith("erreur : le magasin ") and "--force" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    env = _fresh(site, tmp_path, request, "two")
    assert cli(env, "restore", str(backup)).returncode == 0
    forced = cli(env, "restore", str(backup), "--force")  # replaced whole, same content
    assert forced.returncode == 0, forced.stderr
    _check_whole(env)
    count = _rows(env, "SELECT count(*) FROM features")
    # a damaged backup (cut in the middle): refused, the store is left as it was
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(backup.read_bytes()[:backup.stat().st_size // 2])
    failed = cli(env, "restore", str(damaged), "--force")
    assert failed.returncode == 1 and failed.stderr.startswith("erreur : "), failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert _rows(env, "SELECT count(*) FROM features") == count
    _check_whole(env)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("pas une sauvegarde\n")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    cases = {tmp_path / "absent.backup": "fichier introuvable",
             not_a_backup: "n'est pas une sauvegarde de geoservice",
             other: "pas une sauvegarde de geoservice"}
    for path, words in cases.items():
        failed = cli(env, "restore", str(path))
        assert failed.returncode == 1 and words in failed.stderr, failed.stderr
        assert len(failed.stderr.strip().splitlines()) == 1
    missing_dir = cli(site.env, "backup", str(tmp_path / "nowhere" / "x.backup"))
    assert missing_dir.returncode == 1 and "dossier introuvable" in missing_dir.stderr


def test_a_backup_is_restored_only_into_a_store_of_its_kind(site, tmp_path, postgres):
    backup = tmp_path / "kind.backup"
    assert cli(site.env, "backup", str(backup)).returncode == 0
    if site.kind == "postgis":
        other = clean_env(GEOSERVICE_DATA_DIR=str(tmp_path / "embedded"))
    else:
        other = clean_env(GEOSERVICE_DATA_DIR=str(tmp_path / "pg"),
                          GEOSERVICE_DATABASE_URL=postgres.create_database("restored_kind"))
    refused = cli(other, "restore", str(backup))
    assert refused.returncode == 1
    assert "restaurez-la dans un magasin du même genre" in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
