"""Benchmark (b): requests/s for ``/api/collections/qpv/items``, geoservice vs pygeoapi.

Same data for both (the repaired QPV 2024 of Toulouse Métropole, 16 features, and of all
France, 1,584 features), same query (``limit=100&f=json``), one uvicorn worker each,
run one after the other in the same run on 127.0.0.1; load from ``wrk`` (Debian package)
for a fixed duration, or, without wrk, a bounded Python loop (fixed request count).

pygeoapi serves the data with its GeoJSON provider from its own virtualenv
(``bench/.venv-pygeoapi``, created by ``bench/setup_pygeoapi.sh``).

Usage::

    .venv/bin/python bench/bench_items.py [--mirror ../shared/data] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PEER_VENV = HERE / ".venv-pygeoapi"
QUERY = "limit=100&f=json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}) before answering {url}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {url}")


# -- data -----------------------------------------------------------------------------------


def prepare(mirror: Path, work: Path) -> dict[str, Path]:
    """Pull the Toulouse store and write both QPV sets as GeoJSON (the peer's input)."""
    sys.path.insert(0, str(REPO))
    from geoservice.read.model import load_store
    from geoservice.settings import Settings
    from geoservice.sources import read_qpv_2024
    from geoservice.sources.pull import pull

    settings = Settings(data_dir=work / "store", sources=str(mirror))
    pull(settings)
    store = load_store(settings)
    toulouse = store.collection("qpv").frame
    france, _ = read_qpv_2024(mirror / "qpv_2024_france.geojson", None,
                              settings.max_repair_area_change)
    france["generation"] = "2024"
    paths = {"data_dir": settings.data_dir, "qpv": work / "qpv_toulouse.geojson",
             "qpv_france": work / "qpv_france.geojson"}
    toulouse.to_file(paths["qpv"], driver="GeoJSON")
    france[list(toulouse.columns)].to_file(paths["qpv_france"], driver="GeoJSON")
    return paths


# -- servers --------------------------------------------------------------------------------


def serve_geoservice(data_dir: str, france: str, port: int) -> None:
    """(Child process) geoservice with the Toulouse store plus ``qpv_france``."""
    sys.path.insert(0, str(REPO))
    import geopandas as gpd
    import uvicorn

    from geoservice.api.app import create_app
    from geoservice.read.model import load_store
    from geoservice.read.snapshot import Collection
    from geoservice.settings import Settings

    settings = Settings(data_dir=Path(data_dir), tiles_url=None)
    store = load_store(settings)
    qpv = store.collection("qpv")
    layer = qpv.layer.model_copy(update={"id": "qpv_france"})
    store = store.with_collection(Collection(
        layer, gpd.read_file(france).set_crs("EPSG:4326", allow_override=True),
        qpv.provenance))
    uvicorn.run(create_app(settings, store=store), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


def start_geoservice(paths: dict[str, Path], port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, "--serve-geoservice", str(paths["data_dir"]),
         str(paths["qpv_france"]), str(port)], cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("GEOSERVICE_")})


def _pygeoapi_resource(title: str, path: Path) -> dict:
    return {
        "type": "collection", "title": title, "description": title, "keywords": ["QPV"],
        "links": [],
        "extents": {"spatial": {"bbox": [-180, -90, 180, 90],
                                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "providers": [{"type": "feature", "name": "GeoJSON", "data": str(path),
                       "id_field": "code_qp"}],
    }


def start_pygeoapi(paths: dict[str, Path], port: int, work: Path) -> subprocess.Popen:
    if not (PEER_VENV / "bin" / "python").exists():
        subprocess.run(["bash", str(HERE / "setup_pygeoapi.sh")], check=True)
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}", "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8", "language": "fr-FR", "cors": False, "pretty_print": False,
            "limits": {"default_items": 100, "max_items": 10000},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    "attribution": "OSM"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {"title": "bench", "description": "bench", "keywords": ["QPV"],
                               "keywords_type": "theme", "terms_of_service": "",
                               "url": "http://127.0.0.1"},
            "license": {"name": "Licence Ouverte 2.0",
                        "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"},
            "provider": {"name": "bench", "url": "http://127.0.0.1"},
            "contact": {"name": "bench", "url": "http://127.0.0.1"},
        },
        "resources": {"qpv": _pygeoapi_resource("QPV Toulouse", paths["qpv"]),
                      "qpv_france": _pygeoapi_resource("QPV France", paths["qpv_france"])},
    }
    config_path, openapi_path = work / "pygeoapi.yml", work / "pygeoapi-openapi.yml"
    config_path.write_text(json.dumps(config), "utf-8")  # JSON is YAML
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config_path),
           "PYGEOAPI_OPENAPI": str(openapi_path)}
    done = subprocess.run([str(PEER_VENV / "bin" / "pygeoapi"), "openapi", "generate",
                           str(config_path), "--output-file", str(openapi_path)], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pygeoapi openapi generate: {done.stderr[-2000:]}")
    return subprocess.Popen(
        [str(PEER_VENV / "bin" / "uvicorn"), "pygeoapi.starlette_app:APP", "--host",
         "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning",
         "--no-access-log"], env=env, cwd=work)


# -- load -----------------------------------------------------------------------------------


def load_wrk(url: str, seconds: int, connections: int) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", url]
    out = subprocess.run(command,
                         capture_output=True, text=True, check=True).stdout
    errors = [line for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    if errors:
        raise RuntimeError(f"{url}: {errors}")
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(out)


def load_python(url: str, requests: int) -> float:
    with httpx.Client(headers={"Accept-Encoding": "identity"}) as client:
        start = time.perf_counter()
        for _ in range(requests):
            client.get(url).raise_for_status()
        return requests / (time.perf_counter() - start)


def measure(url: str, seconds: int, connections: int) -> float:
    for _ in range(20):  # warm-up (first request fills caches)
        httpx.get(url, timeout=60).raise_for_status()
    if shutil.which("wrk"):
        return load_wrk(url, seconds, connections)
    return load_python(url, requests=max(50, seconds * 40))


def check_same(ours: str, peer: str) -> int:
    """Both servers must return the same features for the query; the page size."""
    a, b = httpx.get(ours, timeout=60).json(), httpx.get(peer, timeout=60).json()
    ids_a = sorted(str(f["id"]) for f in a["features"])
    ids_b = sorted(str(f["id"]) for f in b["features"])
    if ids_a != ids_b or a["numberMatched"] != b["numberMatched"]:
        raise RuntimeError(f"different answers: {len(ids_a)} vs {len(ids_b)} features")
    return len(ids_a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    loader = "wrk" if shutil.which("wrk") else "boucle Python"
    with tempfile.TemporaryDirectory(prefix="bench-items-") as tmp:
        work = Path(tmp)
        print("préparation des données…", file=sys.stderr)
        paths = prepare(args.mirror, work)
        ours_port, peer_port = _free_port(), _free_port()
        servers = [start_geoservice(paths, ours_port), start_pygeoapi(paths, peer_port, work)]
        try:
            _wait(f"http://127.0.0.1:{ours_port}/api", servers[0])
            _wait(f"http://127.0.0.1:{peer_port}/collections?f=json", servers[1])
            rows = []
            for collection_id, label in (("qpv", "Toulouse Métropole (16 QPV)"),
                                         ("qpv_france", "France (1 584 QPV)")):
                ours = f"http://127.0.0.1:{ours_port}/api/collections/{collection_id}/items?{QUERY}"
                peer = f"http://127.0.0.1:{peer_port}/collections/{collection_id}/items?{QUERY}"
                page = check_same(ours, peer)
                print(f"mesure : {label}…", file=sys.stderr)
                ours_rps = measure(ours, args.seconds, args.connections)
                peer_rps = measure(peer, args.seconds, args.connections)
                rows.append((label, page, ours_rps, peer_rps))
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    print(f"\nGET …/items?{QUERY} — 1 worker uvicorn chacun, {loader} "
          f"({args.connections} connexions, {args.seconds} s), {os.cpu_count()} cœurs\n")
    print(f"{'données':<30} {'objets/page':>11} {'geoservice req/s':>17} "
          f"{'pygeoapi req/s':>15} {'rapport':>8}")
    for label, page, ours_rps, peer_rps in rows:
        print(f"{label:<30} {page:>11} {ours_rps:>17.0f} {peer_rps:>15.1f} "
              f"{ours_rps / peer_rps:>7.1f}×")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-geoservice":
        serve_geoservice(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
