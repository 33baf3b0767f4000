"""Turn the rows of a facility list into clean facility records, or say what is wrong.

:func:`clean_rows` takes a :class:`~monitor.imports.tables.Table` (see :func:`read_table`)
and returns an :class:`ImportResult`: one :class:`FacilityRecord` per usable row and a list of
:class:`RowProblem`. It never touches the database: deciding what to create or update is the
service's job.

Columns
    Header texts are compared without regard to case, accents, spaces or punctuation, in
    English, Spanish, French and Portuguese. A header matches when it *is* one of the names
    below or *contains* one (``Nombre del centro``, ``Latitude (WGS84)``, ``Facility type``);
    when a header contains several, the longest wins, and words meaning "name" give way to any
    other (``Nombre del operador`` is the operator, ``Country name`` the country).

    ============== =====================================================================
    field          headers recognised (examples)
    ============== =====================================================================
    name           name, nombre, nom, nome, facility, centro, centre, estación,
                   establecimiento, denominación, facility name
    other_names    other names, alternative names, alias, aka, otros nombres, autres noms,
                   outros nomes (several names separated by ``;``, ``|``, `` / `` or lines)
    country        country, país, pays, nation, iso, iso2, iso3, country code, código país
    admin_area     state, province, provincia, région, departamento, entidad federativa,
                   admin1, estado*
    locality       city, ciudad, municipio, municipality, ville, commune, localidad, cidade
    latitude       lat, latitude, latitud, y, coordenada y
    longitude      lon, lng, long, longitude, longitud, x, coordenada x
    coordinates    coordinates, coordenadas, coordonnées, lat/long, gps (both in one cell:
                   ``14.9, -92.3``, ``14°54'N 92°15'W`` or ``POINT(-92.3 14.9)``)
    type           type, tipo, type d'établissement, category, categoría, clase
    operator_name  operator, operador, gestionnaire, operated by, contractor, managed by,
                   administrador, autoridad
    operator_kind  operator type, tipo de gestión, public/private, titularidad
    capacity       capacity, capacidad, capacité, beds, camas, places, plazas, lits, vagas
    status         status, estatus, situación, statut, situação, estado*, état*
    external_id    id, external id, code, código, clave, identifier, reference
    source_url     source, url, fuente, fonte, link, enlace, lien, website
    ============== =====================================================================

    \\* ``estado`` is a state in Mexico and Brazil but a status elsewhere, and ``état`` can be
    either: the column is the status when most of its values are statuses, else the area.
    Headers about postal codes, addresses, dates or the origin of detainees are never taken
    for a field. Every other column is reported once, as ignored (with the closest known
    header when one is close); those warnings carry the header's row number. When several
    columns give one field (``País`` and ``ISO3``), each row takes the first that is not empty
    (for the country, the first that names a country). No name column is a file-level error
    (:class:`~monitor.core.errors.InputError`). No country column, or no location columns, is
    one warning for the file; a latitude column without a longitude column (or the reverse)
    is ignored, with a warning.

Values
    All text is trimmed, runs of spaces and line breaks become one space, HTML entities are
    decoded (``&amp;``, ``&#233;``), tags such as ``<br>`` removed, Unicode normalised (NFC),
    and text garbled by a wrong encoding (``MÃ©xico``) repaired (one warning per column). Cells
    holding only ``-``, ``N/A``, ``NA``, ``n.d.``, ``s/d``, ``?`` or ``null`` count as empty.

    - country: a name in English, Spanish, French or Portuguese, a common short form (USA,
      EEUU, UK, Royaume-Uni, Türkiye, Viet Nam...), or an ISO 3166 code (alpha-2, alpha-3 or
      numeric); stored as alpha-3. Kosovo, which has no ISO code, is refused with a sentence
      saying so. A row without a country takes ``default_country``, or else the country that
      ``country_at`` finds at its location.
    - coordinates: decimal degrees with a point or a comma (``14,90``), with a degree sign and
      N/S/E/W (also O for oeste/ouest), or degrees-minutes-seconds (``14°54'30"N``).
    - type: keywords in the type cell (or, when it is empty, in the name): *estación
      migratoria*, *centre de rétention*, CIE, CPR, processing center → immigration detention
      centre; prison, jail, cárcel, CERESO, maison d'arrêt → prison; police, comisaría,
      commissariat → police station; airport, aeropuerto, zone d'attente → transit zone;
      border, frontera, garita → border post; reception, acogida, accueil, asylum, hotspot →
      closed reception centre; shelter, albergue, DIF, children → children's shelter;
      anything else → ``other``.
    - operator: the text is the operator's name; its kind is ``private`` for companies and
      contractors (GEO Group, CoreCivic, Serco, S.A., Inc...), ``public`` for authorities
      (ministry, police, INM, ICE, municipal...), else ``unknown``. A cell that only says
      "public" or "private" sets the kind and leaves the name empty.
    - capacity: a whole number, thousands separators allowed (``1,200``, ``1.200``, ``1 200``);
      units are dropped (``300 camas``); ``approx. 300``, ``~300``, ``más de 300`` give 300.
    - status: in use (active, open, en uso, en funcionamiento, yes...), closed (cerrado, fermé,
      inactive, no...), else unknown.
    - source_url: the first web address in the cell, or the cell's text when it has none.

Errors and warnings
    An *error* rejects the row (it is listed in :attr:`ImportResult.rejected_rows` and gives no
    record); a *warning* keeps it. Every problem names its row and column as the person sees
    them in the file (``row 4, column Latitud: ...``).

    Errors: no name; a row holding a single value where rows usually hold several (a heading
    such as a state name); an unknown country (the closest name is suggested); a coordinate
    that cannot be read or is out of range; a latitude without a longitude or the reverse;
    coordinates that look swapped (a latitude beyond ±90 with a longitude within it, an N/S
    letter on the longitude, or -- when ``locate`` is given -- a point outside the row's
    country whose swap is inside it); a longitude or latitude that is inside the country only
    with its sign flipped; a capacity that is negative, fractional, a range or not a number; a
    duplicate of an earlier row (same external id, or same name and country unless the two
    rows give different ids, localities or areas) -- the later row is the one rejected.

    Warnings: no location in a list that has location columns (the facility is imported
    without coordinates); 0, 0 (taken as no location); a point that ``locate`` places outside
    the row's country; an approximate capacity (``approx. 300``, ``~300``, ``más de 300`` →
    300); a type, status or operator kind not recognised (``other``/``unknown``; one warning
    per distinct value, naming its rows); the same name as an earlier row in another place.
    Once per file: facilities left without a country, or given the country found at their
    location (naming the rows); repaired text; ignored columns; and whatever
    :func:`~monitor.imports.tables.read_table` noted while reading.

    Problems are listed file-level first, then by row. A record's ``country`` is ``None`` only
    when its row, the default and the location gave none: the caller decides what to do with
    such records (the registry needs a country).
"""

from __future__ import annotations

import difflib
import functools
import gettext
import html
import logging
import math
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pycountry

from monitor.core.errors import InputError, message_of
from monitor.core.messages import N_, Message, Nn_
from monitor.imports.tables import RowProblem, SourceRow, Table, read_table

log = logging.getLogger(__name__)

__all__ = [
    "FACILITY_TYPES",
    "FacilityRecord",
    "ImportResult",
    "RowProblem",
    "clean_rows",
    "is_known_column",
    "normalise_name",
    "parse_coordinate",
    "parse_country",
    "read_facility_table",
    "recognise_column",
]

FacilityType = Literal[
    "immigration_detention_centre", "prison", "police_station", "transit_zone", "border_post",
    "closed_reception_centre", "children_shelter", "other",
]
OperatorKind = Literal["public", "private", "unknown"]
Status = Literal["in_use", "closed", "unknown"]

FACILITY_TYPES: tuple[str, ...] = FacilityType.__args__  # type: ignore[attr-defined]
OPERATOR_KINDS: tuple[str, ...] = OperatorKind.__args__  # type: ignore[attr-defined]
STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]

#: ``locate(country_iso3, latitude, longitude)``: is the point in the country? ``None`` when it
#: cannot tell (no boundary for that country, for instance).
Locate = Callable[[str, float, float], "bool | None"]
#: ``country_at(latitude, longitude)``: the alpha-3 code of the country there, or ``None``.
CountryAt = Callable[[float, float], "str | None"]


@dataclass(frozen=True)
class FacilityRecord:
    """One facility as the file describes it, cleaned. ``row`` is where it came from."""

    row: int
    name: str
    other_names: tuple[str, ...] = ()
    country: str | None = None
    admin_area: str | None = None
    locality: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    type: FacilityType = "other"
    operator_kind: OperatorKind = "unknown"
    operator_name: str | None = None
    capacity: int | None = None
    status: Status = "unknown"
    external_id: str | None = None
    source_url: str | None = None


@dataclass
class ImportResult:
    """What :func:`clean_rows` made of a table.

    :ivar records: one per accepted row, in file order.
    :ivar problems: errors and warnings, file-level first, then in row order.
    :ivar rejected_rows: row numbers of rows that gave no record (each has an error).
    :ivar column_map: header text → field, for the columns used.
    :ivar ignored_columns: header texts of the columns not used.
    """

    records: list[FacilityRecord] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rejected_rows: list[int] = field(default_factory=list)
    column_map: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[RowProblem]:
        return [problem for problem in self.problems if problem.level == "error"]

    @property
    def warnings(self) -> list[RowProblem]:
        return [problem for problem in self.problems if problem.level == "warning"]


# --- words ---------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Casefold and strip accents (``Estación`` → ``estacion``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _words(text: str) -> list[str]:
    return re.sub(r"[^0-9a-z]+", " ", _fold(text)).split()


def normalise_name(name: str) -> str:
    """A facility name reduced for matching: casefolded, accents, punctuation and extra spaces gone.

    ``"  Estación Migratoria  «Siglo XXI» "`` → ``"estacion migratoria siglo xxi"``.
    """
    return " ".join(_words(html.unescape(name)))


# --- columns -------------------------------------------------------------------------------

# Words that carry no meaning in a header ("Nombre *del* centro", "Type *d'*établissement").
_STOP_WORDS = frozenset(
    "a an the of de del la las el los le les l d du des da do das dos e y et and en in em "
    "para pour for por par".split()
)

# Aliases per field, written as people write them. A leading "=" means the whole header must
# be the alias (short or vague words: a header "X" is a longitude, "X ray room" is not).
_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "nombre", "nom", "nome", "=facility", "facility name", "=centro", "=centre",
        "=center", "=estacion", "=establecimiento", "=etablissement", "=establishment",
        "=institution", "=instalacion", "=recinto", "=unidad", "=site", "=lugar",
        "=estacion migratoria", "=centro detencion", "=detention center", "=detention centre",
        "=centre retention", "=centro penitenciario",
        "denominacion", "denomination", "designation", "facility", "detention facility",
    ),
    "other_names": (
        "other names", "other name", "alternative names", "alternative name", "alternate names",
        "alternate name", "alias", "aliases", "aka", "also known as", "otros nombres",
        "otro nombre", "nombre alternativo", "nombres alternativos", "autres noms", "autre nom",
        "nom alternatif", "noms alternatifs", "outros nomes", "nome alternativo",
        "former name", "former names", "nombre anterior", "ancien nom", "local name",
        "nombre local", "short name", "nombre corto", "acronym", "siglas", "sigle",
    ),
    "country": (
        "country", "countries", "pais", "pays", "paises", "nation", "nacion", "iso", "iso2",
        "iso3", "iso 2", "iso 3", "iso a2", "iso a3", "iso alpha 2", "iso alpha 3",
        "iso code", "country code", "country iso", "codigo pais", "code pays", "codigo iso",
        "country name", "=cc", "ctry", "cntry", "adm0", "admin0",
    ),
    "admin_area": (
        "state", "province", "provincia", "provincias", "region", "departamento",
        "department", "departement", "admin area", "administrative area", "admin1", "adm1",
        "admin 1", "oblast", "governorate", "prefecture", "canton", "entidad federativa",
        "=entidad", "=uf", "comunidad autonoma", "territory", "territorio", "estado provincia",
    ),
    "locality": (
        "city", "ciudad", "municipio", "municipality", "ville", "commune", "town", "localidad",
        "locality", "cidade", "municipalite", "localite", "=lieu", "alcaldia", "poblado",
    ),
    "latitude": (
        "lat", "latitude", "latitud", "=y", "coord y", "coordenada y", "y coord",
        "y coordinate", "geometry latitude",
    ),
    "longitude": (
        "lon", "lng", "=long", "longitude", "longitud", "=x", "coord x", "coordenada x",
        "x coord", "x coordinate", "geometry longitude",
    ),
    "coordinates": (
        "coordinates", "coordenadas", "coordonnees", "coords", "=gps", "geolocation",
        "geolocalizacion", "lat lon", "lat long", "lat lng", "latlon", "latlong", "latlng",
        "latitude longitude", "latitud longitud", "=geo", "=wkt", "=geometry",
    ),
    "type": (
        "type", "tipo", "types", "facility type", "category", "categoria", "categorie",
        "clase", "kind", "classification", "clasificacion", "nature", "typology", "tipologia",
        "type etablissement", "tipo centro", "tipo establecimiento", "tipo instalacion",
    ),
    "operator_name": (
        "operator", "operador", "operadora", "gestionnaire", "operated", "operated by",
        "contractor", "contratista", "gestor", "administrator", "administrador", "managed by",
        "management", "owner", "propietario", "exploitant", "operateur", "authority",
        "autoridad", "autorite", "agency", "agencia", "dependencia", "institucion responsable",
        "entidad responsable", "responsable", "nombre operador", "nom gestionnaire",
        "nome operador", "operator name",
    ),
    "operator_kind": (
        "operator type", "type operator", "operator kind", "tipo operador", "tipo gestion",
        "type gestion", "tipo de gestion", "management type", "public private",
        "publico privado", "public prive", "publico privada", "ownership", "titularidad",
        "regimen", "naturaleza juridica",
    ),
    "capacity": (
        "capacity", "capacidad", "capacite", "capacidade", "beds", "bed capacity", "camas",
        "lits", "places", "plazas", "vagas", "official capacity", "design capacity",
        "rated capacity", "capacidad instalada", "capacidad oficial",
    ),
    "status": (
        "status", "estatus", "situacion", "situation", "statut", "situacao",
        "estado operativo", "estado actual", "operational status", "open closed",
        "abierto cerrado",
    ),
    "external_id": (
        "id", "external id", "code", "codigo", "clave", "identifier", "identificador",
        "identifiant", "identificacao", "ref", "reference", "referencia", "facility id",
        "facility code", "detloc", "uid",
    ),
    "source_url": (
        "source", "sources", "url", "fuente", "fuentes", "fonte", "fontes", "link", "links",
        "enlace", "lien", "website", "=web", "sitio web", "site web", "pagina web",
        "source url", "data source",
    ),
}

# Headers that contain a field's word but are about something else: never used.
_NOT_A_FIELD = (
    "postal code", "codigo postal", "code postal", "zip", "zip code", "cep", "address",
    "direccion", "adresse", "endereco", "domicilio", "date", "fecha", "year", "annee", "ano",
    "country origin", "pais origen", "pays origine", "nationality", "nacionalidad",
    "nationalite", "nacionalidade", "phone", "telephone", "telefono", "email", "correo",
    "population", "occupancy", "ocupacion",
)

# Headers that mean the status in some lists and the administrative area in others.
_STATUS_OR_AREA = frozenset({"estado", "etat"})

# A field word naming "name" only decides when nothing more specific is in the header.
_WEAK_WORDS = frozenset({("name",), ("nombre",), ("nom",), ("nome",), ("facility",)})


@dataclass(frozen=True)
class _Alias:
    words: tuple[str, ...]
    field: str | None
    exact: bool


@functools.cache
def _aliases() -> tuple[_Alias, ...]:
    aliases = []
    for name, phrases in _COLUMN_ALIASES.items():
        for phrase in phrases:
            exact = phrase.startswith("=")
            every = tuple(_words(phrase.lstrip("=")))
            words = tuple(w for w in every if w not in _STOP_WORDS) or every
            aliases.append(_Alias(words, name, exact))
    for phrase in _NOT_A_FIELD:
        aliases.append(_Alias(tuple(_words(phrase)), None, False))
    return tuple(aliases)


def _header_words(header: str) -> tuple[str, ...]:
    # "CountryCode" → "Country Code": programs often write headers in camel case.
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", header)
    # Footnote marks glue onto words after folding ("Capacidad¹" → "capacidad1").
    spaced = re.sub(r"[¹²³⁴⁵⁶⁷⁸⁹⁰*†‡]+", " ", spaced)
    # "a.k.a." → "aka": dotted initials are one word, not three.
    spaced = re.sub(r"\b(?:[A-Za-z]\.){2,}", lambda m: m.group(0).replace(".", ""), spaced)
    words = _words(spaced)
    # A header that is only a stop word ("Y", the latitude) keeps it.
    return tuple(w for w in words if w not in _STOP_WORDS) or tuple(words)


def _match_column(header: str) -> tuple[bool, str | None]:
    """(matched?, field): ``(True, None)`` for a header about something else."""
    words = _header_words(header)
    if not words:
        return False, None
    if " ".join(words) in _STATUS_OR_AREA:
        return True, "status_or_area"
    best: tuple[tuple[int, int, int], str | None] | None = None
    for alias in _aliases():
        size = len(alias.words)
        if alias.exact or size > len(words):
            if alias.words == words:
                return True, alias.field
            continue
        for start in range(len(words) - size + 1):
            if words[start : start + size] == alias.words:
                weight = 2 if alias.field is None else 0 if alias.words in _WEAK_WORDS else 1
                score = (size, weight, -start)
                if best is None or score > best[0]:
                    best = (score, alias.field)
                break
    if best is None:
        return False, None
    return True, best[1]


def recognise_column(header: str) -> str | None:
    """The field a header names (``"Latitud (decimal)"`` → ``"latitude"``), or ``None``.

    ``estado``/``état`` give ``"status_or_area"``: :func:`clean_rows` decides from the values.
    """
    return _match_column(header)[1]


def is_known_column(header: str) -> bool:
    """Whether a header names a facility field (used to find the header row of a file)."""
    return recognise_column(header) is not None


def read_facility_table(path: Path) -> Table:
    """Read a facility list, finding its header with the facility column names.

    :raises InputError: the file cannot be read (see :func:`read_table`).
    """
    return read_table(path, known_column=is_known_column)


def _closest_header(header: str) -> str | None:
    joined = " ".join(_header_words(header))
    if len(joined) < 3:
        return None
    candidates = {" ".join(a.words) for a in _aliases() if a.field}
    candidates = {candidate for candidate in candidates if len(candidate) > 2}
    match = difflib.get_close_matches(joined, sorted(candidates), n=1, cutoff=0.8)
    return match[0] if match else None


# --- text ----------------------------------------------------------------------------------

_EMPTY_MARKERS = frozenset(
    {"-", "--", "---", "—", "–", "n/a", "n.a.", "n. a.", "na", "n/d", "n.d.", "nd", "s/d",
     "s.d.", "?", "??", "null", "none", "nan", "#n/a", "sin dato", "sin datos", "no data",
     "sans objet", "s.o."}
)
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_GARBLED = re.compile("[ÃÂâ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                      "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039"
                      "\u203a\u20ac\u2122]")


def _repair_garbled(text: str) -> str | None:
    """Undo UTF-8 read as Windows-1252 (``MÃ©xico`` → ``México``), or ``None``."""
    if not _GARBLED.search(text):
        return None
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _tidy(text: str) -> str:
    text = _repair_garbled(text) or text
    if "&" in text:
        for _ in range(2):  # "&amp;#233;" was escaped twice
            unescaped = html.unescape(text)
            if unescaped == text:
                break
            text = unescaped
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        " " if char in "\t\n\r" else char
        for char in text
        if char in "\t\n\r" or unicodedata.category(char) not in ("Cc", "Cf")
    )
    return " ".join(text.split())


def _clean_text(value: Any) -> str | None:
    """The text of a cell, tidied (module notes); ``None`` for an empty cell or a placeholder."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = _tidy(_as_text(value))
    if not text or text.casefold() in _EMPTY_MARKERS:
        return None
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- countries -----------------------------------------------------------------------------

# Short forms and other spellings people use, beyond the ISO names and their translations.
_COUNTRY_ALIASES = {
    "USA": ("usa", "u s", "us", "u s a", "united states", "america", "eeuu", "ee uu", "e e u u",
            "estados unidos", "estados unidos de america", "etats unis", "eua"),
    "GBR": ("uk", "u k", "great britain", "britain", "england", "scotland", "wales",
            "northern ireland", "royaume uni", "reino unido", "grande bretagne", "gran bretana"),
    "VNM": ("vietnam", "viet nam"),
    "TUR": ("turkey", "turkiye", "turquia", "turquie"),
    "RUS": ("russia", "rusia", "russie"),
    "KOR": ("south korea", "korea south", "corea del sur", "coree du sud", "republic of korea"),
    "PRK": ("north korea", "korea north", "corea del norte", "coree du nord"),
    "SYR": ("syria", "siria", "syrie"),
    "IRN": ("iran", "iran islamic republic"),
    "LAO": ("laos",),
    "BOL": ("bolivia",),
    "VEN": ("venezuela",),
    "TZA": ("tanzania",),
    "MDA": ("moldova",),
    "MKD": ("macedonia", "north macedonia", "macedonia del norte", "macedoine du nord"),
    "CZE": ("czech republic", "czechia", "republica checa", "republique tcheque", "chequia"),
    "CIV": ("ivory coast", "cote d ivoire", "costa de marfil", "cote divoire"),
    "CPV": ("cape verde", "cabo verde", "cap vert"),
    "SWZ": ("swaziland", "eswatini", "suazilandia"),
    "MMR": ("burma", "myanmar", "birmania"),
    "NLD": ("holland", "netherlands", "the netherlands", "paises bajos", "pays bas", "holanda"),
    "PSE": ("palestine", "palestina", "state of palestine"),
    "TWN": ("taiwan",),
    "VAT": ("vatican", "holy see"),
    "COD": ("dr congo", "drc", "rdc", "democratic republic of congo",
            "democratic republic of the congo", "republique democratique du congo",
            "republica democratica del congo", "congo kinshasa"),
    "COG": ("republic of congo", "republic of the congo", "congo brazzaville"),
    "DOM": ("dominican republic", "republica dominicana", "rep dominicana"),
    "TLS": ("east timor", "timor leste"),
    "ARE": ("uae", "emiratos arabes unidos", "emirats arabes unis", "united arab emirates"),
    "SAU": ("ksa", "saudi arabia", "arabia saudita", "arabia saudi", "arabie saoudite"),
    "GRC": ("greece", "grecia", "grece"),
    "LBY": ("libya", "libia", "libye"),
    "BRN": ("brunei",),
    "GMB": ("gambia", "the gambia"),
    "BHS": ("bahamas", "the bahamas"),
    "FSM": ("micronesia",),
}
# Codes in use that ISO 3166-1 does not list but that stand for a country it does.
_CODE_ALIASES = {"UK": "GBR", "EL": "GRC"}
# Places people list as countries that ISO 3166-1 has no code for (the registry needs one).
_NO_ISO_CODE = {"kosovo": "Kosovo", "xk": "Kosovo", "xkx": "Kosovo"}


@functools.cache
def _country_index() -> dict[str, str]:
    """Folded country name → alpha-3, from pycountry in four languages plus common aliases."""
    found: dict[str, set[str]] = defaultdict(set)
    translators = [lambda text: text]
    for language in ("es", "fr", "pt"):
        try:
            translators.append(gettext.translation(
                "iso3166-1", pycountry.LOCALES_DIR, languages=[language]).gettext)
        except OSError:
            continue  # a pycountry build without that language: English still works
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            english = getattr(country, attribute, None)
            if not english:
                continue
            for translate in translators:
                key = " ".join(_words(translate(english)))
                found[key].add(country.alpha_3)
                # "Korea, Republic of" → "Republic of Korea"
                if "," in english:
                    head, _, tail = translate(english).partition(",")
                    found[" ".join(_words(f"{tail} {head}"))].add(country.alpha_3)
    index = {key: next(iter(codes)) for key, codes in found.items() if len(codes) == 1 and key}
    for code, aliases in _COUNTRY_ALIASES.items():
        for alias in aliases:
            index[" ".join(_words(alias))] = code
    return index


def _country_label(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    return f"{country.name if country else code} ({code})"


def _country_from_code(text: str) -> str | None:
    code = text.upper()
    if code in _CODE_ALIASES:
        return _CODE_ALIASES[code]
    if code.isdigit():
        country = pycountry.countries.get(numeric=code.zfill(3))
    elif len(code) == 2 and code.isalpha():
        country = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3 and code.isalpha():
        country = pycountry.countries.get(alpha_3=code)
    else:
        return None
    return country.alpha_3 if country else None


def parse_country(value: Any) -> str:
    """The ISO 3166-1 alpha-3 code for a country name or code in any of the four languages.

    :raises ValueError: the country is unknown; the message suggests the closest name.
    """
    text = _tidy(_as_text(value))
    candidates = [text]
    # "Mexico (MEX)", "MX - Mexico", "México / Mexique"
    inner = re.findall(r"\(([^()]+)\)", text)
    candidates += inner + re.split(r"\s+[-/|]\s+|\s*\([^()]*\)\s*", text)
    index = _country_index()
    for candidate in (c.strip() for c in candidates if c and c.strip()):
        compact = candidate.replace(".", "").replace(" ", "")
        if (compact.isalpha() and len(compact) in (2, 3) and candidate == candidate.upper()) or (
            compact.isdigit() and len(compact) <= 3
        ):
            code = _country_from_code(compact)
            if code:
                return code
        key = " ".join(_words(candidate))
        if key in index:
            return index[key]
        if key.startswith("the ") and key[4:] in index:
            return index[key[4:]]
        if len(compact) in (2, 3) and compact.isalpha():
            code = _country_from_code(compact)  # codes written in lower case
            if code:
                return code
    key = " ".join(_words(text))
    if key in _NO_ISO_CODE:
        raise ValueError(N_("%(place)s has no ISO 3166-1 country code, so the registry cannot "
                            "record it under its own country", place=_NO_ISO_CODE[key]))
    close = difflib.get_close_matches(key, list(index), n=1, cutoff=0.75)
    if close:
        raise ValueError(N_("unknown country '%(value)s'; did you mean %(country)s?", value=text,
                            country=_country_label(index[close[0]])))
    raise ValueError(N_("unknown country '%(value)s'; write the country's name or its ISO 3166 "
                        "code (such as MEX)", value=text))


# --- coordinates ---------------------------------------------------------------------------

_HEMISPHERES = {
    "N": "N", "NORTH": "N", "NORTE": "N", "NORD": "N",
    "S": "S", "SOUTH": "S", "SUR": "S", "SUD": "S", "SUL": "S",
    "E": "E", "EAST": "E", "ESTE": "E", "EST": "E", "LESTE": "E", "L": "E",
    "W": "W", "WEST": "W", "O": "W", "OESTE": "W", "OUEST": "W",
}
_HEMISPHERE = "(" + "|".join(sorted(_HEMISPHERES, key=len, reverse=True)) + ")"
_NUMBER = r"\d+(?:[.,]\d+)?"
_DMS = re.compile(
    rf"({_NUMBER})\s*(?:°|:|\s)\s*({_NUMBER})\s*(?:'|:|\s)?\s*(?:({_NUMBER})\s*\"?)?"
)
#: Why a cell is not a coordinate, by axis: whole sentences, each translated as one.
_NOT_A_COORDINATE = {
    "latitude": N_("'%(value)s' is not a latitude; write decimal degrees (14.9056) or degrees, "
                   "minutes and seconds (14°54'20\"N)"),
    "longitude": N_("'%(value)s' is not a longitude; write decimal degrees (14.9056) or "
                    "degrees, minutes and seconds (14°54'20\"N)"),
}
_ONLY_LAST_PART_DECIMAL = {
    "latitude": N_("'%(value)s' is not a latitude: only the last part may have decimals; write "
                   "decimal degrees (14.9056) or degrees, minutes and seconds (14°54'20\"N)"),
    "longitude": N_("'%(value)s' is not a longitude: only the last part may have decimals; "
                    "write decimal degrees (14.9056) or degrees, minutes and seconds "
                    "(14°54'20\"N)"),
}
_MINUTES_OVER_60 = {
    "latitude": N_("'%(value)s' is not a latitude: minutes and seconds must be below 60"),
    "longitude": N_("'%(value)s' is not a longitude: minutes and seconds must be below 60"),
}


class _Bad(ValueError):
    """A cell's value cannot be used; the message says why."""


def parse_coordinate(value: Any, axis: Literal["latitude", "longitude"]) -> float:
    """Degrees from a cell: ``14,90``, ``-92.26``, ``14.9°N``, ``92°15'40"O``, ``14 54 30 N``.

    :raises ValueError: the value cannot be read as a coordinate, or its N/S/E/W letter
        belongs to the other axis.
    """
    degrees, letter_axis = _coordinate(value, axis)
    if letter_axis is not None and letter_axis != axis:
        shown = _tidy(_as_text(value))
        raise ValueError(N_("'%(value)s' is a longitude, not a latitude", value=shown)
                         if axis == "latitude" else
                         N_("'%(value)s' is a latitude, not a longitude", value=shown))
    return degrees


def _coordinate(value: Any, axis: str) -> tuple[float, str | None]:
    """Degrees, and the axis its hemisphere letter names (``None`` without a letter)."""
    if _is_number(value):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise _Bad(Message(_NOT_A_COORDINATE[axis], value=value))
        return number, None
    original = _tidy(_as_text(value))
    text = original.upper()
    for variants, plain in (("−–—‐", "-"), ("º˚", "°"), ("′’‘´`", "'"), ("″”“", '"')):
        for variant in variants:
            text = text.replace(variant, plain)
    text = text.replace("''", '"').strip()
    letter = None
    match = re.match(rf"^{_HEMISPHERE}\.?\s*(?=[\d+-])", text)
    if match:
        letter, text = _HEMISPHERES[match.group(1)], text[match.end() :]
    else:
        match = re.search(rf"(?<=[\d°'\"\s.]){_HEMISPHERE}\.?$", text)
        if match:
            letter, text = _HEMISPHERES[match.group(1)], text[: match.start()]
    text = text.strip()
    sign = 1.0
    if text[:1] in "+-" and text:
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:].strip()
    if re.fullmatch(rf"{_NUMBER}\s*°?", text):
        degrees = float(text.rstrip("° ").replace(",", "."))
    else:
        match = _DMS.fullmatch(text)
        if not match:
            raise _Bad(Message(_NOT_A_COORDINATE[axis], value=original))
        whole, minutes, seconds = (
            float(part.replace(",", ".")) if part else 0.0 for part in match.groups()
        )
        if not whole.is_integer() or (match.group(3) and not minutes.is_integer()):
            raise _Bad(Message(_ONLY_LAST_PART_DECIMAL[axis], value=original))
        if minutes >= 60 or seconds >= 60:
            raise _Bad(Message(_MINUTES_OVER_60[axis], value=original))
        degrees = round(whole + minutes / 60 + seconds / 3600, 6)
    degrees *= sign
    if letter in ("S", "W"):
        degrees = -abs(degrees)
    letter_axis = None if letter is None else ("latitude" if letter in "NS" else "longitude")
    return degrees, letter_axis


def _coordinate_pair(value: Any) -> tuple[tuple[float, str | None], tuple[float, str | None]]:
    """(latitude, longitude) from one cell holding both."""
    text = _tidy(_as_text(value))
    wkt = re.fullmatch(r"(?i)\s*POINT\s*Z?\s*\(\s*(\S+)\s+(\S+)(?:\s+\S+)?\s*\)\s*", text)
    if wkt:  # WKT puts x (longitude) first
        return _coordinate(wkt.group(2), "latitude"), _coordinate(wkt.group(1), "longitude")
    inner = text.strip("()[]{} ")
    parts: list[str] = []
    for separator in (";", "|", "/"):
        if inner.count(separator) == 1:
            parts = inner.split(separator)
            break
    else:
        if inner.count(",") == 1:
            parts = inner.split(",")
        elif inner.count(",") == 3 and len(re.split(r",\s+", inner)) == 2:
            parts = re.split(r",\s+", inner)  # "14,90, -92,26": decimal commas
        elif len(inner.split()) == 2:
            parts = inner.split()
        else:
            # "14°54'30\"N 92°15'40\"W": split after the first hemisphere letter
            match = re.match(rf"^(.+?[\d°'\"\s]{_HEMISPHERE})\s+(.+)$", inner.upper())
            if match:
                parts = [match.group(1), match.group(3)]
    if len(parts) != 2:
        raise _Bad(N_("'%(value)s' is not a pair of coordinates; write latitude, longitude "
                      "such as 14.9056, -92.2611", value=text))
    first, second = _coordinate(parts[0], "latitude"), _coordinate(parts[1], "longitude")
    if first[1] == "longitude" and second[1] == "latitude":
        first, second = second, first  # "92.26W 14.90N": the letters say which is which
    return first, second


# --- controlled lists ----------------------------------------------------------------------


def _rules(*pairs: tuple[str, Sequence[str]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((value, re.compile(r"\b(?:" + "|".join(words) + r")")) for value, words in pairs)


# Checked in this order, on folded text with punctuation made spaces. Specific names of
# immigration detention come first; generic "detention" comes last, because a French
# "centre de détention" or a US "county detention center" is a prison.
_TYPE_RULES = _rules(
    ("immigration_detention_centre", (
        r"estacion(?:es)? migratori", r"estancias? provisional", r"estancia migratori",
        r"immigration (?:detention|removal|holding|processing)",
        r"(?:migrant|migrante|migrantes|immigrant|immigration|extranjeros|etrangers|alien)s? "
        r"(?:detention|detencion|holding)",
        r"detencion (?:migratoria|de migrantes|de extranjeros)",
        r"centros? (?:de )?internamiento", r"cie\b", r"cies\b", r"centres? de retention",
        r"cra\b", r"locaux de retention", r"local de retention", r"lra\b",
        r"retention administrative", r"spc\b", r"service processing", r"processing cent",
        r"cdf\b", r"contract detention", r"digsa\b", r"family (?:residential|detention|staging)",
        r"removal cent", r"irc\b", r"pre departure accommodation", r"short term holding",
        r"sthf\b", r"cpr\b", r"permanenza per i rimpatri", r"detention migratoire",
    )),
    ("prison", (
        r"prison", r"jail", r"gaol", r"carcel", r"prision", r"penitenci", r"penitentia",
        r"cereso", r"cefereso", r"reclusorio", r"readaptacion social", r"reinsercion social",
        r"maison d arret", r"maisons d arret", r"centres? de detention", r"correction",
        r"igsa\b", r"usms\b", r"bop\b", r"presidio", r"penal\b", r"prisao", r"cadeia",
        r"centro de reclusion", r"county detention",
    )),
    ("children_shelter", (
        r"albergue", r"abrigo", r"casa hogar", r"shelter", r"refugio", r"foyer", r"dif\b", r"child",
        r"ninos", r"ninas", r"ninez", r"menores", r"mineurs", r"minors", r"juvenile", r"orr\b",
        r"unaccompanied", r"no acompanad", r"enfant", r"criancas", r"infancia",
    )),
    ("police_station", (
        r"polic", r"comisaria", r"commissariat", r"gendarmerie", r"delegacia", r"garde a vue",
        r"separos", r"barandilla", r"carabineros", r"cuartel", r"precinct", r"hold room",
    )),
    ("transit_zone", (
        r"airport", r"aeropuerto", r"aeroport", r"aerodrom", r"zones? d attente", r"zapi\b",
        r"transit", r"sala de (?:inadmitidos|rechazados|asilo)", r"seaport",
    )),
    ("border_post", (
        r"border", r"frontera", r"fronteriz", r"frontiere", r"frontalier", r"fronteira",
        r"garita", r"aduana", r"customs", r"port of entry", r"punto de internacion", r"cbp\b",
        r"checkpoint", r"puesto de control", r"poe\b",
    )),
    ("closed_reception_centre", (
        r"reception", r"recepcion", r"acogida", r"accueil", r"acolhimento", r"asylum",
        r"asilo\b", r"ric\b", r"ccac\b", r"hotspot", r"ceti\b", r"cate\b", r"identification",
        r"identificacion", r"closed controlled", r"cada\b", r"estancia temporal",
    )),
    ("immigration_detention_centre", (
        r"detention", r"detencion", r"detencao", r"retention", r"ice\b", r"immigration",
        r"migratori", r"migrant", r"extranjeros",
    )),
)

_STATUS_RULES = _rules(
    ("unknown", (
        r"unknown", r"desconoc", r"inconnu", r"desconhec", r"sin informacion", r"no data",
        r"not known", r"unclear",
    )),
    ("closed", (
        r"clos", r"cerrad", r"clausur", r"ferme", r"fechad", r"inactiv", r"inativ",
        r"decommission", r"demoli", r"desactiv", r"desativ", r"suspend", r"abandon", r"no longer",
        r"not in use", r"no operativ", r"fuera de (?:servicio|uso|operacion)", r"hors service",
        r"former\b", r"desmantel", r"extint",
    )),
    ("in_use", (
        r"in use", r"en uso", r"em uso", r"activ", r"ativ", r"open", r"abiert", r"abert",
        r"ouvert", r"operat", r"operativ", r"operacion", r"funcion", r"en service",
        r"fonctionn", r"vigente", r"habilitad", r"current", r"in operation",
    )),
)
# Answers to a column such as "In use?".
_STATUS_ANSWERS = {
    "yes": "in_use", "si": "in_use", "oui": "in_use", "sim": "in_use", "true": "in_use",
    "1": "in_use", "no": "closed", "non": "closed", "nao": "closed", "false": "closed",
    "0": "closed",
}

_OPERATOR_RULES = _rules(
    ("private", (
        r"private", r"privad", r"prive", r"contractor", r"contratista", r"empresa", r"company",
        r"compagnie", r"inc\b", r"llc\b", r"ltd\b", r"limited\b", r"plc\b", r"corp\b",
        r"corporation", r"gmbh\b", r"s a de c v\b", r"sa de cv\b", r"sas\b", r"sarl\b",
        r"s l\b", r"s a\b", r"geo group", r"geo\b", r"corecivic", r"core civic", r"cca\b",
        r"corrections corporation", r"management (?:and )?training", r"mtc\b", r"lasalle",
        r"serco", r"mitie", r"g4s", r"sodexo", r"akima", r"ahtna", r"gardaworld", r"securitas",
    )),
    ("public", (
        r"public", r"publico", r"publica", r"government", r"gobierno", r"gouvernement",
        r"governo", r"state\b", r"estado\b", r"estatal", r"federal", r"ministry", r"ministerio",
        r"ministere", r"police", r"policia", r"gendarmerie", r"guardia civil", r"prefectur",
        r"national", r"nacional", r"municipal", r"municipio", r"county", r"sheriff",
        r"city of", r"department", r"departamento", r"secretaria", r"inm\b", r"ice\b",
        r"bop\b", r"usms\b", r"home office", r"dif\b", r"authority", r"autoridad", r"agency",
        r"agencia", r"army", r"military", r"militar", r"navy", r"ejercito", r"armada",
        r"instituto", r"prefeitura", r"prefecture", r"ayuntamiento", r"mairie",
    )),
)
# A cell saying only which kind, with no name in it.
_KIND_ONLY = re.compile(
    r"^(?:public|publico|publica|publique|private|privado|privada|prive|privee|privatizado|"
    r"public authority|autoridad publica|private contractor|contratista privado|government|"
    r"gobierno|state|estatal|mixed|mixto|mixte|unknown|desconocido)$"
)


def _classify(text: str, rules: Sequence[tuple[str, re.Pattern[str]]]) -> str | None:
    folded = " ".join(_words(text))
    for value, pattern in rules:
        if pattern.search(folded):
            return value
    return None


# --- capacity ------------------------------------------------------------------------------

_APPROXIMATE = re.compile(
    r"^(?:approx(?:imately)?\.?|aprox(?:imadamente)?\.?|ca\.?|circa|c\.|about|around|"
    r"environ|env\.|~|≈|±|\+/-|alrededor de|cerca de|unos|unas|mas de|más de|more than|over|"
    r"plus de|mais de|hasta|up to|jusqu'?à|jusqu'?a|aproximadamente)\s*"
    r"|\s*(?:approx\.?|aprox\.?|environ|aprox|aproximadamente|\+|\(approx\.?\)|\(aprox\.?\))$",
    re.IGNORECASE,
)
_UNITS = re.compile(
    r"\s*(?:camas?|beds?|places?|plazas?|lits?|personas?|persons?|people|personnes?|pessoas?|"
    r"vagas?|detainees?|internos?|spaces?|plazas? oficiales)\.?$",
    re.IGNORECASE,
)


def _capacity(value: Any) -> tuple[int, bool]:
    """Places in a facility, and whether the cell said it was approximate."""
    if _is_number(value):
        number = float(value)
        if not number.is_integer():
            raise _Bad(N_("capacity %(value)s is not a whole number of places", value=value))
        return _whole_capacity(int(number)), False
    text = _tidy(_as_text(value))
    stripped = _UNITS.sub("", text).strip()
    approximate = False
    while True:
        shorter = _APPROXIMATE.sub("", stripped, count=1).strip()
        if shorter == stripped:
            break
        stripped, approximate = shorter, True
    if re.fullmatch(r"\d+\s*(?:-|–|a|to|à|y|and)\s*\d+", stripped):
        raise _Bad(N_("capacity '%(value)s' is a range; give one number", value=text))
    negative = stripped.startswith(("-", "−"))
    digits = stripped.lstrip("-−").strip()
    if re.fullmatch(r"\d{1,3}(?:([ ,.'\u00a0\u202f])\d{3})(?:\1\d{3})*", digits):
        number = int(re.sub(r"\D", "", digits))  # 1,200 / 1.200 / 1 200
    elif re.fullmatch(r"\d+(?:[.,]0+)?", digits):
        number = int(re.split(r"[.,]", digits)[0])
    else:
        raise _Bad(N_("capacity '%(value)s' is not a number; give the number of places, such "
                      "as 300", value=text))
    return _whole_capacity(-number if negative else number, text), approximate


def _whole_capacity(number: int, text: str | None = None) -> int:
    if number < 0:
        shown = text if text is not None else number
        raise _Bad(N_("capacity %(value)s is negative; give the number of places (0 or more)",
                      value=shown))
    return number


# --- the cleaning itself -------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_OTHER_NAME_SEPARATORS = re.compile(r"\s*(?:;|\||\n|\s/\s)\s*")


@dataclass
class _Unmatched:
    """A value of a controlled list not recognised, gathered to warn once per value."""

    column: str
    field: str
    value: str
    rows: list[int]


class _Cleaner:
    """The per-table state of :func:`clean_rows` (one instance per call)."""

    def __init__(self, table: Table, columns: dict[str, list[str]], locate: Locate | None,
                 default_country: str | None, country_at: CountryAt | None) -> None:
        self.table = table
        self.columns = columns
        self.locate = locate
        self.default_country = default_country
        self.country_at = country_at
        #: Rows whose country was found from their location, and rows left without one.
        self.located: list[int] = []
        self.countryless: list[int] = []
        self.unmatched: dict[tuple[str, str], _Unmatched] = {}
        self.by_name: dict[tuple[str, str | None], FacilityRecord] = {}
        self.by_id: dict[str, FacilityRecord] = {}
        self.has_location_columns = any(
            columns.get(name) for name in ("latitude", "longitude", "coordinates"))
        filled = [sum(v is not None for v in row.values.values()) for row in table.rows]
        self.typical_width = statistics.median(filled) if filled else 0

    # values ---------------------------------------------------------------------------

    def cells(self, row: SourceRow, field_name: str) -> list[tuple[str, Any]]:
        """(column, raw value) of the columns giving *field_name* that hold something."""
        found = []
        for column in self.columns.get(field_name, []):
            raw = row.values.get(column)
            if _is_number(raw) or _clean_text(raw) is not None:
                found.append((column, raw))
        return found

    def first_text(self, row: SourceRow, field_name: str) -> tuple[str | None, str | None]:
        for column, raw in self.cells(row, field_name):
            return column, _clean_text(raw)
        return None, None

    def note_unmatched(self, column: str, field_name: str, value: str, row: int) -> None:
        key = (column, value.casefold())
        entry = self.unmatched.setdefault(key, _Unmatched(column, field_name, value, []))
        entry.rows.append(row)

    # one row --------------------------------------------------------------------------

    def clean(self, row: SourceRow) -> tuple[FacilityRecord | None, list[RowProblem]]:
        problems: list[RowProblem] = []

        def error(column: str | None, message: str) -> None:
            problems.append(RowProblem(row.number, column, message, "error"))

        def warning(column: str | None, message: str) -> None:
            problems.append(RowProblem(row.number, column, message, "warning"))

        name_column, name = self.first_text(row, "name")
        if name is None:
            error(self.columns["name"][0], self._no_name_message(row))
            return None, problems
        if self._looks_like_heading(row, name_column):
            error(name_column, N_("the row holds only '%(value)s'; it looks like a heading, not "
                                  "a facility, and is skipped (if it is a facility, fill in at "
                                  "least its country or location)", value=name))
            return None, problems

        other_names = self._other_names(row, name)
        country = self._country(row, error, warning)
        admin_area = self.first_text(row, "admin_area")[1]
        locality = self.first_text(row, "locality")[1]
        latitude, longitude = self._location(row, country, error, warning)
        facility_type = self._type(row, name)
        operator_kind, operator_name = self._operator(row)
        capacity = self._capacity(row, error, warning)
        status = self._status(row)
        external_id = self.first_text(row, "external_id")[1]
        source_url = self._source(row)

        if any(problem.level == "error" for problem in problems):
            return None, problems
        located = False
        if country is None and latitude is not None and self.country_at is not None:
            country = self.country_at(latitude, longitude)  # type: ignore[arg-type]
            located = country is not None
        record = FacilityRecord(
            row=row.number, name=name, other_names=other_names, country=country,
            admin_area=admin_area, locality=locality, latitude=latitude, longitude=longitude,
            type=facility_type, operator_kind=operator_kind, operator_name=operator_name,
            capacity=capacity, status=status, external_id=external_id, source_url=source_url,
        )
        duplicate = self._duplicate(record, name_column)
        if duplicate is not None:
            problems.append(duplicate)
            if duplicate.level == "error":
                return None, problems
        if located:
            self.located.append(record.row)
        elif record.country is None:
            self.countryless.append(record.row)
        return record, problems

    def _no_name_message(self, row: SourceRow) -> str:
        filled = [str(v) for v in row.values.values() if v is not None]
        if len(filled) == 1:
            return N_("the row holds only '%(value)s' and no facility name; it looks like a "
                      "heading and is skipped", value=_shorten(filled[0]))
        return N_("the facility has no name; fill in its name or delete the row")

    def _looks_like_heading(self, row: SourceRow, name_column: str | None) -> bool:
        filled = [column for column, value in row.values.items() if value is not None]
        return filled == [name_column] and self.typical_width >= 3 and len(self.columns) >= 3

    def _other_names(self, row: SourceRow, name: str) -> tuple[str, ...]:
        names: list[str] = []
        seen = {normalise_name(name)}
        for _, raw in self.cells(row, "other_names"):
            raw_text = _as_text(raw)
            for part in _OTHER_NAME_SEPARATORS.split(_repair_garbled(raw_text) or raw_text):
                text = _clean_text(part)
                if text and normalise_name(text) not in seen:
                    seen.add(normalise_name(text))
                    names.append(text)
        return tuple(names)

    def _country(self, row: SourceRow, error: Callable[[str | None, str], None],
                 warning: Callable[[str | None, str], None]) -> str | None:
        cells = self.cells(row, "country")
        if not cells:
            return self.default_country
        first_problem = None
        for column, raw in cells:
            try:
                return parse_country(raw)
            except ValueError as problem:
                first_problem = first_problem or (column, message_of(problem))
        assert first_problem is not None
        error(*first_problem)
        return None

    def _location(self, row: SourceRow, country: str | None,
                  error: Callable[[str | None, str], None],
                  warning: Callable[[str | None, str], None]) -> tuple[float | None, float | None]:
        lat_cells, lon_cells = self.cells(row, "latitude"), self.cells(row, "longitude")
        lat_column = (lat_cells[0][0] if lat_cells else None) or _first(self.columns, "latitude")
        lon_column = (lon_cells[0][0] if lon_cells else None) or _first(self.columns, "longitude")
        try:
            if lat_cells and lon_cells:
                latitude = _coordinate(lat_cells[0][1], "latitude")
                longitude = _coordinate(lon_cells[0][1], "longitude")
            elif lat_cells or lon_cells:
                error(lon_column if lat_cells else lat_column,
                      N_("the latitude is given but the longitude is missing; give both or "
                         "neither") if lat_cells else
                      N_("the longitude is given but the latitude is missing; give both or "
                         "neither"))
                return None, None
            else:
                pair_cells = self.cells(row, "coordinates")
                if not pair_cells:
                    if self.has_location_columns:
                        warning(None, N_("no location; the facility is imported without "
                                         "coordinates"))
                    return None, None
                lat_column = lon_column = pair_cells[0][0]
                latitude, longitude = _coordinate_pair(pair_cells[0][1])
        except _Bad as bad:
            column = lat_column
            if lat_cells and lon_cells:
                # Say which of the two cells could not be read.
                try:
                    _coordinate(lat_cells[0][1], "latitude")
                    column = lon_column
                except _Bad:
                    column = lat_column
            error(column, message_of(bad))
            return None, None
        return self._check_location(latitude, longitude, lat_column, lon_column, country,
                                    error, warning)

    def _check_location(self, latitude: tuple[float, str | None],
                        longitude: tuple[float, str | None], lat_column: str | None,
                        lon_column: str | None, country: str | None,
                        error: Callable[[str | None, str], None],
                        warning: Callable[[str | None, str], None],
                        ) -> tuple[float | None, float | None]:
        lat, lon = latitude[0], longitude[0]
        shown = {"lat": _degrees(lat), "lon": _degrees(lon)}
        if latitude[1] == "longitude" or longitude[1] == "latitude":
            error(lat_column, N_("latitude %(lat)s and longitude %(lon)s look swapped: the "
                                 "letters N/S belong to a latitude and E/W to a longitude; "
                                 "exchange the two values", **shown))
            return None, None
        if abs(lat) > 90 and abs(lon) <= 90:
            error(lat_column, N_("latitude %(lat)s and longitude %(lon)s look swapped: a "
                                 "latitude lies between -90 and 90; exchange the two values",
                                 **shown))
            return None, None
        if abs(lat) > 90:
            error(lat_column, N_("latitude %(lat)s is out of range; it must lie between -90 and "
                                 "90", lat=shown["lat"]))
            return None, None
        if abs(lon) > 180:
            error(lon_column, N_("longitude %(lon)s is out of range; it must lie between -180 "
                                 "and 180", lon=shown["lon"]))
            return None, None
        if lat == 0 and lon == 0:
            warning(lat_column, N_("0, 0 is a placeholder, not a place; the facility is "
                                   "imported without coordinates"))
            return None, None
        if self.locate is None or country is None:
            return lat, lon
        if self.locate(country, lat, lon) is not False:
            return lat, lon
        if abs(lon) <= 90 and self.locate(country, lon, lat) is True:
            error(lat_column, N_("latitude %(lat)s and longitude %(lon)s look swapped: the point "
                                 "lies outside %(country)s but the swapped point lies inside; "
                                 "exchange the two values", country=country, **shown))
            return None, None
        for flipped_lat, flipped_lon, column, axis in (
            (lat, -lon, lon_column, "longitude"), (-lat, lon, lat_column, "latitude")
        ):
            if self.locate(country, flipped_lat, flipped_lon) is True:
                value = lon if axis == "longitude" else lat
                values = {"value": _degrees(value), "opposite": _degrees(-value),
                          "country": country}
                error(column, N_("longitude %(value)s puts the point outside %(country)s; with "
                                 "the opposite sign (%(opposite)s) it lies inside: check the "
                                 "sign", **values) if axis == "longitude" else
                      N_("latitude %(value)s puts the point outside %(country)s; with the "
                         "opposite sign (%(opposite)s) it lies inside: check the sign",
                         **values))
                return None, None
        warning(lat_column, N_("latitude %(lat)s and longitude %(lon)s lie outside %(country)s; "
                               "check the location and the country", country=country, **shown))
        return lat, lon

    def _type(self, row: SourceRow, name: str) -> str:
        column, text = self.first_text(row, "type")
        if text is None:
            return _classify(name, _TYPE_RULES) or "other"
        found = _classify(text, _TYPE_RULES)
        if found is None:
            assert column is not None
            self.note_unmatched(column, "type", text, row.number)
            return "other"
        return found

    def _operator(self, row: SourceRow) -> tuple[str, str | None]:
        kind_column, kind_text = self.first_text(row, "operator_kind")
        _, name = self.first_text(row, "operator_name")
        kind = None
        if kind_text is not None:
            kind = _classify(kind_text, _OPERATOR_RULES)
            if kind is None and " ".join(_words(kind_text)) not in {"mixed", "mixto", "mixte"}:
                assert kind_column is not None
                self.note_unmatched(kind_column, "operator_kind", kind_text, row.number)
        if name is not None:
            if kind is None:
                kind = _classify(name, _OPERATOR_RULES)
            if _KIND_ONLY.match(" ".join(_words(name))):
                name = None  # "Privado" says who kind of operator, not who
        return kind or "unknown", name

    def _capacity(self, row: SourceRow, error: Callable[[str | None, str], None],
                  warning: Callable[[str | None, str], None]) -> int | None:
        cells = self.cells(row, "capacity")
        if not cells:
            return None
        column, raw = cells[0]
        try:
            capacity, approximate = _capacity(raw)
        except _Bad as bad:
            error(column, message_of(bad))
            return None
        if approximate:
            warning(column, N_("capacity '%(value)s' is approximate; taken as %(capacity)s",
                               value=_clean_text(raw), capacity=capacity))
        return capacity

    def _status(self, row: SourceRow) -> str:
        column, text = self.first_text(row, "status")
        if text is None:
            return "unknown"
        found = _STATUS_ANSWERS.get(" ".join(_words(text))) or _classify(text, _STATUS_RULES)
        if found is None:
            assert column is not None
            self.note_unmatched(column, "status", text, row.number)
            return "unknown"
        return found

    def _source(self, row: SourceRow) -> str | None:
        _, text = self.first_text(row, "source_url")
        if text is None:
            return None
        url = _URL.search(text)
        return url.group(0).rstrip(".,;)") if url else text

    def _duplicate(self, record: FacilityRecord, name_column: str | None) -> RowProblem | None:
        if record.external_id is not None:
            earlier = self.by_id.get(record.external_id.casefold())
            if earlier is not None:
                return RowProblem(
                    record.row, _first(self.columns, "external_id"),
                    N_("duplicate of row %(row)s (same id '%(id)s'); the later row is skipped — "
                       "merge the two rows or correct the id", row=earlier.row,
                       id=record.external_id), "error",
                )
        key = (normalise_name(record.name), record.country)
        earlier = self.by_name.get(key)
        note = None
        if earlier is not None:
            difference = _distinct_place(earlier, record)
            if difference is None:
                return RowProblem(record.row, name_column,
                                  _same_name(earlier.row, record.name, record.country), "error")
            note = RowProblem(record.row, name_column,
                              Message(difference, row=earlier.row), "warning")
        else:
            self.by_name[key] = record
        if record.external_id is not None:
            self.by_id[record.external_id.casefold()] = record
        return note


def _same_name(earlier: int, name: str, country: str | None) -> Message:
    if country:
        return N_("duplicate of row %(row)s (same name '%(name)s' and country %(country)s); "
                  "the later row is skipped — merge the two rows, or give each its id or "
                  "locality if they are different facilities", row=earlier, name=name,
                  country=country)
    return N_("duplicate of row %(row)s (same name '%(name)s'); the later row is skipped — "
              "merge the two rows, or give each its id or locality if they are different "
              "facilities", row=earlier, name=name)


#: What tells two same-named facilities apart, with the note saying so (``%(row)s``: the
#: earlier row).
_DISTINCT_BY = (
    ("external_id", N_("has the same name as row %(row)s but a different id; imported as "
                       "another facility")),
    ("locality", N_("has the same name as row %(row)s but a different locality; imported as "
                    "another facility")),
    ("admin_area", N_("has the same name as row %(row)s but a different administrative area; "
                      "imported as another facility")),
)


def _distinct_place(first: FacilityRecord, second: FacilityRecord) -> str | None:
    """The note template for what tells two same-named facilities apart, if anything."""
    for attribute, note in _DISTINCT_BY:
        a, b = getattr(first, attribute), getattr(second, attribute)
        if a and b and normalise_name(a) != normalise_name(b):
            return note
    return None


def _first(columns: dict[str, list[str]], field_name: str) -> str | None:
    found = columns.get(field_name)
    return found[0] if found else None


def _degrees(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the public entry point ----------------------------------------------------------------


def clean_rows(
    table: Table,
    *,
    locate: Locate | None = None,
    default_country: str | None = None,
    country_at: CountryAt | None = None,
) -> ImportResult:
    """Recognise the columns of *table* and clean every row into a facility record.

    :param table: what :func:`read_facility_table` (or :func:`read_table`) read.
    :param locate: ``locate(country_iso3, latitude, longitude)`` tells whether a point lies in
        a country (``None``: cannot tell); used to catch swapped coordinates and lost minus
        signs, and to warn about points outside the country.
    :param default_country: the country (name or code) of rows that give none, for lists of
        one country without a country column.
    :param country_at: ``country_at(latitude, longitude)`` gives the alpha-3 code of the country
        at a point (``None``: none known); rows with a location but no country (and no
        *default_country*) take it from there.
    :returns: records for the usable rows and every problem found (module notes list them).
    :raises InputError: no column holds facility names, or *default_country* is unknown.
    """
    result = ImportResult()
    if default_country is not None:
        try:
            default_country = parse_country(default_country)
        except ValueError as error:
            raise InputError(N_("the default country: %(problem)s",
                                problem=message_of(error))) from None

    columns = _map_columns(table, result)
    if not columns.get("name"):
        raise InputError(_no_name_column(table))
    _warn_about_missing_columns(table, columns, result, default_country)

    cleaner = _Cleaner(table, columns, locate, default_country, country_at)
    row_problems: list[RowProblem] = []
    for row in table.rows:
        record, problems = cleaner.clean(row)
        row_problems.extend(problems)
        if record is None:
            result.rejected_rows.append(row.number)
        else:
            result.records.append(record)

    for column, count in _repaired_counts(table, result.column_map).items():
        result.problems.append(RowProblem(
            _header_row(table), column,
            Nn_("garbled characters (such as 'Ã©' for 'é') were repaired in %(count)d row; "
                "check the names",
                "garbled characters (such as 'Ã©' for 'é') were repaired in %(count)d rows; "
                "check the names", count), "warning",
        ))
    row_problems.extend(_unmatched_problems(cleaner.unmatched.values()))
    result.problems.extend(_country_problems(table, columns, cleaner))
    row_problems.extend(table.notes)
    row_problems.sort(key=lambda problem: problem.row or 0)  # stable: keeps order within a row
    result.problems.extend(row_problems)
    # Counts only: the rows themselves may name people's places of detention.
    log.info("facility rows cleaned: %d rows, %d records, %d rejected, %d warnings",
             len(table.rows), len(result.records), len(result.rejected_rows),
             len(result.warnings))
    return result


def _no_name_column(table: Table) -> Message:
    """Why no facility can be read: no column holds names (the header is quoted)."""
    values = {"file": table.source or N_("the file"), "row": table.header_row,
              "header": ", ".join(repr(column) for column in table.columns[:12]) or N_("nothing")}
    if table.header_row:
        return N_("cannot import %(file)s: no column holds facility names (the header found on "
                  "row %(row)s reads %(header)s); name that column 'name' (or nombre, nom, "
                  "nome)", **values)
    return N_("cannot import %(file)s: no column holds facility names (the header found reads "
              "%(header)s); name that column 'name' (or nombre, nom, nome)", **values)


def _repaired_counts(table: Table, column_map: dict[str, str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in table.rows:
        for column in column_map:
            value = row.values.get(column)
            if isinstance(value, str) and _repair_garbled(value) is not None:
                counts[column] += 1
    return counts


def _country_problems(table: Table, columns: dict[str, list[str]],
                      cleaner: _Cleaner) -> list[RowProblem]:
    """Say, once, how the rows without a country cell were given one (or were not)."""
    problems = []
    column = _first(columns, "country")
    no_column = column is None
    if cleaner.located:
        count, rows = len(cleaner.located), _rows(cleaner.located)
        problems.append(RowProblem(_header_row(table), column, Nn_(
            "no column gives the country; the country of %(count)d facility (%(rows)s) was "
            "taken from the location",
            "no column gives the country; the country of %(count)d facilities (%(rows)s) was "
            "taken from the location", count, rows=rows) if no_column else Nn_(
            "the country of %(count)d facility (%(rows)s) was taken from the location",
            "the country of %(count)d facilities (%(rows)s) was taken from the location",
            count, rows=rows), "warning"))
        no_column = False  # said once is enough
    if cleaner.countryless:
        count, rows = len(cleaner.countryless), _rows(cleaner.countryless)
        problems.append(RowProblem(_header_row(table), column, Nn_(
            "no column gives the country; %(count)d facility has no country (%(rows)s); give a "
            "country for it, or import the list with a default country",
            "no column gives the country; %(count)d facilities have no country (%(rows)s); "
            "give a country for them, or import the list with a default country",
            count, rows=rows) if no_column else Nn_(
            "%(count)d facility has no country (%(rows)s); give a country for it, or import "
            "the list with a default country",
            "%(count)d facilities have no country (%(rows)s); give a country for them, or "
            "import the list with a default country", count, rows=rows), "warning"))
    return problems


def _rows(numbers: Sequence[int]) -> Message:
    """"row 4", "rows 4, 7", "rows 1, 2, … 8 and 3 more"."""
    shown = ", ".join(str(n) for n in numbers[:8])
    if len(numbers) > 8:
        return N_("rows %(rows)s and %(more)d more", rows=shown, more=len(numbers) - 8)
    return Nn_("row %(rows)s", "rows %(rows)s", len(numbers), rows=shown)


def _header_row(table: Table) -> int | None:
    return table.header_row or None


def _map_columns(table: Table, result: ImportResult) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = defaultdict(list)
    for column in table.columns:
        matched, field_name = _match_column(column)
        if field_name == "status_or_area":
            field_name = _status_or_area(table, column)
        if field_name is None:
            result.ignored_columns.append(column)
            close = None if matched else _closest_header(column)
            if matched:
                message = N_("not a facility field; the column is ignored")
            elif close:
                message = N_("not a column this import knows (did you mean '%(close)s'?); the "
                             "column is ignored", close=close)
            else:
                message = N_("not a column this import knows; the column is ignored")
            result.problems.append(RowProblem(_header_row(table), column, message, "warning"))
            continue
        columns[field_name].append(column)
        result.column_map[column] = field_name
    return dict(columns)


def _status_or_area(table: Table, column: str) -> str:
    """``estado``/``état``: a status column if most of its values are statuses."""
    values = [str(row.values[column]) for row in table.rows if row.values.get(column) is not None]
    statuses = sum(_classify(value, _STATUS_RULES) is not None for value in values)
    return "status" if values and statuses * 2 > len(values) else "admin_area"


def _warn_about_missing_columns(table: Table, columns: dict[str, list[str]],
                                result: ImportResult, default_country: str | None) -> None:
    row = _header_row(table)
    has_pair = "coordinates" in columns
    if not {"latitude", "longitude", "coordinates"} & set(columns):
        result.problems.append(RowProblem(row, None, N_("no columns give the location; "
                                                        "facilities are imported without "
                                                        "coordinates"), "warning"))
    for present, absent in (("latitude", "longitude"), ("longitude", "latitude")):
        if present in columns and absent not in columns and not has_pair:
            for column in columns.pop(present):
                result.column_map.pop(column, None)
                result.ignored_columns.append(column)
                result.problems.append(RowProblem(row, column, N_(
                    "there is no longitude column to go with this latitude; the column is "
                    "ignored and facilities are imported without coordinates"
                ) if present == "latitude" else N_(
                    "there is no latitude column to go with this longitude; the column is "
                    "ignored and facilities are imported without coordinates"
                ), "warning"))


#: The warning for a value of a controlled list that was not recognised, by field: with the
#: other rows holding the same value, and without.
_UNMATCHED = {
    "type": (
        N_("'%(value)s' is not a type this import recognises (also rows %(rows)s); recorded "
           "as '%(recorded)s' (recognised: %(choices)s)"),
        N_("'%(value)s' is not a type this import recognises; recorded as '%(recorded)s' "
           "(recognised: %(choices)s)")),
    "status": (
        N_("'%(value)s' is not a status this import recognises (also rows %(rows)s); recorded "
           "as '%(recorded)s' (recognised: %(choices)s)"),
        N_("'%(value)s' is not a status this import recognises; recorded as '%(recorded)s' "
           "(recognised: %(choices)s)")),
    "operator_kind": (
        N_("'%(value)s' is not a operator kind this import recognises (also rows %(rows)s); "
           "recorded as '%(recorded)s' (recognised: %(choices)s)"),
        N_("'%(value)s' is not a operator kind this import recognises; recorded as "
           "'%(recorded)s' (recognised: %(choices)s)")),
}


def _unmatched_problems(entries: Iterable[_Unmatched]) -> list[RowProblem]:
    known = {
        "type": ("other", ", ".join(FACILITY_TYPES[:-1])),
        "status": ("unknown", "in use, closed"),
        "operator_kind": ("unknown", "public, private"),
    }
    problems = []
    for entry in entries:
        recorded, choices = known[entry.field]
        with_others, alone = _UNMATCHED[entry.field]
        more = entry.rows[1:]
        values = {"value": entry.value, "recorded": recorded, "choices": choices}
        if more:
            shown = ", ".join(str(n) for n in more[:5])
            rows = N_("%(rows)s and more", rows=shown) if len(more) > 5 else shown
            message = Message(with_others, rows=rows, **values)
        else:
            message = Message(alone, **values)
        problems.append(RowProblem(entry.rows[0], entry.column, message, "warning"))
    return problems
