"""The web map's JavaScript is ES modules with its shared helpers defined once (issue 24).

Read from the files, no browser: the page's scripts are modules; no module is over 600
lines; translation, the problem+json text, the address search and the value labels each
live in exactly one module; no ``window.GS_*`` global is left; every import points to a
file that exists; and the residents' first load never pulls in a staff screen.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from geoservice.settings import REPO_ROOT

STATIC = REPO_ROOT / "static"
# Leaflet and Leaflet.markercluster ship UMD builds that set the global `L` (the
# markercluster build writes to `this`, undefined in a module): they stay classic scripts.
VENDORED = {"vendor/leaflet/leaflet.js", "vendor/markercluster/leaflet.markercluster.js"}
STATIC_IMPORT = re.compile(r"""\bimport\s*[\w{}\s,*$]+\s*from\s*["']([^"']+)["']""")
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*["']([^"']+)["']\s*\)""")  # a whole literal


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def _scripts() -> list[dict[str, str | None]]:
    parser = _Scripts()
    parser.feed((STATIC / "index.html").read_text("utf-8"))
    return parser.scripts


def _sources() -> dict[Path, str]:
    return {path: path.read_text("utf-8") for path in sorted(STATIC.rglob("*.js"))}


def _holding(pattern: str) -> list[str]:
    regex = re.compile(pattern)
    return [str(path.relative_to(STATIC)) for path, text in _sources().items()
            if regex.search(text)]


def test_every_script_of_the_page_is_a_module():
    scripts = _scripts()
    ours = [s for s in scripts if s.get("src") not in VENDORED]
    assert ours, "index.html loads no script of its own"
    for script in ours:
        assert script.get("type") == "module", script
        assert script.get("src"), "inline script"  # the CSP forbids them anyway
    assert [s["src"] for s in ours] == ["app.js"]  # one entry; the rest is imported
    assert {s.get("src") for s in scripts} - {"app.js"} == VENDORED


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(STATIC)): text.count("\n") for p, text in _sources().items()
            if text.count("\n") > 600}
    assert not long, long


def test_shared_helpers_are_defined_in_exactly_one_module():
    # translation: the one lookup function; no screen keeps its own tt()
    assert _holding(r"\bfunction\s+t\s*\(") == ["js/i18n.js"]
    assert _holding(r"\bfunction\s+tt\s*\(") == []
    # the text of a problem+json error (its detail, else its title)
    assert _holding(r"\.detail\s*\|\|") == ["js/api.js"]
    # the address search: the only module that calls the geocoding route
    assert _holding(r"api/geocode/search") == ["js/address-search.js"]
    # value labels: one vocabulary, the layers' YAML (through the map's configuration and
    # /schema): no screen lists coded values in words
    assert _holding(r"Hôtel d'entreprises") == []
    assert _holding(r"Atelier et chantier d'insertion") == []


def test_no_window_globals_between_scripts():
    assert _holding(r"\bGS_[A-Z]") == []
    assert _holding(r"window\s*\[") == []


def test_every_import_points_to_a_file():
    for path, text in _sources().items():
        for spec in STATIC_IMPORT.findall(text) + DYNAMIC_IMPORT.findall(text):
            assert spec.startswith("./") or spec.startswith("../"), (path, spec)
            assert (path.parent / spec).resolve().is_file(), (path, spec)
        # import("./js/" + part + ".js") in app.js: each part named there exists
        for part in re.findall(r'later\("(\w[\w-]*)"', text):
            assert (STATIC / "js" / f"{part}.js").is_file(), (path, part)


def test_residents_first_load_pulls_in_no_staff_screen():
    """Static imports from app.js (what the browser fetches before running it) stay out of
    js/staff/, and out of the parts loaded on demand."""
    seen: set[Path] = set()
    todo = [STATIC / "app.js"]
    while todo:
        path = todo.pop().resolve()
        if path in seen:
            continue
        seen.add(path)
        todo += [path.parent / spec for spec in STATIC_IMPORT.findall(path.read_text("utf-8"))]
    loaded = {str(p.relative_to(STATIC.resolve())) for p in seen}
    assert not {p for p in loaded if p.startswith("js/staff/")}, loaded
    on_demand = {"js/login.js", "js/search.js", "js/diagnostic.js", "js/address-search.js",
                 "js/propose-follow.js"}
    assert not loaded & on_demand, loaded & on_demand
    assert {"app.js", "js/i18n.js", "js/api.js", "js/labels.js", "js/map.js"} <= loaded
