"""The one likely-duplicate rule: is a feature (being created, proposed or imported) perhaps
a place the service already has? Used by Part 4 creation (409 ``doublon-probable``), the
residents' « Proposer un lieu » (``GET /api/duplicates``, before sending), the moderation
queue, each import row (held back for review) and the « à vérifier » list.

Two features are likely the same place when one of these holds (thresholds below):

- **same SIRET** (14 digits, spaces ignored);
- **same address**: number, street and commune equal once folded (accents, case,
  punctuation, « bis »/« ter », plural of the street kind ignored: « 27 Bis Allée Maurice
  Sarraut » and « 27 allées Maurice-Sarraut » are one address; a bis is usually another
  door of the same building, so staff are asked rather than left unaware);
- **same id in the source** (``source_id``) with a close name or within
  :data:`NAME_RADIUS_M`;
- **close names within** :data:`NAME_RADIUS_M`: names folded, stop words (« la », « le »,
  « les », « l' », « de », « du », « des »…) removed, then similar at
  :data:`NAME_SIMILARITY` or more (difflib's ratio), or the shorter name's words all in
  the longer one;
- **very close** (:data:`NEAR_M`) with a somewhat similar name (:data:`NEAR_SIMILARITY`).

Candidates are looked for in the same layer and, for ESS places, in the other place
layers (:data:`PLACE_GROUP`); only in the layers of :data:`CHECKED` (not the agenda).
Nothing here reads storage: the caller gives the features
(the read model's snapshot, or the rows of an import).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import NotFound
from ..words import fold

NAME_SIMILARITY = 0.85
"""Folded names at least this similar (0–1) are « close »."""
NAME_RADIUS_M = 300.0
"""Close names count only within this distance (the same place moved across the street,
geocoded at a street's middle…)."""
NEAR_M = 30.0
"""Within this distance, a name similar at :data:`NEAR_SIMILARITY` is enough."""
NEAR_SIMILARITY = 0.5
MAX_CANDIDATES = 5

PLACE_GROUP = ("lieux_totems", "hebergement", "accompagnement", "structures_ess")
"""ESS places: a duplicate may sit in another of these layers."""
CHECKED = (*PLACE_GROUP, "projets", "besoins")
"""Layers the rule applies to: places, projects, needs. Not the agenda: a monthly meeting
is many events of one name at one place."""

STOP_WORDS = frozenset({"la", "le", "les", "l", "de", "du", "des", "d", "un", "une", "et",
                        "a", "au", "aux", "en", "sur", "the", "of"})
"""Words that say nothing about which place it is (after folding: « l' » is « l »)."""
_STREET_PLURALS = {"allees": "allee", "avenues": "avenue", "boulevards": "boulevard",
                   "rues": "rue", "places": "place", "chemins": "chemin", "quais": "quai",
                   "av": "avenue", "bd": "boulevard", "bld": "boulevard", "pl": "place",
                   "che": "chemin", "imp": "impasse", "all": "allee"}
_SUFFIXES = frozenset({"bis", "ter", "quater", "b", "t"})

Neighbours = Callable[[str], Iterable[tuple[str, dict[str, Any], Any]]]
"""collection → its live features as (id, properties, shapely geometry in EPSG:4326)."""


def name_key(name: Any) -> str:
    """A name folded for comparison: « L'Atelier du 26 » → « atelier 26 »."""
    return " ".join(w for w in fold(str(name or "")).split() if w not in STOP_WORDS)


def name_similarity(a: str, b: str) -> float:
    """How alike two folded names (:func:`name_key`) are, 0–1: difflib's ratio, or 1 when
    every word of the shorter is in the longer (« cantine » and « cantine toulouse »)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    numbers_a = {w for w in a.split() if w.isdigit()}
    numbers_b = {w for w in b.split() if w.isdigit()}
    if numbers_a and numbers_b and numbers_a != numbers_b:
        return 0.0  # « Atelier du 26 » and « Atelier du 28 » are two places
    short, long = sorted((a.split(), b.split()), key=len)
    if short and all(len(w) >= 3 for w in short) and set(short) <= set(long):
        return 1.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def address_key(address: Any, commune: Any = None) -> str | None:
    """A street address folded for comparison (number, street, commune), or None without a
    number or a street: « 27 Bis Allée Maurice Sarraut » → « 27 allee maurice sarraut »;
    what follows a comma is the city (« 5 rue des Essais, Toulouse »), unless the comma
    follows the number (« 12, rue Caulet »)."""
    text = str(address or "")
    return _address_key(text.split(",")[0], commune) or _address_key(text, commune)


def _address_key(text: str, commune: Any) -> str | None:
    words = fold(text).split()
    if not words:
        return None
    # « 27bis » → « 27 bis »; drop a postcode and what follows (the city)
    out: list[str] = []
    for word in words:
        match = re.fullmatch(r"(\d+)([a-z]*)", word)
        if match and len(match.group(1)) == 5 and out:
            break
        if match:
            out.append(match.group(1))
            if match.group(2):
                out.append(match.group(2))
        else:
            out.append(_STREET_PLURALS.get(word, word))
    if not out or not out[0].isdigit():
        return None
    number, rest = out[0], [w for w in out[1:] if w not in _SUFFIXES and w not in STOP_WORDS]
    if not rest:
        return None
    return " ".join([number, *rest, str(commune or "")]).strip()


def siret_key(value: Any) -> str | None:
    digits = re.sub(r"\s", "", str(value or ""))
    return digits if re.fullmatch(r"\d{14}", digits) else None


def metres(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float | None:
    """Distance in metres between two lon/lat points (equirectangular: enough at a few
    kilometres)."""
    if a is None or b is None:
        return None
    lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(lat) * 6_371_000
    dy = math.radians(b[1] - a[1]) * 6_371_000
    return math.hypot(dx, dy)


def point_of(geometry: Any) -> tuple[float, float] | None:
    """(lon, lat) of a shapely geometry or a GeoJSON geometry (its representative point),
    None without one."""
    if geometry is None:
        return None
    if isinstance(geometry, dict):
        if geometry.get("type") == "Point":
            lon, lat = geometry["coordinates"][:2]
            return float(lon), float(lat)
        import shapely.geometry

        geometry = shapely.geometry.shape(geometry)
    if geometry.is_empty:
        return None
    point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
    return float(point.x), float(point.y)


@dataclass(frozen=True)
class Probe:
    """What is compared of one feature."""

    name: str
    address: str | None
    siret: str | None
    source_id: str | None
    point: tuple[float, float] | None

    @classmethod
    def of(cls, properties: dict[str, Any], geometry: Any) -> Probe:
        return cls(name_key(properties.get("nom")),
                   address_key(properties.get("adresse"), properties.get("commune")),
                   siret_key(properties.get("siret")),
                   str(properties.get("source_id") or "").strip() or None,
                   point_of(geometry))


def reasons(new: Probe, old: Probe) -> tuple[list[str], float | None]:
    """Why ``old`` may be the same place as ``new`` (French, empty: not a duplicate), and
    the distance between them in metres (None when one has no position)."""
    distance = metres(new.point, old.point)
    why: list[str] = []
    if new.siret and new.siret == old.siret:
        why.append("même SIRET")
    if new.address and new.address == old.address:
        why.append("même adresse")
    near = distance is not None and distance <= NAME_RADIUS_M
    same_source = bool(new.source_id) and new.source_id == old.source_id
    # names compared only where they matter (difflib is the costly part)
    similarity = name_similarity(new.name, old.name) if near or same_source else 0.0
    if same_source and (near or similarity >= 0.6):
        why.append("même identifiant dans la source")
    if near and similarity >= NAME_SIMILARITY:
        why.append(f"nom proche ({round(similarity * 100)} %)")
    elif distance is not None and distance <= NEAR_M and similarity >= NEAR_SIMILARITY:
        why.append("au même endroit, nom ressemblant")
    return why, distance


def group(collection: str) -> tuple[str, ...]:
    """The layers a feature of ``collection`` may have a duplicate in (its own first; none
    for a layer the rule does not apply to)."""
    if collection in PLACE_GROUP:
        return (collection, *(c for c in PLACE_GROUP if c != collection))
    return (collection,) if collection in CHECKED else ()


class Index:
    """The features a new one is compared with, read once (a grid of cells of at least
    :data:`NAME_RADIUS_M` at these latitudes for the distance rules, dictionaries for
    addresses, SIRET and source ids): an import of 100,000 rows compares each row with a
    few neighbours, not the whole layer."""

    CELL = 0.004  # degrees: ≈ 445 m in latitude, ≈ 320 m in longitude here (≥ 300 m)

    def __init__(self, features: Iterable[tuple[str, str, dict[str, Any], Any]]) -> None:
        self.items: list[tuple[str, str, dict[str, Any], Probe]] = []
        self.grid: dict[tuple[int, int], list[int]] = {}
        self.by_key: dict[tuple[str, str], list[int]] = {}
        for collection, fid, props, geometry in features:
            probe = Probe.of(props, geometry)
            n = len(self.items)
            self.items.append((collection, fid, props, probe))
            if probe.point is not None:
                self.grid.setdefault(self._cell(probe.point), []).append(n)
            for kind, value in (("a", probe.address), ("s", probe.siret),
                                ("i", probe.source_id)):
                if value:
                    self.by_key.setdefault((kind, value), []).append(n)

    @classmethod
    def of(cls, collection: str, neighbours: Neighbours) -> Index:
        return cls((c, fid, props, geom) for c in group(collection)
                   for fid, props, geom in _safe(neighbours, c))

    def _cell(self, point: tuple[float, float]) -> tuple[int, int]:
        return (math.floor(point[0] / self.CELL), math.floor(point[1] / self.CELL))

    def candidates(self, properties: dict[str, Any], geometry: Any,
                   exclude: Iterable[tuple[str, str]] = ()) -> list[dict[str, Any]]:
        """Likely duplicates of a feature: ``[{collection, id, nom, distance_m, raison}]``,
        nearest first, :data:`MAX_CANDIDATES` at most; ``exclude``: (collection, id) pairs
        never listed (the feature itself)."""
        probe = Probe.of(properties, geometry)
        seen: set[int] = set()
        if probe.point is not None:
            cx, cy = self._cell(probe.point)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    seen.update(self.grid.get((cx + dx, cy + dy), ()))
        for kind, value in (("a", probe.address), ("s", probe.siret),
                            ("i", probe.source_id)):
            if value:
                seen.update(self.by_key.get((kind, value), ()))
        skip = set(exclude)
        out = []
        for n in seen:
            collection, fid, props, other = self.items[n]
            if (collection, fid) in skip:
                continue
            why, distance = reasons(probe, other)
            if why:
                out.append({"collection": collection, "id": fid, "nom": props.get("nom"),
                            "distance_m": None if distance is None else round(distance),
                            "raison": " ; ".join(why)})
        out.sort(key=lambda c: (c["distance_m"] is None, c["distance_m"] or 0, c["id"]))
        return out[:MAX_CANDIDATES]


def _safe(neighbours: Neighbours, collection: str) -> list[tuple[str, dict[str, Any], Any]]:
    try:
        return list(neighbours(collection))
    except NotFound:  # a layer this territory does not serve: no candidates
        return []


def find(neighbours: Neighbours, collection: str, properties: dict[str, Any],
         geometry: Any, exclude: Iterable[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    """Likely duplicates of one feature among the live features ``neighbours`` gives."""
    return Index.of(collection, neighbours).candidates(properties, geometry, exclude)
