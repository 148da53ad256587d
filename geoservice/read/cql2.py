"""CQL2 filters (OGC API – Features Part 3): parsed by pygeofilter, checked against the
layer's queryables, then either evaluated on a snapshot (embedded store) or compiled to SQL
(PostGIS, :func:`to_sql`). Both follow SQL's three-valued logic, so both stores answer the
same: a comparison with a missing value is *unknown*, and only *true* rows are kept.

Supported: ``= <> < <= > >=``, ``LIKE`` (``%`` and ``_``, case-sensitive, no backtracking), ``IN``,
``BETWEEN``, ``IS [NOT] NULL``, ``AND``/``OR``/``NOT``, ``CASEI(…)``, and
``S_INTERSECTS(geometry, …)`` with a ``BBOX`` or any WKT/GeoJSON geometry in CRS84.
On a list property (``defi``), ``=`` means "the list contains".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from ..catalog import LayerDef
from ..errors import InvalidParameter
from .cql2_errors import syntax_message

LANGS = ("cql2-text", "cql2-json")
GEOMETRY = "geometry"
MAX_LENGTH = 20_000
MAX_NESTING = 100
"""Deepest nesting of a filter's operations (``a OR b OR c`` nests once per ``OR``)."""


@dataclass(frozen=True)
class Filter:
    """A parsed, checked CQL2 filter for one layer."""

    node: Any
    layer: LayerDef
    text: str


def parse(text: str, lang: str | None, layer: LayerDef) -> Filter:
    """Parse ``text`` in ``lang`` (cql2-text by default) and check it against ``layer``."""
    from pygeofilter.parsers.cql2_json import parse as parse_json
    from pygeofilter.parsers.cql2_text import parse as parse_text

    lang = (lang or "cql2-text").strip().lower()
    if lang not in LANGS:
        raise InvalidParameter(f"filter-lang : « {lang[:30]} » inconnu (possibles : "
                               f"{', '.join(LANGS)})")
    if len(text) > MAX_LENGTH:
        raise InvalidParameter(f"filter : expression trop longue (plus de {MAX_LENGTH} "
                               "caractères)")
    try:
        if lang == "cql2-json":
            node = parse_json(_bbox_literals(json.loads(text)))
        else:
            node = parse_text(text)
    except InvalidParameter:
        raise
    except Exception as exc:  # noqa: BLE001 — lark and json errors: the text is wrong
        raise InvalidParameter(syntax_message(exc, lang)) from exc
    if _nesting(node) > MAX_NESTING:
        raise InvalidParameter(f"filter : expression trop imbriquée (plus de {MAX_NESTING} "
                               "niveaux, ou autant de AND/OR enchaînés) ; pour une liste de "
                               "valeurs, écrivez « propriété IN ('a', 'b', …) »")
    _check(node, layer)
    return Filter(node, layer, text)


def _nesting(node: Any) -> int:
    """How deeply the operations of a parsed filter nest (without recursion: the checks,
    the evaluation and the SQL translation recurse, once per level)."""
    ast, _ = _ast()
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if not isinstance(current, ast.Node):
            continue
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            break
        stack.extend((child, depth + 1) for child in current.get_sub_nodes())
    return deepest


def _first_line(exc: Exception) -> str:
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return line[:160]


def _bbox_literals(value: Any) -> Any:
    """``{"bbox": [minx, miny, maxx, maxy]}`` → a GeoJSON polygon (pygeofilter 0.4 reads the
    four numbers in the wrong order)."""
    if isinstance(value, dict):
        if set(value) == {"bbox"}:
            box = value["bbox"]
            if not isinstance(box, list) or len(box) not in (4, 6):
                raise InvalidParameter("filter : bbox attend 4 nombres")
            if len(box) == 6:
                box = [box[0], box[1], box[3], box[4]]
            return shapely.geometry.mapping(shapely.box(*_numbers(box)))
        return {k: _bbox_literals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_bbox_literals(v) for v in value]
    return value


def _numbers(values: list) -> list[float]:
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise InvalidParameter("filter : bbox attend des nombres")
    return [float(v) for v in values]


# -- checking ---------------------------------------------------------------------------


def _ast():
    from pygeofilter import ast, values

    return ast, values


def _check(node: Any, layer: LayerDef) -> None:
    ast, values = _ast()
    if isinstance(node, ast.Attribute):
        name = node.name
        if name == GEOMETRY:
            return
        spec = layer.properties.get(name)
        if spec is None or not spec.filterable:
            queryables = [n for n, p in layer.properties.items() if p.filterable]
            raise InvalidParameter(f"filter : propriété inconnue « {name[:40]} » pour "
                                   f"{layer.id} (possibles : {', '.join(queryables)}, "
                                   f"{GEOMETRY})")
        return
    supported = (ast.And, ast.Or, ast.Not, ast.Comparison, ast.Like, ast.In, ast.Between,
                 ast.IsNull, ast.GeometryIntersects, ast.Function, ast.Attribute)
    if isinstance(node, ast.Node) and not isinstance(node, supported):
        raise InvalidParameter(f"filter : opération non prise en charge "
                               f"({type(node).__name__}) ; voir /api/conformance")
    if isinstance(node, ast.Function) and node.name.lower() not in ("lower", "casei", "bbox"):
        raise InvalidParameter(f"filter : fonction non prise en charge « {node.name[:30]} »")
    if isinstance(node, ast.GeometryIntersects):
        if not (isinstance(node.lhs, ast.Attribute) and node.lhs.name == GEOMETRY):
            raise InvalidParameter("filter : S_INTERSECTS attend la propriété « geometry » en "
                                   "premier argument")
        _literal_geometry(node.rhs)
        return
    if isinstance(node, ast.Comparison | ast.Like | ast.Between | ast.In | ast.IsNull):
        target = node.lhs
        if isinstance(target, ast.Function):
            target = target.arguments[0] if target.arguments else None
        if not isinstance(target, ast.Attribute) or target.name == GEOMETRY:
            raise InvalidParameter("filter : une comparaison porte sur une propriété, à "
                                   "gauche (ex. lib_qp = 'Empalot')")
        if isinstance(node, ast.Like) and _ends_escaped(node.pattern):
            raise InvalidParameter("filter : un motif LIKE ne peut pas finir par le "
                                   "caractère d'échappement « \\ » (écrire « \\\\ » pour "
                                   "une barre oblique inverse)")
        spec = layer.properties.get(target.name)
        if spec is not None and spec.type == "array" and not isinstance(
                node, ast.Equal | ast.IsNull | ast.In):
            raise InvalidParameter(f"filter : « {target.name} » est une liste : seuls =, IN et "
                                   "IS NULL s'y appliquent (= veut dire « contient »)")
    for child in _children(node):
        _check(child, layer)


def _ends_escaped(pattern: Any) -> bool:
    """Does a LIKE pattern (a string, or CASEI of one) end with a lone ``\\``? PostgreSQL
    refuses it; both stores answer 400 alike."""
    ast, _ = _ast()
    if isinstance(pattern, ast.Function) and pattern.arguments:
        pattern = pattern.arguments[0]
    if not isinstance(pattern, str):
        return False
    escaped = False
    for char in pattern:
        escaped = not escaped and char == "\\"
    return escaped


def _children(node: Any) -> list:
    ast, _ = _ast()
    if isinstance(node, ast.Combination):
        return [node.lhs, node.rhs]
    if isinstance(node, ast.Not):
        return [node.sub_node]
    if isinstance(node, ast.Comparison):
        return [node.lhs, node.rhs]
    if isinstance(node, ast.Like | ast.IsNull | ast.Between):
        return [node.lhs]
    if isinstance(node, ast.In):
        return [node.lhs]
    if isinstance(node, ast.Function):
        return list(node.arguments)
    return []


def _literal_geometry(node: Any) -> shapely.Geometry:
    ast, values = _ast()
    try:
        if isinstance(node, ast.Function) and node.name.lower() == "bbox":
            box = _numbers(list(node.arguments))
            if len(box) == 6:
                box = [box[0], box[1], box[3], box[4]]
            if len(box) != 4:
                raise InvalidParameter("filter : BBOX attend 4 nombres")
            return shapely.box(*box)
        if isinstance(node, values.Envelope):
            return shapely.box(node.x1, node.y1, node.x2, node.y2)
        if isinstance(node, values.Geometry):
            geom = shape(node.geometry)
            if geom.is_empty or not shapely.is_valid(geom):
                raise InvalidParameter("filter : géométrie vide ou invalide")
            return geom
    except InvalidParameter:
        raise
    except Exception as exc:  # noqa: BLE001
        raise InvalidParameter("filter : géométrie illisible ; écrivez-la en WKT, par exemple "
                               "POINT(1.44 43.6) ou BBOX(1.4,43.5,1.5,43.7)") from exc
    raise InvalidParameter("filter : S_INTERSECTS attend une géométrie (BBOX, POINT, "
                           "POLYGON…) en second argument")


def _value(node: Any, spec_type: str, name: str) -> Any:
    """A literal, typed for the property it is compared with."""
    if isinstance(node, bool):
        if spec_type != "boolean":
            raise InvalidParameter(f"filter : « {name} » n'est pas un booléen")
        return node
    if isinstance(node, int | float):
        if spec_type not in ("integer", "number"):
            raise InvalidParameter(f"filter : « {name} » n'est pas un nombre : mettez la "
                                   "valeur entre apostrophes")
        return float(node)
    if isinstance(node, datetime | date):
        return node.isoformat()[:10]
    if isinstance(node, str):
        if spec_type in ("integer", "number", "boolean"):
            raise InvalidParameter(f"filter : « {name} » attend un "
                                   f"{'nombre' if spec_type != 'boolean' else 'booléen'}, "
                                   f"pas « {node[:30]} »")
        return node
    raise InvalidParameter(f"filter : valeur non prise en charge pour « {name} »")


# -- evaluation on a snapshot -----------------------------------------------------------

Tri = tuple[np.ndarray, np.ndarray]  # (is true, is false); neither = unknown


def evaluate(flt: Filter, column: Callable[[str], list], geometries: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows for which the filter is true. ``column(name)`` gives one
    property's values (JSON-ready, None when missing) in row order."""
    true, _false = _eval(flt.node, flt.layer, column, geometries)
    return true


def _eval(node: Any, layer: LayerDef, column: Callable[[str], list], geoms: np.ndarray) -> Tri:
    ast, _ = _ast()
    n = len(geoms)
    if isinstance(node, ast.And):
        t1, f1 = _eval(node.lhs, layer, column, geoms)
        t2, f2 = _eval(node.rhs, layer, column, geoms)
        return t1 & t2, f1 | f2
    if isinstance(node, ast.Or):
        t1, f1 = _eval(node.lhs, layer, column, geoms)
        t2, f2 = _eval(node.rhs, layer, column, geoms)
        return t1 | t2, f1 & f2
    if isinstance(node, ast.Not):
        t, f = _eval(node.sub_node, layer, column, geoms)
        return f, t
    if isinstance(node, ast.GeometryIntersects):
        area = _literal_geometry(node.rhs)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        hits = np.zeros(n, dtype=bool)
        hits[present] = shapely.intersects(geoms[present], area)
        return hits, present & ~hits
    name, lower = _target(node.lhs)
    spec = layer.properties[name]
    raw = column(name)
    values = [(_lower(v) if lower else v) for v in raw]
    known = np.array([v is not None for v in values], dtype=bool)
    if isinstance(node, ast.IsNull):
        missing = ~known if spec.type != "array" else np.array([not v for v in raw])
        return (~missing, missing) if node.not_ else (missing, ~missing)
    if spec.type == "array":
        known = np.ones(n, dtype=bool)  # an empty list is known
        values = [v or [] for v in raw]
    test = _predicate(node, spec.type, name, lower)
    holds = np.array([bool(k) and test(v) for v, k in zip(values, known, strict=True)],
                     dtype=bool)
    return holds, known & ~holds


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _target(node: Any) -> tuple[str, bool]:
    ast, _ = _ast()
    if isinstance(node, ast.Function):
        return node.arguments[0].name, True
    return node.name, False


def _rhs(node: Any, spec_type: str, name: str, lower: bool) -> Any:
    ast, _ = _ast()
    if isinstance(node, ast.Function):  # CASEI('…') on the right
        if not node.arguments:
            raise InvalidParameter("filter : CASEI attend un argument")
        node = node.arguments[0]
        lower = True
    value = _value(node, "string" if spec_type == "array" else spec_type, name)
    return _lower(value) if lower else value


class LikePattern:
    """CQL2 LIKE: ``%`` any run, ``_`` one character, ``\\`` escapes (a trailing lone
    ``\\`` is ignored). Matched without backtracking: the pattern is cut at each ``%`` into
    fixed-width segments (``_`` = any one character); the first must begin the text, the
    last must end it, and each middle one is taken at its leftmost place after the previous
    one (the leftmost place never loses a match). The text is read left to right once per
    segment start at most, so a match costs at most ``len(text) × len(pattern)``
    comparisons, whatever the pattern (a regular expression of ``.*`` runs backtracks
    exponentially on ``'%_%_%_…%#'``)."""

    def __init__(self, pattern: str) -> None:
        segments: list[list[str | None]] = [[]]
        escaped = False
        for char in pattern:
            if escaped:
                segments[-1].append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "%":
                segments.append([])
            elif char == "_":
                segments[-1].append(None)
            else:
                segments[-1].append(char)
        self.segments = [tuple(s) for s in segments]
        self.anchored = len(self.segments) == 1  # no %: the whole text, exactly
        self.width = sum(len(s) for s in self.segments)
        # a segment without _ is searched by str.find (C); else by _find, in Python
        self._literal = ["".join(s) if None not in s else None  # type: ignore[arg-type]
                         for s in self.segments]
        self.steps = 0  # comparisons made (the literal searches counted by their bound)

    def _at(self, text: str, i: int, k: int) -> bool:
        """Does segment ``k`` match ``text`` at ``i`` (it fits there)?"""
        literal = self._literal[k]
        segment = self.segments[k]
        if literal is not None:
            self.steps += max(1, len(literal))
            return text.startswith(literal, i)
        for j, char in enumerate(segment):
            self.steps += 1
            if char is not None and text[i + j] != char:
                return False
        return True

    def _find(self, text: str, k: int, start: int, stop: int) -> int:
        """Leftmost ``i`` in [start, stop] where segment ``k`` matches, or -1."""
        literal = self._literal[k]
        if literal is not None:
            self.steps += max(1, (stop - start + 1) * max(1, len(literal)))
            return text.find(literal, start, stop + len(literal))
        for i in range(start, stop + 1):
            if self._at(text, i, k):
                return i
        return -1

    def match(self, text: str) -> bool:
        segments, n = self.segments, len(text)
        if self.anchored:
            return n == self.width and self._at(text, 0, 0)
        if n < self.width:
            return False
        first, last = len(segments[0]), len(segments[-1])
        if not (self._at(text, 0, 0) and self._at(text, n - last, len(segments) - 1)):
            return False
        position, end = first, n - last  # the middle segments lie in [first, n - last)
        for k in range(1, len(segments) - 1):
            width = len(segments[k])
            found = self._find(text, k, position, end - width)
            if found < 0:
                return False
            position = found + width
        return True


def _predicate(node: Any, spec_type: str, name: str, lower: bool) -> Callable[[Any], bool]:
    ast, _ = _ast()
    array = spec_type == "array"
    if isinstance(node, ast.Like):
        like = LikePattern(str(_rhs(node.pattern, "string", name, lower)))
        return (lambda v: not like.match(str(v))) if node.not_ else \
            (lambda v: like.match(str(v)))
    if isinstance(node, ast.In):
        options = [_rhs(o, spec_type, name, lower) for o in node.sub_nodes]
        if array:
            return (lambda v: not any(o in v for o in options)) if node.not_ else \
                (lambda v: any(o in v for o in options))
        return (lambda v: v not in options) if node.not_ else (lambda v: v in options)
    if isinstance(node, ast.Between):
        low = _rhs(node.low, spec_type, name, lower)
        high = _rhs(node.high, spec_type, name, lower)
        inside = lambda v: low <= v <= high  # noqa: E731
        return (lambda v: not inside(v)) if node.not_ else inside
    value = _rhs(node.rhs, spec_type, name, lower)
    if array:
        return lambda v: value in v
    ops: dict[type, Callable[[Any], bool]] = {
        ast.Equal: lambda v: v == value, ast.NotEqual: lambda v: v != value,
        ast.LessThan: lambda v: v < value, ast.LessEqual: lambda v: v <= value,
        ast.GreaterThan: lambda v: v > value, ast.GreaterEqual: lambda v: v >= value,
    }
    return ops[type(node)]


# -- SQL (PostGIS) ----------------------------------------------------------------------

_SQL_OPS = {"Equal": "=", "NotEqual": "<>", "LessThan": "<", "LessEqual": "<=",
            "GreaterThan": ">", "GreaterEqual": ">="}


def to_sql(flt: Filter) -> tuple[str, list[Any]]:
    """The filter as a PostgreSQL boolean expression over the ``features`` table
    (``properties`` jsonb, ``geometry`` in EPSG:4326), with its parameters."""
    params: list[Any] = []
    return _sql(flt.node, flt.layer, params), params


def _column_sql(name: str, spec_type: str, lower: bool) -> str:
    safe = name.replace("'", "''")
    text = f"(properties->>'{safe}')"
    if spec_type in ("integer", "number"):
        return f"({text}::double precision)"
    if spec_type == "boolean":
        return f"({text}::boolean)"
    return f"lower{text}" if lower else text


def _sql(node: Any, layer: LayerDef, params: list[Any]) -> str:
    ast, _ = _ast()
    if isinstance(node, ast.And | ast.Or):
        op = "AND" if isinstance(node, ast.And) else "OR"
        return f"({_sql(node.lhs, layer, params)} {op} {_sql(node.rhs, layer, params)})"
    if isinstance(node, ast.Not):
        return f"(NOT {_sql(node.sub_node, layer, params)})"
    if isinstance(node, ast.GeometryIntersects):
        params.append(_literal_geometry(node.rhs).wkt)
        return "ST_Intersects(geometry, ST_GeomFromText(%s, 4326))"
    name, lower = _target(node.lhs)
    spec = layer.properties[name]
    safe = name.replace("'", "''")
    if spec.type == "array":
        items = f"(properties->'{safe}')"
        if isinstance(node, ast.IsNull):
            empty = f"({items} IS NULL OR jsonb_typeof({items}) = 'null' OR {items} = '[]')"
            return f"(NOT {empty})" if node.not_ else empty
        options = node.sub_nodes if isinstance(node, ast.In) else [node.rhs]
        tests = []
        for option in options:
            params.append(_rhs(option, "array", name, lower))
            tests.append(f"COALESCE(jsonb_exists({items}, %s), FALSE)")
        joined = "(" + " OR ".join(tests) + ")"
        return f"(NOT {joined})" if getattr(node, "not_", False) else joined
    column = _column_sql(name, spec.type, lower)
    if isinstance(node, ast.IsNull):
        return f"({column} IS {'NOT ' if node.not_ else ''}NULL)"
    if isinstance(node, ast.Like):
        params.append(str(_rhs(node.pattern, "string", name, lower)))
        return f"({column}::text {'NOT ' if node.not_ else ''}LIKE %s)"
    if isinstance(node, ast.In):
        values = [_rhs(o, spec.type, name, lower) for o in node.sub_nodes]
        params.extend(values)
        marks = ", ".join(["%s"] * len(values))
        return f"({column} {'NOT ' if node.not_ else ''}IN ({marks}))"
    if isinstance(node, ast.Between):
        params.extend([_rhs(node.low, spec.type, name, lower),
                       _rhs(node.high, spec.type, name, lower)])
        return f"({column} {'NOT ' if node.not_ else ''}BETWEEN %s AND %s)"
    params.append(_rhs(node.rhs, spec.type, name, lower))
    return f"({column} {_SQL_OPS[type(node).__name__]} %s)"
