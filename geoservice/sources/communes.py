"""Communes: the mirror's IGN Admin Express extract or geo.api.gouv.fr GeoJSON (code, nom)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from ..errors import SourceDataError
from ..territory import Territory
from .geometry import read_vector, repair_polygons

# Names abbreviated in the IGN 2018 simplified extract (see ../shared/data/SOURCES.md).
OFFICIAL_NAMES = {"31561": "L'Union", "34090": "Le Crès"}


def read_communes(
    path: Path, territory: Territory, max_area_change: float
) -> tuple[gpd.GeoDataFrame, dict]:
    frame = read_vector(path, ("code", "nom"))
    frame = frame[["code", "nom", "geometry"]]
    frame["code"] = frame["code"].astype(str)
    frame = frame[frame["code"].isin(territory.communes)]
    missing = sorted(set(territory.communes) - set(frame["code"]))
    if missing:
        raise SourceDataError(
            f"{Path(path).name} : commune(s) du territoire absente(s) : {', '.join(missing)}"
        )
    frame["nom"] = [OFFICIAL_NAMES.get(c, n)
                    for c, n in zip(frame["code"], frame["nom"], strict=True)]
    frame, repaired = repair_polygons(frame, max_area_change, "code")
    frame["epci"] = territory.epci
    return frame.sort_values("code").reset_index(drop=True), {"repaired": repaired}


def territory_outline(communes: gpd.GeoDataFrame) -> shapely.Geometry:
    return shapely.union_all(communes.geometry.values)
