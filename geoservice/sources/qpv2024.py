"""QPV 2024 (ANCT): official GeoJSON, one feature per QPV-within-commune, or merged."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from ..territory import Territory
from .geometry import read_vector, repair_polygons

COLUMNS = ("code_qp", "lib_qp", "insee_com")


def _merge_communes(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per QPV: union of its pieces, INSEE codes as a sorted comma list."""
    if not frame["code_qp"].duplicated().any():
        return frame
    rows = []
    for code, group in frame.groupby("code_qp", sort=False):
        codes = sorted({c.strip() for v in group["insee_com"] for c in str(v).split(",")})
        rows.append({
            "code_qp": code,
            "lib_qp": group["lib_qp"].iloc[0],
            "insee_com": ",".join(codes),
            "geometry": shapely.union_all(shapely.make_valid(group.geometry.values)),
        })
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=frame.crs)


def read_qpv_2024(
    path: Path, territory: Territory | None, max_area_change: float
) -> tuple[gpd.GeoDataFrame, dict]:
    """Read, merge per QPV, keep the territory's QPV (all if ``territory`` is None), repair."""
    frame = read_vector(path, COLUMNS)
    frame = frame[list(COLUMNS) + ["geometry"]]
    frame["insee_com"] = frame["insee_com"].astype(str)
    frame = _merge_communes(frame)
    invalid_in_source = int((~frame.is_valid).sum())
    if territory is not None:
        frame = frame[frame["insee_com"].map(territory.meets)]
    frame, repaired = repair_polygons(frame, max_area_change, "code_qp")
    frame = frame.sort_values("code_qp").reset_index(drop=True)
    frame["generation"] = "2024"
    facts = {"invalid_in_source": invalid_in_source, "repaired": repaired}
    return frame, facts
