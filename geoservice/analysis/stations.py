"""Stations that give access in the analysis: metro, tram and the train stations a territory
lists as served within its urban fare (Toulouse: line C), with duplicate OpenStreetMap
features merged.

OpenStreetMap maps one station several times (one node per platform, or "Métro Basso
Cambo" beside "Basso Cambo"): features whose names match once the mode word is dropped
(« métro », « tram », « station », « gare de ») and that lie within :data:`MERGE_M` of
each other are one station, named by its shortest name, placed at its first feature (by
id), with every mode it serves.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import shapely

from ..vocab import STATION_TYPES
from ..words import fold

MERGE_M = 300.0
MODE_WORDS = re.compile(r"^(metro|tram|tramway|station|gare( de)?) ")
KIND_WORDS = {"metro": "métro", "tram": "tram", "train": "train"}


def station_key(name: str) -> str:
    """« Métro Basso Cambo » and « Basso Cambo » → ``basso cambo``."""
    return MODE_WORDS.sub("", fold(name))


def access_stations(stations: gpd.GeoDataFrame, urban_rail: tuple[str, ...] = (),
                    line: str | None = None) -> gpd.GeoDataFrame:
    """Metro, tram and listed train stations, merged: columns id, nom, type, kinds (French
    words, e.g. « métro, tram » or « train, ligne C »), geometry (EPSG of the input)."""
    listed = {fold(name) for name in urban_rail}
    names = stations["nom"].astype(str).to_numpy()
    types = stations["type"].astype(str).to_numpy()
    keep = np.isin(types, STATION_TYPES) | (
        (types == "train") & np.array([fold(n) in listed for n in names], dtype=bool))
    keep &= ~(shapely.is_missing(np.asarray(stations.geometry.values)))
    chosen = stations[keep].copy()
    keys = np.array([station_key(n) for n in chosen["nom"].astype(str)], dtype=object)
    ids = chosen["id"].astype(str).to_numpy(dtype=object)
    order = np.lexsort((ids, keys))
    keys, ids = keys[order], ids[order]
    names = chosen["nom"].astype(str).to_numpy(dtype=object)[order]
    types = chosen["type"].astype(str).to_numpy(dtype=object)[order]
    geoms = np.asarray(chosen.geometry.values)[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    rows = []
    for start, end in zip(starts, ends, strict=True):
        left = list(range(start, end))  # sorted by id: the first one places the station
        while left:
            first = left[0]
            near = left if len(left) == 1 else [
                p for p in left if shapely.distance(geoms[first], geoms[p]) <= MERGE_M]
            left = [p for p in left if p not in near]
            modes = sorted({types[p] for p in near}, key=["metro", "tram", "train"].index)
            words = [KIND_WORDS[m] + (f", {line}" if m == "train" and line else "")
                     for m in modes]
            rows.append({"id": ids[first],
                         "nom": min((names[p] for p in near), key=lambda n: (len(n), n)),
                         "type": modes[0], "kinds": ", ".join(words), "merged": len(near),
                         "geometry": geoms[first]})
    columns = ["id", "nom", "type", "kinds", "merged", "geometry"]
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry="geometry",
                                crs=stations.crs)
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=stations.crs)
