"""The « Agenda » tab in headless Chromium against a real `geoservice serve`, at 320 px and
by keyboard: the coming events by week and by month, the Mois de l'ESS highlighted in
November, the Défi filter, « Ajouter à mon agenda » (a real .ics), an event linked to its
place's card and Le FIL's card listing its next events, past events in the archive, a
hostile event name shown as text; axe finds nothing. Every event here is synthetic."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from icalendar import Calendar

from tests.browser.conftest import ARTIFACTS, XSS
from tests.browser.test_accessibility import _violations
from tests.browser.test_map import wait_until
from tests.editing_site import Site

PHONE = {"width": 320, "height": 640, "is_mobile": True, "has_touch": True}
ITEMS = "/api/collections/evenements/items"
TODAY = date.today()
TUESDAY = TODAY + timedelta(days=(1 - TODAY.weekday()) % 7 or 7)
NOVEMBER = TODAY.year + 1 if TODAY.month >= 11 else TODAY.year
PAST = TODAY - timedelta(days=40)


def _event(name: str, **props) -> dict:  # noqa: ANN003
    geometry = props.pop("geometry", None)
    return {"type": "Feature", "geometry": geometry, "properties": {
        "nom": name, "defi": [], "source": "test automatique (synthétique)", **props}}


@pytest.fixture(scope="module")
def site(mirror, tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("agenda-ui"), mirror)
    editor = made.client("editor")
    events = [
        _event("Petit dej du FIL (test)", debut=f"{TUESDAY}T08:30:00+01:00",
               fin=f"{TUESDAY}T10:00:00+01:00", rrule="FREQ=WEEKLY;COUNT=4",
               lieu="lieux_totems/lt-le-fil", defi=["inclusion"], type_evenement="rencontre"),
        _event("Forum du réemploi (test)", debut=f"{NOVEMBER}-11-12T18:00:00+01:00",
               defi=["economie_circulaire"], type_evenement="forum", commune="31555",
               precision="adresse",
               geometry={"type": "Point", "coordinates": [1.4437, 43.6045]}),
        _event("Visite passée (test)", debut=PAST.isoformat(), journee_entiere=True,
               statut_evenement="annule", type_evenement="visite",
               lieu="lieux_totems/lt-le-fil"),
        _event(XSS, debut=f"{TUESDAY}T12:00:00+01:00", lieu="lieux_totems/lt-le-fil"),
    ]
    for body in events:
        done = editor.post(ITEMS, json=body)
        assert done.status_code == 201, done.text
    yield made
    made.stop()


def _press(page, selector: str) -> None:  # noqa: ANN001
    page.locator(selector).focus()
    page.keyboard.press("Enter")


def test_agenda_tab_by_keyboard_at_320px(site, open_page):
    recorded = open_page(site.url + "/", **PHONE)
    page = recorded.page
    page.locator("#tab-map").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # Carte → Diagnostic → Agenda
    assert page.evaluate("document.activeElement.id") == "tab-agenda"
    page.wait_for_selector("body[data-agenda=ready]", state="attached", timeout=20_000)
    coming = page.locator("#agenda-coming")
    weekly = coming.locator(".event", has_text="Petit dej du FIL (test)")
    assert weekly.count() == 4  # one per week
    assert coming.locator(".agenda-group-box").first.locator("h4").inner_text() \
        .startswith("Semaine du ")
    assert coming.get_by_text(XSS).count() == 1  # shown as text, never parsed
    assert coming.locator("img").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert _violations(page) == []

    # by month: November is the Mois de l'ESS
    page.locator("#agenda-group-month").focus()
    page.keyboard.press("Space")
    wait_until(page, "document.querySelector('#agenda-coming .mois-ess') !== null")
    november = coming.locator("section.mois-ess")
    assert "Forum du réemploi (test)" in november.inner_text()
    assert "Mois de l'ESS" in november.locator("h4").inner_text()
    assert page.locator("#agenda-mois-ess").is_visible()
    assert _violations(page) == []

    # the Défi filter, and the subscription follows it
    page.locator("#agenda-defi").select_option("economie_circulaire")
    wait_until(page, "document.querySelectorAll('#agenda-coming .event').length === 1")
    assert "economie_circulaire" in page.locator("#agenda-subscribe").get_attribute("href")
    link = coming.locator("a.ics").first.get_attribute("href")
    answer = httpx.get(f"{site.url}/{link}")
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(answer.content).walk("VEVENT")] \
        == ["Forum du réemploi (test)"]
    page.locator("#agenda-defi").select_option("")
    wait_until(page, "document.querySelectorAll('#agenda-coming .event').length === 6")

    # past events: in the archive
    _press(page, "#agenda-archive summary")
    wait_until(page, "document.querySelectorAll('#agenda-past .event').length === 1")
    assert "Visite passée (test)" in page.locator("#agenda-past").inner_text()
    assert "Annulé" in page.locator("#agenda-past").inner_text()
    page.screenshot(path=str(ARTIFACTS / "agenda-320.png"), full_page=True)

    # an event → its place's card, which lists its next events
    place = page.get_by_role("button", name="Voir le lieu : Le FIL").first
    place.focus()
    page.keyboard.press("Enter")
    page.locator("#detail").wait_for()
    assert page.locator("#detail-title").inner_text() == "Le FIL"
    wait_until(page, "document.querySelectorAll('#detail .next-events .event').length > 0")
    next_events = page.locator("#detail .next-events").inner_text()
    assert "Prochains événements ici" in next_events and "Petit dej du FIL (test)" in next_events
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert _violations(page) == []
    assert recorded.dialogs == [] and recorded.errors == [] and recorded.outside() == []
