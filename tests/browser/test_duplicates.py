"""Likely duplicates in the web map, in headless Chromium against a real `geoservice
serve`: a resident proposing « Le Fil » at Bellefontaine is told « Ce lieu existe
peut-être déjà » (Le FIL, the lieu totem) before sending, and may send anyway; an editor
adding it gets the candidates from the 409, opens the existing place with « C'est le même
lieu », or saves with « C'est un autre lieu ». Axe: no violation on the new states."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import _violations
from tests.editing_site import Site

PASSWORD = "un mot de passe pour les doublons"


@pytest.fixture(scope="module")
def site(mirror, ban, tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("duplicates-ui"), mirror, GEOSERVICE_BAN_URL=ban.url)
    made.set_password("editor@example.fr", PASSWORD)
    yield made
    made.stop()


def pick_bellefontaine(form) -> None:  # noqa: ANN001
    form.get_by_label("Chercher l'adresse").fill("bellefontaine")
    form.get_by_role("button", name="Chercher", exact=True).click()
    form.get_by_role("button", name="Station Bellefontaine 31100 Toulouse").click()


def test_a_resident_is_told_before_sending(site, open_page):
    rec = open_page(site.url + "/")
    page = rec.page
    page.wait_for_selector("body[data-propose=ready]", state="attached")
    page.locator("#propose-place").click()
    form = page.locator("#contrib-form")
    form.get_by_label("Nom du lieu").fill("Le Fil")
    form.get_by_label("Je ne sais pas").check()
    pick_bellefontaine(form)
    page.locator("#contrib-send").click()
    page.locator("#dup-box").wait_for()
    assert page.evaluate("document.activeElement.id") == "dup-heading"
    box = page.locator("#dup-box").inner_text()
    assert "Ce lieu existe peut-être déjà" in box and "Le FIL" in box
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "propose-duplicate.png"), full_page=True)
    assert _violations(page) == []
    # « C'est un autre lieu » sends it anyway
    page.locator("#dup-distinct").click()
    page.locator("#contrib-follow").wait_for()

    # another resident: « C'est le même lieu » sends nothing and shows the place
    rec2 = open_page(site.url + "/")
    page2 = rec2.page
    page2.wait_for_selector("body[data-propose=ready]", state="attached")
    page2.locator("#propose-place").click()
    form2 = page2.locator("#contrib-form")
    form2.get_by_label("Nom du lieu").fill("Le FIL")
    form2.get_by_label("Je ne sais pas").check()
    pick_bellefontaine(form2)
    page2.locator("#contrib-send").click()
    page2.locator(".dup-same").first.click()
    page2.locator("#dup-thanks").wait_for()
    assert "déjà sur la carte" in page2.locator("#dup-thanks").inner_text()
    assert _violations(page2) == []


def test_an_editor_gets_the_candidates_from_the_409(site, open_page):
    rec = open_page(site.url + "/")
    page = rec.page
    page.locator("#login-open").click()
    page.locator("#login-email").fill("editor@example.fr")
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    page.wait_for_selector("body[data-editor=ready]", state="attached", timeout=15_000)

    def fill() -> None:
        page.locator("#editor-layer").select_option("hebergement")
        page.locator("#editor-add").click()
        page.locator("#editor-heading").wait_for()
        page.locator("#ed-lon").fill("1.3998")  # 10 m from Le FIL (lieux totems)
        page.locator("#ed-lat").fill("43.5667")
        page.locator("#ed-nom").fill("Le FIL")
        page.locator("#ed-type").select_option("tiers_lieu")
        page.locator("#ed-statut").select_option("ouvert")
        page.locator("#ed-source").fill("test automatique (données synthétiques)")
        page.locator("#ed-precision").select_option("quartier")
        page.locator("#ed-save").click()
        page.locator("#dup-box").wait_for()

    fill()
    assert page.evaluate("document.activeElement.id") == "dup-heading"
    assert "Le FIL" in page.locator("#dup-box").inner_text()
    assert _violations(page) == []
    # the same place: the existing one opens for editing, nothing is created
    page.locator(".dup-same").first.click()
    page.locator("#editor-heading").wait_for()
    page.wait_for_function("document.getElementById('ed-nom') && "
                           "document.getElementById('ed-nom').value.indexOf('FIL') >= 0")
    assert page.locator("#editor-heading").inner_text() == "Modifier — Le FIL"
    assert "sel=lieux_totems:lt-le-fil" in page.url  # its card is open on the map
    names = [f["properties"]["nom"] for f in httpx.get(
        f"{site.url}/api/collections/hebergement/items", params={"limit": 5000}
    ).json()["features"]]
    assert "Le FIL" not in names
    # another place after all: saved with Geoservice-Duplicate: distinct
    page.locator("#editor-add").click()
    fill()
    page.locator("#dup-distinct").click()
    page.get_by_text("Enregistré : version 1").wait_for()
    names = [f["properties"]["nom"] for f in httpx.get(
        f"{site.url}/api/collections/hebergement/items", params={"limit": 5000}
    ).json()["features"]]
    assert names.count("Le FIL") == 1
