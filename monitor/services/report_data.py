"""Read models for reports: what each report shows, built from stored results in a few queries.

Reports never re-evaluate answers: they read stored findings, red flags, area scores, summary
rows and recommendations. Every text is resolved here in the report's language (citations,
paraphrases, area names, question and choice labels); the templates only add their own
headings and labels through the translation function.

Internal reports read submitted, reviewed and published visits (those of one organisation when
``organisation_id`` is given). Public reports read visits **only** through
:func:`monitor.services.public.published_visit_ids` and follow :mod:`monitor.privacy.policy`:
no team members, interview content or counts, internal notes (visit, facility, follow-up notes,
authorities' responses) or review comments; findings and red flags as status and standard only
(no evidence, no sentence quoting the answers); recommendations as status, priority, standards
and month issued (not their wording); dates as months; only the public summary figures, with
small counts of people suppressed ("fewer than N") and figures derived from them withheld.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pycountry
from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from monitor.checklists.schema import Checklist, LocalText, Question
from monitor.checklists.yamlsource import LocatedList, LocatedMap, load_yaml
from monitor.compliance.standards import Catalogue, Standard
from monitor.compliance.stored import finding_sentence
from monitor.core import paths
from monitor.core.clock import today
from monitor.core.errors import ChecklistError, InputError, Problem, RecordNotFound
from monitor.core.messages import N_
from monitor.core.settings import Settings
from monitor.db.models import (
    Answer,
    AreaScore,
    Facility,
    Finding,
    FindingStatus,
    Interview,
    Recommendation,
    RecommendationStatus,
    RedFlagRecord,
    User,
    Visit,
    VisitMember,
    VisitState,
)
from monitor.db.models.recommendation import CLOSED_STATUSES
from monitor.privacy import policy
from monitor.services import audit
from monitor.services.catalog import ChecklistCatalog
from monitor.services.facilities import country_name, is_country
from monitor.services.public import is_public, public_conditions
from monitor.services.results import trend_of

logger = logging.getLogger(__name__)

THEMES_FILE = paths.TEMPLATES / "reports" / "themes.yaml"
#: Visits whose findings are stored (drafts and returned visits have none).
REPORTED_STATES = (VisitState.SUBMITTED, VisitState.REVIEWED, VisitState.PUBLISHED)
_STATUS_ORDER = {FindingStatus.NON_COMPLIANT: 0, FindingStatus.PARTIALLY_COMPLIANT: 1,
                 FindingStatus.COMPLIANT: 2, FindingStatus.NOT_ASSESSED: 3}
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_ACCESS_SECTION = "access"


# --- small values ------------------------------------------------------------------------------

def plain_number(value: Any) -> float | None:
    """A number for a chart: ``None`` for a missing, suppressed or non-numeric value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


@dataclass(frozen=True)
class Period:
    """The dates a report covers (either end may be open)."""

    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise InputError(N_("The period starts (%(start)s) after it ends (%(end)s); give "
                                "--from before --to.", start=self.start.isoformat(),
                                end=self.end.isoformat()))

    def clauses(self) -> list[Any]:
        """SQL conditions on :attr:`Visit.start_date`."""
        found = []
        if self.start:
            found.append(Visit.start_date >= self.start)
        if self.end:
            found.append(Visit.start_date <= self.end)
        return found


# --- what reports are made of ------------------------------------------------------------------

@dataclass
class Header:
    """What every report shows on its cover and in its page margins."""

    kind: str
    language: str
    public: bool
    organisation: str
    logo: Path | None
    issued_on: date
    period: Period
    min_public_count: int
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FacilityInfo:
    id: int
    public_id: str
    name: str
    other_names: tuple[str, ...]
    country: str
    country_name: str
    admin_area: str | None
    locality: str | None
    type: str
    operator_kind: str
    operator_name: str | None
    capacity: int | None
    status: str


@dataclass(frozen=True)
class TeamMember:
    name: str
    role: str


@dataclass(frozen=True)
class VisitInfo:
    """One visit as the methodology and the visit report describe it."""

    id: int
    start_date: date
    end_date: date
    announced: bool
    scope: str
    state: str
    checklist: str
    #: Names of the monitoring areas examined; empty means the whole checklist.
    areas_examined: tuple[str, ...]
    share_assessed: float | None
    standards_met: int | None
    standards_assessed: int | None
    score_overall: float | None
    red_flag_count: int
    #: Public reports show dates to the month only.
    month_only: bool
    team: tuple[TeamMember, ...] = ()
    interviews: int | None = None


@dataclass(frozen=True)
class StandardRef:
    """A standard as a report cites it, from the catalogue, in the report's language."""

    id: str
    citation: str
    source_title: str
    paraphrase: str
    threshold: str | None
    uncertain: bool
    uncertain_note: str | None


@dataclass(frozen=True)
class Evidence:
    question: str
    #: The answer as text; ``None`` in public reports and for sensitive questions.
    answer: str | None
    status: str
    withheld: bool = False


@dataclass(frozen=True)
class FindingItem:
    standard: StandardRef
    status: str
    severity: str
    subarea: str
    #: The stored sentence (it quotes answers, so internal reports only).
    text: str | None
    evidence: tuple[Evidence, ...]
    trend: str | None = None


@dataclass
class AreaBlock:
    """One monitoring area: its rating at a visit and the findings under it."""

    area_id: str
    name: str
    rating: int | None = None
    score: float | None = None
    assessed_share: float | None = None
    rule: str = ""
    findings: list[FindingItem] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.findings if f.status == status)

    def with_status(self, *statuses: str) -> list[FindingItem]:
        return [f for f in self.findings if f.status in statuses]


@dataclass(frozen=True)
class RedFlagItem:
    code: str
    label: str
    severity: str
    evidence: tuple[Evidence, ...] = ()
    #: How many of the report's visits raised it, and when it was last raised.
    visits: int = 1
    last_seen: date | None = None
    standards: tuple[StandardRef, ...] = ()


@dataclass(frozen=True)
class UpdateItem:
    recorded_on: date
    status: str
    note: str | None = None
    response: str | None = None


@dataclass(frozen=True)
class RecommendationItem:
    id: int
    #: The wording (internal only: suggestions quote the visit's answers).
    text: str | None
    priority: str
    status: str
    issued_on: date | None
    due_date: date | None
    addressee: str | None
    area: str | None
    standards: tuple[StandardRef, ...]
    history: tuple[UpdateItem, ...]
    overdue: bool
    visit_date: date


@dataclass(frozen=True)
class TrendPoint:
    day: date
    score_overall: float | None
    areas: Mapping[str, float | None]
    population: int | policy.Suppressed | None
    capacity: int | None
    red_flags: int

    @property
    def population_number(self) -> float | None:
        """People held as a number for a chart (``None`` when missing or suppressed)."""
        return plain_number(self.population)


@dataclass(frozen=True)
class IndicatorValue:
    id: str
    label: str
    value: Any
    unit: str | None = None


@dataclass
class VisitReport:
    header: Header
    facility: FacilityInfo
    visit: VisitInfo
    previous_date: date | None
    access: list[tuple[str, str]]
    red_flags: list[RedFlagItem]
    areas: list[AreaBlock]
    indicators: list[IndicatorValue]
    recommendations: list[RecommendationItem]
    standards: list[StandardRef]
    kind: str = "visit"


@dataclass
class FacilityReport:
    header: Header
    facility: FacilityInfo
    visits: list[VisitInfo]
    latest: VisitInfo
    red_flags: list[RedFlagItem]
    concerns: list[FindingItem]
    areas: list[AreaBlock]
    area_names: dict[str, str]
    trend: list[TrendPoint]
    indicators: list[IndicatorValue]
    recommendations: list[RecommendationItem]
    standards: list[StandardRef]
    kind: str = "facility"

    @property
    def weak_areas(self) -> list[AreaBlock]:
        """Areas rated 1 or 2 at the latest visit."""
        return [a for a in self.areas if a.rating is not None and a.rating <= 2]

    @property
    def open_recommendations(self) -> list[RecommendationItem]:
        closed = {s.value for s in CLOSED_STATUSES}
        return [r for r in self.recommendations if r.status not in closed]


# --- themes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ThemeIndicator:
    id: str
    label: LocalText


@dataclass(frozen=True)
class Theme:
    """What a thematic report gathers: areas, standards, red flags and indicators."""

    id: str
    title: LocalText
    description: LocalText
    subareas: tuple[str, ...]
    standards: tuple[str, ...]
    red_flags: tuple[str, ...]
    indicators: tuple[ThemeIndicator, ...]


@dataclass
class ThemeFacilityRow:
    facility: FacilityInfo
    visits: int
    latest: VisitInfo
    counts: dict[str, int]
    score: float | None
    red_flags: list[str]
    indicators: list[IndicatorValue]
    worst: list[FindingItem]


@dataclass(frozen=True)
class ThemeStandardRow:
    standard: StandardRef
    counts: Mapping[str, int]


@dataclass(frozen=True)
class ThemeFlagRow:
    code: str
    label: str
    severity: str
    facilities: int
    visits: int


@dataclass
class ThematicReport:
    header: Header
    theme_id: str
    title: str
    description: str
    country: str
    country_name: str
    subareas: list[tuple[str, str]]
    indicator_labels: list[tuple[str, str]]
    visits: list[tuple[FacilityInfo, VisitInfo]]
    facilities: list[ThemeFacilityRow]
    standard_rows: list[ThemeStandardRow]
    flag_rows: list[ThemeFlagRow]
    heat: dict[tuple[str, str], float | None]
    status_totals: dict[str, int]
    standards: list[StandardRef]
    kind: str = "thematic"


# --- entry points ------------------------------------------------------------------------------

def visit_report(session: Session, visit: Visit, *, settings: Settings, catalog: ChecklistCatalog,
                 language: str = "en", public: bool = False) -> VisitReport:
    """Collect what the visit report shows (the caller has checked who may see the visit).

    :param public: the public edition; the visit must have passed the public gate.
    :raises RecordNotFound: the visit has no stored results, or (public) is not public.
    """
    started = time.perf_counter()
    language = check_language(language, catalog.standards.languages)
    if public and not is_public_visit(session, visit.id, settings):
        raise RecordNotFound(N_("Visit %(id)s is not published, so it has no public report.",
                                id=visit.id))
    if visit.state not in REPORTED_STATES:
        raise RecordNotFound(N_("Visit %(id)s has not been submitted, so it has no results to "
                                "report yet.", id=visit.id))
    reader = _Reader(session, settings, catalog, language, public)
    facility = reader.facility_info(visit.facility)
    info = reader.visit_infos([visit])[visit.id]
    previous = _previous(session, visit, reader.visit_filter())
    findings = reader.findings_of([visit.id] + ([previous.id] if previous else []))
    scores = reader.scores_of([visit.id])[visit.id]
    before = {f.standard_id: f.status for f in findings.get(previous.id, [])} if previous else {}
    areas = reader.area_blocks(visit, findings.get(visit.id, []), scores, before)
    flags = reader.red_flags_of([visit])
    recs = reader.recommendations_of([visit])
    report = VisitReport(
        header=reader.header("visit", Period(visit.start_date, visit.end_date)),
        facility=facility, visit=info,
        previous_date=previous.start_date if previous else None,
        access=[] if public else reader.access_answers(visit),
        red_flags=flags, areas=areas,
        indicators=reader.indicators_of(visit), recommendations=recs,
        standards=reader.cited())
    report.header.timings["query"] = time.perf_counter() - started
    return report


def facility_report(session: Session, facility: Facility, *, settings: Settings,
                    catalog: ChecklistCatalog, language: str = "en", public: bool = False,
                    period: Period | None = None,
                    organisation_id: int | None = None) -> FacilityReport:
    """Collect what the facility compliance report shows.

    :param period: only visits that started in this period (default: all).
    :param organisation_id: internal reports of one organisation's visits only (web users).
    :raises RecordNotFound: the facility has no visit to report in the period.
    """
    started = time.perf_counter()
    language = check_language(language, catalog.standards.languages)
    period = period or Period()
    reader = _Reader(session, settings, catalog, language, public, organisation_id)
    visits = list(session.scalars(
        select(Visit).where(Visit.facility_id == facility.id, *reader.visit_filter(),
                            *period.clauses())
        .options(selectinload(Visit.summary)).order_by(Visit.start_date, Visit.id)))
    if not visits:
        raise RecordNotFound(_no_visit_to_report(facility.public_id, public,
                                                 bool(period.start or period.end)))
    latest = visits[-1]
    previous = visits[-2] if len(visits) > 1 else None
    infos = reader.visit_infos(visits)
    findings = reader.findings_of([latest.id] + ([previous.id] if previous else []))
    scores = reader.scores_of([v.id for v in visits])
    before = {f.standard_id: f.status for f in findings.get(previous.id, [])} if previous else {}
    areas = reader.area_blocks(latest, findings.get(latest.id, []), scores[latest.id], before)
    concerns = sorted((f for a in areas for f in a.findings if f.status == "non_compliant"
                       and f.severity in ("critical", "high")),
                      key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.standard.citation))
    area_names = {a.id: a.name.get(language) for a in catalog.standards.top_areas()}
    trend = [TrendPoint(
        day=v.start_date,
        score_overall=v.summary.score_overall if v.summary else None,
        areas={area_id: s.score for area_id, s in scores[v.id].items() if area_id in area_names},
        population=reader.indicator(v, "population"),
        capacity=(v.summary.capacity if v.summary and v.summary.capacity is not None
                  else facility.capacity),
        red_flags=v.summary.red_flag_count if v.summary else 0) for v in visits]
    report = FacilityReport(
        header=reader.header("facility", period), facility=reader.facility_info(facility),
        visits=[infos[v.id] for v in visits], latest=infos[latest.id],
        red_flags=reader.red_flags_of(visits), concerns=concerns, areas=areas,
        area_names=area_names, trend=trend, indicators=reader.indicators_of(latest),
        recommendations=reader.recommendations_of(visits), standards=[])
    report.standards = reader.cited()
    report.header.timings["query"] = time.perf_counter() - started
    return report


def thematic_report(session: Session, theme_id: str, *, country: str, period: Period,
                    settings: Settings, catalog: ChecklistCatalog, language: str = "en",
                    public: bool = False, organisation_id: int | None = None,
                    themes: Mapping[str, Theme] | None = None) -> ThematicReport:
    """Collect a theme across the facilities of one country and period.

    :raises InputError: unknown theme or country, or a period without both ends.
    :raises RecordNotFound: no visit of the country in the period.
    """
    started = time.perf_counter()
    language = check_language(language, catalog.standards.languages)
    themes = themes if themes is not None else load_themes(catalog)
    theme = themes.get(theme_id)
    if theme is None:
        raise InputError(N_("There is no theme '%(theme)s'; choose one of %(themes)s (themes "
                            "are defined in templates/reports/themes.yaml).", theme=theme_id,
                            themes=", ".join(sorted(themes))))
    country = (country or "").strip().upper()
    if not is_country(country):
        raise InputError(N_("'%(code)s' is not an ISO 3166-1 alpha-3 country code (e.g. MEX, "
                            "ESP).", code=country))
    if period.start is None or period.end is None:
        raise InputError(N_("A thematic report needs a period: give both --from and --to."))
    reader = _Reader(session, settings, catalog, language, public, organisation_id)
    visits = list(session.scalars(
        select(Visit).join(Facility, Visit.facility_id == Facility.id)
        .where(Facility.country == country, *reader.visit_filter(), *period.clauses())
        .options(selectinload(Visit.summary),
                 selectinload(Visit.facility).selectinload(Facility.aliases))
        .order_by(Facility.name, Visit.start_date, Visit.id)))
    if not visits:
        values = {"country": localised_country(country, language),
                  "start": period.start.isoformat(), "end": period.end.isoformat()}
        raise RecordNotFound(
            N_("No published visit to a facility in %(country)s started between %(start)s and "
               "%(end)s.", **values) if public else
            N_("No submitted visit to a facility in %(country)s started between %(start)s and "
               "%(end)s.", **values))
    infos = reader.visit_infos(visits)
    by_facility: dict[int, list[Visit]] = defaultdict(list)
    for visit in visits:
        by_facility[visit.facility_id].append(visit)
    latest = {fid: vs[-1] for fid, vs in by_facility.items()}
    theme_standards = set(theme.standards)
    findings = reader.findings_of([v.id for v in latest.values()],
                                  standards=theme_standards)
    scores = reader.scores_of([v.id for v in latest.values()], areas=theme.subareas)
    flags = session.execute(
        select(RedFlagRecord.visit_id, RedFlagRecord.code, RedFlagRecord.severity)
        .where(RedFlagRecord.visit_id.in_([v.id for v in visits]),
               RedFlagRecord.code.in_(theme.red_flags))).all()
    facility_of = {v.id: v.facility_id for v in visits}
    flag_labels = reader.red_flag_labels()
    rows, status_totals, per_standard = [], Counter(), defaultdict(Counter)
    heat: dict[tuple[str, str], float | None] = {}
    subarea_names = [(sid, reader.area_name(sid)) for sid in theme.subareas]
    for fid, fvisits in by_facility.items():
        visit = latest[fid]
        info = reader.facility_info(visit.facility)
        items = [reader.finding_item(f, visit) for f in findings.get(visit.id, [])]
        counts = Counter(item.status for item in items)
        status_totals.update(counts)
        for item in items:
            per_standard[item.standard.id][item.status] += 1
        for sid, _name in subarea_names:
            score = scores[visit.id].get(sid)
            heat[(sid, info.public_id)] = score.score if score else None
        rows.append(ThemeFacilityRow(
            facility=info, visits=len(fvisits), latest=infos[visit.id], counts=dict(counts),
            score=_score(counts),
            red_flags=sorted({code for vid, code, _s in flags if facility_of[vid] == fid}),
            indicators=[IndicatorValue(i.id, i.label.get(language), reader.indicator(visit, i.id))
                        for i in theme.indicators if reader.shows(i.id)],
            worst=sorted((i for i in items if i.status == "non_compliant"),
                         key=lambda i: (_SEVERITY_ORDER.get(i.severity, 9),
                                        i.standard.citation))[:5]))
    flag_rows = []
    for code in theme.red_flags:
        raised = [(vid, sev) for vid, c, sev in flags if c == code]
        flag_rows.append(ThemeFlagRow(
            code=code, label=flag_labels.get(code, code),
            severity=raised[0][1].value if raised else "",
            facilities=len({facility_of[vid] for vid, _ in raised}), visits=len(raised)))
    standard_rows = [ThemeStandardRow(reader.standard_ref(sid), dict(per_standard[sid]))
                     for sid in theme.standards if sid in per_standard]
    standard_rows.sort(key=lambda r: (-r.counts.get("non_compliant", 0), r.standard.citation))
    report = ThematicReport(
        header=reader.header("thematic", period), theme_id=theme.id,
        title=theme.title.get(language), description=theme.description.get(language),
        country=country, country_name=localised_country(country, language),
        subareas=subarea_names,
        indicator_labels=[(i.id, i.label.get(language)) for i in theme.indicators
                          if reader.shows(i.id)],
        visits=[(reader.facility_info(v.facility), infos[v.id]) for v in visits],
        facilities=rows, standard_rows=standard_rows, flag_rows=flag_rows, heat=heat,
        status_totals=dict(status_totals), standards=reader.cited())
    report.header.timings["query"] = time.perf_counter() - started
    return report


def is_public_visit(session: Session, visit_id: int, settings: Settings) -> bool:
    """Tell whether the visit passes the public gate (published, delay over)."""
    return session.scalar(select(func.count()).where(
        Visit.id == visit_id, *public_conditions(settings))) == 1


def reportable_facilities(session: Session, *, settings: Settings, public: bool = False,
                          country: str | None = None,
                          organisation_id: int | None = None) -> list[Facility]:
    """Facilities with at least one visit a report could show, by name.

    :raises InputError: *country* is not an ISO 3166-1 alpha-3 code.
    """
    visits = select(Visit.facility_id).where(
        *_visit_filter(settings, public, organisation_id))
    query = select(Facility).where(Facility.id.in_(visits), Facility.merged_into_id.is_(None))
    if country:
        country = country.strip().upper()
        if not is_country(country):
            raise InputError(N_("'%(code)s' is not an ISO 3166-1 alpha-3 country code (e.g. "
                                "MEX, ESP).", code=country))
        query = query.where(Facility.country == country)
    return list(session.scalars(query.order_by(Facility.country, Facility.name, Facility.id)))


def record_generation(session: Session, report: VisitReport | FacilityReport | ThematicReport,
                      *, fmt: str, by: User | None = None) -> None:
    """Write the audit event of one generated report (ids and counts only)."""
    header = report.header
    summary: dict[str, Any] = {"format": fmt, "public": header.public,
                               "language": header.language}
    object_type = object_id = None
    if isinstance(report, VisitReport):
        object_type, object_id = "visits", report.visit.id
    elif isinstance(report, FacilityReport):
        object_type, object_id = "facilities", report.facility.id
        summary["visits"] = [v.id for v in report.visits]
    else:
        summary.update(theme=report.theme_id, country=report.country,
                       facilities=len(report.facilities), visits=len(report.visits))
    if header.period.start or header.period.end:
        summary["period"] = [d.isoformat() if d else None
                             for d in (header.period.start, header.period.end)]
    audit.record(session, f"report.{report.kind}", by=by, object_type=object_type,
                 object_id=object_id, summary=summary)


def _no_visit_to_report(facility: str, public: bool, in_period: bool) -> str:
    """Why a facility report cannot be made: one whole sentence for each case."""
    if public and in_period:
        return N_("Facility %(id)s has no published visit in this period, so there is nothing "
                  "to report.", id=facility)
    if public:
        return N_("Facility %(id)s has no published visit, so there is nothing to report.",
                  id=facility)
    if in_period:
        return N_("Facility %(id)s has no submitted visit in this period, so there is nothing "
                  "to report.", id=facility)
    return N_("Facility %(id)s has no submitted visit, so there is nothing to report.",
              id=facility)


def check_language(language: str, languages: Sequence[str]) -> str:
    """Return *language* if reports can be written in it: one of *languages*, those the
    standards catalogue is written in (``catalog.standards.languages``).

    :raises InputError: reports are not written in *language*.
    """
    if language not in languages:
        raise InputError(N_("Reports are written in %(languages)s, not '%(language)s'.",
                            languages=", ".join(languages), language=language))
    return language


def localised_country(iso3: str, language: str) -> str:
    """The country's name in *language* (CLDR through Babel), else its English name."""
    country = pycountry.countries.get(alpha_3=iso3)
    if country is not None:
        try:
            name = Locale.parse(language).territories.get(country.alpha_2)
        except (UnknownLocaleError, ValueError):
            name = None
        if name:
            return name
    return country_name(iso3)


# --- themes from templates/reports/themes.yaml -------------------------------------------------

def load_themes(catalog: ChecklistCatalog, path: Path = THEMES_FILE) -> dict[str, Theme]:
    """Read and check the themes file against the catalogue and the checklists.

    The result is kept until the file changes (a batch of reports reads it once).

    :raises ChecklistError: the file is unreadable or names an unknown area, standard, red flag
        or indicator; every problem is listed with its line.
    """
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    key = (id(catalog), str(path), stamp)
    cached = _THEMES_CACHE.get(key)
    if cached is None or cached[0] is not catalog:
        _THEMES_CACHE.clear()
        cached = _THEMES_CACHE[key] = (catalog, _load_themes(catalog, path))
    return dict(cached[1])


#: One entry: the catalog it was checked against (kept, so its id cannot be reused) and themes.
_THEMES_CACHE: dict[tuple[int, str, int | None], tuple[ChecklistCatalog, dict[str, Theme]]] = {}


def _load_themes(catalog: ChecklistCatalog, path: Path) -> dict[str, Theme]:
    problems: list[Problem] = []
    try:
        document = load_yaml(path.read_bytes(), path)
    except OSError as error:
        raise ChecklistError([Problem(path, None, None, f"The themes file cannot be read "
                                      f"({error.strerror}).", "Restore "
                                      "templates/reports/themes.yaml.")]) from None
    problems.extend(document.problems())
    data = document.data
    entries = data.get("themes") if isinstance(data, LocatedMap) else None
    if not problems and not isinstance(entries, LocatedList):
        problems.append(Problem(path, 1, "themes", "The file needs a list 'themes:'.",
                                "Start the file with 'themes:' followed by '- id: ...' entries."))
    themes: dict[str, Theme] = {}
    known_flags = {f.id for c in catalog for f in c.red_flags}
    known_indicators = {q.indicator for c in catalog for q in c.questions() if q.indicator}
    for index, entry in enumerate(entries if isinstance(entries, LocatedList) else []):
        theme = _read_theme(path, entry, index, catalog.standards, known_flags,
                            known_indicators, problems)
        if theme is not None:
            themes[theme.id] = theme
    if problems:
        raise ChecklistError(problems)
    return themes


def _read_theme(path: Path, entry: Any, index: int, standards: Catalogue, flags: set[str],
                indicators: set[str], problems: list[Problem]) -> Theme | None:
    if not isinstance(entry, LocatedMap) or not isinstance(entry.get("id"), str):
        problems.append(Problem(path, getattr(entry, "line", None), f"themes[{index}]",
                                "A theme has no 'id'.", "Start each theme with '- id: name'."))
        return None
    before = len(problems)
    theme_id = entry["id"]

    def fail(key: str, message: str, hint: str) -> None:
        problems.append(Problem(path, entry.line_of(key) if key in entry else entry.line,
                                f"themes[{theme_id}].{key}", message, hint))

    def text(key: str) -> LocalText:
        value = entry.get(key)
        languages = standards.languages
        if not isinstance(value, Mapping) or not all(value.get(lang) for lang in languages):
            fail(key, f"'{key}' must give a text in each of {', '.join(languages)}.",
                 f"Write '{key}: {{{', '.join(f'{code}: ...' for code in languages)}}}'.")
            return LocalText.of("")
        return LocalText.of({k: str(v) for k, v in value.items()})

    def ids(key: str) -> list[str]:
        value = entry.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(key, f"'{key}' must be a list of ids.", f"Write '{key}: [id, id]'.")
            return []
        return list(value)

    subareas: list[str] = []
    for area_id in ids("areas"):
        if area_id not in standards.areas:
            fail("areas", f"'{area_id}' is not a monitoring area of checklists/areas.yaml.",
                 "Use an id such as health or proc.legal_counsel.")
        elif standards.areas[area_id].is_top:
            subareas.extend(a.id for a in standards.subareas(area_id))
        else:
            subareas.append(area_id)
    chosen = [sid for area_id in subareas for sid in standards.areas[area_id].standards]
    for sid in ids("standards"):
        if sid not in standards.standards:
            fail("standards", f"'{sid}' is not a standard of checklists/standards.yaml.",
                 "Check the id against `monitor standards list`.")
        chosen.append(sid)
    red_flags = ids("red_flags")
    for code in red_flags:
        if code not in flags:
            fail("red_flags", f"'{code}' is not a red flag declared in the checklists.",
                 "Use an id from the red_flags list of checklists/core/checklist.yaml.")
    theme_indicators = []
    for item in entry.get("indicators") or []:
        name = item.get("id") if isinstance(item, Mapping) else None
        label = item.get("label") if isinstance(item, Mapping) else None
        if name not in indicators or not isinstance(label, Mapping):
            fail("indicators", f"The indicator {name!r} is not declared by any checklist "
                 "question, or has no label.",
                 "Give '- id: <indicator>' and 'label: {en: ..., es: ...}'.")
            continue
        theme_indicators.append(ThemeIndicator(name, LocalText.of(dict(label))))
    title, description = text("title"), text("description")
    if len(problems) > before:
        return None
    return Theme(theme_id, title, description, tuple(dict.fromkeys(subareas)),
                 tuple(dict.fromkeys(chosen)), tuple(red_flags), tuple(theme_indicators))


# --- the reader: shared lookups, a few queries each --------------------------------------------

def _visit_filter(settings: Settings, public: bool, organisation_id: int | None) -> list[Any]:
    if public:
        return [is_public(settings, Visit.id)]
    clauses: list[Any] = [Visit.state.in_(REPORTED_STATES)]
    if organisation_id is not None:
        clauses.append(Visit.organisation_id == organisation_id)
    return clauses


def _previous(session: Session, visit: Visit, clauses: Sequence[Any]) -> Visit | None:
    return session.scalar(
        select(Visit).where(Visit.facility_id == visit.facility_id, Visit.id != visit.id,
                            Visit.start_date <= visit.start_date, *clauses)
        .order_by(Visit.start_date.desc(), Visit.id.desc()).limit(1))


def _score(counts: Mapping[str, int]) -> float | None:
    """The engine's score over several standards: (met + ½ partly met) / assessed."""
    assessed = sum(counts.get(s, 0) for s in ("compliant", "partially_compliant", "non_compliant"))
    if not assessed:
        return None
    return (counts.get("compliant", 0) + 0.5 * counts.get("partially_compliant", 0)) / assessed


class _Reader:
    """Turns stored rows into report items in one language, remembering the standards cited."""

    def __init__(self, session: Session, settings: Settings, catalog: ChecklistCatalog,
                 language: str, public: bool, organisation_id: int | None = None) -> None:
        self.session = session
        self.settings = settings
        self.catalog = catalog
        self.standards = catalog.standards
        self.language = language
        self.public = public
        self.organisation_id = None if public else organisation_id
        self._cited: dict[str, StandardRef] = {}
        self._checklists: dict[tuple[str, int], Checklist | None] = {}
        self._public_figures: dict[int, dict[str, Any]] = {}

    def visit_filter(self) -> list[Any]:
        return _visit_filter(self.settings, self.public, self.organisation_id)

    def header(self, kind: str, period: Period) -> Header:
        return Header(kind=kind, language=self.language, public=self.public,
                      organisation=self.settings.organisation_name,
                      logo=self.settings.organisation_logo, issued_on=today(), period=period,
                      min_public_count=self.settings.min_public_count)

    def shows(self, indicator: str) -> bool:
        """Whether this edition may show *indicator* at all (public: the policy's fields)."""
        return not self.public or indicator in policy.PUBLIC_SUMMARY_FIELDS

    # lookups

    def checklist_of(self, visit: Visit) -> Checklist | None:
        key = (visit.checklist_id, visit.checklist_version)
        if key not in self._checklists:
            try:
                self._checklists[key] = self.catalog.get(*key)
            except RecordNotFound:
                logger.warning("report: checklist %s v%s of visit %s is not installed",
                               key[0], key[1], visit.id)
                self._checklists[key] = None
        return self._checklists[key]

    def area_name(self, area_id: str | None) -> str:
        area = self.standards.areas.get(area_id or "")
        return area.name.get(self.language) if area else (area_id or "")

    def top_area(self, area_id: str | None) -> str:
        area = self.standards.areas.get(area_id or "")
        if area is None:
            return "other"
        return area.parent or area.id

    def standard_ref(self, standard_id: str) -> StandardRef:
        if standard_id not in self._cited:
            standard: Standard | None = self.standards.standards.get(standard_id)
            lang = self.language
            if standard is None:
                ref = StandardRef(standard_id, standard_id, "", "", None, True,
                                  "This standard is no longer in the catalogue.")
            else:
                ref = StandardRef(
                    id=standard.id, citation=standard.citation(lang),
                    source_title=standard.source.title.get(lang),
                    paraphrase=standard.paraphrase.get(lang),
                    threshold=standard.threshold.describe(lang) if standard.threshold else None,
                    uncertain=standard.uncertain, uncertain_note=standard.uncertain_note)
            self._cited[standard_id] = ref
        return self._cited[standard_id]

    def cited(self) -> list[StandardRef]:
        return sorted(self._cited.values(), key=lambda s: (s.citation.casefold(), s.id))

    def red_flag_labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for checklist in self.catalog:  # newest versions last, so their labels win
            for flag in checklist.red_flags:
                labels[flag.id] = flag.label.get(self.language)
        return labels

    def facility_info(self, facility: Facility) -> FacilityInfo:
        return FacilityInfo(
            id=facility.id, public_id=facility.public_id, name=facility.name,
            other_names=tuple(a.name for a in facility.aliases), country=facility.country,
            country_name=localised_country(facility.country, self.language),
            admin_area=facility.admin_area, locality=facility.locality,
            type=facility.type.value, operator_kind=facility.operator_kind.value,
            operator_name=facility.operator_name, capacity=facility.capacity,
            status=facility.status.value)

    def visit_infos(self, visits: Sequence[Visit]) -> dict[int, VisitInfo]:
        ids = [v.id for v in visits]
        team: dict[int, list[TeamMember]] = defaultdict(list)
        interviews: dict[int, int] = {}
        if not self.public and ids:
            for visit_id, name, role in self.session.execute(
                    select(VisitMember.visit_id, User.name, VisitMember.role)
                    .join(User, VisitMember.user_id == User.id)
                    .where(VisitMember.visit_id.in_(ids)).order_by(VisitMember.id)):
                team[visit_id].append(TeamMember(name, role))
            interviews = dict(self.session.execute(
                select(Interview.visit_id, func.count()).where(Interview.visit_id.in_(ids))
                .group_by(Interview.visit_id)).all())
        infos = {}
        for visit in visits:
            summary = visit.summary
            checklist = self.checklist_of(visit)
            examined: tuple[str, ...] = ()
            if visit.sections and checklist is not None:
                examined = tuple(
                    checklist.section_by_id[s].title.get(self.language)
                    for s in visit.sections if s in checklist.section_by_id)
            infos[visit.id] = VisitInfo(
                id=visit.id, start_date=visit.start_date, end_date=visit.end_date,
                announced=visit.announced, scope=visit.scope.value, state=visit.state.value,
                checklist=f"{visit.checklist_id} v{visit.checklist_version}",
                areas_examined=examined,
                share_assessed=summary.share_assessed if summary else None,
                standards_met=summary.standards_met if summary else None,
                standards_assessed=summary.standards_assessed if summary else None,
                score_overall=summary.score_overall if summary else None,
                red_flag_count=summary.red_flag_count if summary else 0,
                month_only=self.public, team=tuple(team.get(visit.id, ())),
                interviews=None if self.public else interviews.get(visit.id, 0))
        return infos

    # stored results

    def findings_of(self, visit_ids: Iterable[int],
                    standards: set[str] | None = None) -> dict[int, list[Finding]]:
        query = select(Finding).where(Finding.visit_id.in_(list(visit_ids)))
        if standards is not None:
            query = query.where(Finding.standard_id.in_(sorted(standards)))
        found: dict[int, list[Finding]] = defaultdict(list)
        for finding in self.session.scalars(query):
            found[finding.visit_id].append(finding)
        return found

    def scores_of(self, visit_ids: Sequence[int],
                  areas: Sequence[str] | None = None) -> dict[int, dict[str, AreaScore]]:
        query = select(AreaScore).where(AreaScore.visit_id.in_(list(visit_ids)))
        if areas is not None:
            query = query.where(AreaScore.area_id.in_(list(areas)))
        found: dict[int, dict[str, AreaScore]] = {vid: {} for vid in visit_ids}
        for score in self.session.scalars(query):
            found[score.visit_id][score.area_id] = score
        return found

    def evidence(self, items: Sequence[Mapping[str, Any]], visit: Visit) -> tuple[Evidence, ...]:
        if self.public:  # published as status and standard only: answers are never public
            return ()
        checklist = self.checklist_of(visit)
        shown = []
        for item in items:
            question = checklist.by_id.get(item.get("question")) if checklist else None
            label = question.label.get(self.language) if question else str(item.get("question"))
            withheld = bool(item.get("sensitive"))
            answer = None if withheld else answer_text(question, item.get("answer"),
                                                       self.language)
            shown.append(Evidence(label, answer, str(item.get("status") or ""), withheld))
        return tuple(shown)

    def finding_item(self, finding: Finding, visit: Visit, trend: str | None = None) -> FindingItem:
        return FindingItem(
            standard=self.standard_ref(finding.standard_id), status=finding.status.value,
            severity=finding.severity.value, subarea=self.area_name(finding.area_id),
            text=None if self.public else finding_sentence(finding, self.standards, self.language),
            evidence=self.evidence(finding.evidence or [], visit), trend=trend)

    def area_blocks(self, visit: Visit, findings: Sequence[Finding],
                    scores: Mapping[str, AreaScore],
                    before: Mapping[str, FindingStatus]) -> list[AreaBlock]:
        blocks: dict[str, AreaBlock] = {}
        for area in self.standards.top_areas():
            score = scores.get(area.id)
            blocks[area.id] = AreaBlock(
                area.id, area.name.get(self.language),
                rating=score.rating if score else None, score=score.score if score else None,
                assessed_share=score.assessed_share if score else None,
                rule=score.rating_rule_in(self.language) if score else "")
        for finding in sorted(findings, key=lambda f: (_STATUS_ORDER[f.status],
                                                       _SEVERITY_ORDER.get(f.severity.value, 9),
                                                       f.standard_id)):
            top = self.top_area(finding.area_id)
            if top not in blocks:
                blocks[top] = AreaBlock(top, self.area_name(top) if top != "other" else "")
            trend = trend_of(finding.status, before.get(finding.standard_id)) if before else None
            blocks[top].findings.append(self.finding_item(finding, visit, trend))
        return [b for b in blocks.values() if b.findings or b.rating is not None]

    def red_flags_of(self, visits: Sequence[Visit]) -> list[RedFlagItem]:
        """Red flags of *visits*, one item per flag: the latest evidence, how often raised."""
        by_id = {v.id: v for v in visits}
        labels = self.red_flag_labels()
        definitions = {f.id: f for c in self.catalog for f in c.red_flags}
        latest: dict[str, tuple[Visit, RedFlagRecord]] = {}
        times: Counter[str] = Counter()
        for record in self.session.scalars(select(RedFlagRecord).where(
                RedFlagRecord.visit_id.in_(list(by_id)))):
            visit = by_id[record.visit_id]
            times[record.code] += 1
            known = latest.get(record.code)
            if known is None or (visit.start_date, visit.id) > (known[0].start_date, known[0].id):
                latest[record.code] = (visit, record)
        items = []
        for code, (visit, record) in latest.items():
            definition = definitions.get(code)
            items.append(RedFlagItem(
                code=code, label=labels.get(code, code), severity=record.severity.value,
                evidence=self.evidence(record.evidence or [], visit), visits=times[code],
                last_seen=visit.start_date,
                standards=tuple(self.standard_ref(s) for s in definition.standards)
                if definition else ()))
        return sorted(items, key=lambda i: (_SEVERITY_ORDER.get(i.severity, 9), i.label))

    def recommendations_of(self, visits: Sequence[Visit]) -> list[RecommendationItem]:
        by_id = {v.id: v for v in visits}
        recs = self.session.scalars(
            select(Recommendation).where(Recommendation.visit_id.in_(list(by_id)),
                                         Recommendation.status != RecommendationStatus.SUGGESTED)
            .options(selectinload(Recommendation.updates))
            .order_by(Recommendation.issued_on, Recommendation.id))
        public_ids = set(by_id) if self.public else None
        closed = {s.value for s in CLOSED_STATUSES}
        items = []
        for rec in recs:
            updates = [u for u in rec.updates
                       if public_ids is None or u.visit_id in public_ids]
            status = rec.status.value
            if self.public:  # the status as the published visits recorded it, nothing later
                status = (updates[-1].status.value if updates
                          else RecommendationStatus.NOT_IMPLEMENTED.value)
            history = tuple(UpdateItem(
                u.recorded_on, u.status.value,
                note=None if self.public else u.note,
                response=None if self.public else u.authority_response) for u in updates)
            items.append(RecommendationItem(
                id=rec.id, text=None if self.public else rec.text,
                priority=rec.priority.value, status=status, issued_on=rec.issued_on,
                due_date=None if self.public else rec.due_date,
                addressee=None if self.public else rec.addressee,
                area=self.area_name(rec.area_id) if rec.area_id else None,
                standards=tuple(self.standard_ref(s) for s in rec.standards or ()),
                history=history,
                overdue=bool(rec.due_date and rec.due_date < today() and status not in closed),
                visit_date=by_id[rec.visit_id].start_date))
        return items

    def indicator(self, visit: Visit, name: str) -> Any:
        """An indicator of the visit; in public reports, as the privacy policy publishes it."""
        summary = visit.summary
        if summary is None or not self.shows(name):
            return None
        if self.public:
            if visit.id not in self._public_figures:
                self._public_figures[visit.id] = policy.public_figures(
                    {f: getattr(summary, f, None) for f in policy.PUBLIC_SUMMARY_FIELDS},
                    self.settings.min_public_count)
            return self._public_figures[visit.id].get(name)
        if summary.indicators and name in summary.indicators:
            return summary.indicators[name]
        return getattr(summary, name, None)

    def indicators_of(self, visit: Visit) -> list[IndicatorValue]:
        """The main indicators of a visit, labelled with their checklist question."""
        checklist = self.checklist_of(visit)
        if checklist is None or visit.summary is None:
            return []
        shown = []
        for question in checklist.questions():
            if (not question.indicator or question.indicator not in visit.summary.indicators
                    or not self.shows(question.indicator)):
                continue
            value = self.indicator(visit, question.indicator)
            if value is None:
                continue
            shown.append(IndicatorValue(question.indicator, question.label.get(self.language),
                                        value, question.unit))
        return shown

    def access_answers(self, visit: Visit) -> list[tuple[str, str]]:
        """How the team's access went: the non-sensitive answers of the access section."""
        checklist = self.checklist_of(visit)
        if checklist is None or _ACCESS_SECTION not in checklist.section_by_id:
            return []
        section = checklist.section_by_id[_ACCESS_SECTION]
        questions = [q for s in section.walk() for q in s.questions if not q.sensitive]
        values = {qid: value for qid, value in self.session.execute(
            _answers(visit.id, [q.id for q in questions]))}
        return [(q.label.get(self.language), answer_text(q, values[q.id], self.language))
                for q in questions if values.get(q.id) is not None]


def _answers(visit_id: int, question_ids: list[str]) -> Select[tuple[str, Any]]:
    # Plain values only: a sensitive answer lives in ``secret`` and is never decrypted here.
    return select(Answer.question_id, Answer.value).where(
        Answer.visit_id == visit_id, Answer.question_id.in_(question_ids),
        Answer.secret.is_(None))


def answer_text(question: Question | None, value: Any, language: str) -> str:
    """An answer as a report shows it: choice labels, grouped numbers with their unit."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(answer_text(question, v, language) for v in value)
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, str):
        if question is not None and question.choices:
            return question.choice_label(value, language)
        return value if len(value) <= 300 else value[:299] + "…"
    if isinstance(value, (int, float)):
        text = format_decimal(round(value, 2), locale=language)
        unit = question.unit if question is not None else None
        return f"{text} {unit}" if unit else text
    return str(value)
