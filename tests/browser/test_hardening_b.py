"""The moderation screen pages the queue (issue 30): with more proposals than a page, the
heading says « 1–100 de N » and the next/prev buttons follow the API's links, in headless
Chromium against a real `geoservice serve`."""

from __future__ import annotations

import pytest

from tests.editing_site import Site

PASSWORD = "un mot de passe de modération"
QUEUED = 130


@pytest.fixture(scope="module")
def site(mirror, tmp_path_factory):
    from geoservice.editing.entities import Proposal
    from geoservice.settings import Settings
    from geoservice.storage import open_store

    made = Site(tmp_path_factory.mktemp("queue-ui"), mirror)
    made.set_password("moderator@example.fr", PASSWORD)
    storage = open_store(Settings(data_dir=made.work))
    try:
        for i in range(QUEUED):
            storage.proposals.add_proposal(Proposal(
                f"p-{i:010x}", "report", "lieux", None,
                f"2026-11-01T00:{i // 60:02d}:{i % 60:02d}.000+00:00", target=f"lieu-{i:03d}",
                problem="autre"), f"hash-{i}", "client:test")
    finally:
        storage.close()
    yield made
    made.stop()


def test_the_moderation_screen_pages_the_queue(site, open_page):
    page = open_page(site.url + "/").page
    page.locator("#login-open").click()
    page.locator("#login-email").fill("moderator@example.fr")
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    page.wait_for_selector("body[data-moderation=ready]", state="attached", timeout=15_000)
    page.locator("#mod-show").click()
    page.locator("#mod-queue").wait_for()
    heading = page.locator("#mod-queue-title")
    assert f"1–100 de {QUEUED}" in heading.inner_text()
    assert page.locator("#mod-queue li").count() == 100
    assert page.locator("#mod-prev").count() == 0
    page.locator("#mod-next").click()
    page.get_by_text(f"101–{QUEUED} de {QUEUED}").wait_for()
    items = page.locator("#mod-queue li")
    assert items.count() == QUEUED - 100
    assert items.first.get_attribute("data-proposal") == f"p-{100:010x}"
    assert page.locator("#mod-next").count() == 0
    page.locator("#mod-prev").click()
    page.get_by_text(f"1–100 de {QUEUED}").wait_for()
    assert page.locator("#mod-queue li").first.get_attribute("data-proposal") == f"p-{0:010x}"
