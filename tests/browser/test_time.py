"""The Diagnostic tab over time in Chromium: the ranking at a past date (« au 30/06/2022 »,
what was dated said above it, downloads at that date) and a QPV's « Évolution » (an SVG
chart with the same figures as a table); axe finds nothing."""

from __future__ import annotations

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import _violations
from tests.browser.test_map import wait_until


def test_ranking_at_a_date_and_a_qpv_evolution(live_server, open_page, client):
    rec = open_page(live_server.url + "/")
    page = rec.page
    page.click("#tab-diag")
    page.locator("#diag-table tbody tr").first.wait_for()
    assert page.locator("#diag-when").count() == 0  # today's ranking says no date
    page.fill("#diag-date", "2022-06-30")
    page.locator("#diag-date").dispatch_event("change")
    page.locator("#diag-when").wait_for()
    assert page.locator("#diag-when").inner_text() == "Classement au 30/06/2022"
    header = page.locator("#diag-header").inner_text()
    assert "Lieux et projets datés : 0" in header  # the mirror's places carry no dates
    assert "périmètres des QPV 2024" in header
    wait_until(page, "document.getElementById('dl-csv').href.indexOf('date=2022-06-30') >= 0")
    for link_id in ("dl-csv", "dl-geojson"):
        href = page.get_attribute(f"#{link_id}", "href")
        assert client.get("/" + href).status_code == 200, href
    ranking = client.get("/api/analysis/underserved", params={"date": "2022-06-30"}).json()
    first = ranking["items"][0]
    page.locator("#diag-table tbody button").first.click()
    page.locator("#detail .diag-reasons").wait_for()
    toggle = page.locator("#detail button", has_text="Évolution")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    chart = page.locator("#evo-box svg[role=img]")
    chart.wait_for()
    evolution = client.get("/api/analysis/evolution", params={"qpv": first["code_qp"]}).json()
    rows = page.locator("#evo-box table tbody tr")
    assert rows.count() == len(evolution["series"]) == 6
    last = evolution["series"][-1]
    cells = rows.last.locator("td").all_inner_texts()
    assert cells[0] == ("—" if last["rank"] is None else str(last["rank"]))
    assert cells[2] == str(last["answers"])
    assert page.locator("#evo-box svg title").text_content().startswith("Rang")
    assert page.locator("#evo-box svg circle").count() == sum(
        1 for s in evolution["series"] if s["rank"] is not None)
    assert "Aucun lieu ni besoin daté n'a bougé" in page.locator("#evo-box").inner_text()
    assert _violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#detail").screenshot(path=str(ARTIFACTS / "time-evolution.png"))
    # back to today
    page.click("#diag-date-reset")
    wait_until(page, "!document.getElementById('diag-when')")
    assert _violations(page) == []
    assert rec.errors == [] and rec.outside() == []
