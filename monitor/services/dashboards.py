"""Read models for the internal dashboards and the facility maps.

Everything here reads the rows stored when a visit was submitted (``visit_summaries`` and
``area_scores``), never the answers: an overview is a fixed handful of indexed queries however
many facilities and visits the database holds (the latest visit per facility from one index
walk per facility, the quarterly trend from one GROUP BY).

Who sees what: a signed-in person sees the submitted, reviewed and published visits of their
own organisation, and the published visits of every organisation — the ``visit.view`` rule of
:mod:`monitor.services.permissions` (organisation scope for every role) plus publication.
:func:`visible_clause` says the same in SQL; :func:`can_see` in Python, through
``permissions.can``.

The maps at the end are built here (not in a view) so that the web pages and ``monitor map``
draw the same map; the web passes URLs for the assets, the command line inlines them.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, extract, func, or_, select
from sqlalchemy.orm import Session, selectinload

from monitor.core.errors import InputError
from monitor.core.messages import N_
from monitor.db.models import (
    AreaScore,
    Facility,
    Recommendation,
    RedFlagRecord,
    User,
    Visit,
    VisitState,
    VisitSummary,
)
from monitor.privacy.policy import LowerBound, Suppressed
from monitor.services import permissions, recommendations
from monitor.services.facilities import country_name

log = logging.getLogger(__name__)

#: Visit states whose summary dashboards read (a returned visit's stored findings are stale).
SUMMARISED = (VisitState.SUBMITTED, VisitState.REVIEWED, VisitState.PUBLISHED)


# --- Visibility -------------------------------------------------------------------------------


def visible_clause(user: User | None) -> ColumnElement[bool]:
    """SQL condition on ``Visit``: the visits *user* may see on dashboards.

    :param user: the signed-in person; ``None`` means every visit (command-line use by the
        operator of the installation, never a web request).
    """
    states = Visit.state.in_(SUMMARISED)
    if user is None:
        return states
    return states & or_(Visit.organisation_id == user.organisation_id,
                        Visit.state == VisitState.PUBLISHED)


def can_see(user: User, visit: Visit) -> bool:
    """The same rule as :func:`visible_clause`, for one visit already loaded."""
    if visit.state not in SUMMARISED:
        return permissions.can(user, "visit.view", visit)
    return visit.state is VisitState.PUBLISHED or permissions.can(user, "visit.view", visit)


# --- Overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewFilters:
    """What the overview is narrowed to; every field is optional."""

    country: str | None = None
    type: str | None = None
    operator: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InputError(N_(
                "The period starts on %(start)s but ends earlier, on %(end)s: swap the two "
                "dates.", start=self.date_from.isoformat(), end=self.date_to.isoformat()))


def _registry_filter(query: Any, filters: OverviewFilters) -> Any:
    query = query.where(Facility.merged_into_id.is_(None))
    if filters.country:
        query = query.where(Facility.country == filters.country.upper())
    if filters.type:
        query = query.where(Facility.type == filters.type)
    if filters.operator:
        needle = f"%{filters.operator.strip().lower()}%"
        query = query.where(or_(func.lower(Facility.operator_name).like(needle),
                                Facility.operator_kind == filters.operator.strip().lower()))
    return query


def _period_filter(query: Any, filters: OverviewFilters) -> Any:
    if filters.date_from:
        query = query.where(VisitSummary.visit_date >= filters.date_from)
    if filters.date_to:
        query = query.where(VisitSummary.visit_date <= filters.date_to)
    return query


_LATEST_FIELDS = ("visit_id", "visit_date", "score_overall", "standards_met",
                  "standards_assessed", "red_flag_count", "red_flag_codes", "population",
                  "capacity", "occupancy_rate", "children", "unaccompanied_children",
                  "legal_access_denials", "share_assessed")


def _latest_visit_ids(user: User | None, filters: OverviewFilters) -> Any:
    """A SELECT of each registry facility's latest visit visible to *user* in the period.

    One correlated subquery per facility walks the (facility, date) index of the summaries from
    the newest down to the first visible one, so its cost follows the number of facilities, not
    the number of visits (a window function over every summary took 0.2-0.5 s at 100,000
    visits; this takes about 10 ms). A facility with no such visit gives NULL.
    """
    newest = (
        select(VisitSummary.visit_id)
        .join(Visit, Visit.id == VisitSummary.visit_id)
        .where(VisitSummary.facility_id == Facility.id, visible_clause(user))
        .order_by(VisitSummary.visit_date.desc(), VisitSummary.visit_id.desc())
        .limit(1)
    )
    newest = _period_filter(newest, filters).correlate(Facility).scalar_subquery()
    return _registry_filter(select(newest.label("visit_id")), filters)


@dataclass(frozen=True)
class LatestStatus:
    """A facility and the figures of its latest visit visible to the reader (if any)."""

    facility_id: int
    public_id: str
    name: str
    country: str
    type: str
    operator_name: str | None
    latitude: float | None
    longitude: float | None
    visit_id: int | None = None
    visit_date: date | None = None
    state: str | None = None
    figures: Mapping[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float | None:
        return self.figures.get("score_overall")

    @property
    def red_flag_codes(self) -> list[str]:
        return list(self.figures.get("red_flag_codes") or ())

    @property
    def red_flag_count(self) -> int:
        return int(self.figures.get("red_flag_count") or 0)

    @property
    def concern(self) -> tuple[int, float]:
        """Sort key: most red flags first, then the lowest share of standards met."""
        score = self.score
        return (-self.red_flag_count, 2.0 if score is None else score)


def latest_statuses(session: Session, user: User | None, filters: OverviewFilters, *,
                    include_unvisited: bool = False) -> list[LatestStatus]:
    """Each facility's latest visible visit (two queries: the registry, the latest summaries).

    :param include_unvisited: also list facilities without a visible visit in the period (for
        maps: the registry is shown whole).
    """
    registry = session.execute(_registry_filter(
        select(Facility.id, Facility.public_id, Facility.name, Facility.country, Facility.type,
               Facility.operator_name, Facility.latitude, Facility.longitude), filters)
        .order_by(Facility.country, Facility.name, Facility.id)).all()
    columns = [getattr(VisitSummary, name).label(f"v_{name}") for name in _LATEST_FIELDS]
    latest = {row.v_facility_id: row._mapping for row in session.execute(
        select(VisitSummary.facility_id.label("v_facility_id"), *columns,
               Visit.state.label("v_state"))
        .join(Visit, Visit.id == VisitSummary.visit_id)
        .where(VisitSummary.visit_id.in_(_latest_visit_ids(user, filters))))}
    found = []
    for row in registry:
        visit = latest.get(row.id)
        if visit is None and not include_unvisited:
            continue
        found.append(LatestStatus(
            facility_id=row.id, public_id=row.public_id, name=row.name, country=row.country,
            type=row.type.value, operator_name=row.operator_name, latitude=row.latitude,
            longitude=row.longitude,
            visit_id=visit["v_visit_id"] if visit else None,
            visit_date=visit["v_visit_date"] if visit else None,
            state=visit["v_state"].value if visit else None,
            figures={name: visit[f"v_{name}"] for name in _LATEST_FIELDS[2:]} if visit else {},
        ))
    return found


def area_scores_of_latest(session: Session, user: User | None, filters: OverviewFilters,
                          area_ids: Sequence[str]) -> dict[tuple[int, str], float | None]:
    """``(facility id, area id)`` → share of standards met, at each facility's latest visit.

    One query, over the same "latest visible visit" as :func:`latest_statuses`.
    """
    query = (select(VisitSummary.facility_id, AreaScore.area_id, AreaScore.score)
             .join(VisitSummary, VisitSummary.visit_id == AreaScore.visit_id)
             .where(AreaScore.visit_id.in_(_latest_visit_ids(user, filters)),
                    AreaScore.area_id.in_(list(area_ids))))
    return {(facility_id, area_id): score
            for facility_id, area_id, score in session.execute(query)}


@dataclass(frozen=True)
class Quarter:
    """Totals over the visits of one calendar quarter."""

    year: int
    quarter: int
    visits: int
    standards_met: int
    standards_assessed: int
    red_flags: int

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def share_met(self) -> float | None:
        return self.standards_met / self.standards_assessed if self.standards_assessed else None


def quarterly_trend(session: Session, user: User | None,
                    filters: OverviewFilters) -> list[Quarter]:
    """Visits, standards met and red flags per calendar quarter (one GROUP BY query).

    Grouped by year and month in SQL (the same on SQLite and PostgreSQL), folded into
    quarters here: at most twelve rows a year come back.
    """
    year = extract("year", VisitSummary.visit_date)
    month = extract("month", VisitSummary.visit_date)
    query = (
        select(year.label("year"), month.label("month"), func.count(VisitSummary.visit_id),
               func.coalesce(func.sum(VisitSummary.standards_met), 0),
               func.coalesce(func.sum(VisitSummary.standards_assessed), 0),
               func.coalesce(func.sum(VisitSummary.red_flag_count), 0))
        .join(Visit, Visit.id == VisitSummary.visit_id)
        .join(Facility, Facility.id == VisitSummary.facility_id)
        .where(visible_clause(user))
        .group_by(year, month)
    )
    query = _period_filter(_registry_filter(query, filters), filters)
    totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for y, m, visits, met, assessed, flags in session.execute(query):
        key = (int(y), (int(m) - 1) // 3 + 1)
        for i, value in enumerate((visits, met, assessed, flags)):
            totals[key][i] += int(value)
    return [Quarter(y, q, *values) for (y, q), values in sorted(totals.items())]


def filter_choices(session: Session) -> tuple[list[str], list[str]]:
    """Countries and operator names present in the registry (two small DISTINCT queries)."""
    countries = sorted(session.scalars(
        select(Facility.country).where(Facility.merged_into_id.is_(None)).distinct()))
    operators = sorted(name for name in session.scalars(
        select(Facility.operator_name).where(Facility.merged_into_id.is_(None),
                                             Facility.operator_name.is_not(None)).distinct())
        if name)
    return countries, operators


@dataclass
class Overview:
    """What the overview dashboard shows."""

    filters: OverviewFilters
    facility_count: int
    statuses: list[LatestStatus]
    area_scores: dict[tuple[int, str], float | None]
    quarters: list[Quarter]
    by_flag: dict[str, list[LatestStatus]]

    @property
    def ranked(self) -> list[LatestStatus]:
        """Facilities by concern: red flags first, then the lowest share of standards met."""
        return sorted(self.statuses, key=lambda s: (*s.concern, s.name))

    @property
    def visited(self) -> int:
        return len(self.statuses)


def overview(session: Session, user: User | None, filters: OverviewFilters,
             area_ids: Sequence[str]) -> Overview:
    """Collect the overview: a constant number of queries, whatever the size of the data."""
    everything = latest_statuses(session, user, filters, include_unvisited=True)
    statuses = [s for s in everything if s.visit_id is not None]
    by_flag: dict[str, list[LatestStatus]] = defaultdict(list)
    for status in statuses:
        for code in status.red_flag_codes:
            by_flag[code].append(status)
    return Overview(
        filters=filters,
        facility_count=len(everything),
        statuses=statuses,
        area_scores=area_scores_of_latest(session, user, filters, area_ids),
        quarters=quarterly_trend(session, user, filters),
        by_flag=dict(sorted(by_flag.items(), key=lambda item: (-len(item[1]), item[0]))),
    )


# --- One facility -----------------------------------------------------------------------------


@dataclass
class FacilityDashboard:
    """What the facility dashboard shows (only visits the reader may see)."""

    facility: Facility
    visits: list[Visit]
    latest: Visit | None
    areas: list[AreaScore]
    red_flags: list[RedFlagRecord]
    summaries: list[VisitSummary]
    open_recommendations: list[Recommendation]
    can_open: dict[int, bool]


def facility_dashboard(session: Session, user: User, facility: Facility,
                       top_area_ids: Sequence[str]) -> FacilityDashboard:
    """Collect one facility's dashboard: visits, latest results, trends, open recommendations.

    :param top_area_ids: the monitoring areas to show (sub-areas stay on the results page).
    """
    permissions.require(user, "dashboard.view")
    rows = session.scalars(
        select(Visit).where(Visit.facility_id == facility.id)
        .options(selectinload(Visit.summary), selectinload(Visit.members))
        .order_by(Visit.start_date.desc(), Visit.id.desc())).all()
    visible = [v for v in rows if can_see(user, v)]
    summarised = [v for v in visible if v.state in SUMMARISED and v.summary is not None]
    latest = summarised[0] if summarised else None
    areas: list[AreaScore] = []
    flags: list[RedFlagRecord] = []
    if latest is not None:
        order = {area_id: i for i, area_id in enumerate(top_area_ids)}
        areas = sorted(session.scalars(select(AreaScore).where(
            AreaScore.visit_id == latest.id, AreaScore.area_id.in_(list(top_area_ids)))),
            key=lambda a: order.get(a.area_id, 99))
        flags = sorted(session.scalars(select(RedFlagRecord).where(
            RedFlagRecord.visit_id == latest.id)),
            key=lambda f: (_SEVERITY.get(f.severity.value, 9), f.code))
    seen_ids = {v.id for v in visible}
    open_recs = [r for r in recommendations.open_for_facility(session, facility.id)
                 if r.visit_id in seen_ids]
    return FacilityDashboard(
        facility=facility, visits=visible, latest=latest, areas=areas, red_flags=flags,
        summaries=[v.summary for v in reversed(summarised)],  # oldest first, for charts
        open_recommendations=open_recs,
        can_open={v.id: permissions.can(user, "visit.view", v) for v in visible},
    )


_SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}


# --- Maps -------------------------------------------------------------------------------------

#: What markers can be coloured by (the ``?colour=`` and ``--colour-by`` choices).
COLOUR_CHOICES = ("compliance", "population", "children", "red_flags", "occupancy")
#: The summary field behind each choice.
COLOUR_FIELDS = {"compliance": "score_overall", "population": "population",
                 "children": "children", "red_flags": "red_flag_count",
                 "occupancy": "occupancy_rate"}
#: Country layers: the figure (from ``public.country_figures``) and its legend kind.
COUNTRY_LAYERS = (("facilities", "count"), ("people_held", "people"),
                  ("children_held", "people"), ("red_flags", "count"))

MAP_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Immigration detention facilities",
        "thousands": ",",
        "compliance": "Standards met (latest visit)",
        "population": "People held (latest visit)",
        "children": "Children held (latest visit)",
        "red_flags": "Red flags (latest visit)",
        "occupancy": "Occupancy (latest visit)",
        "share_low": "Under 50%", "share_mid": "50–79%", "share_high": "80% or more",
        "not_visited": "No visit yet",
        "not_visited_public": "No published visit",
        "none": "None",
        "fewer": "Fewer than {n}",
        "fewer_inline": "fewer than {n}",
        "at_least": "at least {n}",
        "small_numbers": "Small numbers (not shown)",
        "one": "1", "two_three": "2–3", "four_five": "4–5", "six_more": "6 or more",
        "occ_low": "Under 80%", "occ_mid": "80–99%", "occ_full": "100–119%",
        "occ_over": "120% or more",
        "layer_facilities": "Facilities per country",
        "layer_people_held": "People held per country",
        "layer_children_held": "Children held per country",
        "layer_red_flags": "Red flags per country",
        "no_figure": "No published figure",
        "no_figure_internal": "No figure",
        "label_share": "Standards met: {p}",
        "label_flags": "{n} red flags",
        "label_flag": "1 red flag",
        "label_people": "people held: {n}",
        "label_visit": "last visit {month}",
        "label_none": "No published visit yet",
        "label_none_internal": "No visit yet",
    },
    "es": {
        "title": "Centros de detención migratoria",
        "thousands": ".",
        "compliance": "Normas cumplidas (última visita)",
        "population": "Personas detenidas (última visita)",
        "children": "Niñas y niños detenidos (última visita)",
        "red_flags": "Alertas graves (última visita)",
        "occupancy": "Ocupación (última visita)",
        "share_low": "Menos del 50 %", "share_mid": "50–79 %", "share_high": "80 % o más",
        "not_visited": "Sin visita",
        "not_visited_public": "Sin visita publicada",
        "none": "Ninguna",
        "fewer": "Menos de {n}",
        "fewer_inline": "menos de {n}",
        "at_least": "al menos {n}",
        "small_numbers": "Cifras pequeñas (no se muestran)",
        "one": "1", "two_three": "2–3", "four_five": "4–5", "six_more": "6 o más",
        "occ_low": "Menos del 80 %", "occ_mid": "80–99 %", "occ_full": "100–119 %",
        "occ_over": "120 % o más",
        "layer_facilities": "Centros por país",
        "layer_people_held": "Personas detenidas por país",
        "layer_children_held": "Niñas y niños detenidos por país",
        "layer_red_flags": "Alertas graves por país",
        "no_figure": "Sin cifra publicada",
        "no_figure_internal": "Sin cifra",
        "label_share": "Normas cumplidas: {p}",
        "label_flags": "{n} alertas graves",
        "label_flag": "1 alerta grave",
        "label_people": "personas detenidas: {n}",
        "label_visit": "última visita {month}",
        "label_none": "Aún sin visita publicada",
        "label_none_internal": "Aún sin visita",
    },
}

TYPE_WORDS: dict[str, dict[str, str]] = {
    "en": {"immigration_detention_centre": "Immigration detention centre", "prison": "Prison",
           "police_station": "Police station", "transit_zone": "Transit zone",
           "border_post": "Border post", "closed_reception_centre": "Closed reception centre",
           "children_shelter": "Children's shelter", "other": "Other"},
    "es": {"immigration_detention_centre": "Centro de detención migratoria",
           "prison": "Prisión", "police_station": "Comisaría", "transit_zone": "Zona de tránsito",
           "border_post": "Puesto fronterizo", "closed_reception_centre": "Centro de acogida cerrado",
           "children_shelter": "Albergue de niñez", "other": "Otro"},
}

RED_FLAG_COLOURS = ("#FEF0D9", "#FDCC8A", "#FC8D59", "#E34A33", "#B30000")
OCCUPANCY_COLOURS = ("#0072B2", "#56B4E9", "#E69F00", "#D55E00")
PEOPLE_COLOURS = ("#EFF3FF", "#BDD7E7", "#6BAED6", "#3182BD", "#08519C")


def map_words(language: str) -> Mapping[str, str]:
    """The map vocabulary in *language* (English for a language without one)."""
    return MAP_WORDS.get(language.split("-")[0].lower(), MAP_WORDS["en"])


@dataclass(frozen=True)
class MapFacility:
    """One facility as a map shows it: place, words, and the figures markers are coloured by.

    For the public map ``figures`` come from the public gate (small counts already
    suppressed); for the internal map, from :func:`latest_statuses`.
    """

    public_id: str
    name: str
    country: str
    type: str
    latitude: float | None
    longitude: float | None
    figures: Mapping[str, Any]
    month: str | None
    url: str | None


def _nice_bound(value: float) -> float:
    """Round up to one significant digit (43 → 50, 260 → 300)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(math.ceil(value / power) * power)


def people_legend(values: Sequence[float], *, title: str, minimum: int, words: Mapping[str, str],
                  small_label: str, missing_label: str) -> Any:
    """A legend for counts of people that never tells a suppressed count apart.

    Classes: none (0), "fewer than *minimum*" (where suppressed values go, see
    :func:`people_value`), then up to three ranges from *minimum* up, bounded by rounded
    quantiles of the values shown. With ``minimum == 1`` (internal maps) the second class is
    left out.
    """
    from monitor.outputs import maps  # folium is heavy: imported when a map is drawn

    shown = sorted(v for v in values if v is not None and v >= minimum)
    bounds: list[float] = []
    if shown:
        for q in (1 / 3, 2 / 3):
            bound = _nice_bound(float(pd.Series(shown).quantile(q)))
            if bound > max([minimum, *bounds]) and bound <= shown[-1]:
                bounds.append(bound)
    classes = [maps.LegendClass(words["none"], PEOPLE_COLOURS[0], upper=0.5)]
    if minimum > 1:
        classes.append(maps.LegendClass(small_label, PEOPLE_COLOURS[1], upper=float(minimum)))
    low = float(minimum)
    colours = list(PEOPLE_COLOURS[2:]) if minimum > 1 else list(PEOPLE_COLOURS[1:])
    for i, bound in enumerate(bounds):
        label = (f"{_count(low, words)}–{_count(bound - 1, words)}" if bound - 1 > low
                 else _count(low, words))
        classes.append(maps.LegendClass(label, colours[i], upper=bound))
        low = bound
    classes.append(maps.LegendClass(f"{_count(low, words)}+", colours[len(bounds)]))
    return maps.Legend(title, tuple(classes), missing_label)


def _count(value: float, words: Mapping[str, str]) -> str:
    """A whole number with the language's thousands separator (1,200 or 1.200)."""
    return f"{value:,.0f}".replace(",", words["thousands"])


#: Where suppressed and lower-bound values sit between whole numbers, so that a legend puts
#: them in the right class and a tooltip can tell them apart from exact counts.
_SUPPRESSED_OFFSET = 0.5
_LOWER_BOUND_OFFSET = 0.25


def people_value(value: Any, minimum: int) -> float | None:
    """A number for a map: exact counts as they are, suppressed ones just below *minimum*,
    lower bounds a quarter above their bound."""
    if value is None:
        return None
    if isinstance(value, Suppressed):
        return minimum - _SUPPRESSED_OFFSET
    if isinstance(value, LowerBound):
        return value.value + _LOWER_BOUND_OFFSET
    return float(value)


def people_text(value: float, words: Mapping[str, str], minimum: int) -> str:
    """Undo :func:`people_value` for a tooltip: "fewer than 5", "at least 120" or "37"."""
    fraction = round(value - math.floor(value), 2)
    if fraction == _SUPPRESSED_OFFSET:
        return words["fewer_inline"].format(n=minimum)
    if fraction == _LOWER_BOUND_OFFSET:
        return words["at_least"].format(n=_count(math.floor(value), words))
    return _count(value, words)


def _legend_for(colour: str, values: Sequence[Any], words: Mapping[str, str], minimum: int,
                missing: str) -> Any:
    from monitor.outputs import maps

    title = words[colour]
    if colour == "compliance":
        return maps.share_met_legend(
            title=title, labels=(words["share_low"], words["share_mid"], words["share_high"]),
            missing_label=missing)
    if colour in ("population", "children"):
        return people_legend([people_value(v, minimum) for v in values], title=title,
                             minimum=minimum, words=words,
                             small_label=words["fewer"].format(n=minimum), missing_label=missing)
    if colour == "red_flags":
        uppers = (0.5, 1.5, 3.5, 5.5, None)
        labels = (words["none"], words["one"], words["two_three"], words["four_five"],
                  words["six_more"])
        return maps.Legend(title, tuple(maps.LegendClass(label, colour_, upper=upper)
                                        for label, colour_, upper in
                                        zip(labels, RED_FLAG_COLOURS, uppers)), missing)
    if colour == "occupancy":
        uppers = (80.0, 100.0, 120.0, None)
        labels = (words["occ_low"], words["occ_mid"], words["occ_full"], words["occ_over"])
        return maps.Legend(title, tuple(maps.LegendClass(label, colour_, upper=upper)
                                        for label, colour_, upper in
                                        zip(labels, OCCUPANCY_COLOURS, uppers)), missing)
    raise InputError(N_("Markers cannot be coloured by '%(colour)s': choose one of %(choices)s.",
                        colour=colour, choices=", ".join(COLOUR_CHOICES)))


def popup_label(facility: MapFacility, words: Mapping[str, str], *, public: bool) -> str:
    """The one line under a facility's name in its popup."""
    figures = facility.figures
    if not figures:
        return words["label_none" if public else "label_none_internal"]
    parts = []
    score = figures.get("score_overall")
    if score is not None:
        parts.append(words["label_share"].format(p=f"{round(score * 100)}%"))
    flags = int(figures.get("red_flag_count") or 0)
    parts.append(words["label_flag"] if flags == 1 else words["label_flags"].format(n=flags))
    people = figures.get("population")
    if people is not None:
        shown = (words["fewer_inline"].format(n=people.minimum) if isinstance(people, Suppressed)
                 else _count(people, words))
        parts.append(words["label_people"].format(n=shown))
    if facility.month:
        parts.append(words["label_visit"].format(month=facility.month))
    return " · ".join(parts)


def build_map(facilities: Sequence[MapFacility], countries: Sequence[Any], *, colour: str,
              public: bool, minimum: int, language: str = "en",
              asset_url: Callable[[str], str] | None = None, inline_assets: bool = False,
              link_target: str = "_top", type_labels: Mapping[str, str] | None = None,
              title: str | None = None) -> Any:
    """Draw the facility map: clustered markers coloured by *colour*, country layers below.

    :param facilities: the facilities to place (those without coordinates are left out).
    :param countries: per-country figures (``monitor.services.public.country_figures``).
    :param colour: one of :data:`COLOUR_CHOICES`.
    :param public: use the public wording (missing = "no published visit").
    :param minimum: ``Settings.min_public_count`` for a public map; 1 for an internal one.
    :param asset_url: vendor file → URL (web); or pass *inline_assets* (standalone file).
    :param type_labels: facility type → label shown in popups (default: :data:`TYPE_WORDS`).
    :returns: the folium map (render with ``monitor.outputs.maps.render_html``).
    :raises InputError: an unknown colour.
    """
    from monitor.aggregate.geo import load_countries
    from monitor.outputs import maps

    if colour not in COLOUR_CHOICES:
        raise InputError(N_("Markers cannot be coloured by '%(colour)s': choose one of "
                            "%(choices)s.", colour=colour, choices=", ".join(COLOUR_CHOICES)))
    words = map_words(language)
    types = type_labels or TYPE_WORDS.get(language.split("-")[0], TYPE_WORDS["en"])
    missing = words["not_visited_public" if public else "not_visited"]
    field_name = COLOUR_FIELDS[colour]
    raw = [f.figures.get(field_name) if f.figures else None for f in facilities]
    legend = _legend_for(colour, raw, words, minimum, missing)
    values = [people_value(v, minimum) if colour in ("population", "children") else v
              for v in raw]
    frame = pd.DataFrame({
        "public_id": [f.public_id for f in facilities],
        "name": [f.name for f in facilities],
        "country": [country_name(f.country) for f in facilities],
        "type": [str(types.get(f.type, f.type)) for f in facilities],
        "latitude": [f.latitude for f in facilities],
        "longitude": [f.longitude for f in facilities],
        "value": pd.Series(values, dtype=object),
        "label": [popup_label(f, words, public=public) for f in facilities],
        "url": [f.url for f in facilities],
    })
    boundaries = load_countries("110m")
    layers = _country_layers(countries, boundaries, words, minimum=minimum, public=public,
                             language=language)
    fmap = maps.facility_map(
        frame, countries=boundaries, asset_url=asset_url, colour_by="value", legend=legend,
        extra_layers=layers, language=language, inline_assets=inline_assets, height="100vh",
        title=title or words["title"], link_target=link_target,
    )
    _neutral_clusters(fmap)
    log.info("map drawn: %d facilities, colour %s, %d country layers", len(facilities), colour,
             len(layers))
    return fmap


#: Clusters in neutral grey: the plug-in's green/yellow/orange would read as a compliance
#: scale. ``monitor.outputs.maps`` sets the same colours, but with the plug-in's own
#: specificity, so when the style sheets are linked (not inlined) they come later and win;
#: these selectors are more specific and win in either order.
_CLUSTER_CSS = (
    ".leaflet-container .marker-cluster-small,.leaflet-container .marker-cluster-medium,"
    ".leaflet-container .marker-cluster-large{background-color:rgba(29,35,43,.28)}"
    ".leaflet-container .marker-cluster-small div,.leaflet-container .marker-cluster-medium div,"
    ".leaflet-container .marker-cluster-large div{background-color:rgba(29,35,43,.88);color:#fff}"
)


def _neutral_clusters(fmap: Any) -> None:
    from branca.element import Element

    fmap.get_root().header.add_child(Element(f"<style>{_CLUSTER_CSS}</style>"),
                                     name="dm_neutral_clusters")


def _country_layers(countries: Sequence[Any], boundaries: Any, words: Mapping[str, str], *,
                    minimum: int, public: bool, language: str) -> list[Any]:
    from monitor.outputs import maps

    if not countries:
        return []
    present = {c.iso3 for c in countries}
    # Only countries with facilities: four layers of every country on earth would be heavy.
    shapes = boundaries[boundaries["iso3"].isin(present)].reset_index(drop=True)
    missing = words["no_figure" if public else "no_figure_internal"]
    layers = []
    for name, kind in COUNTRY_LAYERS:
        title = words[f"layer_{name}"]
        if name == "facilities":
            numbers = [float(c.facilities) for c in countries]
        else:
            numbers = [people_value(c.figures.get(name), minimum) for c in countries]
        summary = pd.DataFrame({"iso3": [c.iso3 for c in countries], name: numbers})
        if kind == "people":
            legend = people_legend(numbers, title=title, minimum=minimum, words=words,
                                   small_label=words["small_numbers"], missing_label=missing)
        else:
            legend = None
        layers.append(maps.country_choropleth(
            summary, shapes, name, name=title, missing_label=missing, legend=legend,
            language=language,
            number_format=lambda v, w=words: people_text(v, w, minimum),
        ))
    return layers
