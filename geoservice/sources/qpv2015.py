"""QPV 2015 contours (ANCT, Hackaviz 2021 set) joined with the INSEE indicator CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import SourceDataError
from ..territory import Territory
from .geometry import read_vector, repair_polygons

COLUMNS = ("code_qp", "nom_qp", "code_commune", "nom_commune")
TEXT_COLUMNS = ("code_qp", "nom_qp", "nom_commune", "lib_qp")


def read_indicators(path: Path, only: tuple[str, ...] | None = None) -> pd.DataFrame:
    """INSEE indicators keyed by ``code_qp``. Empty cell = not published → null (never 0).

    Accepts UTF-8 with or without BOM, ``,`` or ``;`` separators and decimal commas.
    ``only``: the numeric columns to read (the others are ignored); all when None.
    """
    try:
        raw = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceDataError(f"{Path(path).name} : encodage UTF-8 attendu") from exc
    try:
        dialect = csv.Sniffer().sniff(raw[:4096], delimiters=",;")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(io.StringIO(raw), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceDataError(f"{Path(path).name} : CSV illisible ({exc})") from exc
    _check_complete(raw, sep, Path(path).name)
    if "code_qp" not in frame.columns:
        raise SourceDataError(f"{Path(path).name} : colonne « code_qp » absente")
    if frame["code_qp"].duplicated().any():
        dup = frame.loc[frame["code_qp"].duplicated(), "code_qp"].iloc[0]
        raise SourceDataError(f"{Path(path).name} : code_qp en double : {dup}")
    out = pd.DataFrame({"code_qp": frame["code_qp"].str.strip()})
    for column in frame.columns:
        if column in TEXT_COLUMNS or (only is not None and column not in only):
            continue
        text = frame[column].str.strip().str.replace(",", ".", regex=False)
        values = pd.to_numeric(text.replace("", None), errors="coerce")
        bad = values.isna() & text.ne("")
        if bad.any():
            raise SourceDataError(
                f"{Path(path).name} : valeur non numérique « {frame.loc[bad, column].iloc[0]} »"
                f" dans la colonne {column}"
            )
        out[column] = values.astype("Float64")
    return out


def _check_complete(raw: str, sep: str, name: str) -> None:
    """Every row has as many fields as the header: a file cut mid-line is refused."""
    rows = csv.reader(io.StringIO(raw), delimiter=sep)
    header = next(rows, None)
    if not header:
        raise SourceDataError(f"{name} : fichier vide")
    for number, row in enumerate(rows, start=2):
        if row and len(row) != len(header):
            raise SourceDataError(
                f"{name} : ligne {number} incomplète ({len(row)} champs au lieu de "
                f"{len(header)}) : fichier tronqué ?")
    if raw and not raw.endswith(("\n", "\r")):
        raise SourceDataError(f"{name} : la dernière ligne ne se termine pas : fichier tronqué ?")


def read_qpv_2015(
    contours: Path, indicators: Path | None, territory: Territory | None, max_area_change: float
) -> tuple[gpd.GeoDataFrame, dict]:
    frame = read_vector(contours, COLUMNS)
    frame = frame[list(COLUMNS) + ["geometry"]]
    invalid_in_source = int((~frame.is_valid).sum())
    if territory is not None:
        frame = frame[frame["code_commune"].astype(str).map(territory.meets)]
    frame, repaired = repair_polygons(frame, max_area_change, "code_qp")
    facts: dict = {"invalid_in_source": invalid_in_source, "repaired": repaired}
    if indicators is not None:
        table = read_indicators(indicators)
        frame = frame.merge(table, on="code_qp", how="left")
        facts["without_indicators"] = int(frame["pop_mun"].isna().sum()) if len(frame) else 0
    frame["generation"] = "2015"
    return frame.sort_values("code_qp").reset_index(drop=True), facts
