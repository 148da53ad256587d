"""What the contract tests share: rows, points, and a seeded store."""

from __future__ import annotations

import shapely

from geoservice.storage import ReferenceLoad, Row


def point(x: float, y: float) -> bytes:
    return shapely.to_wkb(shapely.Point(x, y))


def row(fid: str, name: str, x: float = 1.4, y: float = 43.6) -> Row:
    return Row(fid, {"id": fid, "nom": name, "defi": ["inclusion"], "n": 3}, point(x, y))


def seed(storage, qpv=("QN1", "QN2"), places=("a", "b")) -> dict[str, int]:
    load = ReferenceLoad(
        reference={"qpv": [row(c, f"QPV {c}") for c in qpv]},
        editable={"lieux": [row(p, f"Lieu {p}") for p in places]},
        provenance={"qpv": {"feature_count": len(qpv)}, "lieux": {"seeded_at": "x"}},
    )
    return storage.features.load(load)
