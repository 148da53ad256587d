"""A local stand-in for the publishers (data.gouv.fr dataset API, geo.api.gouv.fr), on
127.0.0.1, serving the mirror files in the publishers' formats."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd

from geoservice.territory import get_territory, territory_ids
from tests.stub_server import StubServer


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


class Publishers(StubServer):
    """Context manager running the stand-in server; ``requests`` records the paths asked."""

    def __init__(self, mirror: Path, broken: set[str] | None = None) -> None:
        super().__init__(self._answer)
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
            "/anct/fabt_geom.geojson": (mirror / "ess" / "anct_fabt_2024.geojson").read_bytes(),
            "/anct/manuprox_geom.geojson": (mirror / "ess" / "anct_manuprox_2024.geojson")
            .read_bytes(),
        }
        self.epcis = _epci_communes(mirror)

    def _answer(self, path: str, query: dict[str, str]) -> tuple[int, bytes, str]:
        self.requests.append(path)
        if path in self.broken:
            return 500, b"boom", "text/plain"
        if path.startswith("/api/1/datasets/"):
            body = {"id": "qpv", "resources": [
                {"title": "qpv-2024-lambert93.zip", "url": f"{self.base}/files/x.zip"},
                {"title": "qpv-2024-geojson.zip",
                 "url": f"{self.base}/files/qpv-2024-geojson.zip"}]}
            return 200, json.dumps(body).encode(), "application/json"
        if path.startswith("/epcis/"):
            epci = path.split("/")[2]
            if epci not in self.epcis or query.get("format") != "geojson":
                return 404, b"{}", "application/json"
            return 200, self.epcis[epci], "application/geo+json"
        if path in self.files:
            return 200, self.files[path], "application/octet-stream"
        return 404, b"not found", "text/plain"

    @property
    def base(self) -> str:
        return self.url

    def settings_overrides(self) -> dict:
        return {
            "sources": "publishers",
            "datagouv_api": f"{self.base}/api/1",
            "geo_api": self.base,
            "qpv2015_url": f"{self.base}/hackaviz/qpv_occitanie_2015.geojson",
            "indicators_url": f"{self.base}/hackaviz/qpv_indicateurs_occitanie.csv",
            "stations_url": f"{self.base}/osm/stations.geojson",
            "fabt_url": f"{self.base}/anct/fabt_geom.geojson",
            "manuprox_url": f"{self.base}/anct/manuprox_geom.geojson",
        }
