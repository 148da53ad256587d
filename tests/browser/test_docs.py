"""The API documentation page renders from local assets under the strict CSP."""


def test_swagger_ui_renders_offline(live_server, open_page):
    recorded = open_page(f"{live_server.url}/docs", wait_ready=False)
    page = recorded.page
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/collections/{collectionId}/items" in p for p in paths)
    assert len(paths) >= 10
    assert recorded.outside() == []
    assert [e for e in recorded.errors if "Content Security Policy" in e] == []
    assert recorded.errors == []
