"""The editor in the web map, in headless Chromium against a real `geoservice serve`: a
staff member logs in with a password, adds a place from an address (BAN stand-in), is told
inline what is missing, edits it, meets a concurrent change (412, merged), and reverts it from
the history. A resident's page never loads the editor; hostile text never runs."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.test_accessibility import _violations
from tests.editing_site import Site

PASSWORD = "un mot de passe assez long"
HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>'


@pytest.fixture(scope="module")
def site(mirror, ban, tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("editor"), mirror, GEOSERVICE_BAN_URL=ban.url)
    made.set_password("editor@example.fr", PASSWORD)
    yield made
    made.stop()


def api_feature(site: Site, fid: str) -> httpx.Response:
    return httpx.get(f"{site.url}/api/collections/hebergement/items/{fid}")


def log_in(page) -> None:  # noqa: ANN001
    page.locator("#login-open").click()
    page.locator("#login-email").fill("editor@example.fr")
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    page.wait_for_selector("body[data-editor=ready]", state="attached", timeout=15_000)


def test_residents_never_load_the_editor(site, open_page):
    rec = open_page(site.url + "/")
    page = rec.page
    page.wait_for_timeout(300)
    assert not any("editor" in url for url in rec.requests)
    assert not any(url.endswith("/api/me") for url in rec.requests)
    page.locator("#login-open").click()
    page.locator("#login-email").fill("editor@example.fr")
    page.locator("#login-password").fill("pas le bon mot de passe")
    page.locator("#login-password").press("Enter")
    page.get_by_text("Adresse ou mot de passe incorrect").wait_for()
    assert page.locator("body[data-editor]").count() == 0


def test_editor_adds_edits_meets_a_conflict_and_reverts(site, open_page):
    rec = open_page(site.url + "/#map=15/43.6045/1.4433")
    page = rec.page
    log_in(page)
    assert page.get_by_text("editor@example.fr").is_visible()

    # add: a place found by its address, the candidate shown before saving
    page.locator("#editor-layer").select_option("hebergement")
    page.locator("#editor-add").click()
    page.locator("#editor-heading").wait_for()
    assert page.evaluate("document.activeElement.id") == "editor-heading"
    page.locator("#ed-address").fill("place du capitole")
    page.locator("#ed-address-go").click()
    page.get_by_role("button", name="Retenir : Place du Capitole 31000 Toulouse").click()
    assert "Place du Capitole" in page.locator("#ed-chosen").inner_text()
    assert float(page.locator("#ed-lon").input_value()) == pytest.approx(1.4433)
    assert page.locator("#ed-adresse").input_value() == "Place du Capitole 31000 Toulouse"
    page.locator("#ed-nom").fill(HOSTILE)
    page.locator("#ed-type").select_option("tiers_lieu")
    page.locator("#ed-defi-economie_circulaire").check()
    page.locator("#ed-statut").select_option("ouvert")
    # the source is missing: the server says so, next to the field, in French
    page.locator("#ed-save").click()
    page.locator("#err-source").wait_for()
    assert page.locator("#err-source").inner_text()
    assert page.locator("#ed-source").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "editor-errors"
    # a click on the map moves the point (the fields follow)
    map_box = page.locator("#map").bounding_box()
    page.mouse.click(map_box["x"] + map_box["width"] * 0.3, map_box["y"] + map_box["height"] * 0.7)
    moved = float(page.locator("#ed-lon").input_value())
    assert moved != pytest.approx(1.4433, abs=1e-5)
    page.locator("#ed-lon").fill("1.4433")
    page.locator("#ed-lat").fill("43.6045")
    page.locator("#ed-source").fill("test automatique (données synthétiques)")
    assert _violations(page) == []
    page.locator("#ed-save").click()
    page.get_by_text("Enregistré : version 1").wait_for()
    created = [f for f in httpx.get(f"{site.url}/api/collections/hebergement/items",
                                    params={"limit": 1000}).json()["features"]
               if f["properties"]["nom"] == HOSTILE]
    assert len(created) == 1
    fid = created[0]["id"]
    assert created[0]["geometry"]["coordinates"] == pytest.approx([1.4433, 43.6045])

    # edit from the place's card
    popup = page.locator("#detail")
    popup.wait_for()
    assert HOSTILE in popup.inner_text()
    popup.get_by_role("button", name="Modifier").click()
    page.locator("#ed-statut").select_option("a_venir")
    page.locator("#ed-reason").fill("ouverture repoussée")
    page.locator("#ed-save").click()
    page.get_by_text("Enregistré : version 2").wait_for()
    assert api_feature(site, fid).json()["properties"]["statut"] == "a_venir"

    # someone else changes another field while the form is open: both changes are kept
    # (the field-by-field merge and the fields both changed: tests/browser/test_trust_screens.py)
    page.locator("#detail").get_by_role("button", name="Modifier").click()
    other = httpx.patch(f"{site.url}/api/collections/hebergement/items/{fid}",
                        content='{"properties": {"description": "ajout concurrent"}}',
                        headers={**site.auth("moderator"), "If-Match": '"2"',
                                 "Content-Type": "application/merge-patch+json"})
    assert other.status_code == 200
    page.locator("#ed-statut").select_option("ferme")
    page.locator("#ed-save").click()
    page.get_by_text("Enregistré : version 4").wait_for()
    assert "Description" in page.locator("#status").inner_text()
    merged = api_feature(site, fid).json()["properties"]
    assert merged["statut"] == "ferme" and merged["description"] == "ajout concurrent"

    # history, then revert to version 1
    page.locator("#detail").get_by_role("button", name="Historique").click()
    page.locator("#history-heading").wait_for()
    history = page.locator(".history").inner_text()
    assert "ouverture repoussée" in history and "moderator@example.fr" in history
    assert _violations(page) == []
    page.get_by_role("button", name="Revenir à cette version 1").click()
    page.get_by_text("Version rétablie : nouvelle version 5").wait_for()
    back = api_feature(site, fid).json()["properties"]
    assert back["statut"] == "ouvert" and not back.get("description"), back

    # hostile text stayed text everywhere
    assert page.locator('img[src="x"]').count() == 0
    assert rec.dialogs == [] and not any("alert" in e for e in rec.errors)
    assert rec.outside() == []


def test_session_survives_a_reload_and_logout_ends_it(site, open_page):
    rec = open_page(site.url + "/")
    page = rec.page
    log_in(page)
    page.reload()
    page.wait_for_selector("body[data-editor=ready]", state="attached", timeout=15_000)
    page.locator("#logout").click()
    page.wait_for_selector("body[data-ready=true]", state="attached")
    page.wait_for_timeout(500)
    assert page.locator("body[data-editor]").count() == 0
    assert page.locator("#login-open").is_visible()
