"""Parsers of values that come from users, shared by the API, the CLI and the maps. Every
bad value raises :class:`InvalidParameter` with a French message (400 problem+json in the
API, one ``erreur :`` line in the CLI)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import shapely

from .errors import InvalidParameter
from .numbers import ascii_float, ascii_int
from .periods import Interval, date_span
from .read.crs import DEFAULT, OutputCrs, bbox_to_lonlat

BBox = tuple[float, float, float, float] | shapely.Geometry


def parse_int(name: str, text: str | None, default: int, minimum: int) -> int:
    """An integer ≥ ``minimum`` (default when absent)."""
    if text is None:
        return default
    value = ascii_int(text)
    if value is None:
        raise InvalidParameter(f"« {name} » doit être un entier écrit en chiffres, pas "
                               f"« {text[:40]} »")
    if value < minimum:
        raise InvalidParameter(f"« {name} » doit être supérieur ou égal à {minimum} "
                               f"(reçu {value})")
    return value


def parse_bbox(text: str | None, crs: OutputCrs = DEFAULT) -> BBox | None:
    """``minx,miny,maxx,maxy`` (or 6 numbers with heights, ignored) in ``crs`` → a lon/lat
    bbox (geographic CRS) or lon/lat polygon (projected CRS).

    Examples
    --------
    >>> parse_bbox("1.3,43.5,1.5,43.7")
    (1.3, 43.5, 1.5, 43.7)
    """
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (4, 6):
        raise InvalidParameter("bbox attend 4 nombres séparés par des virgules : "
                               f"ouest,sud,est,nord (reçu « {text[:80]} »)")
    parsed = [ascii_float(p) for p in parts]
    if any(n is None for n in parsed):
        raise InvalidParameter(f"bbox : « {text[:80]} » contient autre chose que des "
                               "nombres finis écrits en chiffres (point décimal)")
    numbers = [float(n) for n in parsed if n is not None]
    a, b, c, d = (numbers[0], numbers[1], numbers[3], numbers[4]) if len(numbers) == 6 \
        else numbers
    if a > c or b > d:
        raise InvalidParameter(f"bbox inversée : le minimum dépasse le maximum ({text[:80]})")
    if crs.geographic:
        lon = (b, d) if crs.lat_first else (a, c)
        lat = (a, c) if crs.lat_first else (b, d)
        if not (-180 <= lon[0] <= 180 and -180 <= lon[1] <= 180):
            raise InvalidParameter("bbox : longitude hors de [-180, 180]")
        if not (-90 <= lat[0] <= 90 and -90 <= lat[1] <= 90):
            raise InvalidParameter("bbox : latitude hors de [-90, 90]")
    return bbox_to_lonlat((a, b, c, d), crs)


_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([Tt ].*)?)?)?$")


def _instant(text: str, bound: str) -> tuple[date, date]:
    if not _DATE.match(text):
        raise InvalidParameter(f"datetime : « {text[:40]} » n'est pas une date (AAAA, AAAA-MM, "
                               "AAAA-MM-JJ ou date-heure RFC 3339)")
    span = date_span(text[:10])
    if span is None:
        raise InvalidParameter(f"datetime : date impossible « {text[:40]} » ({bound})")
    return span


def parse_datetime(text: str | None) -> Interval | None:
    """An instant or interval → (first day, last day), open ends as None.

    Examples
    --------
    >>> parse_datetime("2021/..")
    (datetime.date(2021, 1, 1), None)
    """
    if text is None:
        return None
    text = text.strip()
    if "/" not in text:
        first, last = _instant(text, "instant")
        return first, last
    start_text, _, end_text = text.partition("/")
    if "/" in end_text:
        raise InvalidParameter("datetime : un intervalle a exactement deux bornes (a/b)")
    start = None if start_text in ("", "..") else _instant(start_text, "début")[0]
    end = None if end_text in ("", "..") else _instant(end_text, "fin")[1]
    if start is not None and end is not None and start > end:
        raise InvalidParameter(f"datetime : intervalle inversé « {text[:60]} »")
    return start, end


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_instant(name: str, text: str | None) -> datetime | None:
    """An RFC 3339 instant with its offset (``2024-05-01T10:00:00Z``) → an aware UTC
    datetime; None when absent.

    Examples
    --------
    >>> parse_instant("as_of", "2024-05-01T12:00:00+02:00").isoformat()
    '2024-05-01T10:00:00+00:00'
    """
    if text is None:
        return None
    value = text.strip()
    if not _INSTANT.match(value):
        raise InvalidParameter(f"{name} : « {value[:40]} » n'est pas un instant RFC 3339 avec "
                               "son fuseau (ex. 2024-05-01T10:00:00Z)")
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError as exc:
        raise InvalidParameter(f"{name} : instant impossible « {value[:40]} »") from exc
    return moment.astimezone(UTC)
