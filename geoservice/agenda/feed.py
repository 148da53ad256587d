"""The events a feed shows, read from one snapshot: filters (``defi``, ``commune``, ``qpv``,
``lieu``, ``type_evenement``), each event's place, commune name and QPV."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import shapely

from ..errors import InvalidParameter, NotFound
from ..fabrique.stages import split_reference
from ..read.snapshot import Collection, Snapshot
from .ical import FeedEvent
from .occurrences import EVENTS

FILTERS = ("defi", "commune", "qpv", "lieu", "type_evenement")


@dataclass(frozen=True)
class FeedQuery:
    defi: str | None = None
    commune: str | None = None
    qpv: str | None = None
    lieu: str | None = None
    type_evenement: str | None = None

    @classmethod
    def of(cls, params: Mapping[str, str]) -> FeedQuery:
        unknown = sorted(set(params) - set(FILTERS))
        if unknown:
            raise InvalidParameter(f"Paramètre inconnu : « {unknown[0][:40]} ». Filtres de "
                                   f"l'agenda : {', '.join(FILTERS)}")
        return cls(**{name: params[name].strip() for name in FILTERS if params.get(name)})


def _qpv_codes(store: Snapshot, geometries: np.ndarray) -> list[str | None]:
    """The code of the QPV 2024 containing each point (None outside, or without a point)."""
    out: list[str | None] = [None] * len(geometries)
    if "qpv" not in store.base:
        return out
    qpv = store.collection("qpv")
    codes = qpv.values("code_qp")
    for i, point in enumerate(geometries):
        if point is None or shapely.is_empty(point):
            continue
        for position in qpv.spatial_index.query(point):
            if shapely.contains(qpv.geometries[position], point):
                out[i] = codes[int(position)]
                break
    return out


def _place(store: Snapshot, reference: object) -> dict | None:
    found = split_reference(reference)
    if found is None or found[0] not in store.base:
        return None
    collection = store.collection(found[0])
    try:
        return collection.properties(collection.position(found[1]))
    except NotFound:
        return None


def _commune_names(store: Snapshot) -> dict[str, str]:
    if "communes" not in store.base:
        return {}
    communes = store.collection("communes")
    return {str(c): str(n) for c, n in zip(communes.values("code"), communes.values("nom"),
                                           strict=True)}


def events(store: Snapshot, query: FeedQuery, map_url: str,
           fid: str | None = None) -> list[FeedEvent]:
    """The events matching the query (or the one ``fid``), in storage order."""
    collection: Collection = store.collection(EVENTS)
    if fid is not None:
        positions = np.array([collection.position(fid)])
    else:
        positions = np.arange(len(collection))
    records = collection.records
    geometries = collection.geometries
    wanted = positions
    if query.defi:
        wanted = [p for p in wanted if query.defi in (records[p].get("defi") or [])]
    for name in ("commune", "lieu", "type_evenement"):
        value = getattr(query, name)
        if value:
            wanted = [p for p in wanted if records[p].get(name) == value]
    codes = _qpv_codes(store, geometries[list(wanted)]) if len(wanted) else []
    if query.qpv:
        wanted = [p for p, code in zip(wanted, codes, strict=True) if code == query.qpv]
    names = _commune_names(store)
    versions = collection.versions
    out = []
    for position in wanted:
        props = records[int(position)]
        point = geometries[int(position)]
        lonlat = None if point is None or shapely.is_empty(point) else \
            (float(point.x), float(point.y)) if point.geom_type == "Point" else None
        event_id = str(props[collection.layer.id_field])
        out.append(FeedEvent(
            EVENTS, event_id, props,
            int(versions[int(position)]) if versions is not None else 1, lonlat,
            _place(store, props.get("lieu")), names.get(str(props.get("commune"))),
            f"{map_url}#evenements/{event_id}"))
    return out
