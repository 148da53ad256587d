"""A local stand-in for the publishers (data.gouv.fr dataset API, geo.api.gouv.fr), on
127.0.0.1, serving the mirror files in the publishers' formats."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import geopandas as gpd

from geoservice.territory import get_territory, territory_ids


def _qpv_zip(mirror: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("QP2024_France_Hexagonale_Outre_Mer_Lambert93.txt", "not this one")
        zf.write(mirror / "qpv_2024_france.geojson",
                 "qpv_2024/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson")
    return buffer.getvalue()


def _epci_communes(mirror: Path) -> dict[str, bytes]:
    """geo.api.gouv.fr answer per EPCI: GeoJSON with nom, code, codeDepartement…"""
    out = {}
    for territory_id in territory_ids():
        territory = get_territory(territory_id)
        frame = gpd.read_file(mirror / territory.communes_file)
        frame = frame[frame["code"].isin(territory.communes)].copy()
        frame["codeDepartement"] = territory.departement
        frame["codeEpci"] = territory.epci
        out[territory.epci] = frame.to_json().encode()
    return out


class Publishers:
    """Context manager running the stand-in server; ``requests`` records the paths asked."""

    def __init__(self, mirror: Path, broken: set[str] | None = None) -> None:
        self.mirror = mirror
        self.broken = broken or set()
        self.requests: list[str] = []
        self.files = {
            "/files/qpv-2024-geojson.zip": _qpv_zip(mirror),
            "/hackaviz/qpv_occitanie_2015.geojson": (mirror / "qpv_occitanie_2015.geojson")
            .read_bytes(),
            "/hackaviz/qpv_indicateurs_occitanie.csv": (mirror / "qpv_indicateurs_occitanie.csv")
            .read_bytes(),
            "/osm/stations.geojson": (mirror / "osm_transit_stations_toulouse.geojson")
            .read_bytes(),
        }
        self.epcis = _epci_communes(mirror)

    def __enter__(self) -> Publishers:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                outer.requests.append(url.path)
                if url.path in outer.broken:
                    return self._send(500, b"boom", "text/plain")
                if url.path.startswith("/api/1/datasets/"):
                    body = {"id": "qpv", "resources": [
                        {"title": "qpv-2024-lambert93.zip", "url": f"{outer.base}/files/x.zip"},
                        {"title": "qpv-2024-geojson.zip",
                         "url": f"{outer.base}/files/qpv-2024-geojson.zip"}]}
                    return self._send(200, json.dumps(body).encode(), "application/json")
                if url.path.startswith("/epcis/"):
                    epci = url.path.split("/")[2]
                    query = parse_qs(url.query)
                    if epci not in outer.epcis or query.get("format") != ["geojson"]:
                        return self._send(404, b"{}", "application/json")
                    return self._send(200, outer.epcis[epci], "application/geo+json")
                if url.path in outer.files:
                    return self._send(200, outer.files[url.path], "application/octet-stream")
                return self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, media_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settings_overrides(self) -> dict:
        return {
            "sources": "publishers",
            "datagouv_api": f"{self.base}/api/1",
            "geo_api": self.base,
            "qpv2015_url": f"{self.base}/hackaviz/qpv_occitanie_2015.geojson",
            "indicators_url": f"{self.base}/hackaviz/qpv_indicateurs_occitanie.csv",
            "stations_url": f"{self.base}/osm/stations.geojson",
        }
