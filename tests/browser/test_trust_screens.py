"""Screens staff can trust (issue 28), in headless Chromium against a real `geoservice
serve` on both stores: a 412 merged field by field (the other tab's « Fermé » kept when the
user edits another field; only a field both changed is asked), with axe at 0 on the new
state."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import _violations
from tests.editing_site import site_on

PASSWORD = "un mot de passe assez long"
CAPITOLE = [1.4433, 43.6045]
NAME = "Tiers-lieu de test (données synthétiques)"


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def site(request, mirror, ban, tmp_path_factory):
    made = site_on(request, mirror, tmp_path_factory, "trust-screens",
                   GEOSERVICE_BAN_URL=ban.url)
    made.set_password("editor@example.fr", PASSWORD)
    yield made
    made.stop()


def log_in(page) -> None:  # noqa: ANN001
    page.locator("#login-open").click()
    page.locator("#login-email").fill("editor@example.fr")
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    page.wait_for_selector("body[data-editor=ready]", state="attached", timeout=15_000)


def _place(site) -> str:  # noqa: ANN001
    """A place made over the API (synthetic test data), version 1."""
    made = httpx.post(f"{site.url}/api/collections/hebergement/items", json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": CAPITOLE},
        "properties": {"nom": NAME, "type": "tiers_lieu",
                       "defi": ["economie_circulaire"], "statut": "ouvert",
                       "precision": "adresse", "commune": "31555",
                       "source": "test automatique (données synthétiques)"}},
        headers=site.auth("editor"))
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _patch(site, fid: str, version: int, props: dict) -> None:  # noqa: ANN001
    """The other tab: a moderator's merge-patch on top of ``version``."""
    import json

    done = httpx.patch(f"{site.url}/api/collections/hebergement/items/{fid}",
                       content=json.dumps({"properties": props}),
                       headers={**site.auth("moderator"), "If-Match": f'"{version}"',
                                "Content-Type": "application/merge-patch+json"})
    assert done.status_code == 200, done.text


def _open_form(page, name: str) -> None:  # noqa: ANN001
    """The place's card from the search box, then « Modifier »."""
    page.locator("#search").fill(name)
    page.locator("#search").press("Enter")
    page.locator("#search-results").get_by_text(name).first.click()
    page.locator("#detail").get_by_role("button", name="Modifier").click()
    page.locator("#ed-statut").wait_for()


def test_a_conflict_keeps_the_other_tabs_change_and_asks_only_what_both_changed(
        site, open_page):
    fid = _place(site)
    rec = open_page(site.url + "/#map=15/43.6045/1.4433")
    page = rec.page
    log_in(page)

    # the case: another tab closes the place (« Fermé ») while the user, who read
    # version 1, edits the description only; saving keeps « Fermé »
    _open_form(page, NAME)
    _patch(site, fid, 1, {"statut": "ferme"})
    page.locator("#ed-description").fill("Ouvert le samedi (saisie de test)")
    page.locator("#ed-save").click()
    page.get_by_text("Enregistré : version 3").wait_for()
    said = page.locator("#status").inner_text()
    assert "Statut (Fermé)" in said, said
    stored = httpx.get(f"{site.url}/api/collections/hebergement/items/{fid}").json()
    assert stored["properties"]["statut"] == "ferme"
    assert stored["properties"]["description"] == "Ouvert le samedi (saisie de test)"

    # both change the name, the other tab also the status: only the name is asked
    page.locator("#search").fill("")
    _open_form(page, NAME)
    _patch(site, fid, 3, {"nom": "Nom choisi dans l'autre onglet", "statut": "a_venir"})
    page.locator("#ed-nom").fill("Nom choisi par l'éditeur")
    page.locator("#ed-save").click()
    page.locator("#conflict-heading").wait_for()
    assert page.evaluate("document.activeElement.id") == "conflict-heading"
    asked = page.locator("#conflict fieldset")
    assert asked.count() == 1 and "Nom" in asked.inner_text()
    assert "Nom choisi dans l'autre onglet" in asked.inner_text()
    assert "Statut (À venir)" in page.locator("#conflict-kept").inner_text()
    assert "a_venir" not in page.locator("#conflict").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"editor-conflict-merge-{site.database_url and 'pg'}.png"))
    assert _violations(page) == []
    page.locator("#conflict-nom-mine").check()
    page.locator("#conflict-save").click()
    page.get_by_text("Enregistré : version 5").wait_for()
    stored = httpx.get(f"{site.url}/api/collections/hebergement/items/{fid}").json()
    assert stored["properties"]["nom"] == "Nom choisi par l'éditeur"
    assert stored["properties"]["statut"] == "a_venir"
    assert stored["properties"]["description"] == "Ouvert le samedi (saisie de test)"
    # the two 412 answers are the only console lines (Chromium logs every 4xx resource)
    assert [e for e in rec.errors if "status of 412" not in e] == [] and rec.outside() == []
