"""Tables that people open in a spreadsheet: one Excel-FR dialect for every CSV, and XLSX or
ODS workbooks with typed cells and a « Dictionnaire » sheet.

Every table the service writes (items, exports, the ranking, the bilan, the diagnosis) is
first a :class:`Table`: its columns (name, French label, type, unit, description, source,
vintage) and its rows of plain Python values. Then:

- :func:`to_csv` writes it as CSV. ``excel=True`` is the **Excel-FR** form, the same
  everywhere: UTF-8 with BOM, ``;`` separator, a decimal comma in *every* number (never
  only in some columns), ``oui``/``non`` for booleans, lists joined with ``|``, and every
  text cell made formula-safe (:mod:`geoservice.csvsafe`). The plain form (``,``, decimal
  point) is for programs.
- :func:`to_xlsx` (openpyxl) and :func:`to_ods` (odfdo) write a workbook: one sheet per
  table, a header of French labels, numbers as numbers, booleans as booleans, full dates
  (``AAAA-MM-JJ``) as dates, then a « Dictionnaire » sheet that says, for each column, its
  name in the files and the API, its label, type and unit, description, source and vintage.
  Text cells are typed as text, so a value like ``=HYPERLINK(…)`` is never a formula.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from . import csvsafe

BOM = "\ufeff"
LIST_SEPARATOR = "|"
TYPE_LABELS = {
    "string": "texte", "integer": "nombre entier", "number": "nombre décimal",
    "boolean": "oui / non", "date": "date (AAAA-MM-JJ ; parfois AAAA ou AAAA-MM)",
    "array": "liste (valeurs séparées par « | »)",
}
DICTIONARY = "Dictionnaire"
DICTIONARY_HEADER = ("Feuille", "Colonne", "Libellé", "Type et unité", "Description",
                     "Source", "Millésime")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_CELL = 32_767  # characters in one spreadsheet cell (Excel's limit)
# control characters XML 1.0 cannot hold (openpyxl and lxml refuse them): dropped from cells
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Column:
    """One column: its name (as in the API and the CSV header) and what it means."""

    name: str
    label: str
    type: str = "string"
    """``string``, ``integer``, ``number``, ``boolean``, ``date`` or ``array``."""
    unit: str | None = None
    description: str = ""
    source: str = ""
    vintage: str = ""

    @property
    def kind(self) -> str:
        """Type and unit in words (« nombre décimal, m »)."""
        text = TYPE_LABELS.get(self.type, self.type)
        return f"{text}, {self.unit}" if self.unit else text


@dataclass
class Table:
    """A sheet: a name (≤ 31 characters), columns, rows of plain values, notes said
    below the dictionary (licence, parameters, what the table leaves out)."""

    name: str
    columns: list[Column]
    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


# -- CSV --------------------------------------------------------------------------------------


def excel_fr(value: Any) -> str:
    """One cell in the Excel-FR dialect: decimal comma for every number, ``oui``/``non``,
    lists joined with ``|``, dates in ISO form, empty for a missing value.

    >>> excel_fr(17.1), excel_fr(True), excel_fr(3), excel_fr(None), excel_fr(["a", "b"])
    ('17,1', 'oui', '3', '', 'a|b')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(excel_fr(v) for v in value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def plain_cell(value: Any) -> Any:
    """One cell in the plain CSV form (for programs): decimal point, lists joined with
    ``|``, empty for a missing value; booleans as ``true``/``false`` like JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(plain_cell(v)) for v in value)
    return value


def _normal(column: Column, value: Any) -> Any:
    """An integer column's whole floats as integers (a frame with gaps holds them as
    floats); NaN as missing."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if column.type == "integer" and value.is_integer():
            return int(value)
    return value


def csv_rows(table: Table, excel: bool) -> Iterable[list[Any]]:
    """The table's rows as cells in one of the two CSV forms."""
    convert = excel_fr if excel else plain_cell
    columns = table.columns
    for row in table.rows:
        yield [convert(_normal(c, v)) for c, v in zip(columns, row, strict=True)]


def to_csv(table: Table, excel: bool = True) -> str:
    """The table as CSV text (Excel-FR by default: BOM, ``;``, decimal comma), header of
    column names, every cell formula-safe."""
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(table.names)
    writer.writerows(csv_rows(table, excel))
    return (BOM if excel else "") + buffer.getvalue()


# -- workbooks --------------------------------------------------------------------------------


def typed(column: Column, value: Any) -> Any:
    """A cell value for a spreadsheet: numbers as numbers, full dates as dates, lists as
    ``a|b`` text, None (empty cell) for a missing value, long text cut to one cell."""
    value = _normal(column, value)
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    if column.type == "date" and isinstance(value, str) and _FULL_DATE.fullmatch(value):
        return date.fromisoformat(value)
    if isinstance(value, bool | int | float | date):
        return value
    text = _NOT_XML.sub("", str(value))
    return text if len(text) <= _MAX_CELL else text[:_MAX_CELL - 1] + "…"


def dictionary(tables: Sequence[Table]) -> Table:
    """The « Dictionnaire » sheet: one row per column of every table, then the notes."""
    rows = [[t.name, c.name, c.label, c.kind, c.description, c.source, c.vintage]
            for t in tables for c in t.columns]
    notes = [note for t in tables for note in t.notes]
    columns = [Column(h.lower(), h) for h in DICTIONARY_HEADER]
    return Table(DICTIONARY, columns, rows, notes)


def _sheet_rows(table: Table, labels: bool = True) -> Iterable[list[Any]]:
    yield [_NOT_XML.sub("", c.label if labels else c.name) for c in table.columns]
    for row in table.rows:
        yield [typed(c, v) for c, v in zip(table.columns, row, strict=True)]


def _dictionary_rows(tables: Sequence[Table]) -> Iterable[list[Any]]:
    sheet = dictionary(tables)
    yield from _sheet_rows(sheet)
    if sheet.notes:
        yield []
        for note in sheet.notes:
            yield [_NOT_XML.sub("", note)]


def sheet_name(text: str) -> str:
    """A valid sheet name: ≤ 31 characters, none of ``[]:*?/\\``."""
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31] or "Feuille"


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """An Office Open XML workbook (openpyxl): the tables, then the dictionary."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    sheets = [(t, _sheet_rows(t)) for t in tables]
    sheets.append((dictionary(tables), _dictionary_rows(tables)))
    for table, rows in sheets:
        sheet = book.create_sheet(sheet_name(table.name))
        widths = [len(c.label) for c in table.columns]
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                elif isinstance(value, date):
                    cell.number_format = "DD/MM/YYYY"
                if r == 1:
                    cell.font = bold
                if c <= len(widths) and value is not None:
                    widths[c - 1] = max(widths[c - 1], min(len(str(value)), 60))
        for c, width in enumerate(widths, start=1):
            sheet.column_dimensions[_letter(c)].width = min(max(width, 8), 60) + 2
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def to_ods(tables: Sequence[Table]) -> bytes:
    """An OpenDocument spreadsheet (odfdo): the tables, then the dictionary."""
    from odfdo import Cell, Document, Row
    from odfdo import Table as OdsTable

    document = Document("spreadsheet")
    body = document.body
    body.clear()
    sheets = [(sheet_name(t.name), _sheet_rows(t)) for t in tables]
    sheets.append((DICTIONARY, _dictionary_rows(tables)))
    document.set_part("settings.xml", _frozen_header_settings([n for n, _ in sheets]))
    for name, rows in sheets:
        sheet = OdsTable(name)
        for values in rows:
            row = Row()
            for value in values:
                row.append_cell(_ods_cell(Cell, value))
            sheet.append_row(row)
        body.append(sheet)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _frozen_header_settings(names: Sequence[str]) -> bytes:
    """``settings.xml`` freezing the first row of each sheet, as LibreOffice writes it:
    the header stays in view, and GDAL/QGIS take the first row as field names whatever
    the data (without it, GDAL guesses, and a first data row ending with empty cells makes
    it read the header as data)."""
    from xml.sax.saxutils import quoteattr

    item = '<config:config-item config:name="{}" config:type="{}">{}</config:config-item>'
    entries = "".join(
        f"<config:config-item-map-entry config:name={quoteattr(name)}>"
        + item.format("VerticalSplitMode", "short", 2)
        + item.format("VerticalSplitPosition", "int", 1)
        + item.format("ActiveSplitRange", "short", 2)
        + item.format("PositionBottom", "int", 1)
        + "</config:config-item-map-entry>" for name in names)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-settings '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" office:version="1.3">'
        '<office:settings><config:config-item-set config:name="ooo:view-settings">'
        '<config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
        + item.format("ViewId", "string", "view1")
        + '<config:config-item-map-named config:name="Tables">' + entries
        + "</config:config-item-map-named></config:config-item-map-entry>"
        "</config:config-item-map-indexed></config:config-item-set></office:settings>"
        "</office:document-settings>").encode("utf-8")


def _ods_cell(cell_class: Any, value: Any) -> Any:
    if value is None:
        return cell_class()
    if isinstance(value, str):
        return cell_class(value, cell_type="string")
    return cell_class(value)


def workbook(tables: Sequence[Table], fmt: str) -> bytes:
    """``fmt`` ``xlsx`` or ``ods``."""
    return to_xlsx(tables) if fmt == "xlsx" else to_ods(tables)


# -- columns of a catalogue layer -------------------------------------------------------------


def layer_column(layer: Any, name: str) -> Column:
    """The column of a property of a catalogue layer (``LayerDef``): label, type and unit
    from its YAML; the description says the allowed values and the English label; source
    and vintage are the layer's."""
    spec = layer.properties[name]
    parts = []
    labels = spec.enum_labels or {}
    values = spec.enum or spec.items_enum
    if values:
        said = [f"{v} ({labels[v].fr})" if v in labels else v for v in values]
        parts.append("Valeurs : " + ", ".join(said) + ".")
    parts.append(f"En anglais : {spec.label.en}.")
    source = layer.publisher + (f" ({layer.attribution})" if layer.attribution else "")
    return Column(name, spec.label.fr, spec.type, getattr(spec, "unit", None),
                  " ".join(parts), f"{source} ; licence {layer.licence}", layer.vintage)
