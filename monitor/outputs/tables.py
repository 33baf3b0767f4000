"""Writing tables to CSV and XLSX files, streamed, safe to open in a spreadsheet.

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) are written with a leading apostrophe, so a hostile value typed into a
form or an imported file cannot execute when an advocate opens the export.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return *value* ready for a spreadsheet cell (formula injection neutralised).

    Numbers stay numbers (a negative number is not a formula); text that would start a formula
    gets a leading apostrophe.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Stream *rows* to a UTF-8 CSV (with BOM, so spreadsheet programs detect the encoding).

    :returns: the number of data rows written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
            count += 1
    return count


def write_xlsx(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
               sheet: str = "data", notes: Sequence[tuple[str, str]] = ()) -> int:
    """Stream *rows* to an XLSX workbook (write-only mode: memory does not grow with rows).

    :param notes: (column, meaning) pairs written to a second sheet as a data dictionary.
    """
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    data = book.create_sheet(sheet[:31])
    data.append(list(columns))
    count = 0
    for row in rows:
        data.append([safe_cell(v) for v in row])
        count += 1
    if notes:
        dictionary = book.create_sheet("dictionary")
        dictionary.append(["column", "meaning"])
        for name, meaning in notes:
            dictionary.append([name, safe_cell(meaning)])
    book.save(path)
    return count


def write_table(path: Path, fmt: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                **options: Any) -> int:
    """Write CSV or XLSX according to *fmt*."""
    if fmt == "csv":
        return write_csv(path, columns, rows)
    if fmt == "xlsx":
        return write_xlsx(path, columns, rows, **options)
    raise ValueError(f"unknown table format {fmt!r}")

