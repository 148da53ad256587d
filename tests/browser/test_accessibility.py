"""Accessibility as residents live it (RGAA 4.1 / WCAG 2.1 AA), keyboard only, in Debian's
Chromium at 1280×800, 375×740 and 320×640: details opened from the list, the search, the
nearest places and the ranking take the focus, stay open, fit the screen and give the
focus back on Escape; skip links; Leaflet's controls in the page's language; axe finds
nothing in any state tested."""

from __future__ import annotations

import pytest

from tests.browser.test_map import wait_until

SIZES = [(1280, 800), (375, 740), (320, 640)]
ACTIVE_IN_DETAIL = "!!document.activeElement.closest('#detail')"


def _violations(page) -> list[str]:  # noqa: ANN001
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


def _open(open_page, url: str, size: tuple[int, int]):  # noqa: ANN202
    width, height = size
    phone = width < 700
    return open_page(url, width=width, height=height, is_mobile=phone, has_touch=phone)


def open_details_from(page, opener, size: tuple[int, int]) -> None:  # noqa: ANN001
    """Enter on ``opener``: the details take the focus, stay 2 s, fit the viewport; Escape
    gives the focus back to the same control."""
    width, height = size
    opener.focus()
    key = page.evaluate("[document.activeElement.getAttribute('data-key'), "
                        "document.activeElement.textContent]")
    page.keyboard.press("Enter")
    page.locator("#detail").wait_for()
    wait_until(page, ACTIVE_IN_DETAIL)
    assert page.evaluate("document.activeElement.id") == "detail-title"
    page.wait_for_timeout(2000)  # it never closes by itself (the map may move meanwhile)
    assert page.locator("#detail").is_visible()
    assert page.evaluate(ACTIVE_IN_DETAIL)
    box = page.evaluate("(() => { const r = document.getElementById('detail')"
                        ".getBoundingClientRect(); const d = document.getElementById('detail');"
                        " return [r.left, r.right, r.top, d.scrollWidth, d.clientWidth]; })()")
    left, right, top, scroll_width, client_width = box
    assert left >= 0 and right <= width + 0.5, box  # never wider than the screen
    assert scroll_width <= client_width + 1, box     # nothing cut inside it
    assert -1 <= top < height, box                    # scrolled into view
    close = page.locator("#detail-close").bounding_box()
    assert close["x"] >= 0 and close["x"] + close["width"] <= width + 0.5
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.keyboard.press("Escape")
    assert page.locator("#detail").is_hidden()
    back = page.evaluate("[document.activeElement.getAttribute('data-key'), "
                         "document.activeElement.textContent]")
    assert back == key


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_details_from_the_list_search_nearest_and_ranking(live_server, open_page, size):
    rec = _open(open_page, live_server.url + "/#map=15/43.56665/1.39967", size)
    page = rec.page
    # 1. "Dans la vue": the longest card (Le FIL)
    open_details_from(page, page.locator("#in-view button", has_text="Le FIL"), size)
    # 2. search results: a QPV card (the widest kind)
    page.fill("#search", "Empalot")
    page.press("#search", "Enter")
    result = page.locator("#search-results button", has_text="Quartiers prioritaires").first
    result.wait_for()
    open_details_from(page, result, size)
    # 3. "Lieux ESS les plus proches" of an address
    page.fill("#check-address", "bellefontaine")
    page.press("#check-address", "Enter")
    nearest = page.locator("#check-result button", has_text="Le FIL")
    nearest.wait_for()
    open_details_from(page, nearest, size)
    assert _violations(page) == []
    # 4. the ranking of the Diagnostic tab
    page.locator("#tab-diag").click()
    row = page.locator("#diag-table tbody button").first
    row.wait_for()
    open_details_from(page, row, size)
    assert row.get_attribute("aria-current") == "true"  # the selected row says so
    in_view = page.evaluate("(() => { const r = document.activeElement.getBoundingClientRect();"
                            " return r.top >= 0 && r.bottom <= innerHeight; })()")
    assert in_view
    assert _violations(page) == []
    assert rec.errors == []


def test_a_marker_opens_its_details_with_the_keyboard_at_320(live_server, open_page):
    """The blocking case of the audit: Enter on a marker at 320 px."""
    rec = _open(open_page, live_server.url + "/#map=15/43.56665/1.39967", (320, 640))
    page = rec.page
    marker = page.locator('.leaflet-marker-icon[title="Le FIL"]')
    marker.focus()
    page.keyboard.press("Enter")
    page.locator("#detail").wait_for()
    page.wait_for_timeout(2000)
    assert page.locator("#detail").is_visible() and page.evaluate(ACTIVE_IN_DETAIL)
    assert "Le FIL" in page.locator("#detail h2").inner_text()
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.getAttribute('title')") == "Le FIL"
    # Space works as Enter on markers and on the zoom buttons
    page.keyboard.press(" ")
    page.locator("#detail").wait_for()
    page.keyboard.press("Escape")
    zoom = lambda: int(page.evaluate("location.hash.match(/map=(\\d+)/)[1]"))  # noqa: E731
    before = zoom()
    page.locator(".leaflet-control-zoom-in").focus()
    page.keyboard.press(" ")
    wait_until(page, f"+location.hash.match(/map=(\\d+)/)[1] === {before + 1}")
    assert rec.errors == []


def test_skip_links_reach_the_map_and_the_list(live_server, open_page):
    rec = open_page(live_server.url + "/")
    page = rec.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller à la carte"
    assert page.locator(".skip").first.is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "map"  # 1 Tab + Enter
    page = open_page(live_server.url + "/").page  # from the top again
    for _ in range(3):  # the third skip link
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller à la liste des lieux"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "list-title"
    # landmarks: the residents' tools are in main
    assert page.evaluate("!!document.querySelector('main #search') && "
                         "!!document.querySelector('main #map')")
    # the focus ring is at least 3:1 against white (dark blue, about 10:1)
    page.locator("#search").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineColor") == \
        "rgb(11, 61, 145)"


def test_languages_of_leaflet_controls_data_and_title(live_server, open_page):
    rec = open_page(live_server.url + "/#map=15/43.56665/1.39967")
    page = rec.page
    zoom_in = page.locator(".leaflet-control-zoom-in")
    assert zoom_in.get_attribute("title") == "Zoomer"
    assert page.locator(".leaflet-control-zoom-out").get_attribute("aria-label") == "Dézoomer"
    page.click("#lang")
    assert zoom_in.get_attribute("title") == "Zoom in"
    assert page.title() == "Map of the social economy and priority neighbourhoods"
    page.locator("#in-view button", has_text="Le FIL").click()
    page.locator("#detail").wait_for()
    # French data in the English page is marked as French
    assert page.locator("#detail h2").get_attribute("lang") == "fr"
    assert page.locator("#in-view button span[lang=fr]").count() > 0
    assert _violations(page) == []
    page.click("#lang")
    assert page.title() == "Carte de l'ESS et des quartiers prioritaires"


def test_plain_messages_for_short_searches_and_a_silent_geocoder(toulouse_settings, open_page):
    """Two letters: a plain sentence, no 'Paramètre invalide'; geocoder down: no 'BAN', and
    the other way to proceed (the device's position) offered at once."""
    from tests.conftest import LiveServer

    settings = toulouse_settings.model_copy(update={"ban_url": "http://127.0.0.1:9",
                                                    "tiles_url": None})
    with LiveServer(settings) as server:
        rec = open_page(server.url + "/", geolocation={"latitude": 43.5797,
                                                       "longitude": 1.4421},
                        permissions=["geolocation"])
        page = rec.page
        page.fill("#search", "Em")
        page.press("#search", "Enter")
        short = page.locator("#search-results", has_text="au moins 3 caractères")
        short.wait_for()
        assert "Paramètre" not in page.locator("#search-results").inner_text()
        page.fill("#check-address", "1 rue inconnue")
        page.press("#check-address", "Enter")
        page.locator("#check-result", has_text="ne répond pas").wait_for()
        text = page.locator("#check-result").inner_text()
        assert "BAN" not in text
        page.locator("#check-result button", has_text="Utiliser ma position").click()
        page.locator("#check-result .answer", has_text="Empalot").wait_for()
        assert _violations(page) == []
