"""Issue 29 in Debian's Chromium: a partner's page (its own origin on 127.0.0.1) frames
``/embed`` when GEOSERVICE_EMBED_ORIGINS lists it, and cannot frame the full map; another
site cannot frame either. axe finds nothing on the light map nor in the « Partager /
intégrer » dialog, whose <iframe> code shows the map it describes."""

from __future__ import annotations

import http.server
import re
import threading
import time

import pytest

from tests.browser.test_accessibility import _violations
from tests.browser.test_map import wait_until
from tests.conftest import LiveServer
from tests.servers import free_port
from tests.stub_server import StubServer


def _partner_page(frame_url: str) -> bytes:
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Partenaire'
            f'</title></head><body><h1>Site partenaire</h1><iframe id="carte" src="{frame_url}"'
            f' title="Carte" width="800" height="500"></iframe></body></html>').encode()


@pytest.fixture(scope="module")
def sites(toulouse_settings, ban):
    """The service, a partner it allows, and another site it does not."""
    pages: dict[str, bytes] = {}

    def answer(path: str, query: dict[str, str]) -> tuple[int, bytes, str]:
        return (200, pages.get(path, b"absent"), "text/html; charset=utf-8")

    partner_port = free_port()
    with StubServer(answer) as other:
        settings = toulouse_settings.model_copy(update={
            "ban_url": ban.url, "tiles_url": None,
            "embed_origins": [f"http://127.0.0.1:{partner_port}"]})
        with LiveServer(settings) as service:
            embed = f"{service.url}/embed?couches=qpv,lieux_totems,projets&qpv=QN03107M"
            pages["/embed"] = _partner_page(embed)
            pages["/full"] = _partner_page(f"{service.url}/")
            class Partner(http.server.BaseHTTPRequestHandler):
                def log_message(self, *args: object) -> None:
                    pass

                def do_GET(self) -> None:  # noqa: N802
                    body = pages.get(self.path, b"absent")
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            server = http.server.ThreadingHTTPServer(("127.0.0.1", partner_port), Partner)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield {"service": service.url, "partner": f"http://127.0.0.1:{partner_port}",
                       "other": other.url}
            finally:
                server.shutdown()
                server.server_close()


def _frame_ready(page) -> bool:  # noqa: ANN001
    frame = page.frame_locator("#carte")
    try:
        frame.locator("body[data-ready=true]").wait_for(state="attached", timeout=15_000)
        return True
    except Exception:  # noqa: BLE001 — a blocked frame never gets there
        return False


def _frame_refused(recorded) -> bool:  # noqa: ANN001
    """Chromium says it refused the frame (CSP frame-ancestors or X-Frame-Options), and the
    frame's page never ran: waited for the browser's message, not for a timeout."""
    said = ("frame-ancestors", "X-Frame-Options")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if any(word in error for error in recorded.errors for word in said):
            break
        recorded.page.wait_for_timeout(100)
    else:
        return False
    frame = recorded.page.frame_locator("#carte")
    try:
        frame.locator("body[data-ready=true]").wait_for(state="attached", timeout=1_000)
    except Exception:  # noqa: BLE001 — a refused frame never gets there
        return True
    return False


def test_the_partner_frames_the_light_map_not_the_full_map(sites, open_page):
    allowed = open_page(sites["partner"] + "/embed", wait_ready=False)
    assert _frame_ready(allowed.page)
    frame = allowed.page.frame_locator("#carte")
    assert "Grand Mirail" in frame.locator("#embed-title").inner_text()
    assert int(frame.locator("#embed-count").inner_text()) >= 1
    assert allowed.outside() == [] and not [e for e in allowed.errors
                                             if "frame-ancestors" in e]
    blocked = open_page(sites["partner"] + "/full", wait_ready=False)
    assert _frame_refused(blocked)  # the full map keeps 'self' / SAMEORIGIN


def test_a_site_not_listed_cannot_frame_the_light_map(sites, open_page):
    other = open_page(sites["other"] + "/embed", wait_ready=False)
    assert _frame_refused(other)


def test_light_map_alone_is_accessible_and_small(sites, open_page):
    recorded = open_page(sites["service"] + "/embed?couches=qpv,lieux_totems,projets,"
                         "structures_ess&defi=inclusion")
    page = recorded.page
    assert page.locator("#embed-title").inner_text() == "ESS — Défi Inclusion économique et " \
        "sociale"
    page.locator(".embed-list summary").click()
    assert _violations(page) == []
    assert recorded.errors == [] and recorded.outside() == []
    # only the properties the popups say were asked for (OGC `properties=`)
    items = [u for u in recorded.requests if "/items" in u]
    assert items and all("properties=" in u for u in items)


def test_share_dialog_gives_the_link_and_iframe_code(sites, open_page):
    recorded = open_page(sites["service"] + "/#defi=inclusion")
    page = recorded.page
    page.locator("#share-open").click()
    page.locator("#share-dialog").wait_for()
    wait_until(page, "document.activeElement.id === 'share-link'")
    assert _violations(page) == []
    code = page.locator("#share-code").input_value()
    match = re.fullmatch(r'<iframe src="([^"]+)" title="[^"]+" width="100%" height="480" '
                         r'style="border:0" loading="lazy"></iframe>', code)
    assert match, code
    src = match.group(1).replace("&amp;", "&")
    assert src.startswith(sites["service"] + "/embed?couches=") and "defi=inclusion" in src
    page.keyboard.press("Escape")
    page.locator("#share-dialog").wait_for(state="detached")
    assert page.evaluate("document.activeElement.id") == "share-open"
    shown = open_page(src)  # the code's address draws the map it describes
    assert shown.page.locator("#embed-title").inner_text().startswith("ESS — Défi")
    assert shown.errors == []
