"""Batch QPV lookup of CSV or JSON rows: the same rows back, plus ``result_*`` columns.

Used by ``POST /api/lookup`` and ``geoservice lookup IN.csv -o OUT.csv``. A bad row (empty
coordinate, not a number, out of range) gets ``result_qpv_status = error`` and a French
``result_error``; it never aborts the batch. A bad file (not UTF-8, no lon/lat columns,
not CSV) raises :class:`~geoservice.errors.InvalidParameter`; too many rows raise
:class:`~geoservice.errors.PayloadTooLarge`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from .. import csvsafe
from ..errors import InvalidParameter, PayloadTooLarge
from . import PointLocator

RESULT_COLUMNS = (
    "result_qpv_code",
    "result_qpv_name",
    "result_qpv_status",
    "result_commune_code",
    "result_nearest_qpv_code",
    "result_nearest_qpv_distance_m",
    "result_error",
)
LON_NAMES = ("lon", "longitude")
LAT_NAMES = ("lat", "latitude")
JOIN = "|"  # several overlapping QPV: codes and names joined with "|"
CHUNK = 50_000
WRITE_SLICE = 2_000
READ_CHUNK = 10_000
_NUMBER = re.compile(r"^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?$")  # ASCII digits
_BOM = b"\xef\xbb\xbf"

Progress = Callable[[int, int], None]


def max_body_bytes(max_rows: int) -> int:
    """Largest request body accepted for ``max_rows`` rows (1 KiB a row, plus 64 KiB)."""
    return 64 * 1024 + 1024 * max_rows


# -- coordinates --------------------------------------------------------------------------

def _coordinate(value: Any, name: str, bound: float) -> tuple[float, str | None]:
    """A coordinate from a CSV cell or JSON value: (value, None) or (nan, French message)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return np.nan, f"{name} manquante"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return np.nan, f"{name} : valeur non numérique"
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.match(text) or text.count(",") + text.count(".") > 1:
            shown = text if len(text) <= 30 else text[:30] + "…"
            return np.nan, f"{name} « {shown} » n'est pas un nombre"
        value = text.replace(",", ".")
    try:
        value = float(value)
    except OverflowError:
        value = np.inf
    if not np.isfinite(value) or not -bound <= value <= bound:
        shown = f"{value:g}" if np.isfinite(value) else "infinie"
        return np.nan, f"{name} {shown} hors de l'intervalle [-{bound:g}, {bound:g}]"
    return value, None


def coordinates(pairs: list[tuple[Any, Any]]) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Parse (lon, lat) pairs: arrays (NaN where bad) and one error message per row.

    The common case is vectorised (pandas); only rows that fail it are parsed one by one,
    to word their message.
    """
    lon = _fast_numbers([p[0] for p in pairs], 180)
    lat = _fast_numbers([p[1] for p in pairs], 90)
    errors: list[str | None] = [None] * len(pairs)
    for i in np.flatnonzero(np.isnan(lon) | np.isnan(lat)).tolist():
        lon[i], lon_error = _coordinate(pairs[i][0], "longitude", 180)
        lat[i], lat_error = _coordinate(pairs[i][1], "latitude", 90)
        messages = [m for m in (lon_error, lat_error) if m]
        if messages:
            lon[i] = lat[i] = np.nan
            errors[i] = " ; ".join(messages)
    return lon, lat, errors


_PLAIN_COLUMN = re.compile(r"[0-9.eE+\-\n]*", re.ASCII)


def _plain_numbers(values: list[Any]) -> np.ndarray | None:
    """A CSV column of plain ASCII numbers (point decimal) parsed at once, or None when
    some cell is anything else (then parsed, and worded, the careful way)."""
    if not all(v.__class__ is str for v in values) or \
            not _PLAIN_COLUMN.fullmatch("\n".join(values)):
        return None
    try:
        return np.array(values, dtype=np.float64)
    except ValueError:  # an empty cell, "1.2.3", "e"…
        return None


def _fast_numbers(values: list[Any], bound: float) -> np.ndarray:
    """Finite in-range numbers parsed in bulk; NaN for anything else (checked one by one)."""
    if not values:
        return np.empty(0)
    plain = _plain_numbers(values)
    if plain is not None:
        with np.errstate(invalid="ignore"):
            plain[~(np.abs(plain) <= bound)] = np.nan
        return plain
    series = pd.Series(values, dtype=object)
    is_text = np.array([isinstance(v, str) for v in values], dtype=bool)
    is_number = np.array([isinstance(v, int | float) and not isinstance(v, bool)
                          for v in values], dtype=bool)
    numbers = np.full(len(values), np.nan)
    if is_text.any():
        texts = series[is_text].str.replace(",", ".", regex=False)
        numbers[is_text] = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=float)
    if is_number.any():  # huge JSON integers do not fit a float: left to the slow path
        numbers[is_number] = [float(v) if isinstance(v, float) or abs(v) < 2**53 else np.nan
                              for v in series[is_number].tolist()]
    with np.errstate(invalid="ignore"):
        numbers[~(np.abs(numbers) <= bound)] = np.nan
    return numbers


# -- the lookup itself --------------------------------------------------------------------

def locate_rows(
    locator: PointLocator, lon: np.ndarray, lat: np.ndarray, errors: list[str | None],
    progress: Progress | None = None, chunk: int = CHUNK,
) -> dict[str, list[Any]]:
    """The ``result_*`` columns (values typed: str, int or None), one entry per row."""
    codes = locator.qpv.frame["code_qp"].astype(str).to_numpy(dtype=object)
    names = locator.qpv.frame["lib_qp"].astype(str).to_numpy(dtype=object)
    commune_codes = locator.communes.frame["code"].astype(str).to_numpy(dtype=object)
    total = len(lon)
    bad = np.array([e is not None for e in errors], dtype=bool)
    first = np.full(total, -1, dtype=np.intp)
    commune = np.full(total, -1, dtype=np.intp)
    nearest = np.full(total, -1, dtype=np.intp)
    distance = np.full(total, np.nan)
    several: dict[int, list[int]] = {}
    for start in range(0, total, chunk):
        stop = min(start + chunk, total)
        located = locator.locate(np.where(bad[start:stop], np.nan, lon[start:stop]),
                                 np.where(bad[start:stop], np.nan, lat[start:stop]))
        firsts, at, count = np.unique(located.point, return_index=True, return_counts=True)
        first[start + firsts] = located.qpv[at]
        for point, begin, n in zip(firsts[count > 1].tolist(), at[count > 1].tolist(),
                                   count[count > 1].tolist(), strict=True):
            several[start + point] = located.qpv[begin:begin + n].tolist()
        commune[start:stop] = located.commune
        nearest[start:stop] = located.nearest_qpv
        distance[start:stop] = located.nearest_distance_m
        if progress:
            progress(stop, total)

    def pick(table: np.ndarray, index: np.ndarray) -> list[Any]:
        out = np.full(total, None, dtype=object)
        ok = index >= 0
        out[ok] = table[index[ok]]
        return out.tolist()

    qpv_code, qpv_name = pick(codes, first), pick(names, first)
    for row, positions in several.items():  # several overlapping QPV: joined with "|"
        qpv_code[row] = JOIN.join(codes[p] for p in positions)
        qpv_name[row] = JOIN.join(names[p] for p in positions)
    status = np.where(bad, "error", np.where(first >= 0, "in", "out")).tolist()
    known = (nearest >= 0) & np.isfinite(distance)
    metres = np.rint(np.where(known, distance, 0)).astype(np.int64).tolist()
    return {
        "result_qpv_code": qpv_code,
        "result_qpv_name": qpv_name,
        "result_qpv_status": status,
        "result_commune_code": pick(commune_codes, commune),
        "result_nearest_qpv_code": pick(codes, np.where(known, nearest, -1)),
        "result_nearest_qpv_distance_m": [m if k else None
                                          for m, k in zip(metres, known.tolist(), strict=True)],
        "result_error": list(errors),
    }


# -- CSV ----------------------------------------------------------------------------------

def decode_text(data: bytes) -> tuple[str, bool]:
    """UTF-8 text (with or without BOM) and whether it had a BOM."""
    bom = data.startswith(_BOM)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidParameter(
            f"Le fichier n'est pas du texte UTF-8 (octet invalide en position {exc.start}) : "
            "enregistrez-le au format « CSV UTF-8 »."
        ) from None
    if "\x00" in text:
        raise InvalidParameter("Le fichier contient des octets nuls : ce n'est pas un "
                               "fichier texte CSV.")
    return text, bom


def sniff_delimiter(header_line: str) -> str:
    """``;``, ``,`` or tab, whichever the header line has most of (``,`` when none)."""
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _find_column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _read_header(text: str) -> tuple[list[str], str, int, int]:
    """The header line: (columns, separator, lon and lat columns). The separator ``,``
    ``;`` or tab is sniffed from it."""
    delimiter = sniff_delimiter(text[:text.find("\n")] if "\n" in text else text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidParameter(f"CSV illisible ligne {reader.line_num} : {exc}") from None
    if not header or not any(h.strip() for h in header):
        raise InvalidParameter("Le fichier CSV est vide : une ligne d'en-tête avec les "
                               "colonnes lon et lat (ou longitude et latitude) est attendue.")
    lon_column = _find_column(header, LON_NAMES)
    lat_column = _find_column(header, LAT_NAMES)
    if lon_column is None or lat_column is None:
        shown = ", ".join(h[:40] for h in header[:10])
        raise InvalidParameter(
            "Colonnes de coordonnées introuvables : l'en-tête doit contenir lon et lat "
            f"(ou longitude et latitude), séparées par « , » ou « ; ». Colonnes lues : {shown}"
        )
    return header, delimiter, lon_column, lat_column


def _cell_text(delimiter: str) -> Callable[[Any], str]:
    """One result value as a CSV cell (quoted, neutralised), memoised: result columns
    repeat a handful of codes, names and statuses."""
    memo: dict[Any, str] = {None: "", "": ""}
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer, delimiter=delimiter, lineterminator="")

    def text(value: Any) -> str:
        found = memo.get(value)
        if found is None:
            if value.__class__ is int:
                return str(value)
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([value])
            found = memo[value] = buffer.getvalue()
        return found

    return text



def _blocks(text: str, start: int, size: int, delimiter: str
            ) -> Iterator[tuple[list[list[str]], list[str] | None]]:
    """The rows after ``start``, about ``size`` lines at a time, with their raw lines when
    each row is exactly one line: a block without quotes is split by hand (the usual
    case, several times faster than ``csv.reader``); one with quotes is parsed by ``csv``
    (a quoted cell running past the block extends it). Blank lines are skipped."""
    n = len(text)
    position = start
    while position < n:
        end = position
        for _ in range(size):
            found = text.find("\n", end)
            end = n if found < 0 else found + 1
            if end >= n:
                break
        block = text[position:end]
        while block.count('"') % 2 and end < n:  # an open quote: take the next line too
            found = text.find("\n", end)
            end = n if found < 0 else found + 1
            block = text[position:end]
        position = end
        if '"' in block or "\r" in block.replace("\r\n", ""):
            try:
                rows = [row for row in csv.reader(io.StringIO(block, newline=""),
                                                  delimiter=delimiter) if row]
            except csv.Error as exc:
                raise InvalidParameter(f"CSV illisible : {exc}") from None
            yield rows, None
            continue
        lines = block.split("\n")
        if "\r" in block:
            lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        lines = [line for line in lines if line]
        yield [line.split(delimiter) for line in lines], lines


def lookup_csv(
    locator: PointLocator, data: bytes, max_rows: int | None = None,
    progress: Progress | None = None, chunk: int = READ_CHUNK,
) -> tuple[bytes, dict[str, int]]:
    """CSV in → the same CSV (same separator, BOM kept) plus the ``result_*`` columns.

    Input columns named like a result column are replaced. Returns the bytes and counts
    per status. Rows are read, located and written ``chunk`` at a time: memory holds the
    file, its text and the answer, never every row as Python objects at once. A row with
    nothing to change is copied as it was written, its result cells appended.
    """
    text, bom = decode_text(data)
    header_end = text.find("\n") + 1 or len(text)
    while text[:header_end].count('"') % 2 and header_end < len(text):
        header_end = text.find("\n", header_end) + 1 or len(text)
    header, delimiter, lon_column, lat_column = _read_header(text[:header_end])
    width = len(header)
    keep = [i for i, name in enumerate(header) if name.strip() not in RESULT_COLUMNS]
    whole = keep == list(range(width))
    risky = re.compile("(?:^|" + re.escape(delimiter) + ')"?[=+\\-@\t\r]')
    cell_text = _cell_text(delimiter)
    total = max(text.count("\n"), 1)  # an estimate, for the progress bar only
    parts: list[bytes] = []

    def flush(lines: Iterable[list[str]]) -> None:
        # a small StringIO per slice: its buffer holds 4 bytes per character, so one for
        # the whole answer would cost four times the answer
        out = io.StringIO(newline="")
        csvsafe.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(lines)
        parts.append(out.getvalue().encode("utf-8"))

    flush([[header[i] for i in keep] + list(RESULT_COLUMNS)])
    if bom:
        parts.insert(0, _BOM)
    counts: dict[str, int] = {}
    done = 0
    for rows, raw in _blocks(text, header_end, chunk, delimiter):
        if max_rows is not None and done + len(rows) > max_rows:
            raise PayloadTooLarge(
                f"Le fichier dépasse {max_rows} lignes, le maximum accepté par ce service : "
                "découpez-le en plusieurs fichiers.")
        if raw is not None and not (whole and all(
                len(row) == width for row in rows) and not any(map(risky.search, raw))):
            raw = None  # something to pad, drop or neutralise: written cell by cell
        if raw is not None:  # every row complete: no shape error to word
            lon, lat, errors = coordinates([(row[lon_column], row[lat_column]) for row in rows])
        else:
            pairs, shape_errors = [], []
            for row in rows:
                shape_errors.append(None if len(row) == width else
                                    f"la ligne a {len(row)} champ(s) au lieu de {width}")
                pairs.append((row[lon_column] if lon_column < len(row) else "",
                              row[lat_column] if lat_column < len(row) else ""))
            lon, lat, errors = coordinates(pairs)
            errors = [" ; ".join(m for m in (shape, coord) if m) or None
                      for shape, coord in zip(shape_errors, errors, strict=True)]
        results = locate_rows(locator, lon, lat, errors)
        if raw is not None:  # the usual case: copy each line, append its results
            columns = []
            for name in RESULT_COLUMNS:
                values = results[name]
                cells = {v: cell_text(v) for v in set(values)}  # few distinct values
                columns.append(list(map(cells.__getitem__, values)))
            lines = [delimiter.join(cells) for cells in zip(*columns, strict=True)]
            parts.append("".join(f"{line}{delimiter}{tail}\r\n"
                                 for line, tail in zip(raw, lines, strict=True))
                         .encode("utf-8"))
        else:
            texts = [["" if v is None else str(v) for v in results[c]] for c in RESULT_COLUMNS]
            for begin in range(0, len(rows), WRITE_SLICE):
                flush((row if whole and len(row) == width else
                       [(row + [""] * width)[i] for i in keep])
                      + [column[n] for column in texts]
                      for n, row in enumerate(rows[begin:begin + WRITE_SLICE], start=begin))
        for key, value in summarize(results).items():
            counts[key] = counts.get(key, 0) + value
        done += len(rows)
        if progress:
            progress(done, max(total, done))
    if not counts:  # no row: every status counted 0
        counts = summarize(locate_rows(locator, np.array([]), np.array([]), []))
    return b"".join(parts), counts


# -- JSON ---------------------------------------------------------------------------------

def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float | str:
    """JSON numbers too large for a float stay text (echoed as given, flagged as a row
    error), so the output never holds Infinity, which is not JSON."""
    value = float(text)
    return value if np.isfinite(value) else text


def _json_coordinate(item: dict[str, Any], names: tuple[str, ...]) -> Any:
    """The coordinate under one of ``names`` (any case); ambiguous when given twice
    (``{"lon": 1.4, "LON": 200}``): then text that the row check reports as an error."""
    found = [(k, v) for k, v in item.items() if str(k).lower() in names]
    if len(found) > 1:
        return f"donnée {len(found)} fois ({', '.join(str(k) for k, _ in found)})"
    return found[0][1] if found else None


def lookup_json(
    locator: PointLocator, data: bytes, max_rows: int | None = None,
    progress: Progress | None = None,
) -> tuple[Any, dict[str, int]]:
    """JSON in (a list of objects with lon/lat, or ``{"points": [...]}``) → the same shape,
    each object with the ``result_*`` members added."""
    text, _ = decode_text(data)
    try:
        document = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, or a too-long integer
        where = getattr(exc, "lineno", None)
        raise InvalidParameter("JSON illisible" + (f" (ligne {where})" if where else "")
                               + " : une liste d'objets avec lon et lat est attendue.") from None
    wrapped = isinstance(document, dict)
    items = document.get("points") if wrapped else document
    if not isinstance(items, list):
        raise InvalidParameter('JSON inattendu : une liste d\'objets {"lon": …, "lat": …} '
                               'ou un objet {"points": [...]} est attendu.')
    if max_rows is not None and len(items) > max_rows:
        raise PayloadTooLarge(f"La requête dépasse {max_rows} points, le maximum accepté par "
                              "ce service : découpez-la.")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InvalidParameter(f"Le point n° {number} n'est pas un objet JSON "
                                   '({"lon": …, "lat": …}).')
    pairs = [(_json_coordinate(item, LON_NAMES), _json_coordinate(item, LAT_NAMES))
             for item in items]
    lon, lat, errors = coordinates(pairs)
    results = locate_rows(locator, lon, lat, errors, progress)
    rows = [{k: v for k, v in item.items() if k not in RESULT_COLUMNS}
            | {c: results[c][n] for c in RESULT_COLUMNS} for n, item in enumerate(items)]
    return ({**document, "points": rows} if wrapped else rows), summarize(results)


def summarize(results: dict[str, list[Any]]) -> dict[str, int]:
    """Counts of rows per status: in, out, error."""
    statuses = results["result_qpv_status"]
    return {status: statuses.count(status) for status in ("in", "out", "error")}
