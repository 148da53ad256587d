"""Checking imported open data in headless Chromium against a real `geoservice serve` on
the real mirror: unverified places are drawn and labelled apart ("non vérifié · source,
année"); an editor verifies one from its card, seeing its likely duplicate (La Serre and
IF – Les Imaginations Fertiles, 27 allée Maurice Sarraut); a moderator verifies and
discards in bulk from the "À vérifier" list; the history says who and why."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.test_accessibility import _violations
from tests.editing_site import Site

PASSWORD = "un mot de passe pour vérifier"


@pytest.fixture(scope="module")
def site(mirror, ban, tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("verify-ui"), mirror, GEOSERVICE_BAN_URL=ban.url)
    made.set_password("editor@example.fr", PASSWORD)
    made.set_password("moderator@example.fr", PASSWORD)
    yield made
    made.stop()


def log_in(page, email: str) -> None:  # noqa: ANN001
    page.locator("#login-open").click()
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    page.wait_for_selector("body[data-verify=ready]", state="attached", timeout=15_000)


def item(site: Site, layer: str, fid: str) -> httpx.Response:
    return httpx.get(f"{site.url}/api/collections/{layer}/items/{fid}")


def test_unverified_places_are_said_and_drawn_apart(site, open_page):
    rec = open_page(site.url + "/#map=18/43.594005/1.421281&sel=hebergement:tl2019-14")
    page = rec.page
    page.locator("#detail-title").wait_for()
    note = page.locator("#detail .unverified-note").inner_text()
    assert note.startswith("non vérifié") and "2019" in note and "CGET" in note
    assert page.locator(".ess-marker.unverified").count() >= 1
    assert "non vérifié" in page.locator("#defi-legend").inner_text()
    assert _violations(page) == []


def test_editor_verifies_from_the_card(site, open_page):
    rec = open_page(site.url + "/#map=18/43.594005/1.421281")
    page = rec.page
    log_in(page, "editor@example.fr")
    page.locator("#search").fill("La Serre")
    page.locator("#search").press("Enter")
    page.locator("#search-results").get_by_role("button", name="La Serre").first.click()
    page.locator("#detail-title").wait_for()
    detail = page.locator("#detail")
    detail.locator(".verify-button").wait_for()
    detail.locator(".dup", has_text="IF- Les Imaginations Fertiles").wait_for()  # the server's rule
    assert detail.locator(".discard-button").count() == 0  # an editor may not delete
    assert _violations(page) == []
    detail.locator(".verify-button").click()
    page.locator("#status", has_text="Vérifié : La Serre").wait_for()
    got = item(site, "hebergement", "tl2019-14").json()["properties"]
    assert got["verification"] == "verifie"
    history = httpx.get(f"{site.url}/api/collections/hebergement/items/tl2019-14/history",
                        headers=site.auth("editor")).json()["versions"]
    assert history[0]["author"] == "editor@example.fr" and history[0]["changed"] == [
        "verification"]
    assert history[-1]["author"] == "import"


def test_moderator_verifies_and_discards_in_bulk(site, open_page):
    rec = open_page(site.url + "/")
    page = rec.page
    log_in(page, "moderator@example.fr")
    page.locator("#verify-show").click()
    page.locator("#verify-list").wait_for()
    title = page.locator("#verify-list-title").inner_text()
    assert "objet(s) à vérifier" in title
    page.locator("li[data-feature='hebergement:tl2019-611'] input").check()
    page.locator("#verify-bulk").click()
    page.locator("#verify-outcome").wait_for()
    assert "Fait : 1" in page.locator("#verify-outcome").inner_text()
    # discarding needs a reason
    page.locator("li[data-feature='hebergement:tl2019-1070'] input").check()
    page.locator("#discard-bulk").click()
    assert "motif" in page.locator("#verify-result").inner_text()
    page.locator("#verify-reason").fill("doublon de La Cantine Toulouse")
    page.locator("#discard-bulk").click()
    page.locator("#verify-outcome").wait_for()
    assert item(site, "hebergement", "tl2019-611").json()["properties"][
        "verification"] == "verifie"
    assert item(site, "hebergement", "tl2019-1070").status_code == 404
    history = httpx.get(f"{site.url}/api/collections/hebergement/items/tl2019-1070/history",
                        headers=site.auth("moderator")).json()["versions"]
    assert history[0]["op"] == "delete" and history[0]["reason"] == (
        "doublon de La Cantine Toulouse")
    assert _violations(page) == []
    # the list filtered by commune and source, then a merge of a likely duplicate
    page.locator("#verify-commune").select_option("31555")
    page.locator("#verify-filters button[type=submit]").click()
    page.locator("li[data-feature='hebergement:tl2019-1075']").wait_for()
    assert "Source : CGET" in page.locator("li[data-feature='hebergement:tl2019-1075']"
                                           ).inner_text()
    page.locator("li[data-feature='hebergement:tl2019-1075'] .merge-button").first.click()
    page.locator("#verify-outcome", has_text="Fusionné dans").wait_for()
    moved = httpx.get(f"{site.url}/api/collections/hebergement/items/tl2019-1075",
                      follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["Location"].endswith("/tl2019-751")
    assert _violations(page) == []
    assert rec.dialogs == [] and rec.errors == []
