"""Write ``legacy_facilities.xls``, the Excel 97-2003 fixture of the facility import tests.

Run once, by hand, with xlwt installed (``pip install xlwt``; it is not a project dependency):
``python tests/data/imports/make_legacy_xls.py``. The .xls file is committed, so the tests need
neither xlwt nor this script. The facilities are invented.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import xlwt

HERE = Path(__file__).parent

HEADER = ["Name", "Other names", "Country", "State", "City", "Latitude", "Longitude", "Type",
          "Operator", "Capacity", "Status", "DETLOC", "Opened"]
ROWS = [
    ["Northfield Service Processing Center", "", "USA", "Texas", "El Paso", 31.8, -106.4,
     "SPC", "ICE", 840.0, "Active", "NFD", datetime.date(2001, 5, 1)],
    ["Southgate County Jail", "Southgate Jail; SCJ", "US", None, "Sierra Blanca", 31.17,
     -105.36, "IGSA", "Southgate County Sheriff", 150.0, "Closed", "SGJ", None],
    ["Harbor Contract Detention Facility", "", "United States", "Washington", "Tacoma",
     "47°15'N", "122°25'W", "CDF", "The GEO Group, Inc.", "1,575", "Active", "HBR", None],
    ["Harbor CDF annex", "", "USA", "Washington", "Tacoma", 47.25, -122.42, "CDF",
     "The GEO Group, Inc.", 100.0, "Active", "HBR", None],
    ["Lakeside Family Residential Center", "", "USA", "Pennsylvania", "Leesport", 40.45,
     -75.97, "Family residential", "Lakeside County", 96.0, "Closed", "LKS", None],
]


def main() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    notes = book.add_sheet("Read me")
    notes.write(0, 0, "This workbook lists invented facilities for testing.")
    notes.write(2, 0, "The list is on the next sheet.")

    sheet = book.add_sheet("Facilities")
    sheet.write_merge(0, 0, 0, len(HEADER) - 1, "Detention facilities (invented test data)")
    for column, title in enumerate(HEADER):
        sheet.write(2, column, title)
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for offset, values in enumerate(ROWS):
        for column, value in enumerate(values):
            if value is None:
                continue
            if column == 3 and offset == 0:
                # "Texas" covers the first two facilities, as published lists often do.
                sheet.write_merge(3, 4, 3, 3, value)
            elif isinstance(value, datetime.date):
                sheet.write(3 + offset, column, value, dates)
            else:
                sheet.write(3 + offset, column, value)
    total = 3 + len(ROWS)
    sheet.write(total, 0, "Total")
    sheet.write(total, 9, 2761)
    book.save(str(HERE / "legacy_facilities.xls"))


if __name__ == "__main__":
    main()
