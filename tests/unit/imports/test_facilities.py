"""Cleaning facility lists: columns, countries, coordinates, types, duplicates, problems."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.errors import InputError
from monitor.imports.facilities import (
    FACILITY_TYPES,
    FacilityRecord,
    ImportResult,
    RowProblem,
    clean_rows,
    normalise_name,
    parse_coordinate,
    parse_country,
    read_facility_table,
    recognise_column,
)
from monitor.imports.tables import SourceRow, Table

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"

# Rough boxes around two countries: enough to tell a swapped or sign-less point from a good
# one in these tests. Any other country: cannot tell.
BOXES = {"MEX": (14.5, 32.8, -118.5, -86.7), "FRA": (41.3, 51.1, -5.2, 9.6)}


def locate(country: str, latitude: float, longitude: float) -> bool | None:
    if country not in BOXES:
        return None
    south, north, west, east = BOXES[country]
    return south <= latitude <= north and west <= longitude <= east


def import_file(name: str, **options) -> ImportResult:
    return clean_rows(read_facility_table(DATA / name), **options)


def import_text(tmp_path: Path, text: str, **options) -> ImportResult:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    return clean_rows(read_facility_table(path), **options)


def messages(result: ImportResult) -> list[str]:
    return [f"{problem.level}: {problem}" for problem in result.problems]


# --- columns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Name", "name"), ("NOMBRE", "name"), ("Nom de l'établissement", "name"),
        ("nome", "name"), ("Facility", "name"), ("Centro", "name"), ("Estación", "name"),
        ("Nombre del centro", "name"), ("facility_name", "name"),
        ("Otros nombres", "other_names"), ("Aliases", "other_names"), ("a.k.a.", "other_names"),
        ("Country", "country"), ("País", "country"), ("pays", "country"), ("ISO3", "country"),
        ("iso2", "country"), ("country_code", "country"), ("CountryCode", "country"),
        ("Código de país", "country"),
        ("State", "admin_area"), ("Provincia", "admin_area"), ("Région", "admin_area"),
        ("Departamento", "admin_area"), ("Entidad federativa", "admin_area"),
        ("City", "locality"), ("Ciudad", "locality"), ("Municipio", "locality"),
        ("Ville", "locality"),
        ("lat", "latitude"), ("Latitude", "latitude"), ("Latitud (decimal)", "latitude"),
        ("Y", "latitude"),
        ("lon", "longitude"), ("LNG", "longitude"), ("Long", "longitude"),
        ("Longitud", "longitude"), ("x", "longitude"),
        ("Coordenadas", "coordinates"), ("Lat/Long", "coordinates"),
        ("Type", "type"), ("Tipo", "type"), ("Type d'établissement", "type"),
        ("Facility Type", "type"), ("Tipo de centro", "type"),
        ("Operator", "operator_name"), ("Operador", "operator_name"),
        ("Gestionnaire", "operator_name"), ("Operated by", "operator_name"),
        ("Contractor", "operator_name"), ("Nombre del operador", "operator_name"),
        ("Tipo de gestión", "operator_kind"),
        ("Capacity", "capacity"), ("Capacidad", "capacity"), ("Capacité", "capacity"),
        ("Beds", "capacity"), ("Nombre de places", "capacity"), ("Capacidad¹", "capacity"),
        ("CAPACIDAD_OFICIAL", "capacity"),
        ("Status", "status"), ("Statut", "status"), ("Situación", "status"),
        ("ID", "external_id"), ("External ID", "external_id"), ("Código", "external_id"),
        ("Source", "source_url"), ("URL", "source_url"), ("Fuente", "source_url"),
        ("Estado", "status_or_area"), ("État", "status_or_area"),
        ("Prison", None), ("En uso", None), ("Código postal", None), ("Dirección", None), ("Fecha de apertura", None),
        ("País de origen", None), ("Población", None), ("Notes", None),
    ],
)
def test_recognise_column(header, field):
    assert recognise_column(header) == field


def test_estado_is_the_status_when_its_values_are_statuses(tmp_path):
    result = import_text(tmp_path, "Nombre,País,Estado\nA,MEX,Activo\nB,MEX,Cerrado\nC,MEX,\n")

    assert result.column_map["Estado"] == "status"
    assert [record.status for record in result.records] == ["in_use", "closed", "unknown"]
    assert [record.admin_area for record in result.records] == [None, None, None]


def test_estado_is_the_area_when_its_values_are_places(tmp_path):
    result = import_text(tmp_path, "Nombre,País,Estado\nA,MEX,Chiapas\nB,MEX,Tabasco\n")

    assert result.column_map["Estado"] == "admin_area"
    assert [record.admin_area for record in result.records] == ["Chiapas", "Tabasco"]


def test_unknown_columns_are_reported_once_with_a_suggestion(tmp_path):
    result = import_text(tmp_path, "Name,Country,Latitd,Longitude,Notes\nA,MEX,,,x\nB,MEX,,,y\n")

    # Without its latitude, the longitude column cannot be used either.
    assert result.ignored_columns == ["Latitd", "Notes", "Longitude"]
    ignored = [p for p in result.problems if p.column in ("Latitd", "Notes")]
    assert [str(p) for p in ignored] == [
        "row 1, column Latitd: not a column this import knows (did you mean 'latitud'?); the "
        "column is ignored",
        "row 1, column Notes: not a column this import knows; the column is ignored",
    ]


def test_a_list_without_a_name_column_cannot_be_imported(tmp_path):
    with pytest.raises(InputError) as caught:
        import_text(tmp_path, "País,Latitud,Longitud\nMEX,14.9,-92.2\n")

    assert str(caught.value) == (
        "cannot import list.csv: no column holds facility names (the header found on row 1 "
        "reads 'País', 'Latitud', 'Longitud'); name that column 'name' (or nombre, nom, nome)"
    )


# --- whole files, row by row ---------------------------------------------------------------


def test_mexican_list_utf8_bom_semicolons_decimal_commas():
    result = import_file("inm_mexico_bom_semicolon.csv")

    assert result.column_map == {
        "Nombre del centro": "name", "País": "country", "Estado": "admin_area",
        "Municipio": "locality", "Latitud": "latitude", "Longitud": "longitude",
        "Tipo": "type", "Capacidad": "capacity", "Fuente": "source_url",
    }
    assert result.records == [
        FacilityRecord(
            row=4, name="Estación Migratoria Siglo XXI", country="MEX", admin_area="Chiapas",
            locality="Tapachula", latitude=14.9056, longitude=-92.2611,
            type="immigration_detention_centre", capacity=960,
            source_url="https://www.gob.mx/inm",
        ),
        FacilityRecord(
            row=5, name="Estancia Provisional Tenosique", country="MEX", admin_area="Tabasco",
            locality="Tenosique", latitude=17.4731, longitude=-91.4231,
            type="immigration_detention_centre", capacity=40,
        ),
        FacilityRecord(
            row=7, name="Albergue Temporal para Niños DIF & Casa Hogar", country="MEX",
            admin_area="Chiapas", locality="Tapachula", type="children_shelter",
        ),
        FacilityRecord(
            row=12, name="Estancia Provisional Palenque", country="MEX", admin_area="Chiapas",
            locality="Palenque", latitude=17.51, longitude=-91.981944,
            type="immigration_detention_centre", capacity=1200,
        ),
        FacilityRecord(
            row=14, name="Centro de detención sin nombre conocido", country="MEX",
            admin_area="Chiapas", locality="Huixtla", latitude=15.14, longitude=-92.46,
            type="other", capacity=25,
        ),
    ]
    assert result.rejected_rows == [6, 8, 9, 10, 13]
    assert messages(result) == [
        "warning: row 3, column Dirección: not a facility field; the column is ignored",
        "warning: row 5, column Capacidad: capacity 'approx. 40' is approximate; taken as 40",
        "error: row 6, column Latitud: latitude -94.9147 and longitude 17.9497 look swapped: "
        "a latitude lies between -90 and 90; exchange the two values",
        "warning: row 7: no location; the facility is imported without coordinates",
        "error: row 8, column Nombre del centro: duplicate of row 4 (same name 'ESTACIÓN "
        "MIGRATORIA Siglo XXI' and country MEX); the later row is skipped — merge the two "
        "rows, or give each its id or locality if they are different facilities",
        "error: row 9, column País: unknown country 'Mexco'; did you mean Mexico (MEX)?",
        "error: row 10, column Longitud: the latitude is given but the longitude is missing; "
        "give both or neither",
        "error: row 13, column Capacidad: capacity -5 is negative; give the number of places "
        "(0 or more)",
        "warning: row 14, column Tipo: 'Centro de día' is not a type this import recognises; "
        "recorded as 'other' (recognised: immigration_detention_centre, prison, "
        "police_station, transit_zone, border_post, closed_reception_centre, children_shelter)",
        "warning: row 16: the row looks like a note or total below the table ('Fuente: "
        "Instituto Nacional de Migración, 2023'); skipped",
    ]
    assert {p.row for p in result.errors} == set(result.rejected_rows)


def test_french_list_windows_1252_without_locate():
    result = import_file("cra_france_cp1252.csv")

    assert result.records == [
        FacilityRecord(
            row=2, name="CRA de Vincennes",
            other_names=("CRA Paris-Vincennes", "Vincennes 1", "Vincennes 2"), country="FRA",
            admin_area="Île-de-France", locality="Paris", latitude=48.8275, longitude=2.4592,
            type="immigration_detention_centre", operator_kind="public",
            operator_name="Préfecture de police", capacity=235, status="in_use",
        ),
        FacilityRecord(
            row=3, name="Zone d’attente de Roissy (ZAPI 3)", country="FRA",
            admin_area="Île-de-France", locality="Roissy-en-France", latitude=49.0097,
            longitude=2.5479, type="transit_zone", operator_kind="public",
            operator_name="Police aux frontières", capacity=160, status="in_use",
        ),
        FacilityRecord(
            row=4, name="CRA de Lyon Saint-Exupéry", country="FRA",
            admin_area="Auvergne-Rhône-Alpes", locality="Colombier-Saugnieu", latitude=5.0814,
            longitude=45.7256, type="immigration_detention_centre", operator_kind="public",
            operator_name="Ministère de l'Intérieur", capacity=140, status="in_use",
        ),
        FacilityRecord(
            row=5, name="Dungavel House", country="GBR", admin_area="Écosse",
            locality="Strathaven", latitude=55.6417, longitude=-4.1472,
            type="immigration_detention_centre", operator_kind="private",
            operator_name="GEO Group Ltd", capacity=249, status="closed",
        ),
        FacilityRecord(
            row=6, name="Centre de rétention de Metz", country="FRA", admin_area="Grand Est",
            locality="Metz", latitude=49.1193, longitude=6.1757,
            type="immigration_detention_centre", operator_kind="private", capacity=98,
        ),
    ]
    assert result.rejected_rows == [7]
    assert messages(result) == [
        "warning: row 1, column Téléphone: not a facility field; the column is ignored",
        "warning: row 6, column Statut: 'En travaux' is not a status this import recognises; "
        "recorded as 'unknown' (recognised: in use, closed)",
        "error: row 7, column Pays: unknown country 'Frnace'; did you mean France (FRA)?",
    ]


def test_locate_catches_coordinates_swapped_within_range():
    result = import_file("cra_france_cp1252.csv", locate=locate)

    assert [record.row for record in result.records] == [2, 3, 5, 6]
    assert result.rejected_rows == [4, 7]
    (swapped,) = [p for p in result.problems if p.row == 4]
    assert str(swapped) == (
        "row 4, column Latitude: latitude 5.0814 and longitude 45.7256 look swapped: the point "
        "lies outside FRA but the swapped point lies inside; exchange the two values"
    )
    assert swapped.level == "error"


def test_locate_catches_a_lost_minus_sign_and_warns_about_points_elsewhere(tmp_path):
    text = ("name,country,lat,lon\n"
            "Lost sign,MEX,14.9,92.26\n"
            "In Spain,FRA,40.4,-3.7\n"
            "Unknowable,GTM,14.6,-90.5\n")

    result = import_text(tmp_path, text, locate=locate)

    assert messages(result) == [
        "error: row 2, column lon: longitude 92.26 puts the point outside MEX; with the "
        "opposite sign (-92.26) it lies inside: check the sign",
        "warning: row 3, column lat: latitude 40.4 and longitude -3.7 lie outside FRA; check "
        "the location and the country",
    ]
    assert [(r.name, r.latitude, r.longitude) for r in result.records] == [
        ("In Spain", 40.4, -3.7), ("Unknowable", 14.6, -90.5)]


def test_brazilian_list_utf16_portuguese_headers():
    result = import_file("abrigos_brasil_utf16.txt")

    assert result.records == [
        FacilityRecord(
            row=2, name="Centro de Detenção Provisória de Guarulhos",
            other_names=("CDP Guarulhos",), country="BRA", admin_area="SP",
            locality="Guarulhos", latitude=-23.4543, longitude=-46.5333, type="prison",
            capacity=1200, status="in_use",
        ),
        FacilityRecord(
            row=3, name="Posto de Fronteira de Pacaraima", country="BRA", admin_area="RR",
            locality="Pacaraima", latitude=4.4797, longitude=-61.1477, type="border_post",
            status="closed",
        ),
        FacilityRecord(
            row=4, name="Abrigo Rondon 3", country="BRA", admin_area="RR", locality="Boa Vista",
            type="children_shelter",
        ),
    ]
    assert messages(result) == [
        "warning: row 4: no location; the facility is imported without coordinates"]


def test_legacy_xls_list():
    result = import_file("legacy_facilities.xls")

    assert result.records == [
        FacilityRecord(
            row=4, name="Northfield Service Processing Center", country="USA",
            admin_area="Texas", locality="El Paso", latitude=31.8, longitude=-106.4,
            type="immigration_detention_centre", operator_kind="public", operator_name="ICE",
            capacity=840, status="in_use", external_id="NFD",
        ),
        FacilityRecord(
            row=5, name="Southgate County Jail", other_names=("Southgate Jail", "SCJ"),
            country="USA", admin_area="Texas", locality="Sierra Blanca", latitude=31.17,
            longitude=-105.36, type="prison", operator_kind="public",
            operator_name="Southgate County Sheriff", capacity=150, status="closed",
            external_id="SGJ",
        ),
        FacilityRecord(
            row=6, name="Harbor Contract Detention Facility", country="USA",
            admin_area="Washington", locality="Tacoma", latitude=47.25, longitude=-122.416667,
            type="immigration_detention_centre", operator_kind="private",
            operator_name="The GEO Group, Inc.", capacity=1575, status="in_use",
            external_id="HBR",
        ),
        FacilityRecord(
            row=8, name="Lakeside Family Residential Center", country="USA",
            admin_area="Pennsylvania", locality="Leesport", latitude=40.45, longitude=-75.97,
            type="immigration_detention_centre", operator_kind="public",
            operator_name="Lakeside County", capacity=96, status="closed", external_id="LKS",
        ),
    ]
    assert messages(result) == [
        "warning: row 3, column Opened: not a column this import knows; the column is ignored",
        "error: row 7, column DETLOC: duplicate of row 6 (same id 'HBR'); the later row is "
        "skipped — merge the two rows or correct the id",
        "warning: row 9: the row looks like a note or total below the table ('Total'); skipped",
    ]


def test_geojson_list():
    result = import_file("facilities.geojson")

    first, second, third = result.records
    assert first == FacilityRecord(
        row=1, name="Closed Controlled Access Centre of Samos",
        other_names=("CCAC Samos", "Zervou"), country="GRC", latitude=37.7728,
        longitude=26.9714, type="closed_reception_centre", operator_kind="public",
        operator_name="Ministry of Migration and Asylum", capacity=3000, status="in_use",
        external_id="GR-01",
    )
    assert (second.row, second.country, second.type, second.capacity, second.operator_name) == (
        2, "GRC", "immigration_detention_centre", 1000, "Hellenic Police")
    assert 38.10 < second.latitude < 38.12
    assert (third.row, third.country, third.type, third.latitude) == (
        3, "GRC", "police_station", None)
    assert result.rejected_rows == [4]
    assert messages(result) == [
        "warning: row 2, column capacity: capacity 'approx. 1,000' is approximate; taken as 1000",
        "warning: row 2: the location is a Polygon; a point inside it is used as the "
        "facility's position",
        "warning: row 3: no location; the facility is imported without coordinates",
        "error: row 4, column id: duplicate of row 1 (same id 'GR-01'); the later row is "
        "skipped — merge the two rows or correct the id",
    ]


# --- values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Mexico", "MEX"), ("México", "MEX"), ("MEX", "MEX"), ("mx", "MEX"), ("484", "MEX"),
        ("Mexique", "MEX"), ("Mexico (MEX)", "MEX"),
        ("USA", "USA"), ("U.S.A.", "USA"), ("EEUU", "USA"), ("EE. UU.", "USA"),
        ("Estados Unidos", "USA"), ("États-Unis", "USA"),
        ("UK", "GBR"), ("Royaume-Uni", "GBR"), ("Reino Unido", "GBR"), ("GB", "GBR"),
        ("España", "ESP"), ("Espagne", "ESP"), ("Viet Nam", "VNM"), ("Vietnam", "VNM"),
        ("Türkiye", "TUR"), ("Turkey", "TUR"), ("Turquía", "TUR"),
        ("Côte d'Ivoire", "CIV"), ("Costa de Marfil", "CIV"), ("Corea del Sur", "KOR"),
        ("Brasil", "BRA"), ("Alemania", "DEU"), ("Grèce", "GRC"), ("EL", "GRC"),
        ("the Netherlands", "NLD"),
    ],
)
def test_parse_country(text, code):
    assert parse_country(text) == code


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mexco", "unknown country 'Mexco'; did you mean Mexico (MEX)?"),
        ("Guatemla", "unknown country 'Guatemla'; did you mean Guatemala (GTM)?"),
        ("Atlantis", "unknown country 'Atlantis'; write the country's name or its ISO 3166 "
                     "code (such as MEX)"),
        ("QQ", "unknown country 'QQ'; write the country's name or its ISO 3166 code (such as "
               "MEX)"),
        ("Kosovo", "Kosovo has no ISO 3166-1 country code, so the registry cannot record it "
                   "under its own country"),
    ],
)
def test_unknown_country_names_the_value_and_suggests(text, message):
    with pytest.raises(ValueError) as caught:
        parse_country(text)

    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "axis", "degrees"),
    [
        ("14.9056", "latitude", 14.9056), ("14,9056", "latitude", 14.9056),
        ("-92,2611", "longitude", -92.2611), ("−92.2611", "longitude", -92.2611),
        (" 14.9° ", "latitude", 14.9), ("14.9°N", "latitude", 14.9),
        ("14.9 S", "latitude", -14.9), ("92.26 W", "longitude", -92.26),
        ("92.26O", "longitude", -92.26), ("N 14.9", "latitude", 14.9),
        ("14°54'30\"N", "latitude", 14.908333), ("14º 54′ 30″ N", "latitude", 14.908333),
        ("92°15'40\"O", "longitude", -92.261111), ("-14°30'", "latitude", -14.5),
        ("14 54 30 N", "latitude", 14.908333), ("14°54.5'N", "latitude", 14.908333),
        (14.9, "latitude", 14.9), (-92, "longitude", -92.0),
    ],
)
def test_parse_coordinate(value, axis, degrees):
    assert parse_coordinate(value, axis) == pytest.approx(degrees, abs=1e-6)


@pytest.mark.parametrize(
    ("value", "axis", "message"),
    [
        ("north", "latitude", "'north' is not a latitude; write decimal degrees (14.9056) or "
                              "degrees, minutes and seconds (14°54'20\"N)"),
        ("14.9.1", "latitude", "'14.9.1' is not a latitude"),
        ("14°75'N", "latitude", "'14°75'N' is not a latitude: minutes and seconds must be "
                                "below 60"),
        ("14.5°30'", "latitude", "'14.5°30'' is not a latitude: only the last part may have "
                                 "decimals"),
        ("14.9N", "longitude", "'14.9N' is a latitude, not a longitude"),
    ],
)
def test_unreadable_coordinates(value, axis, message):
    with pytest.raises(ValueError) as caught:
        parse_coordinate(value, axis)

    assert str(caught.value).startswith(message)


def test_normalise_name():
    assert normalise_name("  Estación Migratoria  «Siglo XXI» ") == "estacion migratoria siglo xxi"
    assert normalise_name("CENTRE DE RÉTENTION (Metz)") == "centre de retention metz"
    assert normalise_name("Ni&ntilde;os") == "ninos"


def test_capacity_values(tmp_path):
    text = ("name,country,capacity\n"
            'A,MEX,"1,200"\n'
            "B,MEX,1.200\n"
            "C,MEX,1 200\n"
            "D,MEX,300 camas\n"
            "E,MEX,~300\n"
            "F,MEX,más de 300\n"
            "G,MEX,300.0\n"
            "H,MEX,200-300\n"
            "I,MEX,many\n"
            "J,MEX,12.5\n"
            "K,MEX,-\n"
            "L,MEX,0\n")

    result = import_text(tmp_path, text)

    assert [(r.name, r.capacity) for r in result.records] == [
        ("A", 1200), ("B", 1200), ("C", 1200), ("D", 300), ("E", 300), ("F", 300), ("G", 300),
        ("K", None), ("L", 0)]
    assert [str(p) for p in result.problems if p.column == "capacity"] == [
        "row 6, column capacity: capacity '~300' is approximate; taken as 300",
        "row 7, column capacity: capacity 'más de 300' is approximate; taken as 300",
        "row 9, column capacity: capacity '200-300' is a range; give one number",
        "row 10, column capacity: capacity 'many' is not a number; give the number of places, "
        "such as 300",
        "row 11, column capacity: capacity '12.5' is not a number; give the number of places, "
        "such as 300",
    ]
    assert result.rejected_rows == [9, 10, 11]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Estación Migratoria", "immigration_detention_centre"),
        ("Centre de rétention administrative", "immigration_detention_centre"),
        ("CIE", "immigration_detention_centre"),
        ("Centro de Internamiento de Extranjeros", "immigration_detention_centre"),
        ("ICE Processing Center", "immigration_detention_centre"),
        ("Prison", "prison"), ("Cárcel", "prison"), ("Prisión provincial", "prison"),
        ("CERESO", "prison"), ("Maison d'arrêt", "prison"), ("County jail", "prison"),
        ("Centre de détention", "prison"),
        ("Police station", "police_station"), ("Comisaría", "police_station"),
        ("Commissariat de police", "police_station"), ("Policía", "police_station"),
        ("Airport", "transit_zone"), ("Aeropuerto", "transit_zone"),
        ("Zone d'attente", "transit_zone"),
        ("Border post", "border_post"), ("Frontera", "border_post"), ("Garita", "border_post"),
        ("Albergue", "children_shelter"), ("DIF", "children_shelter"),
        ("Shelter for unaccompanied children", "children_shelter"),
        ("Centro de acogida", "closed_reception_centre"),
        ("Reception centre", "closed_reception_centre"),
        ("Centre d'accueil", "closed_reception_centre"),
        ("Detention centre", "immigration_detention_centre"),
    ],
)
def test_facility_type_keywords(tmp_path, text, expected):
    result = import_text(tmp_path, f"name,country,lat,lon,type\nA,MEX,14.9,-92.2,{text}\n")

    assert result.records[0].type == expected
    assert result.problems == []


def test_type_is_taken_from_the_name_when_the_cell_is_empty(tmp_path):
    result = import_text(tmp_path, "name,country,type\nEstación Migratoria Tapachula,MEX,\n"
                                   "Comisaría de Comitán,MEX,\nSiglo XXI,MEX,\n")

    assert [r.type for r in result.records] == [
        "immigration_detention_centre", "police_station", "other"]


def test_unrecognised_type_is_warned_once_per_value(tmp_path):
    text = "name,country,type\nA,MEX,Granja\nB,MEX,granja\nC,MEX,Prison\nD,MEX,Granja\n"

    result = import_text(tmp_path, text)

    assert [r.type for r in result.records] == ["other", "other", "prison", "other"]
    assert [str(p) for p in result.problems] == [
        "row 1: no columns give the location; facilities are imported without coordinates",
        "row 2, column type: 'Granja' is not a type this import recognises (also rows 3, 5); "
        "recorded as 'other' (recognised: immigration_detention_centre, prison, "
        "police_station, transit_zone, border_post, closed_reception_centre, children_shelter)"
    ]


def test_operator_kind_and_name(tmp_path):
    text = ("name,country,operator,operator type\n"
            "A,USA,CoreCivic,\n"
            "B,USA,Public,\n"
            "C,ESP,Ministerio del Interior,\n"
            "D,USA,Friends of the Centre,\n"
            "E,USA,Friends of the Centre,private\n"
            "F,USA,,Mixto\n"
            "G,USA,,Cooperative\n")

    result = import_text(tmp_path, text)

    assert [(r.operator_kind, r.operator_name) for r in result.records] == [
        ("private", "CoreCivic"), ("public", None), ("public", "Ministerio del Interior"),
        ("unknown", "Friends of the Centre"), ("private", "Friends of the Centre"),
        ("unknown", None), ("unknown", None)]
    assert [str(p) for p in result.problems] == [
        "row 1: no columns give the location; facilities are imported without coordinates",
        "row 8, column operator type: 'Cooperative' is not a operator kind this import "
        "recognises; recorded as 'unknown' (recognised: public, private)"
    ]


def test_status_values(tmp_path):
    text = ("name,country,status\n"
            "A,MEX,Active\nB,MEX,inactivo\nC,MEX,En funcionamiento\nD,MEX,Fermé\n"
            "E,MEX,unknown\nF,MEX,no\nG,MEX,Sí\n")

    result = import_text(tmp_path, text)

    assert [r.status for r in result.records] == [
        "in_use", "closed", "in_use", "closed", "unknown", "closed", "in_use"]
    # A list without coordinates is told so once, not once per row.
    assert [str(p) for p in result.problems] == [
        "row 1: no columns give the location; facilities are imported without coordinates"]


def test_text_is_tidied(tmp_path):
    text = ('name,country,city,other names\n'
            '"  Centro   de\n  Detenci&oacute;n <br> Norte ",MEX,Ciudad&amp;#32;Ju&#225;rez,'
            '"Norte 1 | Norte 2 / Norte III; Centro de Detención Norte"\n')

    result = import_text(tmp_path, text)

    (record,) = result.records
    assert record.name == "Centro de Detención Norte"
    assert record.locality == "Ciudad Juárez"
    assert record.other_names == ("Norte 1", "Norte 2", "Norte III")


def test_garbled_text_is_repaired_with_one_warning_per_column(tmp_path):
    text = "name,country\nEstaciÃ³n Migratoria,MÃ©xico\nPrisiÃ³n Norte,MEX\n"

    result = import_text(tmp_path, text)

    assert [(r.name, r.country) for r in result.records] == [
        ("Estación Migratoria", "MEX"), ("Prisión Norte", "MEX")]
    assert [str(p) for p in result.problems] == [
        "row 1: no columns give the location; facilities are imported without coordinates",
        "row 1, column name: garbled characters (such as 'Ã©' for 'é') were repaired in 2 "
        "rows; check the names",
        "row 1, column country: garbled characters (such as 'Ã©' for 'é') were repaired in 1 "
        "row; check the names",
    ]


def test_placeholders_count_as_empty(tmp_path):
    result = import_text(tmp_path, "name,country,capacity,lat,lon\nA,N/A,-,n.d.,s/d\n")

    (record,) = result.records
    assert (record.country, record.capacity, record.latitude) == (None, None, None)
    assert [str(p) for p in result.problems] == [
        "row 1, column country: 1 facility has no country (row 2); give a country for it, or "
        "import the list with a default country",
        "row 2: no location; the facility is imported without coordinates",
    ]


def test_source_url_is_the_first_web_address(tmp_path):
    text = ('name,country,source\n'
            'A,MEX,"Informe CNDH, ver https://www.cndh.org.mx/informe.pdf."\n'
            "B,MEX,Informe CNDH 2019\n")

    result = import_text(tmp_path, text)

    assert [r.source_url for r in result.records] == [
        "https://www.cndh.org.mx/informe.pdf", "Informe CNDH 2019"]


# --- locations -----------------------------------------------------------------------------


def test_coordinates_in_one_cell(tmp_path):
    text = ("name,country,coordinates\n"
            'A,MEX,"14.9056, -92.2611"\n'
            'B,MEX,"14,9056; -92,2611"\n'
            "C,MEX,POINT(-92.2611 14.9056)\n"
            "D,MEX,92°15'40\"W 14°54'20\"N\n"
            "E,MEX,somewhere\n")

    result = import_text(tmp_path, text)

    assert [(r.name, r.latitude, r.longitude) for r in result.records] == [
        ("A", 14.9056, -92.2611), ("B", 14.9056, -92.2611), ("C", 14.9056, -92.2611),
        ("D", 14.905556, -92.261111)]
    assert [str(p) for p in result.problems] == [
        "row 6, column coordinates: 'somewhere' is not a pair of coordinates; write latitude, "
        "longitude such as 14.9056, -92.2611"]


def test_out_of_range_placeholder_and_hemisphere_letters(tmp_path):
    text = ("name,country,lat,lon\n"
            "A,MEX,14.9,-192.3\n"
            "B,MEX,95,120\n"
            "C,MEX,0,0\n"
            "D,MEX,92.26W,14.9N\n"
            "E,MEX,14.9,west\n")

    result = import_text(tmp_path, text)

    assert [str(p) for p in result.problems] == [
        "row 2, column lon: longitude -192.3 is out of range; it must lie between -180 and 180",
        "row 3, column lat: latitude 95 is out of range; it must lie between -90 and 90",
        "row 4, column lat: 0, 0 is a placeholder, not a place; the facility is imported "
        "without coordinates",
        "row 5, column lat: latitude -92.26 and longitude 14.9 look swapped: the letters N/S "
        "belong to a latitude and E/W to a longitude; exchange the two values",
        "row 6, column lon: 'west' is not a longitude; write decimal degrees (14.9056) or "
        "degrees, minutes and seconds (14°54'20\"N)",
    ]
    assert result.rejected_rows == [2, 3, 5, 6]
    assert (result.records[0].name, result.records[0].latitude) == ("C", None)


def test_spreadsheet_numbers_are_used_as_they_are(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Country", "Lat", "Lon", "Capacity", "ID"])
    sheet.append(["A", "MEX", 14.9, -92.2, 300, 1234])
    sheet.append(["B", "MEX", 15.0, -92.0, 120.0, 1235.0])
    book.save(tmp_path / "list.xlsx")

    result = clean_rows(read_facility_table(tmp_path / "list.xlsx"))

    assert [(r.latitude, r.longitude, r.capacity, r.external_id) for r in result.records] == [
        (14.9, -92.2, 300, "1234"), (15.0, -92.0, 120, "1235")]


# --- rows that are not facilities, duplicates, defaults ------------------------------------


def test_rows_without_name_and_heading_rows_are_rejected(tmp_path):
    text = ("name,country,state,lat,lon\n"
            "Chiapas,,,,\n"
            "A,MEX,Chiapas,14.9,-92.2\n"
            ",MEX,Chiapas,15.0,-92.1\n"
            ",,Tabasco,,\n"
            "B,MEX,Tabasco,17.4,-91.4\n")

    result = import_text(tmp_path, text)

    assert [r.name for r in result.records] == ["A", "B"]
    assert result.rejected_rows == [2, 4, 5]
    assert [str(p) for p in result.problems] == [
        "row 2, column name: the row holds only 'Chiapas'; it looks like a heading, not a "
        "facility, and is skipped (if it is a facility, fill in at least its country or "
        "location)",
        "row 4, column name: the facility has no name; fill in its name or delete the row",
        "row 5, column name: the row holds only 'Tabasco' and no facility name; it looks like "
        "a heading and is skipped",
    ]


def test_same_name_in_another_place_is_not_a_duplicate(tmp_path):
    text = ("name,country,city,id\n"
            "County Jail,USA,Alpha,\n"
            "County Jail,USA,Beta,\n"
            "County  jail,USA,alpha,\n"
            "County Jail,MEX,,\n")

    result = import_text(tmp_path, text)

    assert [r.row for r in result.records] == [2, 3, 5]
    assert [str(p) for p in result.problems] == [
        "row 1: no columns give the location; facilities are imported without coordinates",
        "row 3, column name: has the same name as row 2 but a different locality; imported as "
        "another facility",
        "row 4, column name: duplicate of row 2 (same name 'County jail' and country USA); the "
        "later row is skipped — merge the two rows, or give each its id or locality if they "
        "are different facilities",
    ]


def test_default_country_fills_rows_without_one(tmp_path):
    text = "name,lat,lon\nA,14.9,-92.2\n"

    result = import_text(tmp_path, text, default_country="México")
    assert result.records[0].country == "MEX"
    assert result.problems == []

    without = import_text(tmp_path, text)
    assert without.records[0].country is None
    assert [str(p) for p in without.problems] == [
        "row 1: no column gives the country; 1 facility has no country (row 2); give a country "
        "for it, or import the list with a default country"]

    with pytest.raises(InputError, match="the default country: unknown country 'Mexco'"):
        import_text(tmp_path, text, default_country="Mexco")


def test_problem_text_without_row_or_column():
    assert str(RowProblem(None, "Notes", "ignored", "warning")) == "column Notes: ignored"
    assert str(RowProblem(None, None, "no country column")) == "no country column"
    assert str(RowProblem(7, "column F", "odd")) == "row 7, column F: odd"


# --- anything at all -----------------------------------------------------------------------

CELLS = st.one_of(
    st.none(),
    st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "-", "N/A", "México", "MEX", "Mexco", "14,90", "-92.26",
                     "14°54'30\"N", "92°15'40\"O", "95", "approx. 300", "1,200", "-5",
                     "Prisión", "Activo", "Cerrado", "CoreCivic", "Público", "&amp;",
                     "EstaciÃ³n", "POINT(-92.2 14.9)", "14.9, -92.2", "A", "a"]),
    st.text(max_size=12),
)
HEADERS = ["Nombre", "País", "Estado", "Latitud", "Longitud", "Coordenadas", "Tipo",
           "Operador", "Capacidad", "Estatus", "ID", "Fuente", "Otros nombres", "Notas"]


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(CELLS, min_size=len(HEADERS), max_size=len(HEADERS)),
                     max_size=8))
def test_any_table_gives_records_or_rejected_rows_with_errors(rows):
    table = Table(
        columns=HEADERS,
        rows=[SourceRow(number, dict(zip(HEADERS, cells)))
              for number, cells in enumerate(rows, start=2)],
        format="csv", encoding="utf-8", delimiter=",", header_row=1, source="any.csv",
    )

    result = clean_rows(table, locate=locate)

    numbers = [row.number for row in table.rows]
    accepted = [record.row for record in result.records]
    assert sorted(accepted + result.rejected_rows) == numbers
    assert {p.row for p in result.errors} == set(result.rejected_rows)
    for record in result.records:
        assert record.name and record.name == record.name.strip()
        assert record.country is None or len(record.country) == 3
        assert (record.latitude is None) == (record.longitude is None)
        if record.latitude is not None:
            assert -90 <= record.latitude <= 90 and -180 <= record.longitude <= 180
        assert record.capacity is None or record.capacity >= 0
        assert record.type in FACILITY_TYPES
        assert record.status in ("in_use", "closed", "unknown")
        assert record.operator_kind in ("public", "private", "unknown")


def test_country_is_taken_from_the_location_when_the_list_has_none(tmp_path):
    text = ("name,city,lat,lon\n"
            "A,Tapachula,14.9,-92.2\n"
            "B,Paris,48.8,2.4\n"
            "C,Cape Town,-33.9,18.4\n"
            "D,Nowhere,,\n")

    def country_at(latitude: float, longitude: float) -> str | None:
        return next((code for code in BOXES if locate(code, latitude, longitude)), None)

    result = import_text(tmp_path, text, country_at=country_at)

    assert [(r.name, r.country) for r in result.records] == [
        ("A", "MEX"), ("B", "FRA"), ("C", None), ("D", None)]
    assert [str(p) for p in result.problems] == [
        "row 1: no column gives the country; the country of 2 facilities (rows 2, 3) was taken "
        "from the location",
        "row 1: 2 facilities have no country (rows 4, 5); give a country for them, or import "
        "the list with a default country",
        "row 5: no location; the facility is imported without coordinates",
    ]
