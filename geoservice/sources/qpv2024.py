"""QPV 2024 (ANCT): official GeoJSON, one feature per QPV-within-commune, or merged; with
INSEE's indicators on the 2024 perimeters when that file is given.

INSEE file layout (UTF-8, ``,`` or ``;``, decimal point or comma, one row per QPV 2024):
``code_qp`` (``QN…``) and any of :data:`INDICATORS_2024` — ``pop_mun`` (population
municipale), ``tp60`` (taux de pauvreté au seuil de 60 %, %), ``tx_tot_empl`` (part des
15-64 ans en emploi, %), ``abcde`` (demandeurs d'emploi de catégories A à E). Other columns
are ignored; an empty cell is "not published" (null, never 0).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ..errors import SourceDataError
from ..territory import Territory
from .geometry import read_vector, repair_polygons
from .qpv2015 import read_indicators

COLUMNS = ("code_qp", "lib_qp", "insee_com")
INDICATORS_2024 = ("pop_mun", "tp60", "tx_tot_empl", "abcde")


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
    path: Path, territory: Territory | None, max_area_change: float,
    indicators: Path | None = None,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Read, merge per QPV, keep the territory's QPV (all if ``territory`` is None), repair;
    join INSEE's 2024 indicators when ``indicators`` is given."""
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
    for name in INDICATORS_2024:
        frame[name] = None
    frame["indicateurs_2024"] = None
    if indicators is not None:
        frame, facts["indicators_2024"] = _join_indicators(frame, indicators)
    return frame, facts


def _join_indicators(frame: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, int]:
    """INSEE values on the 2024 perimeters, by ``code_qp``; refused when the file has none
    of the expected columns or matches no QPV 2024 (a 2015 file given by mistake)."""
    table = read_indicators(path, INDICATORS_2024)
    columns = [c for c in INDICATORS_2024 if c in table.columns]
    if not columns:
        raise SourceDataError(f"{Path(path).name} : aucune des colonnes attendues ("
                              + ", ".join(INDICATORS_2024) + ")")
    known = set(table["code_qp"])
    if len(frame) and not known & set(frame["code_qp"]) and not any(
            code.startswith("QN") for code in known):
        raise SourceDataError(f"{Path(path).name} : aucun code_qp de QPV 2024 (QN…) : "
                              "fichier des périmètres 2015 ?")
    table = table.set_index("code_qp")
    matched = frame["code_qp"].isin(table.index)
    for name in columns:
        values = frame["code_qp"].map(table[name].astype(float))
        frame[name] = pd.array(values, dtype="Float64")  # empty cell: null
    frame["indicateurs_2024"] = [f"INSEE, QPV 2024 ({Path(path).name})" if m else None
                                 for m in matched]
    return frame, int(matched.sum())
