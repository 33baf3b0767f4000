"""Reading tables from messy files: formats, encodings, separators, headers, row numbers."""

from __future__ import annotations

import datetime
import json
import math
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Font

from monitor.core.errors import InputError
from monitor.imports.facilities import is_known_column
from monitor.imports.tables import RowProblem, read_table

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def numbers(table) -> list[int]:
    return [row.number for row in table.rows]


# --- text files ----------------------------------------------------------------------------


def test_utf8_bom_semicolons_title_row_and_multiline_cell():
    table = read_table(DATA / "inm_mexico_bom_semicolon.csv", known_column=is_known_column)

    assert (table.format, table.encoding, table.delimiter) == ("csv", "utf-8-sig", ";")
    assert table.source == "inm_mexico_bom_semicolon.csv"
    assert table.header_row == 3
    assert table.columns == ["Nombre del centro", "País", "Estado", "Municipio", "Latitud",
                             "Longitud", "Tipo", "Capacidad", "Fuente", "Dirección"]
    # Line 11 continues the quoted cell begun on line 10; line 15 is blank; 16 is a note.
    assert numbers(table) == [4, 5, 6, 7, 8, 9, 10, 12, 13, 14]
    first = table.rows[0].values
    assert first["Nombre del centro"] == "Estación Migratoria Siglo XXI"  # no BOM in the text
    assert (first["Latitud"], first["Longitud"]) == ("14,9056", "-92,2611")  # left as written
    second = table.rows[1].values
    assert second["Nombre del centro"] == "  Estancia Provisional   Tenosique "
    assert second["Fuente"] is None and second["Dirección"] is None
    assert table.rows[6].values["Municipio"] == "Iztapalapa\r\n(CDMX)"
    assert table.notes == [RowProblem(
        16, None, "the row looks like a note or total below the table ('Fuente: Instituto "
        "Nacional de Migración, 2023'); skipped", "warning")]


def test_title_row_is_skipped_even_without_known_column_names():
    table = read_table(DATA / "inm_mexico_bom_semicolon.csv")

    assert table.header_row == 3
    assert table.columns[0] == "Nombre del centro"
    assert numbers(table)[0] == 4


def test_windows_1252_file_is_read_as_such():
    table = read_table(DATA / "cra_france_cp1252.csv")

    assert (table.format, table.encoding, table.delimiter) == ("csv", "cp1252", ",")
    assert table.header_row == 1
    assert table.columns[0] == "Nom de l'établissement"
    assert table.columns[-1] == "Téléphone"
    assert table.rows[1].values["Nom de l'établissement"] == "Zone d’attente de Roissy (ZAPI 3)"
    assert table.rows[0].values["Région"] == "Île-de-France"
    assert table.rows[0].values["Latitude"] == "48,8275"  # a quoted cell holding the separator
    assert numbers(table) == [2, 3, 4, 5, 6, 7]


def test_latin1_file_with_only_latin1_letters(tmp_path):
    path = write(tmp_path / "lista.csv", "nombre,país\nCárcel de Mujeres,España\n", "latin-1")

    table = read_table(path)

    assert table.encoding == "cp1252"
    assert table.rows[0].values == {"nombre": "Cárcel de Mujeres", "país": "España"}


def test_cyrillic_single_byte_file_is_left_to_charset_normalizer(tmp_path):
    text = "название,страна\nЦентр временного содержания иностранных граждан,Россия\n"
    path = write(tmp_path / "centres.csv", text, "cp1251")

    table = read_table(path)

    assert table.encoding == "cp1251"
    assert table.columns == ["название", "страна"]
    assert table.rows[0].values["страна"] == "Россия"


def test_utf16_tab_separated_unicode_text_from_excel():
    table = read_table(DATA / "abrigos_brasil_utf16.txt")

    assert (table.format, table.encoding, table.delimiter) == ("tsv", "utf-16", "\t")
    assert table.columns[:3] == ["Nome", "Outros nomes", "País"]
    assert table.rows[0].values["Nome"] == "Centro de Detenção Provisória de Guarulhos"
    assert numbers(table) == [2, 3, 4]


def test_utf16_without_byte_order_mark(tmp_path):
    path = tmp_path / "list.txt"
    path.write_bytes("name\tcountry\nPrisão Central\tBrasil\n".encode("utf-16-le"))

    table = read_table(path)

    assert (table.encoding, table.delimiter) == ("utf-16-le", "\t")
    assert table.rows[0].values == {"name": "Prisão Central", "country": "Brasil"}


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("name,country,lat\nA,MEX,14.9\nB,GTM,15.1\n", ","),
        ("name;country;lat\nA;MEX;14,9\nB;GTM;15,1\n", ";"),
        ("name\tcountry\tlat\nA, the first\tMEX\t14.9\nB\tGTM\t15.1\n", "\t"),
        ("name|country|lat\nA; B|MEX|14.9\nC|GTM|15.1\n", "|"),
    ],
    ids=["comma", "semicolon-with-decimal-commas", "tab-with-commas-in-cells", "pipe"],
)
def test_delimiter_is_detected(tmp_path, text, delimiter):
    table = read_table(write(tmp_path / "list.csv", text))

    assert table.delimiter == delimiter
    assert table.columns == ["name", "country", "lat"]
    assert [row.values["country"] for row in table.rows] == ["MEX", "GTM"]


def test_excel_separator_hint_line_is_obeyed_and_counted(tmp_path):
    table = read_table(write(tmp_path / "list.csv", "sep=|\nname|capacity\nA, B|1,200\n"))

    assert table.delimiter == "|"
    assert table.header_row == 2
    assert table.rows[0].number == 3
    assert table.rows[0].values == {"name": "A, B", "capacity": "1,200"}


def test_blank_rows_and_empty_trailing_columns_are_skipped(tmp_path):
    text = "name,country,,\n\nA,MEX,,\n,,,\nB,,,\n"

    table = read_table(write(tmp_path / "list.csv", text))

    assert table.columns == ["name", "country"]
    assert numbers(table) == [3, 5]
    assert table.rows[1].values == {"name": "B", "country": None}


def test_unnamed_and_repeated_columns_get_distinct_names(tmp_path):
    text = "name,name,,country\nA,Alpha,note,MEX\n"

    table = read_table(write(tmp_path / "list.csv", text))

    assert table.columns == ["name", "name (2)", "column 3", "country"]
    assert table.rows[0].values == {"name": "A", "name (2)": "Alpha", "column 3": "note",
                                    "country": "MEX"}


def test_header_repeated_inside_the_data_is_skipped(tmp_path):
    text = "name,country\nA,MEX\nname,country\nB,GTM\n"

    table = read_table(write(tmp_path / "list.csv", text))

    assert numbers(table) == [2, 4]
    assert table.notes == [RowProblem(3, None, "the row repeats the header; skipped", "warning")]


def test_header_found_below_a_two_cell_title(tmp_path):
    text = ("Lista de centros,actualizada 2023\n"
            "\n"
            "Nombre,País,Latitud,Longitud,Tipo\n"
            "Centro A,MEX,14.9,-92.2,Estación migratoria\n")

    for known in (None, is_known_column):
        table = read_table(write(tmp_path / "list.csv", text), known_column=known)
        assert table.header_row == 3
        assert table.columns == ["Nombre", "País", "Latitud", "Longitud", "Tipo"]
        assert numbers(table) == [4]


def test_quotation_mark_never_closed_is_reported_with_its_line(tmp_path):
    text = 'name,country\nA,MEX\n"B,GTM\nC,SLV\n'

    with pytest.raises(InputError) as caught:
        read_table(write(tmp_path / "list.csv", text))

    assert str(caught.value).startswith("cannot read list.csv: line 3: a quotation mark opens")


# --- spreadsheets ---------------------------------------------------------------------------


def make_workbook(path: Path) -> Path:
    """A workbook as people publish them: a notes sheet first, a title, merged cells."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Léame"
    notes["A1"] = "Este libro enumera centros inventados para las pruebas."
    notes["A3"] = "La lista está en la hoja Centros."

    sheet = book.create_sheet("Centros")
    sheet["A1"] = "Centros de detención (datos inventados)"
    sheet["A1"].font = Font(bold=True)
    sheet.merge_cells("A1:H1")
    sheet.append([])
    sheet.append(["Nombre", "País", "Estado", "Latitud", "Longitud", "Capacidad", "Ocupación",
                  None, None])
    sheet.append(["Estación Uno", "Guatemala", "Activo", 14.64, -90.51, 120, 80, None])
    sheet.append(["Estación Dos", None, "Cerrado", "14,70", "-90,40", "=F4*2", "#N/A", "nota"])
    sheet.append(["Estación Tres", None, None, None, None, 60.0, 61.5, None])
    sheet.merge_cells("B4:B6")  # one country cell for the three rows
    sheet.append([None] * 8)
    book.save(path)
    return path


def test_xlsx_sheet_title_merged_cells_formulas_and_errors(tmp_path):
    table = read_table(make_workbook(tmp_path / "centros.xlsx"), known_column=is_known_column)

    assert (table.format, table.encoding, table.delimiter) == ("xlsx", None, None)
    assert table.sheet == "Centros"
    assert table.header_row == 3
    assert table.columns == ["Nombre", "País", "Estado", "Latitud", "Longitud", "Capacidad",
                             "Ocupación", "column H"]
    assert numbers(table) == [4, 5, 6]
    rows = [row.values for row in table.rows]
    assert [values["País"] for values in rows] == ["Guatemala"] * 3  # the merged cell
    assert rows[0]["Latitud"] == 14.64 and rows[0]["Capacidad"] == 120
    assert rows[1]["Latitud"] == "14,70"
    assert rows[1]["Capacidad"] is None  # a formula never calculated has no value
    assert rows[1]["Ocupación"] is None  # an error cell
    assert rows[1]["column H"] == "nota"
    assert rows[2]["Capacidad"] == 60 and isinstance(rows[2]["Capacidad"], int)
    assert rows[2]["Ocupación"] == 61.5
    assert table.notes == [
        RowProblem(5, "Capacidad", "the cell holds a formula whose result was never saved, so "
                   "it is read as empty; open the file in a spreadsheet program and save it "
                   "again", "warning"),
        RowProblem(5, "Ocupación", "the cell shows a spreadsheet error (#N/A) and is read as "
                   "empty", "warning"),
    ]


def test_xlsx_without_known_names_takes_the_first_sheet_with_values(tmp_path):
    table = read_table(make_workbook(tmp_path / "centros.xlsx"))

    # "Centros" still wins: its name suggests a list, and "Léame" has no header-like row.
    assert table.sheet == "Centros"


def test_legacy_xls_second_sheet_title_merged_state_and_total_row():
    table = read_table(DATA / "legacy_facilities.xls", known_column=is_known_column)

    assert (table.format, table.sheet, table.header_row) == ("xls", "Facilities", 3)
    assert table.columns == ["Name", "Other names", "Country", "State", "City", "Latitude",
                             "Longitude", "Type", "Operator", "Capacity", "Status", "DETLOC",
                             "Opened"]
    assert numbers(table) == [4, 5, 6, 7, 8]
    first, second = table.rows[0].values, table.rows[1].values
    assert first["Capacity"] == 840 and isinstance(first["Capacity"], int)
    assert first["Latitude"] == 31.8
    assert first["Opened"] == datetime.datetime(2001, 5, 1)
    assert second["State"] == "Texas"  # merged over rows 4 and 5
    assert table.rows[2].values["Latitude"] == "47°15'N"
    assert table.notes == [RowProblem(
        9, None, "the row looks like a note or total below the table ('Total'); skipped",
        "warning")]


def test_misnamed_xlsx_is_read_by_its_content(tmp_path):
    source = make_workbook(tmp_path / "centros.xlsx")
    misnamed = tmp_path / "centros.xls"
    misnamed.write_bytes(source.read_bytes())

    assert read_table(misnamed).format == "xlsx"


# --- GeoJSON and JSON ----------------------------------------------------------------------


def test_geojson_points_polygon_and_missing_geometry():
    table = read_table(DATA / "facilities.geojson")

    assert (table.format, table.encoding, table.delimiter, table.header_row) == (
        "geojson", "utf-8", None, 0)
    assert table.columns == ["latitude", "longitude", "id", "name", "country_code",
                             "facility_type", "operator", "capacity", "status", "aliases"]
    assert numbers(table) == [1, 2, 3, 4]
    first = table.rows[0].values
    assert (first["latitude"], first["longitude"], first["id"]) == (37.7728, 26.9714, "GR-01")
    assert first["aliases"] == "CCAC Samos; Zervou"
    polygon = table.rows[1].values
    assert 38.10 < polygon["latitude"] < 38.12 and 23.70 < polygon["longitude"] < 23.72
    assert table.rows[2].values["latitude"] is None
    assert table.notes == [RowProblem(
        2, None, "the location is a Polygon; a point inside it is used as the facility's "
        "position", "warning")]


def test_geojson_in_a_projected_coordinate_system_is_converted(tmp_path):
    document = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        "features": [{"type": "Feature", "properties": {"name": "A"},
                      "geometry": {"type": "Point", "coordinates": [-10270000.0, 1678000.0]}}],
    }
    path = write(tmp_path / "a.geojson", json.dumps(document))

    values = read_table(path).rows[0].values

    # The spherical Mercator formulas, worked by hand.
    radius = 6378137.0
    assert values["longitude"] == pytest.approx(math.degrees(-10270000.0 / radius), abs=1e-6)
    latitude = math.degrees(2 * math.atan(math.exp(1678000.0 / radius)) - math.pi / 2)
    assert values["latitude"] == pytest.approx(latitude, abs=1e-6)


@pytest.mark.parametrize(
    "document",
    [
        {"type": "Feature", "properties": {"name": "A"},
         "geometry": {"type": "Point", "coordinates": [-92.2, 14.9]}},
        [{"type": "Feature", "properties": {"name": "A"},
          "geometry": {"type": "Point", "coordinates": [-92.2, 14.9, 120.0]}}],
    ],
    ids=["single-feature", "array-of-features"],
)
def test_geojson_without_a_feature_collection(tmp_path, document):
    table = read_table(write(tmp_path / "a.json", json.dumps(document)))

    assert table.format == "geojson"
    assert table.rows[0].values == {"latitude": 14.9, "longitude": -92.2, "name": "A"}


def test_geojson_in_an_unknown_coordinate_system_is_refused(tmp_path):
    document = {"type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:999999"}},
                "features": []}

    with pytest.raises(InputError) as caught:
        read_table(write(tmp_path / "a.geojson", json.dumps(document)))

    assert str(caught.value) == (
        "cannot read a.geojson: its coordinate system 'EPSG:999999' is unknown; save it with "
        "longitude and latitude in WGS 84 (EPSG:4326)")


def test_json_array_of_objects_with_nested_values(tmp_path):
    records = [
        {"name": "A", "location": {"lat": 14.9, "lon": -92.2}, "tags": ["x", "y"]},
        {"name": "B", "country": "GTM"},
        {"name": None},
    ]
    path = write(tmp_path / "list.json", json.dumps(records))

    table = read_table(path)

    assert table.format == "json"
    assert table.columns == ["name", "location.lat", "location.lon", "tags", "country"]
    assert numbers(table) == [1, 2]
    assert table.rows[0].values == {"name": "A", "location.lat": 14.9, "location.lon": -92.2,
                                    "tags": "x; y", "country": None}


def test_json_object_wrapping_the_list(tmp_path):
    path = write(tmp_path / "api.json", json.dumps({"count": 1, "data": [{"name": "A"}]}))

    assert read_table(path).rows[0].values == {"name": "A"}


# --- files that cannot be read -------------------------------------------------------------


def zip_with(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("facilities.xlsx", b"\x00\x01\x02\x03garbage\x00\xff" * 20,
         "cannot read facilities.xlsx: it is not a spreadsheet (expected .csv, .tsv, .xlsx, "
         ".xls, .geojson or .json)"),
        ("empty.csv", b"  \r\n\r\n", "cannot read empty.csv: the file is empty"),
        ("report.csv", b"%PDF-1.7\n...",
         "cannot read report.csv: it is a PDF document, not a spreadsheet"),
        ("page.xls", b"<html><body><table><tr><td>A</td></tr></table></body></html>",
         "cannot read page.xls: it is a web page or XML document, not a spreadsheet"),
        ("broken.json", b'{"type": "FeatureCollection", "features": [}',
         "cannot read broken.json: it is not valid JSON (line 1, column 44"),
        ("numbers.json", b"[1, 2, 3]", "cannot read numbers.json: it holds no list of records"),
        ("blank.csv", b",,,\n,,,\n", "cannot read blank.csv: it has no rows with values"),
    ],
)
def test_unreadable_files_say_what_and_where(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(InputError) as caught:
        read_table(path)

    assert str(caught.value).startswith(expected)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"},
         "it is an OpenDocument spreadsheet (.ods); save it as .xlsx or .csv"),
        ({"word/document.xml": "<x/>"}, "it is a Word document, not a spreadsheet"),
        ({"list.csv": "name\nA\n"}, "it is a ZIP archive; unzip it and import the file inside"),
    ],
)
def test_zip_files_that_are_not_workbooks(tmp_path, members, expected):
    path = zip_with(tmp_path / "upload.xlsx", members)

    with pytest.raises(InputError) as caught:
        read_table(path)

    assert str(caught.value).startswith(f"cannot read upload.xlsx: {expected}")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match=r"^cannot read nowhere\.csv: there is no such file$"):
        read_table(tmp_path / "nowhere.csv")
    with pytest.raises(InputError, match=r"^cannot read .*: it is a folder, not a file"):
        read_table(tmp_path)


def test_damaged_legacy_workbook(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)

    with pytest.raises(InputError, match=r"^cannot read old\.xls: "):
        read_table(path)


# --- anything at all -----------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.one_of(
        st.binary(max_size=400),
        st.text(alphabet=st.sampled_from(list(',;\t|"\n\r x1.é{}[]<>:-')), max_size=300).map(
            lambda text: text.encode("utf-8")),
    ),
    suffix=st.sampled_from([".csv", ".tsv", ".xlsx", ".xls", ".json", ".geojson", ".txt"]),
)
def test_any_bytes_give_a_table_or_an_input_error(tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("any") / f"upload{suffix}"
    path.write_bytes(content)

    try:
        table = read_table(path)
    except InputError as error:
        assert str(error).startswith(f"cannot read upload{suffix}: ")
        return
    assert table.columns
    assert all(set(row.values) == set(table.columns) for row in table.rows)
    assert [row.number for row in table.rows] == sorted({row.number for row in table.rows})
    assert all(row.number > table.header_row for row in table.rows)
