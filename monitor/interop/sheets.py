"""Read the sheets of an XLSForm workbook (``.xlsx`` or ``.xls``) into rows a person can find.

Every row keeps the number the spreadsheet shows (the header is row 1), so that each problem
can be reported as ``sheet survey, row 12: ...``. Cell values are cleaned the way pyxform
reads them: text stripped, whole numbers written without ``.0``, empty cells left out.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from monitor.core.errors import InputError
from monitor.interop.languages import split_header

__all__ = ["FormProblem", "Sheet", "Workbook", "read_workbook"]

#: Whole headers pyxform also accepts, by the name used here.
_HEADER_ALIASES = {
    "bind::relevant": "relevant", "relevance": "relevant",
    "bind::constraint": "constraint",
    "bind::jr:constraintmsg": "constraint_message",
    "bind::required": "required",
    "bind::jr:requiredmsg": "required_message",
    "bind::calculate": "calculation", "calculate": "calculation",
    "control::appearance": "appearance",
    "list name": "list_name",
    "caption": "label",
}


@dataclass(frozen=True)
class FormProblem:
    """One thing wrong (``error``: nothing is written) or left out (``warning``) in a form.

    ``row`` is the row a person sees in the spreadsheet; ``None`` for the whole sheet.
    """

    sheet: str
    row: int | None
    message: str
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"sheet {self.sheet}" + (f", row {self.row}" if self.row is not None else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Column:
    """One column: the header as written, what it names (``label``), and its language part."""

    index: int
    header: str
    base: str
    language: str | None


@dataclass
class Sheet:
    """A sheet's columns and rows; each row maps column index → cleaned value."""

    name: str
    columns: list[Column]
    rows: list[tuple[int, dict[int, Any]]] = field(default_factory=list)

    def find(self, base: str) -> Column | None:
        """The first column named *base* without a language (``type``, ``name``)."""
        return next((c for c in self.columns if c.base == base and c.language is None), None)

    def value(self, values: dict[int, Any], base: str) -> Any:
        column = self.find(base)
        return values.get(column.index) if column is not None else None

    def text(self, values: dict[int, Any], base: str) -> str:
        value = self.value(values, base)
        return "" if value is None else str(value)

    def translations(self, base: str) -> list[Column]:
        """Columns holding *base* in some language, the plain one (no language) included."""
        return [c for c in self.columns if c.base == base]

    def __iter__(self) -> Iterator[tuple[int, dict[int, Any]]]:
        return iter(self.rows)


@dataclass
class Workbook:
    """The sheets of an XLSForm by lower-cased name, in file order."""

    path: Path
    sheets: dict[str, Sheet]

    def get(self, name: str) -> Sheet | None:
        return self.sheets.get(name)


def read_workbook(path: Path) -> Workbook:
    """Read every sheet of the XLSForm at *path*.

    :raises InputError: the file is missing, not a spreadsheet, or damaged (the message says
        which file and what to do).
    """
    path = Path(path)
    try:
        head = path.read_bytes()[:8]
    except OSError as error:
        raise InputError(f"cannot read {path.name}: {error.strerror or error}.") from None
    if head.startswith(b"PK"):
        grids = _xlsx_grids(path)
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        grids = _xls_grids(path)
    else:
        raise InputError(f"cannot read {path.name}: it is not an Excel workbook (.xlsx or .xls). "
                         "Save the XLSForm from your spreadsheet program as .xlsx.")
    sheets: dict[str, Sheet] = {}
    for title, grid in grids:
        sheets.setdefault(title.strip().lower(), _sheet(title.strip().lower(), grid))
    return Workbook(path, sheets)


def _sheet(name: str, grid: list[list[Any]]) -> Sheet:
    header = grid[0] if grid else []
    columns: list[Column] = []
    for index, cell in enumerate(header):
        text = _clean(cell)
        if text is None:
            continue
        text = str(text)
        alias = _HEADER_ALIASES.get(" ".join(text.lower().split()))
        if alias is not None:
            columns.append(Column(index, text, alias, None))
            continue
        base, language = split_header(text)
        columns.append(Column(index, text, base, language))
    sheet = Sheet(name, columns)
    for number, cells in enumerate(grid[1:], start=2):
        values = {c.index: _clean(cells[c.index]) for c in columns if c.index < len(cells)}
        values = {k: v for k, v in values.items() if v is not None}
        if values:
            sheet.rows.append((number, values))
    return sheet


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value).strip()
    return text or None


def _xlsx_grids(path: Path) -> list[tuple[str, list[list[Any]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise InputError(f"cannot read {path.name}: the workbook is damaged ({error}). "
                         "Open it in a spreadsheet program and save it again as .xlsx.") from None
    try:
        return [(sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
                for sheet in book.worksheets]
    finally:
        book.close()


def _xls_grids(path: Path) -> list[tuple[str, list[list[Any]]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path))
    except xlrd.XLRDError as error:
        raise InputError(f"cannot read {path.name}: {error}. Save it again as .xlsx.") from None
    return [(sheet.name, [sheet.row_values(r) for r in range(sheet.nrows)])
            for sheet in book.sheets()]
