"""The signed-in dashboards: the overview, one facility's dashboard, and the internal map.

They read only stored summaries and area scores (:mod:`monitor.services.dashboards`); a person
sees their organisation's visits and every organisation's published ones.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from monitor.core.errors import InputError
from monitor.outputs import charts
from monitor.services import dashboards, permissions, recommendations
from monitor.services import facilities as registry
from monitor.services.public import country_figures
from monitor.web import pagecache
from monitor.web.auth import login_required
from monitor.web.context import current_catalog
from monitor.web.db import get_session
from monitor.web.forms.facility import OPERATOR_LABELS, STATUS_LABELS, TYPE_LABELS
from monitor.web.views import maps as map_views

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

#: Living space and time outdoors drawn against the standards' minimums (CPT: 4 m² per person
#: in a shared cell; Nelson Mandela Rule 23: at least one hour a day in the open air).
MIN_M2_PER_PERSON = 4.0
MIN_HOURS_OUTDOORS = 1.0
#: The heat map and the ranking show the facilities of most concern; filters show others.
HEAT_ROWS = 60
RANK_ROWS = 200
#: Facilities listed under each red flag (the count shows them all; filters narrow the list).
FLAG_ROWS = 25


def _allowed() -> None:
    permissions.require(g.user, "dashboard.view")


def _filters() -> dashboards.OverviewFilters:
    def day(name: str) -> date | None:
        raw = (request.args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise InputError(_("'%(value)s' in the field %(field)s is not a date: write it as "
                               "YYYY-MM-DD.", value=raw, field=name)) from None

    kind = (request.args.get("type") or "").strip() or None
    if kind is not None and kind not in {t.value for t in TYPE_LABELS}:
        raise InputError(_("'%(value)s' is not a facility type.", value=kind))
    return dashboards.OverviewFilters(
        country=(request.args.get("country") or "").strip().upper() or None, type=kind,
        operator=(request.args.get("operator") or "").strip() or None,
        date_from=day("from"), date_to=day("to"))


@bp.route("/")
@login_required
def home():
    """The overview: red flags, the area × facility heat map, concern ranking, trends."""
    _allowed()
    filters = _filters()  # refuse a bad filter before anything is kept
    body = pagecache.cached(("dashboard.home", request.query_string, pagecache.viewer_key()),
                            lambda: _overview_body(filters))
    return render_template("dashboard/home.html", body=body)


def _overview_body(filters: dashboards.OverviewFilters) -> dict[str, str]:
    db = get_session()
    catalog = current_catalog()
    language = map_views.language()
    top_areas = catalog.standards.top_areas()
    data = dashboards.overview(db, g.user, filters, [a.id for a in top_areas])
    countries, operators = dashboards.filter_choices(db)
    ranked = data.ranked
    content = render_template(
        "dashboard/_home_body.html", data=data, ranked=ranked[:RANK_ROWS], filters=filters,
        heat=_heat_map(data, ranked[:HEAT_ROWS], top_areas, language),
        heat_rows=HEAT_ROWS, rank_rows=RANK_ROWS, flag_rows=FLAG_ROWS,
        trend_share=_quarter_share_chart(data.quarters, language),
        trend_counts=_quarter_count_chart(data.quarters, language),
        flag_labels=map_views.red_flag_labels(catalog), countries=countries,
        operators=operators, type_labels=TYPE_LABELS, operator_labels=OPERATOR_LABELS,
    )
    return {"title": _("Dashboard"), "content": content}


def _heat_map(data: dashboards.Overview, ranked: list[dashboards.LatestStatus],
              top_areas: list[Any], language: str):
    if not ranked:
        return None
    names = [s.name for s in ranked]
    labels = {}
    for status in ranked:  # two facilities may share a name: add the id to tell them apart
        labels[status.facility_id] = (f"{status.name} ({status.public_id})"
                                      if names.count(status.name) > 1 else status.name)
    columns = [area.name.get(language) for area in top_areas]
    values = {(labels[s.facility_id], area.name.get(language)): data.area_scores.get(
        (s.facility_id, area.id)) for s in ranked for area in top_areas}
    links = {labels[s.facility_id]: url_for(".facility", public_id=s.public_id) for s in ranked}
    return charts.heat_map(
        [labels[s.facility_id] for s in ranked], columns, values,
        title=_("Share of standards met per monitoring area (latest visit)"),
        row_links=links, language=language)


def _quarter_share_chart(quarters: list[dashboards.Quarter], language: str):
    points = [(q.start, None if q.share_met is None else round(q.share_met * 100, 1))
              for q in quarters]
    return charts.line_chart(
        [charts.Series(_("Standards met (%)"), points)],
        title=_("Share of standards met, per quarter"), y_label=_("% of assessed standards"),
        language=language)


def _quarter_count_chart(quarters: list[dashboards.Quarter], language: str):
    return charts.line_chart(
        [charts.Series(_("Visits"), [(q.start, q.visits) for q in quarters]),
         charts.Series(_("Red flags"), [(q.start, q.red_flags) for q in quarters])],
        title=_("Visits and red flags, per quarter"), y_label=_("Count"), language=language)


@bp.route("/facilities/<public_id>")
@login_required
def facility(public_id: str):
    """One facility: latest status per area, red flags, trends, visits, open recommendations."""
    _allowed()
    body = pagecache.cached(("dashboard.facility", public_id, pagecache.viewer_key()),
                            lambda: _facility_body(public_id))
    if "moved_to" in body:  # merged: show the record kept
        return redirect(url_for(".facility", public_id=str(body["moved_to"])), code=301)
    return render_template("dashboard/facility.html", body=body)


def _facility_body(public_id: str) -> dict[str, str]:
    place = registry.get_facility(get_session(), public_id)
    if place.public_id != public_id.upper():
        return {"moved_to": place.public_id}
    catalog = current_catalog()
    language = map_views.language()
    top_areas = catalog.standards.top_areas()
    data = dashboards.facility_dashboard(get_session(), g.user, place, [a.id for a in top_areas])
    content = render_template(
        "dashboard/_facility_body.html", data=data, facility=place,
        trend_charts=_facility_charts(data, language), area_names=map_views.area_names(catalog),
        flag_labels=map_views.red_flag_labels(catalog), standards=catalog.standards,
        type_labels=TYPE_LABELS, status_labels=STATUS_LABELS, operator_labels=OPERATOR_LABELS,
        age_days=recommendations.age_days, is_overdue=recommendations.is_overdue,
    )
    return {"title": f"{place.name} · {_('Dashboard')}", "content": content}


def _facility_charts(data: dashboards.FacilityDashboard, language: str) -> list[Any]:
    summaries = data.summaries

    def series(label: str, field: str) -> charts.Series:
        return charts.Series(label, [(s.visit_date, getattr(s, field)) for s in summaries])

    capacity = data.facility.capacity
    if capacity is None:
        capacity = next((s.capacity for s in reversed(summaries) if s.capacity), None)
    return [
        charts.line_chart([series(_("People held"), "population")],
                          title=_("People held"), y_label=_("People"), reference=capacity,
                          reference_label=_("Official capacity"), language=language),
        charts.line_chart([series(_("Children"), "children"),
                           series(_("Unaccompanied children"), "unaccompanied_children")],
                          title=_("Children held"), y_label=_("Children"), language=language),
        charts.line_chart([series(_("Refused"), "legal_access_denials")],
                          title=_("Requests to see a lawyer refused"), y_label=_("Requests"),
                          language=language),
        charts.line_chart([series(_("Days"), "days_to_doctor")],
                          title=_("Days to a medical examination"), y_label=_("Days"),
                          language=language),
        charts.line_chart([series(_("m² per person"), "m2_per_person")],
                          title=_("Living space per person"), y_label=_("m²"),
                          reference=MIN_M2_PER_PERSON, reference_label=_("minimum"),
                          language=language),
        charts.line_chart([series(_("Hours"), "hours_outdoors")],
                          title=_("Hours outdoors a day"), y_label=_("Hours"),
                          reference=MIN_HOURS_OUTDOORS, reference_label=_("minimum"),
                          language=language),
    ]


# --- The internal map -------------------------------------------------------------------------


def _map_args() -> dict[str, str]:
    keep = ("colour", "country", "type", "operator", "from", "to")
    return {k: request.args[k] for k in keep if request.args.get(k)}


@bp.route("/map")
@login_required
def map_page():
    """The internal map: every facility, coloured by its latest visit visible to the reader."""
    _allowed()
    _filters()  # refuse bad dates or types here, with the page's error, not in the frame
    colour = map_views.colour_choice(request.args.get("colour"))
    countries, operators = dashboards.filter_choices(get_session())
    return render_template(
        "dashboard/map.html", frame_url=url_for(".map_frame", **_map_args()), colour=colour,
        colours=map_views.colour_options(), filters=_filters(), countries=countries,
        operators=operators, type_labels=TYPE_LABELS)


@bp.route("/map/frame")
@login_required
def map_frame():
    """The internal map document (framed by /dashboard/map only)."""
    _allowed()
    colour = map_views.colour_choice(request.args.get("colour"))
    statuses = dashboards.latest_statuses(get_session(), g.user, _filters(),
                                          include_unvisited=True)
    places = [
        dashboards.MapFacility(
            public_id=s.public_id, name=s.name, country=s.country, type=s.type,
            latitude=s.latitude, longitude=s.longitude, figures=s.figures,
            month=s.visit_date.strftime("%Y-%m") if s.visit_date else None,
            url=url_for(".facility", public_id=s.public_id))
        for s in statuses
    ]
    return map_views.map_document(places, country_figures(places, 1), colour=colour,
                                  public=False, minimum=1, type_labels=TYPE_LABELS)
