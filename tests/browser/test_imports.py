"""The CSV import screen in headless Chromium against a real `geoservice serve` and the BAN
stand-in: an editor uploads a file, sees the sure / to review / rejected rows (the rows to
review drawn on the map), places one pin by hand, confirms another, applies; the layer
has the rows; axe finds no violation; text from the file never runs."""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_imports import CSV
from tests.browser.test_accessibility import _violations
from tests.editing_site import Site

PASSWORD = "un mot de passe pour importer"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def site(mirror, ban, tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("imports-ui"), mirror, GEOSERVICE_BAN_URL=ban.url)
    made.set_password("editor@example.fr", PASSWORD)
    yield made
    made.stop()


def test_editor_imports_reviews_and_applies(site, open_page, tmp_path):
    path = tmp_path / "pepinieres.csv"
    path.write_bytes(CSV.replace(b"Lieu douteux", HOSTILE.encode()))
    rec = open_page(site.url + "/")
    page = rec.page
    page.locator("#login-open").click()
    page.locator("#login-email").fill("editor@example.fr")
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    page.wait_for_selector("body[data-imports=ready]", state="attached", timeout=15_000)
    page.locator("#imp-layer").select_option("hebergement")
    page.locator("#imp-file").set_input_files(str(path))
    page.locator("#imp-id").fill("Identifiant")
    page.locator("#imp-send").click()
    page.locator("#imp-summary").wait_for()
    assert page.locator("#imp-summary").inner_text() == (
        "1 sûre(s), 4 à revoir, 4 rejetée(s), 0 écartée(s)")
    assert page.locator("#imp-review li").count() == 4
    assert HOSTILE in page.locator("#imp-review").inner_text()  # as text
    # the preview lists the row that will be written, and what it writes
    assert page.locator("#imp-write li").count() == 1
    assert "ajout : import.pepinieres.p1" in page.locator("#imp-write").inner_text()
    assert _violations(page) == []
    # place line 3 by hand, confirm line 4
    page.locator("#imp-review li[data-line='3']").get_by_role(
        "button", name="Placer à la main").click()
    page.locator("#imp-lon").fill("1.400100")
    page.locator("#imp-lat").fill("43.570100")
    page.locator("#imp-keep").click()
    page.locator("#imp-review li[data-line='3']", has_text="placée à la main").wait_for()
    page.locator("#imp-review li[data-line='4']").get_by_role(
        "button", name="Confirmer le point").click()
    page.locator("#imp-review li[data-line='4']", has_text="confirmée").wait_for()
    assert "3 sûre(s)" in page.locator("#imp-summary").inner_text()
    page.locator("#imp-apply").click()
    page.locator("#imp-applied").wait_for()
    assert "3 ajouté(s)" in page.locator("#imp-applied").inner_text()
    # the rows left to review (lines 5 and 6) stay in the import, said so
    assert "Restent à revoir : 2" in page.locator("#imp-applied").inner_text()
    assert page.locator("#imp-review li[data-line='6']").count() == 1
    assert page.locator("#imp-review li[data-line='5']").count() == 1
    assert "3 appliquée(s)" in page.locator("#imp-summary").inner_text()
    assert _violations(page) == []
    features = httpx.get(f"{site.url}/api/collections/hebergement/items",
                         params={"limit": 1000}).json()["features"]
    mine = {f["properties"]["source_id"]: f for f in features
            if f["properties"].get("source_id") in ("P1", "P2", "P3")}
    assert set(mine) == {"P1", "P2", "P3"}
    assert mine["P2"]["geometry"]["coordinates"] == [1.4001, 43.5701]
    assert mine["P2"]["properties"]["nom"] == HOSTILE
    assert rec.dialogs == [] and page.locator("img[src=x]").count() == 0
