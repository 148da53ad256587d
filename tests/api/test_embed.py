"""Issue 29: the light map for partners' sites. ``/embed`` may be framed by the sites of
``GEOSERVICE_EMBED_ORIGINS`` (CSP ``frame-ancestors``, no ``X-Frame-Options``); every other
page keeps ``frame-ancestors 'self'`` and ``X-Frame-Options: SAMEORIGIN``. A wrong link is a
French 400."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from geoservice.api.app import create_app
from geoservice.settings import Settings

PARTNER = "https://www.partenaire.example"


@pytest.fixture(scope="module")
def framed(toulouse_settings):
    settings = toulouse_settings.model_copy(update={"embed_origins": [PARTNER]})
    with TestClient(create_app(settings)) as client:
        yield client


def _ancestors(response) -> str:
    csp = response.headers["content-security-policy"]
    return next(p.strip() for p in csp.split(";") if p.strip().startswith("frame-ancestors"))


def test_embed_may_be_framed_by_the_listed_sites_only(framed):
    response = framed.get("/embed", params={"couches": "qpv,lieux_totems", "qpv": "QN03107M",
                                            "defi": "inclusion"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "x-frame-options" not in response.headers
    assert _ancestors(response) == f"frame-ancestors 'self' {PARTNER}"
    assert 'src="embed.js"' in response.text and "cdn" not in response.text.lower()
    assert "script-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/", "/index.html", "/api", "/embed.html", "/docs"])
def test_the_full_map_and_the_api_stay_self_framed(framed, path):
    response = framed.get(path)
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert _ancestors(response) == "frame-ancestors 'self'"


def test_without_origins_embed_is_self_framed(client):
    response = client.get("/embed")
    assert response.status_code == 200 and "x-frame-options" not in response.headers
    assert _ancestors(response) == "frame-ancestors 'self'"


@pytest.mark.parametrize("params, words", [
    ({"couches": "qpv,inconnue"}, "couches : « inconnue » inconnue"),
    ({"couches": "diagnostic_qpv"}, "inconnue"),
    ({"qpv": "QN99999X"}, "aucun QPV 2024"),
    ({"defi": "sport"}, "Défi inconnu"),
    ({"zoom": "3"}, "inconnu"),
])
def test_a_wrong_embed_link_is_a_french_400(client, params, words):
    response = client.get("/embed", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]


@pytest.mark.parametrize("value", ['["https://ok.fr; script-src *"]', '["javascript:x"]',
                                   '["https://a.fr/path"]'])
def test_embed_origins_are_checked_at_start(value, monkeypatch):
    monkeypatch.setenv("GEOSERVICE_EMBED_ORIGINS", value)
    with pytest.raises(ValidationError):
        Settings()


def test_any_site_with_a_star(monkeypatch):
    monkeypatch.setenv("GEOSERVICE_EMBED_ORIGINS", '["*"]')
    from geoservice.api.security import embed_csp

    assert "frame-ancestors *" in embed_csp(Settings())
