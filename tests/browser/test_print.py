"""Issue 29, printouts through the print style sheet, in Debian's Chromium: the result of
« Suis-je dans un QPV ? » for a resident and a QPV's sheet for the staff are dated and
sourced; on paper (``emulate_media(print)``) the controls are hidden and the content shown;
``page.pdf()`` writes them to test-artifacts/. The browser's print dialog itself cannot open
headless: ``window.print`` is replaced by a counter, everything else is the real page."""

from __future__ import annotations

import re

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_map import wait_until

NO_DIALOG = "window.print = function () { window.__printed = (window.__printed || 0) + 1; };"
FIL = {"latitude": 43.5666473, "longitude": 1.3996743}  # Le FIL, in the Grand Mirail QPV
STAMP = re.compile(r"Établi le \d{1,2} \w+ \d{4} à \d\d:\d\d sur 127\.0\.0\.1:\d+")


def _visible(page, selector: str) -> bool:  # noqa: ANN001
    return page.locator(selector).first.is_visible()


def test_the_qpv_check_prints_dated_and_sourced(live_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, geolocation=FIL,
                                  permissions=["geolocation"])
    try:
        page = context.new_page()
        page.add_init_script(NO_DIALOG)
        page.goto(live_server.url + "/")
        page.wait_for_selector("body[data-ready=true]", state="attached", timeout=30_000)
        page.locator("#check-locate").click()
        page.locator("#check-result .answer").wait_for()
        assert "Grand Mirail" in page.locator("#check-result .answer").inner_text()
        page.locator("[data-print-kind=check]").click()
        wait_until(page, "window.__printed === 1")
        assert page.get_attribute("body", "data-print") == "check"
        page.emulate_media(media="print")
        meta = page.locator("#check-result .print-meta")
        assert meta.is_visible()
        text = meta.inner_text()
        assert STAMP.search(text), text
        assert "Sources : ANCT" in text and "millésime 2024" in text
        assert _visible(page, "#check-result .answer")
        nearest = page.locator("#check-result li").first
        assert nearest.is_visible() and "Le FIL" in nearest.inner_text()  # a place's name
        assert "Licence Licence" not in text
        for hidden in ("#check-form", "#check-locate", "[data-print-kind=check]", "#map",
                       "#search-form", "#layers", ".tabs", "#lang", "#share-open"):
            assert not _visible(page, hidden), hidden
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "verification-qpv.png"), full_page=True)
        pdf = page.pdf(path=str(ARTIFACTS / "verification-qpv.pdf"), format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
        page.emulate_media(media="screen")
        assert not meta.is_visible()  # on screen, the sources line stays for paper only
    finally:
        context.close()


def test_a_qpv_sheet_prints_its_diagnosis_map_sources_and_date(live_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.add_init_script(NO_DIALOG)
        page.goto(live_server.url + "/#tab=diagnostic&sel=qpv:QN03107M")
        page.wait_for_selector("body[data-ready=true]", state="attached", timeout=30_000)
        button = page.locator("#detail [data-print-kind=qpv]")
        button.wait_for(timeout=30_000)
        button.click()
        wait_until(page, "window.__printed === 1")
        assert page.get_attribute("body", "data-print") == "qpv"
        page.emulate_media(media="print")
        detail = page.locator("#detail")
        assert detail.is_visible()
        assert "Grand Mirail" in detail.locator("h2").inner_text()
        assert detail.locator(".diag-reasons h3").inner_text() == "Diagnostic du quartier"
        assert detail.locator(".reasons li").count() >= 1
        text = detail.locator(".print-meta").inner_text()
        assert STAMP.search(text), text
        assert "INSEE" in text and "ANCT" in text and "paramètres : Défi tous" in text
        box = page.locator("#map").bounding_box()
        assert box and box["height"] > 200 and box["width"] > 400  # the map is on the sheet
        assert page.locator("#map .leaflet-overlay-pane path").count() >= 1
        for hidden in ("#panel", "#detail-close", "[data-print-kind=qpv]", ".tabs",
                       ".leaflet-control-zoom"):
            assert not _visible(page, hidden), hidden
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "fiche-qpv-grand-mirail.png"), full_page=True)
        pdf = page.pdf(path=str(ARTIFACTS / "fiche-qpv-grand-mirail.pdf"), format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    finally:
        context.close()
