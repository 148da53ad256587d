"""Memory under concurrent batch uploads (issue 13, item 5): 8 clients each POST a 50 MB
CSV to a real `geoservice serve`; the server's peak RSS stays under 1 GB and falls back
near idle afterwards."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import httpx

from tests.servers import Served, clean_env


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024
    return out


def test_eight_concurrent_50_mb_uploads_stay_under_1_gb(toulouse_settings):
    env = clean_env(GEOSERVICE_DATA_DIR=str(toulouse_settings.data_dir),
                    GEOSERVICE_TILES_URL="")
    with Served(env) as server:
        url = server.url
        httpx.get(url + "/api/lookup?lon=1.4&lat=43.6")  # the locator is built
        idle = _status(server.pid)["VmRSS"]
        comment = "x" * 480
        rows = [f"{n},{1.3 + (n % 400) / 1000:.4f},{43.5 + (n % 300) / 1000:.4f},{comment}"
                for n in range(100_000)]
        body = ("id,lon,lat,commentaire\n" + "\n".join(rows) + "\n").encode()
        assert len(body) > 50_000_000

        def upload(_n: int) -> int:
            response = httpx.post(url + "/api/lookup", content=body, timeout=600,
                                  headers={"Content-Type": "text/csv"})
            return response.status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(upload, range(8)))
        assert statuses == [200] * 8
        after = _status(server.pid)
        print(f"RSS idle {idle} MiB, peak {after['VmHWM']} MiB, after {after['VmRSS']} MiB")
        assert after["VmHWM"] < 1024
        assert after["VmRSS"] < idle + 200
