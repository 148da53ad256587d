"""Browser fixtures: Debian's chromium driven by Playwright (never a browser download).

Every page records all the requests it makes and every console error, so tests can check
that nothing leaves 127.0.0.1 and that the map logs no error.
"""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from geoservice.settings import REPO_ROOT, Settings
from tests.conftest import TOULOUSE, LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-default-apps", "--disable-extensions"]
ARTIFACTS = REPO_ROOT / "test-artifacts"
XSS = "<img src=x onerror=alert(1)>"


def launch(playwright):  # noqa: ANN001, ANN201 — shared with bench/
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@dataclass
class Recorded:
    """A page plus what it asked for and what it complained about."""

    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        """Requests to anything but 127.0.0.1 (file://, data: and blob: URLs are local)."""
        out = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "file", "about"):
                continue
            if parsed.hostname != "127.0.0.1":
                out.append(url)
        return out


def _record(page) -> Recorded:  # noqa: ANN001
    recorded = Recorded(page)
    page.on("request", lambda request: recorded.requests.append(request.url))
    page.on("console", lambda msg: msg.type == "error" and recorded.errors.append(msg.text))
    page.on("pageerror", lambda exc: recorded.errors.append(f"pageerror: {exc}"))

    def _dialog(dialog) -> None:  # noqa: ANN001
        recorded.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", _dialog)
    return recorded


@pytest.fixture
def open_page(browser):
    """``open_page(url, width=1280, height=800)`` → Recorded, in a fresh browser context."""
    contexts = []

    def _open(url: str, width: int = 1280, height: int = 800, wait_ready: bool = True,
              **context_options) -> Recorded:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      **context_options)
        contexts.append(context)
        page = context.new_page()
        recorded = _record(page)
        page.goto(url)
        if wait_ready:
            page.wait_for_selector("body[data-ready=true]", state="attached", timeout=30_000)
        return recorded

    yield _open
    for context in contexts:
        context.close()


def xss_layers(tmp: Path) -> Path:
    """A copy of layers/ whose projets include a located feature named like an XSS payload."""
    layers = tmp / "layers"
    shutil.copytree(REPO_ROOT / "layers", layers)
    path = layers / "projets.geojson"
    data = json.loads(path.read_text("utf-8"))
    located = next(f for f in data["features"] if f["geometry"])
    evil = copy.deepcopy(located)
    evil["properties"].update({"id": "prj-xss", "nom": XSS, "description": XSS,
                               "porteurs": [XSS], "defi": ["inclusion"]})
    evil["geometry"] = {"type": "Point", "coordinates": [1.4420600, 43.5797500]}  # Empalot
    data["features"].append(evil)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return layers


@pytest.fixture(scope="session")
def xss_server(tmp_path_factory, mirror, ban):
    """A live server whose store holds the XSS payload (own layers copy and pull)."""
    tmp = tmp_path_factory.mktemp("xss")
    base = Settings(data_dir=tmp / "var", sources=str(mirror), territoire=TOULOUSE,
                    layers_dir=xss_layers(tmp))
    from geoservice.sources.pull import pull

    pull(base)
    settings = base.model_copy(update={"ban_url": ban.url, "tiles_url": None})
    with LiveServer(settings) as server:
        yield server

