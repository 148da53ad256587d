"""One real `geoservice serve` per store (embedded SQLite, PostGIS) shared by the Fabrique's
tests: each test dates its needs in its own years, so their figures never mix."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.editing_site import site_on

MERGE = {"Content-Type": "application/merge-patch+json"}
GRAND_MIRAIL = [1.40044, 43.57235]  # inside QPV 2024 QN03107M
CENTRE = [1.4437, 43.6045]  # Capitole: in no QPV


@pytest.fixture(scope="package", params=["sqlite", "postgis"])
def site(request, mirror, tmp_path_factory):
    made = site_on(request, mirror, tmp_path_factory, "fabrique")
    yield made
    made.stop()


def need(nom: str, reported: str, where: list[float] = GRAND_MIRAIL, **extra) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": where},
            "properties": {"nom": nom, "type": "besoin", "defi": ["alimentation_durable"],
                           "statut": "ouvert", "precision": "rue",
                           "source": "test automatique (données synthétiques)",
                           "date_signalement": reported, "signale_par": "maison_des_citoyens",
                           **extra}}


def project(nom: str, where: list[float] = GRAND_MIRAIL, **extra) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": where},
            "properties": {"nom": nom, "type": "projet_ess", "defi": ["alimentation_durable"],
                           "statut": "ouvert", "precision": "rue",
                           "source": "test automatique (données synthétiques)", **extra}}


def create(client: httpx.Client, layer: str, feature: dict) -> tuple[str, str]:
    """(id, ETag) of a new feature."""
    made = client.post(f"/api/collections/{layer}/items", json=feature)
    assert made.status_code == 201, made.text
    return made.json()["id"], made.headers["ETag"]


def patch(client: httpx.Client, fid: str, tag: str, properties: dict,
          layer: str = "besoins") -> httpx.Response:
    return client.patch(f"/api/collections/{layer}/items/{fid}",
                        content=json.dumps({"properties": properties}),
                        headers={**MERGE, "If-Match": tag})


def move(client: httpx.Client, fid: str, tag: str, **properties) -> str:
    """PATCH a need's stage; its new ETag."""
    done = patch(client, fid, tag, properties)
    assert done.status_code == 200, done.text
    return done.headers["ETag"]
