"""The web map in a real headless Chromium (Debian's), against a real server on 127.0.0.1."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, XSS

pytestmark = pytest.mark.browser

QPV_STROKE = 'path[stroke="#c0392b"]'


def wait_until(page, expression: str, tries: int = 100) -> None:  # noqa: ANN001
    """Poll a JS expression from outside the page (the page's CSP forbids eval-based waits)."""
    for _ in range(tries):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    pytest.fail(f"never true: {expression}")


def center(page) -> tuple[float, float, float]:  # noqa: ANN001
    """(zoom, lat, lon) from the deep-link hash the map keeps up to date."""
    match = re.search(r"map=(\d+)/(-?[\d.]+)/(-?[\d.]+)", page.evaluate("location.hash"))
    assert match, page.evaluate("location.hash")
    return float(match[1]), float(match[2]), float(match[3])


def test_first_load_draws_16_qpv_without_leaving_loopback(live_server, open_page):
    rec = open_page(live_server.url + "/")
    page = rec.page
    assert page.locator(QPV_STROKE).count() == 16
    assert page.locator("#layer-qpv").is_checked()
    assert page.locator("#territory").inner_text() == "Toulouse Métropole"
    page.wait_for_load_state("networkidle")
    assert rec.errors == []
    assert rec.outside() == []
    assert any("/api/collections/qpv/items" in url for url in rec.requests)
    assert not any("tile" in url for url in rec.requests)  # tiles off: none requested


def test_click_place_opens_details_with_precision(live_server, open_page):
    rec = open_page(live_server.url + "/#map=15/43.56665/1.39967")
    page = rec.page
    page.locator('.leaflet-marker-icon[title="Le FIL"]').click()
    popup = page.locator("#detail")
    popup.wait_for()
    text = popup.inner_text()
    assert "Le FIL" in text
    assert "Position approximative : quartier" in text
    assert "Station de métro Bellefontaine" in text
    assert "sel=lieux_totems:lt-le-fil" in page.evaluate("location.hash")
    assert rec.errors == []


def test_search_empalot_moves_the_map_there(live_server, open_page, toulouse_store):
    rec = open_page(live_server.url + "/")
    page = rec.page
    page.fill("#search", "Empalot")
    page.press("#search", "Enter")
    # the QPV (local) and the BAN address (through the stand-in) are both offered
    page.locator("#search-results button", has_text="Avenue d'Empalot").wait_for()
    page.locator("#search-results button", has_text="Quartiers prioritaires").first.click()
    page.locator("#detail", has_text="Empalot").wait_for()
    qpv = toulouse_store.collections["qpv"]
    minx, miny, maxx, maxy = qpv.frame.geometry.iloc[qpv.position("QN03109M")].bounds
    wait_until(page, "location.hash.indexOf('sel=qpv:QN03109M') >= 0")
    wait_until(page, "+(location.hash.match(/map=(\\d+)/) || [0, 0])[1] >= 13")
    zoom, lat, lon = center(page)
    assert zoom >= 13
    # the whole QPV is in view (the view is shifted to leave room for the details panel)
    width, height = page.evaluate("[document.getElementById('map').clientWidth, "
                                  "document.getElementById('map').clientHeight]")
    half_lon = width / 2 * 360 / (256 * 2 ** zoom)
    half_lat = height / 2 * 360 / (256 * 2 ** zoom) * 0.72  # cos(43.6°)
    assert lon - half_lon <= minx and maxx <= lon + half_lon
    assert lat - half_lat <= miny and maxy <= lat + half_lat
    assert rec.errors == [] and rec.outside() == []


def test_am_i_in_a_qpv_names_grand_mirail(live_server, open_page):
    rec = open_page(live_server.url + "/")
    page = rec.page
    page.fill("#check-address", "bellefontaine")
    page.press("#check-address", "Enter")
    answer = page.locator("#check-result .answer")
    answer.wait_for()
    assert "Grand Mirail" in answer.inner_text()
    assert answer.inner_text().startswith("Oui")
    result = page.locator("#check-result").inner_text()
    assert "Station Bellefontaine" in result  # the address the geocoder found
    assert "Le FIL" in result                 # nearest ESS place, with a distance
    assert rec.errors == [] and rec.outside() == []


def test_device_location_answers_too(live_server, open_page):
    rec = open_page(live_server.url + "/", geolocation={"latitude": 43.5797, "longitude": 1.4421},
                    permissions=["geolocation"])
    page = rec.page
    page.click("#check-locate")
    answer = page.locator("#check-result .answer")
    answer.wait_for()
    assert "Empalot" in answer.inner_text()
    assert rec.errors == [] and rec.outside() == []


def test_deep_link_to_a_place_without_position_shows_its_card(live_server, open_page):
    rec = open_page(live_server.url + "/#sel=accompagnement:acc-dla")
    page = rec.page
    detail = page.locator("#detail")
    detail.wait_for()
    assert "DLA" in detail.inner_text() and "Position inconnue" in detail.inner_text()
    assert page.locator(".leaflet-marker-icon[title^='DLA']").count() == 0
    assert rec.errors == []


def test_list_view_is_operable_with_the_keyboard(live_server, open_page, toulouse_store):
    rec = open_page(live_server.url + "/#map=13/43.57/1.42")
    page = rec.page
    page.locator("#search").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('#in-view')"):
            break
    else:
        pytest.fail("Tab never reached the list of what is in view")
    name = page.evaluate("document.activeElement.firstChild.textContent")
    page.keyboard.press("Enter")
    popup = page.locator("#detail")
    popup.wait_for()
    assert name in popup.inner_text()
    # focus went into the details; Escape brings it back to the same entry of the list,
    # although the list was rebuilt when the map moved
    assert page.evaluate("document.activeElement.id") == "detail-title"
    page.wait_for_timeout(500)
    page.keyboard.press("Escape")
    wait_until(page, "!!document.activeElement.closest('#in-view')")
    assert page.evaluate("document.activeElement.firstChild.textContent") == name
    # places without a position: listed, reachable, shown as a card (not on the map)
    unlocated = page.locator("#unlocated button")
    without_geometry = sum(len(c) - len(c.located) for c in toulouse_store.collections.values()
                           if not c.layer.derived)
    assert without_geometry == 11  # 2 lieux totems, 7 accompagnement, 2 projets
    assert unlocated.count() == without_geometry
    unlocated.first.focus()
    page.keyboard.press("Enter")
    detail = page.locator("#detail")
    detail.wait_for()
    assert "Position inconnue" in detail.inner_text()
    assert rec.errors == []


def test_english_switch_and_deep_link_restore(live_server, open_page):
    rec = open_page(live_server.url + "/#map=14/43.5797/1.4420&sel=qpv:QN03109M&layers=qpv,projets")
    page = rec.page
    page.locator("#detail", has_text="Empalot").wait_for()
    assert not page.locator("#layer-communes").is_checked()
    assert page.locator("#layer-projets").is_checked()
    page.click("#lang")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#check-title").inner_text() == "Am I in a QPV?"
    assert "lang=en" in page.evaluate("location.hash")
    page.click("#lang")
    assert page.locator("#check-title").inner_text() == "Suis-je dans un QPV ?"
    assert rec.errors == []


def _serious(page) -> list[str]:  # noqa: ANN001
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_axe_finds_no_serious_violation(live_server, open_page):
    rec = open_page(live_server.url + "/#map=15/43.56665/1.39967")
    page = rec.page
    page.locator('.leaflet-marker-icon[title="Le FIL"]').click()
    page.locator("#detail").wait_for()
    page.wait_for_timeout(500)  # let the popup fade-in end: axe measures contrast with opacity
    assert _serious(page) == []


def test_phone_width_375_is_usable_and_screenshot_saved(live_server, open_page):
    rec = open_page(live_server.url + "/", width=375, height=740, is_mobile=True, has_touch=True)
    page = rec.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator(QPV_STROKE).count() == 16
    box = page.locator("#map").bounding_box()
    assert box["width"] >= 360 and box["height"] >= 300
    assert page.locator("#search").is_visible() and page.locator("#check-address").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-375.png"))
    assert (ARTIFACTS / "map-375.png").stat().st_size > 10_000
    assert _serious(page) == []
    assert rec.errors == []


def test_xss_payload_stays_text(xss_server, open_page):
    rec = open_page(xss_server.url + "/#map=16/43.57975/1.44206")
    page = rec.page
    marker = page.locator(f'.leaflet-marker-icon[title="{XSS}"]')
    marker.click()
    popup = page.locator("#detail")
    popup.wait_for()
    assert XSS in popup.inner_text()
    assert XSS in page.locator("#in-view").inner_text()
    page.fill("#search", "onerror")
    page.press("#search", "Enter")
    page.locator("#search-results button", has_text=XSS).wait_for()
    assert page.locator('img[src="x"]').count() == 0
    page.wait_for_timeout(300)
    assert rec.dialogs == []
    assert not any("alert" in e for e in rec.errors)


def test_xss_payload_stays_text_in_report_map(xss_server, open_page):
    rec = open_page(xss_server.url + "/api/maps/qpv/QN03109M.html", wait_ready=False)
    page = rec.page
    page.locator(".leaflet-container").wait_for()
    page.locator('path[stroke="#148f77"]:not([d="M0 0"])').last.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS in popup.inner_text()
    assert page.locator('img[src="x"]').count() == 0
    assert rec.dialogs == []


def test_report_map_works_offline_from_a_file(toulouse_settings, toulouse_store, tmp_path,
                                              open_page):
    from geoservice.maps.report import report_map

    settings = toulouse_settings.model_copy(update={"tiles_url": None})
    path = tmp_path / "carte.html"
    path.write_text(report_map(toulouse_store, settings, code_qp="QN03107M"), "utf-8")
    rec = open_page(path.as_uri(), wait_ready=False)
    page = rec.page
    page.locator(".leaflet-container").wait_for()
    assert page.locator(QPV_STROKE).count() >= 1          # the QPV polygon is drawn
    assert page.locator(".leaflet-tile").count() == 0     # tiles off
    assert "Grand Mirail" in page.locator(".gs-panel").inner_text()
    assert page.locator(".gs-label", has_text="Grand Mirail").count() == 1
    assert rec.errors == []
    assert rec.outside() == []
    assert all(url.startswith("file://") or url.startswith("data:") for url in rec.requests)


def test_diagnostic_tab_choropleth_ranking_and_downloads(live_server, open_page, client,
                                                         toulouse_store):
    rec = open_page(live_server.url + "/")
    page = rec.page
    page.click("#tab-diag")
    rows = page.locator("#diag-table tbody tr")
    rows.first.wait_for()
    ranking = client.get("/api/analysis/underserved").json()["items"]
    assert rows.count() == len(ranking) == 16
    legend = page.locator("#diag-legend").inner_text()
    assert "Besoin inconnu" in legend
    assert page.locator('path[fill="#bdbdbd"]').count() == sum(
        1 for item in ranking if item["score"] is None)
    assert "tab=diagnostic" in page.evaluate("location.hash")
    # what drives the ranking, the QPV to document first, and each rank's possible range
    header = page.locator("#diag-header").inner_text()
    assert "Ce qui fait vraiment le classement" in header
    assert "accès transports (métro, tram, train urbain)" in header
    # territory-wide facts said once, above the ranking
    assert "gares de la ligne C accessibles au tarif urbain" in header
    assert "Repère du territoire : taux de pauvreté moyen de ses QPV" in header
    assert "À documenter en priorité" in header and "rang possible 1" in header
    first_range = ranking[0]["rank_range"]
    expected = str(first_range[0]) if first_range[0] == first_range[1] else \
        f"{first_range[0]}–{first_range[1]}"
    assert rows.first.locator("td.range").inner_text().startswith(expected)
    assert ranking[0]["robustness"] in rows.first.locator("td.range").inner_text()
    # a row click zooms to the QPV and shows its reasons
    first = ranking[0]
    rows.first.locator("button").click()
    reasons = page.locator("#detail .diag-reasons")
    reasons.wait_for()
    assert first["lib_qp"] in page.locator("#detail h2").inner_text()
    assert first["reasons"][0] in reasons.inner_text()
    wait_until(page, "location.hash.indexOf('sel=qpv:" + first["code_qp"] + "') >= 0")
    qpv = toulouse_store.collections["qpv"]
    minx, miny, maxx, maxy = qpv.frame.geometry.iloc[qpv.position(first["code_qp"])].bounds
    # zoomed onto the QPV: the centre is shifted off a small QPV by the detail panel's
    # padding (the QPV stays visible beside it), so allow 0.015° (about 1.5 km) around it
    margin = 0.015
    inside = (f"(function (m) {{ return m && +m[1] >= 14 && {miny - margin} <= +m[2] && "
              f"+m[2] <= {maxy + margin} && {minx - margin} <= +m[3] && "
              f"+m[3] <= {maxx + margin}; }})"
              "(location.hash.match(/map=(\\d+)\\/([\\d.]+)\\/([\\d.]+)/))")
    wait_until(page, inside)
    # the Défi filter changes the ranking and the download links follow the selection
    page.select_option("#diag-defi", "alimentation_durable")
    wait_until(page, "location.hash.indexOf('defi=alimentation_durable') >= 0")
    for link_id, kind in (("dl-geojson", "geo+json"), ("dl-csv", "text/csv"),
                          ("dl-gpkg", "geopackage")):
        href = page.locator(f"#{link_id}").get_attribute("href")
        assert "defi=alimentation_durable" in href
        response = page.request.get(live_server.url + "/" + href)
        assert response.status == 200, href
        assert kind in response.headers["content-type"]
    assert _serious(page) == []
    assert rec.errors == [] and rec.outside() == []


@pytest.mark.parametrize("fragment", ["#sel=qpv:constructor", "#sel=__proto__:x",
                                      "#map=18/1e308/1e308", "#defi=constructor",
                                      "#sel=toString:valueOf&map=99/-400/900"])
def test_hostile_deep_links_are_ignored(live_server, open_page, fragment):
    rec = open_page(live_server.url + "/" + fragment)
    page = rec.page
    wait_until(page, "document.body.getAttribute('data-ready') === 'true'")
    assert rec.errors == []
    zoom, lat, lon = center(page)  # the hash is written again: the map is alive
    assert 0 <= zoom <= 20 and -90 <= lat <= 90 and -180 <= lon <= 180
    assert page.locator(QPV_STROKE).count() == 16


def test_offline_background_says_so_once_and_stops_asking(toulouse_settings, ban, open_page):
    from tests.conftest import LiveServer
    from tests.servers import free_port

    dead = free_port()  # nothing listens there: every tile fails, as offline
    settings = toulouse_settings.model_copy(update={
        "ban_url": ban.url, "tiles_url": f"http://127.0.0.1:{dead}/{{z}}/{{x}}/{{y}}.png"})
    with LiveServer(settings) as server:
        rec = open_page(server.url + "/#map=13/43.6/1.44")
        page = rec.page
        wait_until(page, "document.body.getAttribute('data-tiles') === 'off'")
        assert "Fond de carte indisponible" in page.locator("#status").inner_text()
        asked = sum(f":{dead}/" in url for url in rec.requests)
        page.mouse.wheel(0, -400)  # moving the map asks for no more tiles
        page.wait_for_timeout(1500)
        assert sum(f":{dead}/" in url for url in rec.requests) == asked
        assert page.locator(QPV_STROKE).count() == 16


def test_a_hostile_name_written_through_the_api_stays_text(xss_server, open_page):
    """Script written by an editor through Part 4 (not seeded) is shown as text on the map."""
    import httpx

    from geoservice.auth.accounts import add_user, create_token
    from geoservice.storage import open_store

    storage = open_store(xss_server.settings)
    try:
        add_user(storage.accounts, "redac@example.fr", "editor")
        token, _ = create_token(storage.accounts, "redac@example.fr")
    finally:
        storage.close()
    hostile = "<script>alert(2)</script><img src=y onerror=alert(3)>"
    made = httpx.post(f"{xss_server.url}/api/collections/hebergement/items", json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [1.4470, 43.5830]},
        "properties": {"nom": hostile, "description": hostile, "type": "tiers_lieu",
                       "defi": ["inclusion"], "statut": "ouvert", "precision": "adresse",
                       "source": "test automatique (données synthétiques)"}},
        headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201
    rec = open_page(xss_server.url + "/#map=17/43.5830/1.4470")
    page = rec.page
    page.locator(f'.leaflet-marker-icon[title="{hostile}"]').click()
    popup = page.locator("#detail")
    popup.wait_for()
    assert hostile in popup.inner_text()
    assert page.locator('img[src="y"]').count() == 0
    page.wait_for_timeout(300)
    assert rec.dialogs == [] and not any("alert" in e for e in rec.errors)
