"""Numbers typed by users, read one way everywhere (API, CLI, batch files): ASCII digits
only. Python's ``int()`` and ``float()`` also take ``１.４`` (full-width), ``١٢`` (Arabic-
Indic), ``²`` via ``isdigit()`` and ``1_000``; a public API must not give these a meaning
(nor a 500), so every number from a user goes through these two functions."""

from __future__ import annotations

import math
import re

_INT = re.compile(r"[+-]?[0-9]{1,18}")
_FLOAT = re.compile(r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?")


def ascii_int(text: str) -> int | None:
    """The integer written in ASCII digits (sign allowed, surrounding blanks ignored), or
    None.

    >>> ascii_int(" 42 "), ascii_int("４２"), ascii_int("1_000")
    (42, None, None)
    """
    text = text.strip()
    return int(text) if _INT.fullmatch(text) else None


def ascii_float(text: str) -> float | None:
    """The finite decimal number written in ASCII (``.`` as decimal point), or None.

    >>> ascii_float("-3.5"), ascii_float("１.４"), ascii_float("1e999"), ascii_float("nan")
    (-3.5, None, None, None)
    """
    text = text.strip()
    if not _FLOAT.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None
