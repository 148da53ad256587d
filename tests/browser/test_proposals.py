"""Residents propose, moderators decide, in headless Chromium against a real `geoservice
serve`: on a 375 px phone a resident reports a need (address from the BAN stand-in) and
follows it by its secret link; a moderator reviews it side by side, accepts it, and the
need appears on the map and in its QPV's diagnosis. A proposal whose text carries script
never runs, in the moderation screen, the map or the folium report map. Axe: no violation
on the new screens."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import _violations
from tests.editing_site import Site

PASSWORD = "un mot de passe de modération"
HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>'
PHONE = {"width": 375, "height": 740, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def site(mirror, ban, tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("proposals-ui"), mirror, GEOSERVICE_BAN_URL=ban.url)
    made.set_password("moderator@example.fr", PASSWORD)
    yield made
    made.stop()


def test_a_need_from_a_phone_to_the_diagnosis(site, open_page):
    # -- a resident, on a phone, no account ----------------------------------------------------
    rec = open_page(site.url + "/", **PHONE)
    page = rec.page
    page.wait_for_selector("body[data-propose=ready]", state="attached")
    page.locator("#propose-need").click()
    assert page.evaluate("document.activeElement.id") == "contrib-heading"
    form = page.locator("#contrib-form")
    form.get_by_label("Le besoin en quelques mots").fill("Épicerie solidaire " + HOSTILE)
    form.get_by_label("Alimentation durable").check()
    form.get_by_label("Décrivez le besoin").fill("Pas de magasin abordable à pied. " + HOSTILE)
    # sent without a position: the form says what is missing, next to the field
    page.locator("#contrib-send").click()
    page.locator("#pr-geometry-err").wait_for()
    assert "carte" in page.locator("#pr-geometry-err").inner_text()
    assert page.evaluate("document.activeElement.id") == "contrib-errors"
    form.get_by_label("Chercher l'adresse").fill("bellefontaine")
    form.get_by_role("button", name="Chercher", exact=True).click()
    form.get_by_role("button", name="Station Bellefontaine 31100 Toulouse").click()
    assert "Bellefontaine" in form.locator(".chosen").inner_text()
    form.get_by_label("Repéré par").select_option("maison_des_citoyens")
    form.get_by_label("Contact (facultatif)").fill("voisine@example.org")
    assert _violations(page) == []
    page.locator("#contrib-send").click()
    page.locator("#contrib-follow").wait_for()
    assert page.evaluate("document.activeElement.id") == "contrib-heading"
    follow = page.locator("#contrib-follow").get_attribute("href")
    assert "#suivi=p-" in follow
    assert _violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "proposal-sent-375.png"), full_page=True)
    # nothing public yet
    public = httpx.get(f"{site.url}/api/collections/besoins/items").json()["features"]
    assert not public

    # the proposer follows it (a fresh page, from the secret link)
    rec_follow = open_page(follow, **PHONE)
    status = rec_follow.page.locator("#follow-status")
    status.wait_for()
    assert "En attente de relecture" in status.inner_text()
    assert "voisine@example.org" not in rec_follow.page.content()

    # -- a moderator ------------------------------------------------------------------------------
    rec_mod = open_page(site.url + "/", **PHONE)  # moderators on a phone too
    mod = rec_mod.page
    mod.locator("#login-open").click()
    mod.locator("#login-email").fill("moderator@example.fr")
    mod.locator("#login-password").fill(PASSWORD)
    mod.locator("#login-password").press("Enter")
    for part in ("moderation", "verify", "imports"):  # every staff screen in place
        mod.wait_for_selector(f"body[data-{part}=ready]", state="attached", timeout=15_000)
    assert mod.evaluate("document.documentElement.scrollWidth") <= 375  # nothing overflows
    mod.locator("#mod-show").click()
    mod.locator("#mod-queue").wait_for()
    assert HOSTILE in mod.locator("#mod-queue").inner_text()  # shown as text
    mod.locator("#mod-queue").get_by_role("button", name="Examiner").first.click()
    mod.locator("#mod-compare").wait_for()
    compare = mod.locator("#mod-compare").inner_text()
    # the QPV and the commune by their names, never their codes (issue 28)
    assert "Grand Mirail" in compare and "Maison des Citoyens" in compare, compare
    assert "QN03107M" not in compare and "31555" not in compare, compare
    assert mod.locator("#mod-compare tr.differs").count() >= 5  # a new feature: all fields
    assert "voisine@example.org" in mod.locator("#editor-work").inner_text()  # moderators only
    assert mod.locator("#mod-map path").count() == 1  # the proposed point (nothing published)
    assert _violations(mod) == []
    mod.screenshot(path=str(ARTIFACTS / "moderation-review.png"), full_page=True)
    mod.locator("#mod-accept").click()
    mod.get_by_text("Proposition acceptée et publiée.").first.wait_for()
    besoins = httpx.get(f"{site.url}/api/collections/besoins/items").json()["features"]
    assert len(besoins) == 1 and besoins[0]["properties"]["qpv"] == "QN03107M"
    assert "voisine@example.org" not in str(besoins)
    fid = besoins[0]["id"]

    # in the QPV's diagnosis (the moderator's page), then on the resident's map
    mod.locator("#tab-diag").click()
    mod.locator("#diag-table tbody tr").first.wait_for()
    mod.locator("#diag-table").get_by_role("button", name="Grand Mirail").click()
    detail = mod.locator("#detail")
    detail.wait_for()
    text = detail.inner_text()
    assert "besoin Alimentation durable signalé" in text
    assert "Épicerie solidaire" in text and HOSTILE in text
    needs = detail.locator("ul.needs").inner_text()  # the QPV's open needs, listed
    assert "Épicerie solidaire" in needs and "Alimentation durable" in needs
    assert _violations(mod) == []

    # the proposer sees it accepted; the resident's map shows it
    rec_after = open_page(follow, **PHONE)
    rec_after.page.locator("#follow-status").wait_for()
    assert "Acceptée" in rec_after.page.locator("#follow-status").inner_text()
    rec_after.page.get_by_role("button", name="Voir sur la carte").click()
    rec_after.page.locator("#detail-title").wait_for()
    assert HOSTILE in rec_after.page.locator("#detail-title").inner_text()
    marker = rec_after.page.locator(".leaflet-marker-icon[title^='Épicerie solidaire']")
    marker.wait_for()
    assert marker.count() == 1

    # the folium report map of the QPV carries the need: its text never runs either
    rec_report = open_page(f"{site.url}/api/maps/qpv/QN03107M.html", wait_ready=False)
    rec_report.page.wait_for_load_state("load")
    rec_report.page.wait_for_timeout(500)

    for recorded in (rec, rec_follow, rec_mod, rec_after, rec_report):
        assert recorded.dialogs == [], recorded.dialogs
        assert recorded.page.locator("img[src=x]").count() == 0
        assert recorded.page.evaluate("window.__xss === undefined")
    assert fid


def test_problem_report_from_a_card_and_a_rejection(site, open_page):
    editor = httpx.post(f"{site.url}/api/collections/hebergement/items", headers=site.auth(
        "editor"), json={"type": "Feature", "geometry": {"type": "Point", "coordinates": [
            1.4420600, 43.5797500]}, "properties": {
            "nom": "Lieu d'essai signalé", "type": "tiers_lieu", "defi": ["inclusion"],
            "statut": "ouvert", "precision": "adresse",
            "source": "test automatique (données synthétiques)"}})
    assert editor.status_code == 201
    fid = editor.json()["id"]
    rec = open_page(f"{site.url}/#map=17/43.57975/1.44206&sel=hebergement:{fid}", **PHONE)
    page = rec.page
    page.locator("#detail-title").wait_for()
    page.locator("#detail").get_by_role("button", name="Signaler un problème").click()
    assert page.evaluate("document.activeElement.id") == "contrib-heading"
    page.locator("#contrib-form").get_by_label("N'existe plus").check()
    page.locator("#contrib-form").get_by_label("Précisez").fill("Fermé depuis l'été " + HOSTILE)
    assert _violations(page) == []
    page.locator("#contrib-send").click()
    page.locator("#contrib-follow").wait_for()
    follow = page.locator("#contrib-follow").get_attribute("href")

    moderator = site.client("moderator")
    queue = moderator.get("/api/proposals?kind=report").json()["proposals"]
    assert [p["target"] for p in queue] == [fid]
    done = moderator.post(f"/api/proposals/{queue[0]['id']}/reject",
                          json={"message": "Toujours ouvert : vérifié " + HOSTILE})
    assert done.status_code == 200
    rec2 = open_page(follow, **PHONE)
    rec2.page.locator("#follow-message").wait_for()
    assert HOSTILE in rec2.page.locator("#follow-message").inner_text()
    assert "Refusée" in rec2.page.locator("#follow-status").inner_text()
    for recorded in (rec, rec2):
        assert recorded.dialogs == [] and recorded.errors == []
