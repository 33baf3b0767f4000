"""Read a table of records from the kinds of file people actually publish.

:func:`read_table` knows nothing about facilities: it finds the rows and columns in a file and
leaves the meaning of the columns to the caller (see :mod:`monitor.imports.facilities`).

Formats
    The format is recognised from the file's content, not trusted from its name, because
    published files are often misnamed (a ``.xls`` that is really a ``.xlsx``, a ``.csv`` saved
    as ``.txt``):

    - delimited text (``csv``, or ``tsv`` when the separator is a tab);
    - ``xlsx`` (Excel 2007 and later), read with openpyxl;
    - ``xls`` (Excel 97–2003), read with xlrd;
    - ``geojson``: a FeatureCollection (or a single Feature);
    - ``json``: an array of objects, or an object holding one such array (``{"data": [...]}``).

    Other files are refused with a sentence naming the file and saying what it seems to be
    (a PDF, a Word document, an OpenDocument spreadsheet, a ZIP archive, a web page...).

Text files
    Encoding: a byte order mark decides (UTF-8, UTF-16, UTF-32); without one, UTF-8 is used when
    the bytes are valid UTF-8, then Windows-1252 (a superset of Latin-1) when the text reads as
    a Western European language, then the guess of charset-normalizer (Cyrillic, Greek, ...).
    Separator: comma, semicolon, tab or vertical bar, whichever splits the most lines into the
    same number of cells; an Excel ``sep=;`` first line is obeyed. Quoted cells may hold
    separators and line breaks.

Spreadsheets
    The sheet read is the one whose header names the most known columns; failing that, a sheet
    whose name suggests a list (``Facilities``, ``Centros``, ``Data``...), or else the first
    sheet with anything in it (visible sheets before hidden ones). Cells give the values last saved by the spreadsheet program,
    never formulas; a formula without a saved value and error cells (``#REF!``) are read as
    empty and noted. A cell merged over several rows gives its value to every row it covers
    (published lists often merge the country or state cell over a block of rows).

Header and rows
    The header is the first row that looks like one: among the first 30 rows that are not
    blank, the first with the most cells naming known columns (when the caller says which
    names are known), or else the first with several filled cells, mostly text. Rows above it
    (titles, notes) are skipped. Blank rows, and columns with neither a header nor any value,
    are skipped. A column with values but no header is called ``column F`` (spreadsheets) or
    ``column 6`` (text); a repeated header text gets `` (2)`` appended. Header texts are kept
    as written, with runs of spaces and line breaks made one space.

    Below the header, these rows are skipped and noted: a row repeating the header (pages of a
    converted PDF), and rows at the end of the table that are a note (``Fuente: ...``,
    ``Source: ...``, ``* ...``) or a total (``Total``).

GeoJSON and JSON
    Every key found in any record becomes a column, in order of first appearance; nested
    objects give dotted columns (``location.lat``) and lists of plain values one cell
    (``"a; b"``). For GeoJSON, the geometry gives the first two columns, ``latitude`` and
    ``longitude`` (a property of the same name is kept as ``properties.latitude``), and a
    feature's ``id`` gives an ``id`` column. A shape other than a point gives a point inside
    it (noted). A file naming a coordinate system other than WGS 84 (the old ``crs`` member)
    is converted to longitude and latitude.

Row numbers
    :attr:`SourceRow.number` is the row a person finds when opening the file: the sheet row in
    a spreadsheet, the line where the record starts in a text file (a quoted cell with line
    breaks takes several lines). For GeoJSON and JSON it is the position of the feature or
    object in the file, counting from 1 (the header is row 0).

Values
    Cells keep their types (text from text files; numbers, dates and booleans from
    spreadsheets, whole numbers as ``int``); empty cells are ``None``. Cleaning is the
    caller's business.

A file that cannot be read at all raises :class:`~monitor.core.errors.InputError` with a
sentence that names the file and says what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import math
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import charset_normalizer
import openpyxl
import xlrd
from openpyxl.utils import get_column_letter

from monitor.core.errors import InputError
from monitor.core.messages import N_, Message

log = logging.getLogger(__name__)

#: What people may give; named in the message when a file is something else.
EXPECTED = N_("expected .csv, .tsv, .xlsx, .xls, .geojson or .json")

#: How many non-blank rows at the top of a sheet are searched for the header.
HEADER_SEARCH_ROWS = 30

#: A record spanning more lines than this is a quotation mark that was never closed.
MAX_RECORD_LINES = 50

DELIMITERS = (",", ";", "\t", "|")

#: Values a spreadsheet shows for a failed formula.
SPREADSHEET_ERRORS = frozenset(
    {"#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)

# Non-letter characters that Western European text written in Windows-1252 commonly holds.
_WESTERN_SYMBOLS = frozenset("“”‘’‚„–—…€°ºª«»¿¡·§£¥©®±×÷¨´¸¤¦¬¯²³¹¼½¾µ¶•†‡‰™\u00a0\u00ad")

# A sheet with one of these words in its name probably holds the list.
_LIST_SHEET_WORDS = (
    "facilit", "centro", "centre", "center", "lista", "list", "estacion", "establecimiento",
    "etablissement", "detenc", "detention", "retention", "prison", "carcel", "site", "location",
    "data", "dato", "donnee", "dado", "registro", "registry",
)

# First words of a note or total row under a table.
_NOTE_ROW = re.compile(
    r"^\s*(\*|†|fuentes?\b|sources?\b|fontes?\b|notas?\b|notes?\b|elaborad[oa]\b|elaboraci|"
    r"actualizad|actualizaci|updated\b|last updated|mise à jour|mis à jour|última|ultima\b|"
    r"nb\b|n\.b\.|total(es|e)?\b|sum\b|somme\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong (``error``) or worth knowing (``warning``) about a row or a column.

    ``row`` is the row number a person sees (:attr:`SourceRow.number`); ``None`` when the
    problem concerns the whole file. ``column`` is the header text as written in the file.
    """

    row: int | None
    column: str | None
    #: Usually a :class:`~monitor.core.messages.Message`, translated where a page shows it.
    message: str
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return str.__str__(self.text())

    def text(self) -> str:
        """The whole line, "row 3, column name: message", as one translatable message."""
        if self.column is None:
            return self.message if self.row is None else N_("row %(row)s: %(message)s",
                                                            row=self.row, message=self.message)
        # Unnamed columns are already called "column F"; do not say "column column F".
        column = self.column.removeprefix("column ")
        if self.row is None:
            return N_("column %(column)s: %(message)s", column=column, message=self.message)
        return N_("row %(row)s, column %(column)s: %(message)s", row=self.row, column=column,
                  message=self.message)


@dataclass(frozen=True)
class SourceRow:
    """One record of the file: where a person finds it, and its cells by column header."""

    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Table:
    """The rows and columns found in one file, and how the file was read.

    :ivar columns: header texts, in file order (see the module notes for unnamed columns).
    :ivar rows: the records below the header, blank rows left out.
    :ivar format: ``csv``, ``tsv``, ``xlsx``, ``xls``, ``geojson`` or ``json``.
    :ivar encoding: the text encoding (a Python codec name) of text and JSON files.
    :ivar delimiter: the separator of delimited text files.
    :ivar header_row: the row number of the header (0 for GeoJSON and JSON).
    :ivar source: the file name, for messages.
    :ivar sheet: the sheet read, for spreadsheets.
    :ivar notes: warnings about rows or cells that were skipped or adjusted while reading.
    """

    columns: list[str]
    rows: list[SourceRow]
    format: str
    encoding: str | None
    delimiter: str | None
    header_row: int
    source: str = ""
    sheet: str | None = None
    notes: list[RowProblem] = field(default_factory=list)


KnownColumn = Callable[[str], bool]
#: Rows of cells with their row numbers, as read from a file before the header is found.
Grid = list[tuple[int, list[Any]]]


def read_table(path: Path, *, known_column: KnownColumn | None = None) -> Table:
    """Read the table in *path*, whatever the format, encoding or layout.

    :param path: a CSV/TSV, XLSX, XLS, GeoJSON or JSON file.
    :param known_column: says whether a header text names a column the caller understands;
        used to find the header below title rows and to pick the sheet of a workbook.
    :returns: the header, the rows and how the file was read.
    :raises InputError: the file is missing, empty, of another kind, or damaged; the message
        names the file and says what to do.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _unreadable(path, N_("there is no such file")) from None
    except IsADirectoryError:
        raise _unreadable(path, N_("it is a folder, not a file (%(expected)s)",
                                   expected=EXPECTED)) from None
    except PermissionError:
        raise _unreadable(path, N_("permission denied; check who may read the file")) from None
    except OSError as error:
        raise _unreadable(path, N_("the system could not read it (%(reason)s)",
                                   reason=error.strerror)) from None
    if not data.strip():
        raise _unreadable(path, N_("the file is empty"))

    kind = _sniff(data, path)
    if kind == "xlsx":
        table = _read_xlsx(path, data, known_column)
    elif kind == "xls":
        table = _read_xls(path, data, known_column)
    else:
        text, encoding = _decode(data, path)
        if kind == "json":
            table = _read_json(path, text, encoding)
        else:
            table = _read_delimited(path, text, encoding, known_column)
    log.info("table read: format %s, %d columns, %d rows, %d notes", table.format,
             len(table.columns), len(table.rows), len(table.notes))
    return table


# --- what kind of file ---------------------------------------------------------------------


def _unreadable(path: Path, why: str) -> InputError:
    return InputError(N_("cannot read %(file)s: %(reason)s", file=path.name, reason=why))


def _not_a_spreadsheet() -> Message:
    return N_("it is not a spreadsheet (%(expected)s)", expected=EXPECTED)


def _sniff(data: bytes, path: Path) -> str:
    """Name the reader for *data*: ``xlsx``, ``xls``, ``json`` or ``text``."""
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data, path)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"  # the OLE2 container of Excel 97-2003 (xlrd tells what else it may be)
    if data.startswith(b"%PDF"):
        raise _unreadable(
            path,
            N_("it is a PDF document, not a spreadsheet; copy the table into a spreadsheet and "
               "save it as .xlsx or .csv (%(expected)s)", expected=EXPECTED),
        )
    head = data[:2048].replace(b"\x00", b"")
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        head = head.removeprefix(bom)
    head = head.lstrip()
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith(b"<"):
        lowered = data[:4096].replace(b"\x00", b"").lower()
        if b"urn:schemas-microsoft-com:office:spreadsheet" in lowered:
            why = N_("it is an Excel 2003 XML spreadsheet, not a spreadsheet; open it in a "
                     "spreadsheet program and save it as .xlsx or .csv (%(expected)s)",
                     expected=EXPECTED)
        else:
            why = N_("it is a web page or XML document, not a spreadsheet; open it in a "
                     "spreadsheet program and save it as .xlsx or .csv (%(expected)s)",
                     expected=EXPECTED)
        raise _unreadable(path, why)
    if path.suffix.lower() in {".shp", ".dbf", ".kmz", ".gpkg", ".sqlite", ".mdb", ".accdb"}:
        raise _unreadable(path, _not_a_spreadsheet())
    return "text"


def _sniff_zip(data: bytes, path: Path) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = ""
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace")
    except (zipfile.BadZipFile, OSError, KeyError):
        raise _unreadable(
            path, N_("it looks like a spreadsheet but is damaged; open it and save it again")
        ) from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "opendocument.spreadsheet" in mimetype:
        why = N_("it is an OpenDocument spreadsheet (.ods); save it as .xlsx or .csv "
                 "(%(expected)s)", expected=EXPECTED)
    elif "word/document.xml" in names:
        why = N_("it is a Word document, not a spreadsheet; copy the table into a spreadsheet "
                 "(%(expected)s)", expected=EXPECTED)
    else:
        why = N_("it is a ZIP archive; unzip it and import the file inside (%(expected)s)",
                 expected=EXPECTED)
    raise _unreadable(path, why)


# --- text ------------------------------------------------------------------------------------


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    """Decode *data*, returning the text and the name of the encoding used."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _tidy_text(data.decode(encoding)), encoding
            except UnicodeDecodeError as error:
                raise _unreadable(
                    path,
                    N_("it starts as %(encoding)s text but byte %(byte)s is not; save it again "
                       "as UTF-8", encoding=encoding.upper(), byte=error.start),
                ) from None
    sample = data[:4096]
    if b"\x00" in sample:
        encoding = _utf16_without_bom(sample)
        if encoding is None:
            raise _unreadable(path, _not_a_spreadsheet())
        try:
            return _tidy_text(data.decode(encoding)), encoding
        except UnicodeDecodeError:
            raise _unreadable(
                path, N_("it looks like UTF-16 text but is damaged; save it as UTF-8")
            ) from None
    try:
        return _tidy_text(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and _reads_as_western(text):
        return _tidy_text(text), "cp1252"
    guess = charset_normalizer.from_bytes(data).best()
    if guess is None:
        raise _unreadable(path, _not_a_spreadsheet())
    return _tidy_text(str(guess)), guess.encoding


def _utf16_without_bom(sample: bytes) -> str | None:
    # Mostly-ASCII UTF-16 has a zero in every other byte; which half tells the byte order.
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    return None


def _reads_as_western(text: str) -> bool:
    """Whether *text* decoded as Windows-1252 reads like a Western European language.

    Accented letters sit among plain ones ("Estación"); Cyrillic or Greek bytes decoded this
    way give words made only of accented letters, and DOS code pages give stray symbols.
    """
    letters = accented = 0
    for char in text:
        if char.isalpha():
            letters += 1
            accented += ord(char) > 127
        elif ord(char) > 127 and char not in _WESTERN_SYMBOLS:
            return False
    return accented <= max(1, letters * 0.25)


def _tidy_text(text: str) -> str:
    # NUL characters stop the csv module and never belong in a table.
    return text.replace("\x00", "")


def _read_delimited(
    path: Path, text: str, encoding: str, known_column: KnownColumn | None
) -> Table:
    lines = io.StringIO(text, newline="").readlines()
    delimiter = None
    if lines and re.fullmatch(r'"?sep=(.)"?', lines[0].strip(), re.IGNORECASE):
        # Excel's hint line; blank it rather than drop it so line numbers stay true.
        delimiter = re.fullmatch(r'"?sep=(.)"?', lines[0].strip(), re.IGNORECASE).group(1)
        text = "\n" + "".join(lines[1:])
    if delimiter is None:
        delimiter = _guess_delimiter(text, prefer_tab=path.suffix.lower() in {".tsv", ".tab"})

    grid: Grid = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    start = 1
    try:
        for cells in reader:
            if reader.line_num - start + 1 > MAX_RECORD_LINES:
                raise _unreadable(path, _unclosed_quote(start))
            grid.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise _unreadable(path, N_("line %(line)s: %(problem)s; check the quotation marks",
                                   line=start, problem=str(error))) from None
    if grid and _ends_inside_quotes(text, grid[-1][0], delimiter):
        raise _unreadable(path, _unclosed_quote(grid[-1][0]))

    columns, rows, header_row, notes = _tabulate(path, grid, known_column, spreadsheet=False)
    return Table(
        columns=columns,
        rows=rows,
        format="tsv" if delimiter == "\t" else "csv",
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_row,
        source=path.name,
        notes=notes,
    )


def _unclosed_quote(line: int) -> str:
    return N_("line %(line)s: a quotation mark opens a cell that never closes, so the rest of "
              "the file would be read as one cell; close the quotation mark or remove it",
              line=line)


def _ends_inside_quotes(text: str, start: int, delimiter: str) -> bool:
    """Whether the record starting on line *start* runs into the end of the file unclosed."""
    tail = "".join(io.StringIO(text, newline="").readlines()[start - 1 :])
    if "\n" not in tail.rstrip("\r\n") and "\r" not in tail.rstrip("\r\n"):
        return False
    try:
        list(csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True,
                        skipinitialspace=True))
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def _guess_delimiter(text: str, *, prefer_tab: bool) -> str:
    """The separator that splits the most lines into the same number (above one) of cells."""
    sample = text[:65536]
    truncated = len(text) > len(sample)
    best: tuple[tuple[int, int, int], str] | None = None
    for rank, delimiter in enumerate(DELIMITERS):
        counts = []
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    counts.append(len(cells))
                if len(counts) > 200:
                    break
        except csv.Error:
            continue
        if truncated and counts:
            counts.pop()  # the last record may be cut in half
        several = [count for count in counts if count > 1]
        if not several:
            continue
        width, agreeing = Counter(several).most_common(1)[0]
        preference = 10 if (prefer_tab and delimiter == "\t") else -rank
        score = (agreeing, width, preference)
        if best is None or score > best[0]:
            best = (score, delimiter)
    if best is None:
        return "\t" if prefer_tab else ","
    return best[1]


# --- spreadsheets --------------------------------------------------------------------------


def _read_xlsx(path: Path, data: bytes, known_column: KnownColumn | None) -> Table:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation, conditional formats);
            # they do not matter for reading values.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as error:  # openpyxl raises many kinds for damaged files
        raise _unreadable(
            path, N_("the workbook is damaged or protected (%(error)s); open it in a "
                     "spreadsheet program and save it again as .xlsx",
                     error=type(error).__name__)
        ) from None

    sheets = []
    for index, sheet in enumerate(book.worksheets):
        grid = _openpyxl_grid(sheet)
        sheets.append((sheet.title, sheet.sheet_state != "visible", index, grid))
    title, grid = _choose_sheet(path, sheets, known_column)
    notes = _formula_notes(data, title, grid)
    grid, cell_notes = _clean_grid(grid)
    columns, rows, header_row, table_notes = _tabulate(path, grid, known_column, spreadsheet=True)
    return Table(
        columns=columns,
        rows=rows,
        format="xlsx",
        encoding=None,
        delimiter=None,
        header_row=header_row,
        source=path.name,
        sheet=title,
        notes=_notes_within(notes + cell_notes, header_row, columns, grid) + table_notes,
    )


def _openpyxl_grid(sheet: Any) -> Grid:
    if sheet.max_row == 1 and sheet.max_column == 1 and sheet.cell(1, 1).value is None:
        return []
    rows = [
        list(values)
        for values in sheet.iter_rows(min_row=1, min_col=1, max_row=sheet.max_row,
                                      max_col=sheet.max_column, values_only=True)
    ]
    merged = [
        (cells.min_row, cells.max_row, cells.min_col)
        for cells in sheet.merged_cells.ranges
        if cells.max_row > cells.min_row
    ]
    _fill_merged_down(rows, merged)
    return [(number, cells) for number, cells in enumerate(rows, start=1)]


def _fill_merged_down(rows: list[list[Any]], merged: Iterable[tuple[int, int, int]]) -> None:
    """Copy the value of a cell merged over several rows into each of those rows.

    Only the first column of the merged range is filled: a title merged across the top of
    the sheet must stay one cell, or it would look like a header.
    """
    for first_row, last_row, column in merged:
        if first_row > len(rows):
            continue
        top = rows[first_row - 1]
        if column > len(top):
            continue
        value = top[column - 1]
        for number in range(first_row + 1, min(last_row, len(rows)) + 1):
            row = rows[number - 1]
            if column <= len(row) and row[column - 1] is None:
                row[column - 1] = value


def _formula_notes(data: bytes, title: str, grid: Grid) -> list[RowProblem]:
    """Note formulas whose result was never saved (files written by programs, not people)."""
    empty = {
        (number, index)
        for number, cells in grid
        for index, value in enumerate(cells)
        if value is None
    }
    if not empty:
        return []
    notes = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            rows = book[title].iter_rows(min_row=1, min_col=1, values_only=True)
            for number, values in enumerate(rows, start=1):
                for index, value in enumerate(values):
                    formula = isinstance(value, str) and value.startswith("=")
                    if formula and (number, index) in empty:
                        notes.append(RowProblem(
                            number, get_column_letter(index + 1),
                            N_("the cell holds a formula whose result was never saved, so it "
                               "is read as empty; open the file in a spreadsheet program and "
                               "save it again"),
                            "warning",
                        ))
        finally:
            book.close()
    except Exception:  # noqa: BLE001 - the values are already read; this check is a courtesy
        return []
    return notes


def _read_xls(path: Path, data: bytes, known_column: KnownColumn | None) -> Table:
    try:
        book = _open_xls(data)
    except xlrd.XLRDError as error:
        message = str(error)
        if "encrypt" in message.lower():
            why = N_("it is password-protected; remove the password and save it again")
        else:
            why = N_("it is not a workbook that can be read (it may be password-protected or "
                     "damaged); open it in a spreadsheet program and save it as .xlsx")
        raise _unreadable(path, why) from None
    except Exception:  # damaged legacy files fail deep inside xlrd in many ways
        raise _unreadable(
            path, N_("the workbook is damaged; open it and save it again as .xlsx")
        ) from None

    notes: list[RowProblem] = []
    try:
        sheets = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            grid = _xlrd_grid(book, sheet, notes)
            sheets.append((sheet.name, sheet.visibility != 0, index, grid))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    title, grid = _choose_sheet(path, sheets, known_column)
    notes = [note for note in notes if note.column and note.column.startswith(f"{title}!")]
    notes = [RowProblem(n.row, n.column.split("!", 1)[1], n.message, n.level) for n in notes]
    grid, cell_notes = _clean_grid(grid)
    columns, rows, header_row, table_notes = _tabulate(path, grid, known_column, spreadsheet=True)
    return Table(
        columns=columns,
        rows=rows,
        format="xls",
        encoding=None,
        delimiter=None,
        header_row=header_row,
        source=path.name,
        sheet=title,
        notes=_notes_within(notes + cell_notes, header_row, columns, grid) + table_notes,
    )


def _open_xls(data: bytes) -> Any:
    try:
        return xlrd.open_workbook(file_contents=data, on_demand=True, formatting_info=True)
    except xlrd.XLRDError:
        raise
    except Exception:  # noqa: BLE001 - see below
        # Some writers produce formatting records xlrd cannot follow; the values are still
        # readable without them (merged cells are then not filled down).
        return xlrd.open_workbook(file_contents=data, on_demand=True)


def _xlrd_grid(book: Any, sheet: Any, notes: list[RowProblem]) -> Grid:
    rows: list[list[Any]] = []
    for r in range(sheet.nrows):
        cells = []
        for c in range(sheet.ncols):
            cell = sheet.cell(r, c)
            cells.append(_xlrd_value(book, cell, r + 1, c, sheet.name, notes))
        rows.append(cells)
    merged = [(rlo + 1, rhi, clo + 1) for rlo, rhi, clo, _ in sheet.merged_cells if rhi - rlo > 1]
    _fill_merged_down(rows, merged)
    return [(number, cells) for number, cells in enumerate(rows, start=1)]


def _xlrd_value(book: Any, cell: Any, row: int, column: int, sheet: str,
                notes: list[RowProblem]) -> Any:
    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_NUMBER:
        # Excel 97 stores every number as a double; 300.0 is the whole number 300.
        return int(value) if float(value).is_integer() else value
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(value, book.datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        text = xlrd.error_text_from_code.get(value, "an error")
        notes.append(RowProblem(
            row, f"{sheet}!{get_column_letter(column + 1)}",
            N_("the cell shows a spreadsheet error (%(error)s) and is read as empty",
               error=text), "warning",
        ))
        return None
    return value


def _clean_grid(grid: Grid) -> tuple[Grid, list[RowProblem]]:
    """Turn error values into empty cells, noting each."""
    notes = []
    cleaned = []
    for number, cells in grid:
        row = []
        for index, value in enumerate(cells):
            if isinstance(value, str) and value.strip() in SPREADSHEET_ERRORS:
                notes.append(RowProblem(
                    number, get_column_letter(index + 1),
                    N_("the cell shows a spreadsheet error (%(error)s) and is read as empty",
                       error=value.strip()),
                    "warning",
                ))
                value = None
            elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
                value = int(value)
            row.append(value)
        cleaned.append((number, row))
    return cleaned, notes


def _notes_within(notes: list[RowProblem], header_row: int, columns: list[str],
                  grid: Grid) -> list[RowProblem]:
    """Keep notes on cells below the header, naming the column by its header text."""
    header = next((cells for number, cells in grid if number == header_row), [])
    by_letter = {}
    for index, value in enumerate(header):
        text = _header_text(value)
        if text in columns:
            by_letter[get_column_letter(index + 1)] = text
    kept = []
    for note in notes:
        if note.row is None or note.row <= header_row:
            continue
        column = by_letter.get(note.column or "", f"column {note.column}")
        kept.append(RowProblem(note.row, column, note.message, note.level))
    return kept


def _choose_sheet(
    path: Path,
    sheets: Sequence[tuple[str, bool, int, Grid]],
    known_column: KnownColumn | None,
) -> tuple[str, Grid]:
    """Pick the sheet that holds the list (see the module notes)."""
    candidates = []
    for title, hidden, index, grid in sheets:
        filled = [(n, cells) for n, cells in grid if not _blank_row(cells)]
        if not filled:
            continue
        known = 0
        if known_column is not None:
            top = filled[:HEADER_SEARCH_ROWS]
            known = max(_known_count(cells, known_column) for _, cells in top)
        folded = _fold(title)
        suggests = any(word in folded for word in _LIST_SHEET_WORDS)
        candidates.append(((not hidden, known if known >= 2 else 0, suggests, -index), title, grid))
    if not candidates:
        raise _unreadable(path, N_("every sheet in the workbook is empty"))
    _, title, grid = max(candidates, key=lambda candidate: candidate[0])
    return title, grid


# --- GeoJSON and JSON --------------------------------------------------------------------


def _read_json(path: Path, text: str, encoding: str) -> Table:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _unreadable(
            path, N_("it is not valid JSON (line %(line)s, column %(column)s: %(problem)s)",
                     line=error.lineno, column=error.colno, problem=error.msg)
        ) from None
    features = _features(document)
    if features is not None:
        return _geojson_table(path, document, features, encoding)
    objects = _objects(document)
    if objects is None:
        raise _unreadable(
            path,
            N_("it holds no list of records; expected a GeoJSON FeatureCollection or a JSON "
               "array of objects"),
        )
    records = [(number, _flatten(item)) for number, item in enumerate(objects, start=1)]
    return _records_table(path, records, "json", encoding, [])


def _features(document: Any) -> list[Any] | None:
    if isinstance(document, dict):
        if document.get("type") == "FeatureCollection" or (
            "type" not in document and isinstance(document.get("features"), list)
        ):
            features = document.get("features")
            return features if isinstance(features, list) else []
        if document.get("type") == "Feature":
            return [document]
    if isinstance(document, list) and document and all(
        isinstance(item, dict) and item.get("type") == "Feature" for item in document
    ):
        return document
    return None


def _objects(document: Any) -> list[Any] | None:
    if isinstance(document, list):
        return document if all(isinstance(item, dict) for item in document) and document else None
    if isinstance(document, dict):
        # API responses wrap the list: {"data": [...]} or {"facilities": [...], "count": 3}.
        lists = [value for value in document.values()
                 if isinstance(value, list) and value and all(isinstance(i, dict) for i in value)]
        if lists:
            return max(lists, key=len)
    return None


def _geojson_table(path: Path, document: Any, features: list[Any], encoding: str) -> Table:
    project = _projection(path, document)
    notes: list[RowProblem] = []
    records = []
    has_geometry = False
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            notes.append(RowProblem(number, None, N_("the feature is not a JSON object; skipped"),
                                    "warning"))
            continue
        properties = feature.get("properties") or {}
        values: dict[str, Any] = {}
        point = _point_of(feature.get("geometry"), number, notes)
        if point is not None:
            has_geometry = True
            x, y = project(*point) if project else point
            values["longitude"], values["latitude"] = x, y
        if feature.get("id") is not None:
            values["id"] = feature["id"]
        flat = _flatten(properties) if isinstance(properties, dict) else {}
        for key, value in flat.items():
            # Geometry is the authority on location; a property of the same name comes second.
            target = key if key not in values else f"properties.{key}"
            values[target] = value
        records.append((number, values))
    geometry_columns = ["latitude", "longitude"] if has_geometry else []
    return _records_table(path, records, "geojson", encoding, notes, first=geometry_columns)


def _point_of(geometry: Any, number: int, notes: list[RowProblem]) -> tuple[float, float] | None:
    """The (x, y) of a feature: the point itself, or a point inside any other shape."""
    if not isinstance(geometry, dict) or not geometry.get("type"):
        return None
    if geometry["type"] == "Point":
        coordinates = geometry.get("coordinates") or []
        if len(coordinates) >= 2 and all(isinstance(c, (int, float)) for c in coordinates[:2]):
            return float(coordinates[0]), float(coordinates[1])
        notes.append(RowProblem(number, None, N_("the point has no usable coordinates"),
                                "warning"))
        return None
    import shapely.geometry  # only files with shapes need it

    try:
        shape = shapely.geometry.shape(geometry)
    except Exception:  # shapely rejects malformed geometries in many ways
        notes.append(RowProblem(number, None, N_("the %(shape)s geometry is malformed; the "
                                                 "facility is read without a location",
                                                 shape=geometry["type"]), "warning"))
        return None
    if shape.is_empty:
        return None
    point = shape.representative_point()
    notes.append(RowProblem(
        number, None,
        N_("the location is a %(shape)s; a point inside it is used as the facility's position",
           shape=geometry["type"]), "warning",
    ))
    return point.x, point.y


def _projection(path: Path, document: Any) -> Callable[[float, float], tuple[float, float]] | None:
    """A function to longitude/latitude for files that name another coordinate system."""
    crs = document.get("crs") if isinstance(document, dict) else None
    name = ""
    if isinstance(crs, dict):
        name = str((crs.get("properties") or {}).get("name", ""))
    if not name or re.search(r"CRS84|EPSG:+4326$|WGS ?84", name, re.IGNORECASE):
        return None
    import pyproj  # heavy; only files in projected coordinates need it

    try:
        transformer = pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(name), "OGC:CRS84",
                                                  always_xy=True)
    except pyproj.exceptions.CRSError:
        raise _unreadable(
            path, N_("its coordinate system '%(name)s' is unknown; save it with longitude and "
                     "latitude in WGS 84 (EPSG:4326)", name=name)
        ) from None
    return lambda x, y: transformer.transform(x, y)


def _flatten(item: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted columns; lists of plain values become ``a; b``."""
    flat: dict[str, Any] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            if all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
                flat[name] = "; ".join(str(v) for v in value) if value else None
            else:
                flat[name] = json.dumps(value, ensure_ascii=False)
        else:
            flat[name] = value
    return flat


def _records_table(path: Path, records: list[tuple[int, dict[str, Any]]], format: str,
                   encoding: str, notes: list[RowProblem], first: Sequence[str] = ()) -> Table:
    columns: list[str] = list(first)
    for _, values in records:
        for key in values:
            if key not in columns:
                columns.append(key)
    rows = []
    for number, values in records:
        cells = {column: _value(values.get(column)) for column in columns}
        if all(value is None for value in cells.values()):
            continue
        rows.append(SourceRow(number, cells))
    if not columns:
        raise _unreadable(path, N_("its records hold no values"))
    return Table(columns=columns, rows=rows, format=format, encoding=encoding, delimiter=None,
                 header_row=0, source=path.name, notes=notes)


# --- from a grid of cells to a table -------------------------------------------------------


def _tabulate(
    path: Path,
    grid: Grid,
    known_column: KnownColumn | None,
    *,
    spreadsheet: bool,
) -> tuple[list[str], list[SourceRow], int, list[RowProblem]]:
    filled = [(number, cells) for number, cells in grid if not _blank_row(cells)]
    if not filled:
        raise _unreadable(path, N_("it has no rows with values"))
    header_index = _find_header(filled, known_column)
    header_row, header_cells = filled[header_index]
    body = filled[header_index + 1 :]

    width = max([len(header_cells), *(len(cells) for _, cells in body)])
    kept: list[tuple[int, str]] = []
    used: Counter[str] = Counter()
    for index in range(width):
        text = _header_text(header_cells[index]) if index < len(header_cells) else ""
        if not text:
            if not any(index < len(cells) and not _blank(cells[index]) for _, cells in body):
                continue  # an empty trailing or spacer column
            text = f"column {get_column_letter(index + 1) if spreadsheet else index + 1}"
        used[text] += 1
        if used[text] > 1:
            text = f"{text} ({used[text]})"
        kept.append((index, text))
    columns = [name for _, name in kept]
    header_folded = [_fold(_header_text(header_cells[i])) if i < len(header_cells) else ""
                     for i, _ in kept]

    notes: list[RowProblem] = []
    rows: list[SourceRow] = []
    for number, cells in body:
        values = {name: _value(cells[i]) if i < len(cells) else None for i, name in kept}
        if all(value is None for value in values.values()):
            continue
        folded = [_fold(_header_text(values[name])) for name in columns]
        if folded == header_folded and sum(bool(f) for f in folded) >= 2:
            notes.append(RowProblem(number, None, N_("the row repeats the header; skipped"),
                                    "warning"))
            continue
        rows.append(SourceRow(number, values))

    if len(columns) > 1:
        while rows and _is_note_row(rows[-1]):
            last = rows.pop()
            text = next(str(v) for v in last.values.values() if v is not None)
            notes.append(RowProblem(
                last.number, None,
                N_("the row looks like a note or total below the table ('%(text)s'); skipped",
                   text=_shorten(text)),
                "warning",
            ))
    notes.sort(key=lambda note: note.row or 0)
    return columns, rows, header_row, notes


def _find_header(filled: Grid, known_column: KnownColumn | None) -> int:
    window = filled[:HEADER_SEARCH_ROWS]
    if known_column is not None:
        counts = [_known_count(cells, known_column) for _, cells in window]
        best = max(counts)
        if best >= 2:
            return counts.index(best)
    width = max(sum(not _blank(cell) for cell in cells) for _, cells in window)
    needed = max(2, math.ceil(width * 0.5))
    for index, (_, cells) in enumerate(window):
        values = [cell for cell in cells if not _blank(cell)]
        texts = [cell for cell in values if _is_label(cell)]
        if len(values) >= needed and len(texts) >= 0.7 * len(values):
            return index
    return 0


def _known_count(cells: list[Any], known_column: KnownColumn) -> int:
    return sum(1 for cell in cells if _is_label(cell) and known_column(_header_text(cell)))


def _is_label(cell: Any) -> bool:
    """Whether a cell could be a column title: text with a letter in it, not a number."""
    if not isinstance(cell, str):
        return False
    text = cell.strip()
    if not any(char.isalpha() for char in text):
        return False
    try:
        float(text.replace(",", "."))
    except ValueError:
        return True
    return False  # "1e5", "nan", "inf"


def _is_note_row(row: SourceRow) -> bool:
    values = [value for value in row.values.values() if value is not None]
    first = values[0] if values else None
    if not isinstance(first, str) or not _NOTE_ROW.match(first):
        return False
    # A note fills one cell; a total row may carry sums in the other columns.
    return len(values) == 1 or re.match(r"^\s*(total|sum|somme)", first, re.IGNORECASE) is not None


def _header_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, datetime):
        cell = cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    text = str(cell).replace("\ufeff", "").replace("\u200b", "")
    return " ".join(text.split())


def _value(cell: Any) -> Any:
    if _blank(cell):
        return None
    return cell


def _blank(cell: Any) -> bool:
    if cell is None:
        return True
    if isinstance(cell, str):
        return not cell.replace("\ufeff", "").replace("\u200b", "").strip()
    if isinstance(cell, float):
        return math.isnan(cell)
    return False


def _blank_row(cells: Sequence[Any]) -> bool:
    return all(_blank(cell) for cell in cells)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).strip()


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
