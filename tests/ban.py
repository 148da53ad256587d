"""A local stand-in for the BAN geocoder (api-adresse), answering ``/search/`` and
``/reverse/`` in GeoCodeJSON as documented. Its entries are test fixtures (synthetic
labels on real coordinates), not data of the product."""

from __future__ import annotations

import json
import math
import unicodedata

from .stub_server import StubServer

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


JSON = "application/json; charset=utf-8"


class BanStandIn(StubServer):
    """Context manager: ``with BanStandIn() as ban: ban.url``. ``fail=True`` answers 503."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__(self._answer)
        self.fail = fail

    def _answer(self, path: str, query: dict[str, str]) -> tuple[int, bytes, str]:
        if self.fail:
            return 503, json.dumps({"error": "unavailable"}).encode(), JSON
        if path == "/search/" and query.get("q"):
            body = search(query["q"], int(query.get("limit", 5)))
        elif path == "/reverse/" and "lon" in query and "lat" in query:
            body = reverse(float(query["lon"]), float(query["lat"]))
        else:
            return 400, json.dumps({"code": 400, "message": "paramètres invalides"}).encode(), JSON
        return 200, json.dumps(body).encode(), JSON
