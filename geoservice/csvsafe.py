"""CSV cells that a spreadsheet cannot run (OWASP "CSV injection").

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK(…)``, ``+1+2``, ``@SUM(A1)``,
``-3+4``). Every CSV the service writes goes through :func:`writer`, which prefixes such a
cell with an apostrophe (shown as text, not as a formula), unless the whole cell is a plain
number (``-3.5``, or ``-3,5`` in the Excel-FR form), which stays a number. Header cells are
treated the same way (a batch file's own column names come back in the output).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")


def cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet (numbers and other types unchanged).

    >>> cell("=HYPERLINK(\\"http://x\\",\\"y\\")"), cell("-3.5"), cell("-3+4"), cell(-3.5)
    ('\\'=HYPERLINK("http://x","y")', '-3.5', "'-3+4", -3.5)
    """
    if isinstance(value, str) and value.startswith(TRIGGERS) \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


_FIRST = frozenset(TRIGGERS)


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`cell` (inlined: a batch writes
    millions of cells, and most start with no trigger)."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([
            "'" + v if v.__class__ is str and v[:1] in _FIRST
            and not _PLAIN_NUMBER.fullmatch(v) else v for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: Any, **options: Any) -> SafeWriter:
    return SafeWriter(stream, **options)
