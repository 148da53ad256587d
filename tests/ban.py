"""A local stand-in for the BAN geocoder (api-adresse), answering ``/search/`` and
``/reverse/`` in GeoCodeJSON as documented. Its entries are test fixtures (synthetic
labels on real coordinates), not data of the product."""

from __future__ import annotations

import json
import math
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# label, lon, lat, citycode, city, type
ENTRIES = [
    ("Station Bellefontaine 31100 Toulouse", 1.3996743, 43.5666473, "31555", "Toulouse", "street"),
    ("Avenue d'Empalot 31400 Toulouse", 1.4420600, 43.5797500, "31555", "Toulouse", "street"),
    ("Place du Capitole 31000 Toulouse", 1.4433, 43.6045, "31555", "Toulouse", "street"),
    ("Place de la Comédie 34000 Montpellier", 3.8799, 43.6086, "34172", "Montpellier", "street"),
]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("'", " ").split())


def _feature(entry: tuple, score: float) -> dict:
    label, lon, lat, citycode, city, kind = entry
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"label": label, "score": round(score, 4), "id": f"{citycode}_test",
                       "name": label.split(" 3")[0], "postcode": label.split()[-2],
                       "citycode": citycode, "city": city, "type": kind,
                       "x": 0, "y": 0, "context": "test"},
    }


def search(q: str, limit: int) -> dict:
    words = _fold(q).split()
    hits = []
    for entry in ENTRIES:
        label = _fold(entry[0])
        matched = sum(1 for w in words if w in label)
        if matched:
            hits.append((matched / max(len(words), 1), entry))
    hits.sort(key=lambda h: -h[0])
    return {"type": "FeatureCollection", "version": "draft", "query": q, "limit": limit,
            "attribution": "BAN", "licence": "ETALAB-2.0",
            "features": [_feature(e, 0.5 + s / 2) for s, e in hits[:limit]]}


def reverse(lon: float, lat: float) -> dict:
    best = min(ENTRIES, key=lambda e: math.hypot(e[1] - lon, e[2] - lat))
    return {"type": "FeatureCollection", "version": "draft", "attribution": "BAN",
            "licence": "ETALAB-2.0", "limit": 1, "features": [_feature(best, 0.99)]}


class BanStandIn:
    """Context manager: ``with BanStandIn() as ban: ban.url``. ``fail=True`` answers 503."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.queries: list[str] = []

    def __enter__(self) -> BanStandIn:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                outer.queries.append(self.path)
                if outer.fail:
                    return self._send(503, {"error": "unavailable"})
                if url.path == "/search/" and query.get("q"):
                    return self._send(200, search(query["q"], int(query.get("limit", 5))))
                if url.path == "/reverse/" and "lon" in query and "lat" in query:
                    return self._send(200, reverse(float(query["lon"]), float(query["lat"])))
                return self._send(400, {"code": 400, "message": "paramètres invalides"})

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
