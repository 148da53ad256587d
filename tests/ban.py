"""A local stand-in for the BAN geocoder (api-adresse), answering ``/search/`` and
``/reverse/`` in GeoCodeJSON as documented. Its entries are test fixtures (synthetic
labels on real coordinates), not data of the product."""

from __future__ import annotations

import json
import math
import unicodedata

from tests.stub_server import StubServer

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

# /search/csv/ answers, by folded query: lon, lat, label, score, score of the runner-up,
# match type, citycode. Synthetic labels on real coordinates (test fixtures, not data).
CSV_ANSWERS = {
    "10 rue des essais 31000 toulouse": (1.44435, 43.60426, "10 Rue des Essais 31000 Toulouse",
                                         0.95, 0.41, "housenumber", "31555"),
    "3 rue du doute 31100 toulouse": (1.39967, 43.56665, "3 Rue du Doute 31100 Toulouse", 0.55,
                                      0.30, "housenumber", "31555"),
    "avenue des rues 31400 toulouse": (1.44206, 43.57975, "Avenue des Rues 31400 Toulouse",
                                       0.86, 0.40, "street", "31555"),
    "5 place du doublon 31000 toulouse": (1.4433, 43.6045, "5 Place du Doublon 31000 Toulouse",
                                          0.90, 0.87, "housenumber", "31555"),
    "12 rue de loin 75010 paris": (2.36154, 48.86948, "12 Rue de Loin 75010 Paris", 0.96,
                                   0.30, "housenumber", "75110"),
}
CSV_COLUMNS = ["latitude", "longitude", "result_label", "result_score", "result_score_next",
               "result_type", "result_id", "result_housenumber", "result_name",
               "result_street", "result_postcode", "result_city", "result_context",
               "result_citycode", "result_oldcitycode", "result_oldcity", "result_district",
               "result_status"]


def search_csv(content_type: str, body: bytes) -> tuple[int, bytes, str]:
    """``POST /search/csv/`` as documented: multipart ``data`` (a CSV file), ``columns``
    (the columns forming the query); the CSV comes back with the ``result_*`` columns."""
    import csv
    import io
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, list[bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields.setdefault(name, []).append(part.get_payload(decode=True))
    if "data" not in fields:
        return 400, b'{"code": 400, "message": "data manquant"}', JSON
    columns = [c.decode() for c in fields.get("columns", [])]
    reader = csv.DictReader(io.StringIO(fields["data"][0].decode("utf-8")))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*(reader.fieldnames or []), *CSV_COLUMNS])
    for row in reader:
        query = " ".join(row[c] for c in columns) if columns else " ".join(row.values())
        found = CSV_ANSWERS.get(_fold(query))
        if found is None:
            extra = [""] * (len(CSV_COLUMNS) - 1) + ["not-found"]
        else:
            lon, lat, label, score, runner, kind, citycode = found
            extra = [lat, lon, label, score, runner, kind, "x", "", label, "", "", "", "",
                     citycode, "", "", "", "ok"]
        writer.writerow([*row.values(), *extra])
    return 200, out.getvalue().encode("utf-8"), "text/csv; charset=utf-8"


class BanStandIn(StubServer):
    """Context manager: ``with BanStandIn() as ban: ban.url``. ``fail=True`` answers 503."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__(self._answer, self._post)
        self.fail = fail

    def _post(self, path: str, content_type: str, body: bytes) -> tuple[int, bytes, str]:
        if self.fail:
            return 503, json.dumps({"error": "unavailable"}).encode(), JSON
        if path != "/search/csv/":
            return 404, b"{}", JSON
        return search_csv(content_type, body)

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
