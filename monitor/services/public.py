"""The one gate for public output: every public page, map, report and open-data export reads
visits through :func:`published_visit_ids` / :func:`public_summaries` and the functions below,
never through its own query.

A visit is public when it is published and its publication delay has passed. The gate reads
the visit's state at the moment of the request, so unpublishing a visit removes it from every
public page, map and download at once. What leaves through the gate is further limited by
:mod:`monitor.privacy.policy` (no sensitive answers, no interview content, no team members or
internal notes, no evidence answers, small counts suppressed, months instead of days).

The facility registry itself (names, place, type, operator, capacity, status) is public for
every facility, visited or not; the facility's internal notes and import sources are not.

Everything returned here is a plain dataclass or a dict of plain values: no ORM object leaves
this module, so a template cannot reach ``visit.members`` or ``facility.notes`` by accident.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import Session, aliased

from monitor.aggregate.tables import country_summary
from monitor.compliance.standards import Catalogue
from monitor.core.clock import utcnow
from monitor.core.errors import RecordNotFound
from monitor.core.messages import N_
from monitor.core.settings import Settings
from monitor.db.models import (
    AreaScore,
    Facility,
    FacilityAlias,
    Finding,
    Recommendation,
    RecommendationStatus,
    RecommendationUpdate,
    Visit,
    VisitState,
    VisitSummary,
)
from monitor.privacy.policy import (
    PUBLIC_SUMMARY_FIELDS,
    LowerBound,
    PublicTotal,
    Suppressed,
    public_figures,
    public_month,
    suppress,
)

log = logging.getLogger(__name__)

ProfileUrl = Callable[[str], str]


# --- The gate ---------------------------------------------------------------------------------


def public_cutoff(settings: Settings) -> datetime:
    """Visits published after this moment are not public yet (publication delay)."""
    return utcnow() - timedelta(days=settings.publication_delay_days)


def public_conditions(settings: Settings, visit: Any = Visit) -> list[ColumnElement[bool]]:
    """The rule itself, as conditions on *visit* (the ``Visit`` entity or an alias of it)."""
    return [visit.state == VisitState.PUBLISHED, visit.published_at.is_not(None),
            visit.published_at <= public_cutoff(settings)]


def published_visit_ids(settings: Settings) -> Select[tuple[int]]:
    """A subquery of the ids of visits that may appear in public output.

    For queries that read the public part of the whole history (maps, open data); a query
    about a few visits uses :func:`is_public`, whose cost does not grow with the history.
    """
    return select(Visit.id).where(*public_conditions(settings))


def is_public(settings: Settings, visit_id: ColumnElement[int]) -> ColumnElement[bool]:
    """SQL condition: the visit whose id *visit_id* holds may appear in public output.

    The rule of :func:`published_visit_ids`, asked of one visit at a time (a primary-key
    lookup). SQLite answers ``IN (SELECT …)`` by first listing every public visit, which made a
    facility's public profile cost more the longer the whole history grew.
    """
    visit = aliased(Visit)
    return exists(select(visit.id).where(visit.id == visit_id,
                                         *public_conditions(settings, visit)))


def public_summaries(settings: Settings) -> Select[tuple[VisitSummary]]:
    """Summary rows of public visits only (dashboards' public twin reads these)."""
    return select(VisitSummary).where(VisitSummary.visit_id.in_(published_visit_ids(settings)))


_SUMMARY_COLUMNS_READ = ("visit_id", "visit_date", *PUBLIC_SUMMARY_FIELDS)


def _latest_public(settings: Settings, filters: PublicFilter):
    """A subquery: each facility's public visit summaries, ``rank`` 1 being the latest."""
    rank = func.row_number().over(
        partition_by=VisitSummary.facility_id,
        order_by=(VisitSummary.visit_date.desc(), VisitSummary.visit_id.desc()),
    ).label("rank")
    visits = func.count().over(partition_by=VisitSummary.facility_id).label("public_visits")
    query = (
        select(VisitSummary.facility_id,
               *(getattr(VisitSummary, name).label(f"v_{name}") for name in _SUMMARY_COLUMNS_READ),
               Visit.scope.label("v_scope"), Visit.published_at.label("v_published_at"),
               rank, visits)
        .join(Visit, Visit.id == VisitSummary.visit_id)
        .join(Facility, Facility.id == VisitSummary.facility_id)
        .where(VisitSummary.visit_id.in_(published_visit_ids(settings)))
    )
    return _filtered(query, filters).subquery("latest_public")


# --- Public records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicVisit:
    """One published visit as the public sees it: months, not days; public figures only."""

    visit_id: int
    month: str
    scope: str
    published_month: str | None
    figures: Mapping[str, Any]


@dataclass(frozen=True)
class PublicFacility:
    """A facility of the registry, and its latest published visit if it has one."""

    public_id: str
    name: str
    country: str
    type: str
    operator_kind: str
    operator_name: str | None
    capacity: int | None
    status: str
    admin_area: str | None
    locality: str | None
    latitude: float | None
    longitude: float | None
    other_names: tuple[str, ...] = ()
    latest: PublicVisit | None = None
    public_visits: int = 0

    @property
    def last_visited(self) -> str | None:
        """The month of the latest published visit (``None``: no published visit)."""
        return self.latest.month if self.latest else None

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def figures(self) -> Mapping[str, Any]:
        """The public figures of the latest published visit (empty: none)."""
        return self.latest.figures if self.latest else {}


@dataclass(frozen=True)
class PublicArea:
    """A monitoring area's result at the latest published visit."""

    area_id: str
    score: float | None
    rating: int | None
    standards_assessed: int
    standards_total: int


@dataclass(frozen=True)
class PublicFinding:
    """A standard's status at a published visit (no evidence, no quoted answers)."""

    standard_id: str
    area_id: str | None
    status: str
    severity: str


@dataclass(frozen=True)
class PublicRecommendation:
    """A confirmed recommendation of a published visit, told by the standards it cites.

    The team's own wording is not published: the engine's suggestions quote the visit's
    answers ("At this visit: 2 …"), which would undo small-count suppression, and a team may
    edit in anything. Nor are follow-up notes or the authority's responses. ``status`` is the
    last one recorded at a public visit (a follow-up visit's finding waits for that visit).
    """

    standards: tuple[str, ...]
    priority: str
    status: str
    issued_month: str | None
    due_month: str | None
    visit_month: str


@dataclass(frozen=True)
class PublicProfile:
    """Everything the public profile of one facility shows."""

    facility: PublicFacility
    visits: list[PublicVisit]
    areas: list[PublicArea]
    finding_counts: Mapping[str, int]
    non_compliant: list[PublicFinding]
    recommendations: list[PublicRecommendation]


def _public_visit(values: Mapping[str, Any], settings: Settings) -> PublicVisit:
    """Build the public view of a visit from summary fields (``visit_id``, ``visit_date``,
    ``scope``, ``published_at`` and the summary columns)."""
    scope = values.get("scope")
    return PublicVisit(
        visit_id=values["visit_id"],
        month=public_month(values["visit_date"]) or "",
        scope=getattr(scope, "value", str(scope)),
        published_month=public_month(values.get("published_at")),
        figures=public_figures(values, settings.min_public_count),
    )


def _summary_values(summary: VisitSummary, scope: Any, published_at: Any) -> dict[str, Any]:
    values = {name: getattr(summary, name) for name in _SUMMARY_COLUMNS_READ}
    values.update(scope=scope, published_at=published_at)
    return values


def _registry_columns() -> tuple[Any, ...]:
    # Named columns, not the entity: Facility.notes must never be loaded into public code.
    return (Facility.id, Facility.public_id, Facility.name, Facility.country, Facility.type,
            Facility.operator_kind, Facility.operator_name, Facility.capacity, Facility.status,
            Facility.admin_area, Facility.locality, Facility.latitude, Facility.longitude)


def _public_facility(row: Any, latest: PublicVisit | None, visits: int,
                     other_names: Sequence[str] = ()) -> PublicFacility:
    return PublicFacility(
        public_id=row.public_id, name=row.name, country=row.country, type=row.type.value,
        operator_kind=row.operator_kind.value, operator_name=row.operator_name,
        capacity=row.capacity, status=row.status.value, admin_area=row.admin_area,
        locality=row.locality, latitude=row.latitude, longitude=row.longitude,
        other_names=tuple(other_names), latest=latest, public_visits=visits,
    )


@dataclass(frozen=True)
class PublicFilter:
    """What public lists and the public map are narrowed to (all optional)."""

    country: str | None = None
    type: str | None = None


def _filtered(query: Any, filters: PublicFilter) -> Any:
    query = query.where(Facility.merged_into_id.is_(None))
    if filters.country:
        query = query.where(Facility.country == filters.country.upper())
    if filters.type:
        query = query.where(Facility.type == filters.type)
    return query


def public_facilities(session: Session, settings: Settings, filters: PublicFilter | None = None,
                      *, with_other_names: bool = False) -> list[PublicFacility]:
    """Every facility of the registry (merged duplicates left out) with its latest public visit.

    Three queries at most, whatever the number of facilities: the registry, the latest public
    summary of each facility, and other names when asked. (The registry and the summaries are
    read apart and matched here: joined to the ranked summaries, SQLite scans them once per
    facility.)

    :param filters: narrow to a country or a facility type.
    :param with_other_names: also load aliases, former names and translations.
    :returns: facilities sorted by country and name.
    """
    filters = filters or PublicFilter()
    rows = session.execute(_filtered(select(*_registry_columns()), filters)
                           .order_by(Facility.country, Facility.name, Facility.public_id)).all()
    ranked = _latest_public(settings, filters)
    latest: dict[int, PublicVisit] = {}
    counts: dict[int, int] = {}
    for row in session.execute(select(ranked).where(ranked.c.rank == 1)):
        mapping = row._mapping
        latest[row.facility_id] = _public_visit(
            {name[2:]: mapping[name] for name in mapping if name.startswith("v_")},
            settings)
        counts[row.facility_id] = row.public_visits
    names: dict[int, list[str]] = defaultdict(list)
    if with_other_names and rows:
        alias_query = _filtered(select(FacilityAlias.facility_id, FacilityAlias.name)
                                .join(Facility, Facility.id == FacilityAlias.facility_id),
                                filters).order_by(FacilityAlias.id)
        for facility_id, name in session.execute(alias_query):
            names[facility_id].append(name)
    found = [_public_facility(row, latest.get(row.id), counts.get(row.id, 0),
                              names.get(row.id, ())) for row in rows]
    log.info("public facilities: %d listed, %d with a public visit", len(found), len(latest))
    return found


def registry_countries(session: Session) -> list[str]:
    """ISO codes of the countries that have facilities in the registry (for filter lists)."""
    return sorted(session.scalars(select(Facility.country)
                                  .where(Facility.merged_into_id.is_(None)).distinct()))


def resolve_public_id(session: Session, public_id: str) -> str:
    """The public id to cite for *public_id*: itself, or the record it was merged into.

    :raises RecordNotFound: no facility has this id.
    """
    wanted = public_id.strip().upper()
    seen: set[int] = set()
    row = session.execute(select(Facility.id, Facility.public_id, Facility.merged_into_id)
                          .where(Facility.public_id == wanted)).first()
    while row is not None and row.merged_into_id is not None and row.id not in seen:
        seen.add(row.id)
        row = session.execute(select(Facility.id, Facility.public_id, Facility.merged_into_id)
                              .where(Facility.id == row.merged_into_id)).first()
    if row is None or row.merged_into_id is not None:
        raise RecordNotFound(N_("There is no facility %(id)s.", id=public_id))
    return row.public_id


def public_profile(session: Session, settings: Settings, public_id: str) -> PublicProfile:
    """The public profile of one facility (pass the id :func:`resolve_public_id` returned).

    :raises RecordNotFound: no such facility, or it was merged into another record.
    """
    row = session.execute(select(*_registry_columns()).where(
        Facility.public_id == public_id.upper(), Facility.merged_into_id.is_(None))).first()
    if row is None:
        raise RecordNotFound(N_("There is no facility %(id)s.", id=public_id))
    other_names = list(session.scalars(select(FacilityAlias.name)
                                       .where(FacilityAlias.facility_id == row.id)
                                       .order_by(FacilityAlias.id)))
    visit_rows = session.execute(
        select(VisitSummary, Visit.scope, Visit.published_at)
        .join(Visit, Visit.id == VisitSummary.visit_id)
        .where(VisitSummary.facility_id == row.id, is_public(settings, VisitSummary.visit_id))
        .order_by(VisitSummary.visit_date.desc(), VisitSummary.visit_id.desc())
    ).all()
    visits = [_public_visit(_summary_values(summary, scope, published_at), settings)
              for summary, scope, published_at in visit_rows]
    latest = visits[0] if visits else None
    facility = _public_facility(row, latest, len(visits), other_names)
    areas: list[PublicArea] = []
    counts: Counter[str] = Counter()
    failing: list[PublicFinding] = []
    recs: list[PublicRecommendation] = []
    if latest is not None:
        areas = [
            PublicArea(a.area_id, a.score, a.rating, a.standards_assessed, a.standards_total)
            for a in session.execute(
                select(AreaScore.area_id, AreaScore.score, AreaScore.rating,
                       AreaScore.standards_assessed, AreaScore.standards_total)
                .where(AreaScore.visit_id == latest.visit_id,
                       is_public(settings, AreaScore.visit_id))
                .order_by(AreaScore.area_id))
        ]
        for finding in _public_findings(session, settings, latest.visit_id):
            counts[finding.status] += 1
            if finding.status == "non_compliant":
                failing.append(finding)
        recs = _public_recommendations(session, settings, row.id,
                                       {v.visit_id: v.month for v in visits})
    failing.sort(key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.standard_id))
    return PublicProfile(facility, visits, areas, dict(counts), failing, recs)


def _public_recommendations(session: Session, settings: Settings, facility_id: int,
                            months: Mapping[int, str]) -> list[PublicRecommendation]:
    """Confirmed recommendations of the facility's public visits, newest first.

    Their status is the last one recorded at a public visit (or outside any visit): what a
    follow-up visit found is not public until that visit is.
    """
    recs = session.execute(
        select(Recommendation.id, Recommendation.standards, Recommendation.priority,
               Recommendation.issued_on, Recommendation.due_date, Recommendation.visit_id)
        .where(Recommendation.facility_id == facility_id,
               Recommendation.status != RecommendationStatus.SUGGESTED,
               is_public(settings, Recommendation.visit_id))
        .order_by(Recommendation.issued_on.desc(), Recommendation.id.desc())).all()
    if not recs:
        return []
    latest: dict[int, str] = {}
    for rec_id, status in session.execute(
            select(RecommendationUpdate.recommendation_id, RecommendationUpdate.status)
            .where(RecommendationUpdate.recommendation_id.in_([r.id for r in recs]),
                   RecommendationUpdate.visit_id.is_(None)
                   | is_public(settings, RecommendationUpdate.visit_id))
            .order_by(RecommendationUpdate.recorded_on, RecommendationUpdate.id)):
        latest[rec_id] = status.value
    return [
        PublicRecommendation(
            standards=tuple(r.standards or ()), priority=r.priority.value,
            status=latest.get(r.id, RecommendationStatus.NOT_IMPLEMENTED.value),
            issued_month=public_month(r.issued_on), due_month=public_month(r.due_date),
            visit_month=months.get(r.visit_id, ""))
        for r in recs
    ]


_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _public_findings(session: Session, settings: Settings,
                     visit_id: int) -> Iterator[PublicFinding]:
    query = (select(Finding.standard_id, Finding.area_id, Finding.status, Finding.severity)
             .where(Finding.visit_id == visit_id, is_public(settings, Finding.visit_id))
             .order_by(Finding.standard_id))
    for standard_id, area_id, status, severity in session.execute(query):
        yield PublicFinding(standard_id, area_id, status.value, severity.value)


def data_as_of(session: Session, settings: Settings) -> date | None:
    """The day the most recent public visit was published (``None``: nothing public yet)."""
    newest = session.scalar(select(func.max(Visit.published_at))
                            .where(*public_conditions(settings)))
    return newest.date() if newest is not None else None


# --- Countries --------------------------------------------------------------------------------

#: Country figures: name → the summary field each facility contributes (its latest visit).
COUNTRY_FIGURES: Mapping[str, str] = {
    "people_held": "population",
    "children_held": "children",
    "red_flags": "red_flag_count",
}


@dataclass(frozen=True)
class PublicCountry:
    """A country's public figures: facilities in the registry and sums over latest visits."""

    iso3: str
    facilities: int
    visited: int
    figures: Mapping[str, PublicTotal]
    red_flag_facilities: Mapping[str, int] = field(default_factory=dict)


def country_figures(facilities: Sequence[Any], minimum: int) -> list[PublicCountry]:
    """Sum the latest figures of *facilities* per country without un-suppressing any.

    A suppressed facility count adds nothing to the sum shown; the country's figure then
    becomes a lower bound (see :func:`monitor.privacy.policy.suppressed_total`).

    :param facilities: objects with ``country`` (ISO3) and ``figures`` (the latest visit's
        figures, empty when none), e.g. from :func:`public_facilities`. Internal maps pass
        their own records with ``minimum=1``, which suppresses nothing.
    :param minimum: ``Settings.min_public_count``.
    :returns: one entry per country, sorted by ISO code.
    """
    if not facilities:
        return []
    rows = []
    for f in facilities:
        row: dict[str, Any] = {"iso3": f.country, "visited": 1 if f.figures else 0}
        for name, source in COUNTRY_FIGURES.items():
            value = f.figures.get(source)
            if isinstance(value, Suppressed):
                row[f"{name}_shown"], row[f"{name}_hidden"] = 0, 1
            elif value is None:
                row[f"{name}_shown"], row[f"{name}_hidden"] = None, None
            else:
                row[f"{name}_shown"], row[f"{name}_hidden"] = int(value), 0
        rows.append(row)
    columns = ["visited"] + [f"{n}_{part}" for n in COUNTRY_FIGURES for part in ("shown", "hidden")]
    summary = country_summary(pd.DataFrame(rows), columns)
    flags: dict[str, Counter[str]] = defaultdict(Counter)
    for f in facilities:
        for code in f.figures.get("red_flag_codes") or ():
            flags[f.country][code] += 1
    found = []
    for record in summary.to_dict("records"):
        figures: dict[str, PublicTotal] = {}
        for name in COUNTRY_FIGURES:
            shown, hidden = record[f"{name}_shown"], record[f"{name}_hidden"]
            if pd.isna(shown):
                figures[name] = None
            elif not hidden or pd.isna(hidden):
                figures[name] = suppress(int(shown), minimum) if name != "red_flags" else int(shown)
            elif shown > 0:
                figures[name] = LowerBound(int(shown))
            else:
                figures[name] = Suppressed(minimum)
        found.append(PublicCountry(
            iso3=record["iso3"], facilities=int(record["facilities"]),
            visited=int(record["visited"]), figures=figures,
            red_flag_facilities=dict(flags.get(record["iso3"], {})),
        ))
    return found


# --- Open data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an open-data file and what it means (English and Spanish)."""

    name: str
    description: Mapping[str, str]

    def describe(self, language: str) -> str:
        return self.description.get(language) or self.description["en"]


@dataclass(frozen=True)
class Dataset:
    """An open-data download and its data dictionary."""

    key: str
    filename: str
    title: Mapping[str, str]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name: str, en: str, es: str) -> Column:
    return Column(name, {"en": en, "es": es})


_SUPPRESSION_EN = ("Counts from 1 up to the publication minimum are written 'fewer than N' so "
                   "that nobody can be identified; 0 is written as 0; empty when unknown.")
_SUPPRESSION_ES = ("Los conteos de 1 hasta el mínimo de publicación se escriben 'fewer than N' "
                   "(menos de N) para que nadie pueda ser identificado; 0 se escribe 0; vacío si "
                   "no se conoce.")

FACILITY_COLUMNS: tuple[Column, ...] = (
    _c("facility_id", "Stable public identifier of the facility (cite it).",
       "Identificador público estable del centro (para citarlo)."),
    _c("name", "Name of the facility.", "Nombre del centro."),
    _c("other_names", "Other names (aliases, former names, translations), separated by ' | '.",
       "Otros nombres (alias, nombres anteriores, traducciones), separados por ' | '."),
    _c("country", "ISO 3166-1 alpha-3 country code.", "Código de país ISO 3166-1 alfa-3."),
    _c("admin_area", "State, province or region.", "Estado, provincia o región."),
    _c("locality", "Town or city.", "Localidad o ciudad."),
    _c("latitude", "Latitude in decimal degrees (WGS 84); empty when unknown.",
       "Latitud en grados decimales (WGS 84); vacío si no se conoce."),
    _c("longitude", "Longitude in decimal degrees (WGS 84); empty when unknown.",
       "Longitud en grados decimales (WGS 84); vacío si no se conoce."),
    _c("type", "Kind of facility: immigration_detention_centre, prison, police_station, "
               "transit_zone, border_post, closed_reception_centre, children_shelter or other.",
       "Tipo de centro: immigration_detention_centre (centro de detención migratoria), prison "
       "(prisión), police_station (comisaría), transit_zone (zona de tránsito), border_post "
       "(puesto fronterizo), closed_reception_centre (centro de acogida cerrado), "
       "children_shelter (albergue de niñez) u other (otro)."),
    _c("operator_kind", "Who runs it: public, private or unknown.",
       "Quién lo gestiona: public (autoridad pública), private (empresa privada) o unknown."),
    _c("operator_name", "The authority or company that runs it.",
       "La autoridad o empresa que lo gestiona."),
    _c("capacity", "Official capacity (places); empty when unknown.",
       "Capacidad oficial (plazas); vacío si no se conoce."),
    _c("status", "in_use, closed or unknown.", "in_use (en uso), closed (cerrado) o unknown."),
    _c("last_visited", "Month of the latest published visit (YYYY-MM); empty if none.",
       "Mes de la última visita publicada (AAAA-MM); vacío si no hay."),
    _c("published_visits", "Number of published visits.", "Número de visitas publicadas."),
    _c("share_standards_met", "At the latest published visit: share of assessed standards met "
                              "(0 to 1).",
       "En la última visita publicada: proporción de normas evaluadas que se cumplen (0 a 1)."),
    _c("red_flags", "At the latest published visit: codes of the red flags raised, separated by "
                    "spaces.",
       "En la última visita publicada: códigos de las alertas graves, separados por espacios."),
    _c("profile_url", "Address of the facility's public page.",
       "Dirección de la página pública del centro."),
)

SUMMARY_COLUMNS: tuple[Column, ...] = (
    _c("visit_id", "Identifier of the visit.", "Identificador de la visita."),
    _c("facility_id", "Public identifier of the facility.", "Identificador público del centro."),
    _c("facility_name", "Name of the facility.", "Nombre del centro."),
    _c("country", "ISO 3166-1 alpha-3 country code.", "Código de país ISO 3166-1 alfa-3."),
    _c("visit_month", "Month the visit started (YYYY-MM); days are not published.",
       "Mes en que empezó la visita (AAAA-MM); no se publican días."),
    _c("scope", "full, thematic or follow_up.", "full (completa), thematic (temática) o "
                                                "follow_up (seguimiento)."),
    _c("published_month", "Month the visit was published (YYYY-MM).",
       "Mes en que se publicó la visita (AAAA-MM)."),
    _c("population", "People held on the day of the visit. " + _SUPPRESSION_EN,
       "Personas detenidas el día de la visita. " + _SUPPRESSION_ES),
    _c("capacity", "Official capacity reported at the visit.",
       "Capacidad oficial informada en la visita."),
    _c("occupancy_rate", "People held as a percentage of capacity; empty when the population "
                         "is suppressed or unknown.",
       "Personas detenidas como porcentaje de la capacidad; vacío si la población se omite o "
       "no se conoce."),
    _c("children", "Children held. " + _SUPPRESSION_EN,
       "Niñas, niños y adolescentes detenidos. " + _SUPPRESSION_ES),
    _c("unaccompanied_children", "Unaccompanied or separated children held. " + _SUPPRESSION_EN,
       "Niñas, niños y adolescentes no acompañados o separados. " + _SUPPRESSION_ES),
    _c("women", "Women held. " + _SUPPRESSION_EN, "Mujeres detenidas. " + _SUPPRESSION_ES),
    _c("legal_access_denials", "Requests to see a lawyer refused. " + _SUPPRESSION_EN,
       "Solicitudes de ver a una abogada o abogado denegadas. " + _SUPPRESSION_ES),
    _c("deaths", "Deaths in custody in the last 12 months. " + _SUPPRESSION_EN,
       "Muertes bajo custodia en los últimos 12 meses. " + _SUPPRESSION_ES),
    _c("days_to_doctor", "Days before a newly arrived person sees a doctor.",
       "Días hasta que una persona recién llegada ve a un médico."),
    _c("m2_per_person", "Living space per person, in square metres.",
       "Espacio por persona, en metros cuadrados."),
    _c("hours_outdoors", "Hours a day people may spend in the open air.",
       "Horas al día que las personas pueden pasar al aire libre."),
    _c("access_obstructed", "yes when the monitoring team was obstructed or refused entry.",
       "yes si se obstaculizó o negó la entrada al equipo de monitoreo."),
    _c("red_flag_count", "Number of red flags (grave situations) raised.",
       "Número de alertas graves."),
    _c("red_flag_codes", "Codes of the red flags, separated by spaces.",
       "Códigos de las alertas graves, separados por espacios."),
    _c("score_overall", "Share of assessed standards met (0 to 1).",
       "Proporción de normas evaluadas que se cumplen (0 a 1)."),
    _c("share_assessed", "Share of the checklist's standards that could be assessed (0 to 1).",
       "Proporción de las normas de la lista que pudieron evaluarse (0 a 1)."),
    _c("standards_met", "Standards found met.", "Normas cumplidas."),
    _c("standards_assessed", "Standards assessed.", "Normas evaluadas."),
)

FINDING_COLUMNS: tuple[Column, ...] = (
    _c("visit_id", "Identifier of the visit.", "Identificador de la visita."),
    _c("facility_id", "Public identifier of the facility.", "Identificador público del centro."),
    _c("facility_name", "Name of the facility.", "Nombre del centro."),
    _c("country", "ISO 3166-1 alpha-3 country code.", "Código de país ISO 3166-1 alfa-3."),
    _c("visit_month", "Month the visit started (YYYY-MM).", "Mes en que empezó la visita (AAAA-MM)."),
    _c("standard_id", "Identifier of the standard in the project's standards catalogue.",
       "Identificador de la norma en el catálogo de normas del proyecto."),
    _c("citation", "The source and article of the standard.", "Fuente y artículo de la norma."),
    _c("area_id", "Monitoring sub-area of the standard.", "Subárea de monitoreo de la norma."),
    _c("status", "compliant, partially_compliant, non_compliant or not_assessed.",
       "compliant (cumple), partially_compliant (cumple parcialmente), non_compliant (no cumple) "
       "o not_assessed (no evaluado)."),
    _c("severity", "How grave a breach is: low, medium, high or critical.",
       "Gravedad de un incumplimiento: low, medium, high o critical."),
)

DATASETS: tuple[Dataset, ...] = (
    Dataset("facilities", "facilities.csv", {"en": "Facilities", "es": "Centros"},
            FACILITY_COLUMNS),
    Dataset("visit-summaries", "visit-summaries.csv",
            {"en": "Published visit summaries", "es": "Resúmenes de visitas publicadas"},
            SUMMARY_COLUMNS),
    Dataset("findings", "findings.csv",
            {"en": "Published findings", "es": "Hallazgos publicados"}, FINDING_COLUMNS),
)


def _csv_value(value: Any) -> Any:
    if isinstance(value, (Suppressed, LowerBound)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return value


def facility_rows(facilities: Sequence[PublicFacility],
                  profile_url: ProfileUrl | None = None) -> Iterator[list[Any]]:
    """Rows of the facilities file, in :data:`FACILITY_COLUMNS` order."""
    for f in facilities:
        figures = f.latest.figures if f.latest else {}
        yield [
            f.public_id, f.name, " | ".join(f.other_names), f.country, f.admin_area, f.locality,
            f.latitude, f.longitude, f.type, f.operator_kind, f.operator_name, f.capacity,
            f.status, f.last_visited, f.public_visits, figures.get("score_overall"),
            _csv_value(figures.get("red_flag_codes") or []),
            profile_url(f.public_id) if profile_url else None,
        ]


def facilities_geojson(facilities: Sequence[PublicFacility],
                       profile_url: ProfileUrl | None = None) -> dict[str, Any]:
    """The facilities as a GeoJSON FeatureCollection (geometry ``null`` when not located).

    Properties are the columns of :data:`FACILITY_COLUMNS`.
    """
    names = [c.name for c in FACILITY_COLUMNS]
    features = []
    for f, row in zip(facilities, facility_rows(facilities, profile_url)):
        properties = dict(zip(names, (_json_value(v) for v in row)))
        geometry = ({"type": "Point", "coordinates": [f.longitude, f.latitude]}
                    if f.has_location else None)
        features.append({"type": "Feature", "id": f.public_id, "geometry": geometry,
                         "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def _json_value(value: Any) -> Any:
    if isinstance(value, (Suppressed, LowerBound)):
        return str(value)
    return value


def summary_rows(session: Session, settings: Settings) -> Iterator[list[Any]]:
    """Rows of the published visit summaries file, in :data:`SUMMARY_COLUMNS` order."""
    query = (
        select(VisitSummary, Visit.scope, Visit.published_at, Facility.public_id, Facility.name,
               Facility.country)
        .join(Visit, Visit.id == VisitSummary.visit_id)
        .join(Facility, Facility.id == VisitSummary.facility_id)
        .where(VisitSummary.visit_id.in_(published_visit_ids(settings)))
        .order_by(Facility.country, Facility.public_id, VisitSummary.visit_date,
                  VisitSummary.visit_id)
    )
    fields = [c.name for c in SUMMARY_COLUMNS if c.name in PUBLIC_SUMMARY_FIELDS]
    for summary, scope, published_at, public_id, name, country in (
            session.execute(query).yield_per(1000)):
        visit = _public_visit(_summary_values(summary, scope, published_at), settings)
        yield [visit.visit_id, public_id, name, country, visit.month, visit.scope,
               visit.published_month, *(_csv_value(visit.figures.get(n)) for n in fields)]


def finding_rows(session: Session, settings: Settings,
                 catalogue: Catalogue) -> Iterator[list[Any]]:
    """Rows of the published findings file, in :data:`FINDING_COLUMNS` order.

    Only the status, severity and standard of each finding: never its evidence or its
    sentence (both quote the answers).
    """
    query = (
        select(Finding.visit_id, Finding.standard_id, Finding.area_id, Finding.status,
               Finding.severity, Visit.start_date, Facility.public_id, Facility.name,
               Facility.country)
        .join(Visit, Visit.id == Finding.visit_id)
        .join(Facility, Facility.id == Visit.facility_id)
        .where(Finding.visit_id.in_(published_visit_ids(settings)))
        .order_by(Facility.country, Facility.public_id, Visit.start_date, Finding.visit_id,
                  Finding.standard_id)
    )
    for row in session.execute(query).yield_per(2000):
        standard = catalogue.standards.get(row.standard_id)
        yield [row.visit_id, row.public_id, row.name, row.country, public_month(row.start_date),
               row.standard_id, standard.citation("en") if standard else row.standard_id,
               row.area_id, row.status.value, row.severity.value]
