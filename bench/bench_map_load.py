"""Benchmark: first load of the web map ``/`` in Debian's headless Chromium.

Figures, for a cold load (new browser context, empty cache), tiles off:

* bytes transferred (encoded body + headers, from the DevTools protocol), gzip on — and,
  side by side, the same page with compression refused (``Accept-Encoding: identity``);
* time to interactive on loopback: from navigation start to the moment the map has drawn
  every layer and bound its handlers (``performance.now()`` when ``app.js`` marks
  ``body[data-ready]``), median of several runs; DOMContentLoaded and load for reference.

Targets (issue 5): < 500 KB transferred, < 2 s to interactive. The light map for partners'
sites (``/embed``, issue 29) is measured in the same run: target ≤ 150 KB.

Usage::

    .venv/bin/python bench/bench_map_load.py [--mirror ../shared/data] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


EMBED = "/embed?couches=qpv,lieux_totems,projets&qpv=QN03107M"  # a partner's usual link


def one_load(browser, url: str, compress: bool, path: str = "/") -> dict:  # noqa: ANN001
    headers = {} if compress else {"Accept-Encoding": "identity"}
    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  extra_http_headers=headers)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, float] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"],
                                                                  e["request"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url + path)
    page.wait_for_selector("body[data-ready=true]", state="attached", timeout=60_000)
    page.wait_for_load_state("networkidle")
    ready_ms = float(page.get_attribute("body", "data-ready-ms"))
    timing = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
    import json

    nav = json.loads(timing)
    outside = [u for u in urls.values() if not u.startswith(url) and not u.startswith("data:")]
    context.close()
    return {"bytes": sum(sizes.values()), "requests": len(sizes), "ready_ms": ready_ms,
            "dcl_ms": nav["domContentLoadedEventEnd"], "load_ms": nav["loadEventEnd"],
            "outside": outside}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", default=os.environ.get("GEOSERVICE_SOURCES",
                                                           str(REPO.parent / "shared" / "data")))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from geoservice.settings import Settings
    from geoservice.sources.pull import pull
    from tests.conftest import LiveServer

    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp:
        settings = Settings(data_dir=Path(tmp), sources=args.mirror, tiles_url=None)
        pull(settings)
        with LiveServer(settings) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=ARGS)
            one_load(browser, server.url, True)  # warm the server (first-request imports)
            results = {mode: [one_load(browser, server.url, mode == "gzip")
                              for _ in range(args.runs)] for mode in ("gzip", "identity")}
            embed = {mode: [one_load(browser, server.url, mode == "gzip", EMBED)
                            for _ in range(args.runs)] for mode in ("gzip", "identity")}
            browser.close()
    print(f"First load of / — Toulouse Métropole, tiles off, {args.runs} cold runs each, "
          f"{os.cpu_count()} CPU, Chromium headless on 127.0.0.1")
    print(f"{'':<28}{'gzip on':>14}{'gzip off':>14}")
    rows = [
        ("bytes transferred (KB)", lambda r: r["bytes"] / 1024, "{:.0f}"),
        ("requests", lambda r: r["requests"], "{:.0f}"),
        ("interactive, median (ms)", lambda r: r["ready_ms"], "{:.0f}"),
        ("DOMContentLoaded (ms)", lambda r: r["dcl_ms"], "{:.0f}"),
        ("load event (ms)", lambda r: r["load_ms"], "{:.0f}"),
    ]
    for label, pick, fmt in rows:
        cells = [fmt.format(statistics.median(pick(r) for r in results[m]))
                 for m in ("gzip", "identity")]
        print(f"{label:<28}{cells[0]:>14}{cells[1]:>14}")
    worst = max(r["ready_ms"] for r in results["gzip"])
    print(f"worst interactive with gzip: {worst:.0f} ms")
    kb = statistics.median(r["bytes"] for r in results["gzip"]) / 1024
    print(f"targets: < 500 KB → {'OK' if kb < 500 else 'MISSED'} ; "
          f"< 2000 ms → {'OK' if worst < 2000 else 'MISSED'}")
    print()
    print(f"Light map for partners {EMBED}, same runs (target: first load ≤ 150 KB)")
    print(f"{'':<28}{'/embed gzip':>14}{'/ gzip':>14}{'/embed no gzip':>16}")
    for label, pick, fmt in rows:
        cells = [fmt.format(statistics.median(pick(r) for r in runs))
                 for runs in (embed["gzip"], results["gzip"], embed["identity"])]
        print(f"{label:<28}{cells[0]:>14}{cells[1]:>14}{cells[2]:>16}")
    kb = statistics.median(r["bytes"] for r in embed["gzip"]) / 1024
    print(f"target: ≤ 150 KB → {'OK' if kb <= 150 else 'MISSED'}")
    results = {m: results[m] + embed[m] for m in results}
    outside = {u for m in results.values() for r in m for u in r["outside"]}
    print("requests outside 127.0.0.1:", sorted(outside) or "none")


if __name__ == "__main__":
    main()
