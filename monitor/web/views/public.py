"""Pages anyone may see: the landing page, the health check, and the public data pages.

Every public page reads visits through :mod:`monitor.services.public` only (the one gate);
no view here queries a visit, an answer or a summary itself. Addresses are stable and built
on a facility's public id, so journalists can cite them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import (
    Blueprint,
    Response,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import text

import monitor
from monitor.core.clock import today
from monitor.core.errors import RecordNotFound
from monitor.db.migrate import current_revision, head_revision
from monitor.outputs.maps import embed_snippet
from monitor.outputs.tables import safe_cell
from monitor.privacy.policy import LowerBound, Suppressed
from monitor.services import dashboards
from monitor.services import public as gate
from monitor.services.facilities import country_name, is_country
from monitor.web import pagecache
from monitor.web.auth import safe_next
from monitor.web.context import current_catalog, current_settings
from monitor.web.db import get_session
from monitor.web.forms.facility import OPERATOR_LABELS, STATUS_LABELS, TYPE_LABELS
from monitor.web.views import maps as map_views

bp = Blueprint("public", __name__)

#: Open-data files: name in the URL → dataset key.
DOWNLOADS = {
    "facilities.csv": "facilities",
    "facilities.geojson": "facilities",
    "visit-summaries.csv": "visit-summaries",
    "findings.csv": "findings",
}


@bp.app_template_global("location_sketch")
def _location_sketch(iso3: str, latitude: float | None, longitude: float | None,
                     label: str = ""):
    return map_views.location_sketch(iso3, latitude, longitude, label)


@bp.app_template_filter("public_count")
def public_count(value: Any) -> str:
    """Write a public figure: "fewer than 5", "at least 120", a number, or a dash."""
    if value is None:
        return "—"
    if isinstance(value, Suppressed):
        return _("fewer than %(num)d", num=value.minimum)
    if isinstance(value, LowerBound):
        return _("at least %(num)s", num=format_decimal(value.value))
    if isinstance(value, float):
        return format_decimal(round(value, 1), format="#,##0.0")
    return format_decimal(value)


@bp.route("/")
def home():
    """The public landing page."""
    return render_template("public/home.html")


@bp.route("/language/<code>", methods=["POST"])
def switch_language(code: str):
    """Remember the chosen language and go back to the page the switch was on."""
    if code in current_settings().languages:
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("public.home"))


@bp.route("/health")
def health():
    """Say whether the application and its database work (for monitoring and load balancers)."""
    db = get_session()
    reachable, revision = True, None
    try:
        db.execute(text("SELECT 1"))
        revision = current_revision(db.get_bind())
    except Exception:  # noqa: BLE001 - any database failure means "not healthy", whatever the driver says
        reachable = False
    head = head_revision()
    healthy = reachable and revision == head
    body = {
        "status": "ok" if healthy else "degraded",
        "database": "reachable" if reachable else "unreachable",
        "schema_revision": revision,
        "schema_expected": head,
        "version": monitor.__version__,
    }
    return jsonify(body), 200 if healthy else 503


# --- The public map ---------------------------------------------------------------------------


def _map_filters() -> gate.PublicFilter:
    country = (request.args.get("country") or "").strip().upper() or None
    kind = (request.args.get("type") or "").strip() or None
    if kind is not None and kind not in {t.value for t in TYPE_LABELS}:
        kind = None
    return gate.PublicFilter(country=country if country and is_country(country) else None,
                             type=kind)


def _map_facilities(facilities: Sequence[gate.PublicFacility]) -> list[dashboards.MapFacility]:
    return [
        dashboards.MapFacility(
            public_id=f.public_id, name=f.name, country=f.country, type=f.type,
            latitude=f.latitude, longitude=f.longitude, figures=f.figures,
            month=f.last_visited, url=url_for("public.profile", public_id=f.public_id))
        for f in facilities
    ]


@bp.route("/map")
def map_page():
    """The public map page: the map in a frame, colour and filter choices, the embed code."""
    filters = _map_filters()
    colour = map_views.colour_choice(request.args.get("colour"))
    args = {k: v for k, v in (("colour", colour), ("country", filters.country),
                              ("type", filters.type)) if v}
    frame_url = url_for("public.map_frame", **args)
    db = get_session()
    settings = current_settings()
    countries = sorted(gate.registry_countries(db), key=country_name)
    return render_template(
        "public/map.html", frame_url=frame_url, colour=colour, filters=filters,
        colours=map_views.colour_options(), countries=countries, type_labels=TYPE_LABELS,
        embed=embed_snippet(url_for("public.map_frame", _external=True, **args),
                            title=_("Map of immigration detention facilities"),
                            language=map_views.language()),
        data_as_of=gate.data_as_of(db, settings), minimum=settings.min_public_count,
    )


@bp.route("/map/frame")
def map_frame():
    """The public map document alone (for the frame on /map and for embedding elsewhere)."""
    filters = _map_filters()
    colour = map_views.colour_choice(request.args.get("colour"))
    # Until the data changes, the same request gets the same document: kept by data version,
    # the gate's query is skipped too (see monitor.web.pagecache).
    kept = pagecache.cached(("public.map_frame", request.query_string),
                            lambda: _map_frame_parts(filters, colour))
    return map_views.document_response(str(kept["etag"]) or None,
                                       str(kept["document"]).encode("utf-8"), public=True)


def _map_frame_parts(filters: gate.PublicFilter, colour: str) -> dict[str, str]:
    settings = current_settings()
    facilities = gate.public_facilities(get_session(), settings, filters)
    # The country sums follow from the rows the gate returned: summed only for a new document.
    key, body = map_views.document_parts(
        _map_facilities(facilities),
        lambda: gate.country_figures(facilities, settings.min_public_count),
        colour=colour, public=True, minimum=settings.min_public_count, type_labels=TYPE_LABELS)
    return {"etag": key or "", "document": body.decode("utf-8")}


@bp.route("/map/outlines.json")
def map_outlines():
    """The country shapes the map documents draw, as one file browsers keep (no facility data)."""
    return map_views.outlines_response()


# --- Facility profiles and countries ----------------------------------------------------------


@bp.route("/facilities/<public_id>/profile")
def profile(public_id: str):
    """A facility's public profile: the registry record and its published visits only."""
    cited = gate.resolve_public_id(get_session(), public_id)
    if cited != public_id:  # merged or typed in lower case: send people to the id to cite
        return redirect(url_for(".profile", public_id=cited), code=301)
    body = pagecache.cached(("public.profile", cited), lambda: _profile_body(cited))
    return render_template("public/profile.html", body=body)


def _profile_body(cited: str) -> dict[str, str]:
    db = get_session()
    settings = current_settings()
    data = gate.public_profile(db, settings, cited)
    catalog = current_catalog()
    standards = catalog.standards
    top = [a for a in data.areas if a.area_id in standards.areas
           and standards.areas[a.area_id].is_top]
    order = {a.id: a.order for a in standards.top_areas()}
    top.sort(key=lambda a: order.get(a.area_id, 99))
    content = render_template(
        "public/_profile_body.html", profile=data, f=data.facility, areas=top,
        area_names=map_views.area_names(catalog), standards=standards.standards,
        flag_labels=map_views.red_flag_labels(catalog), type_labels=TYPE_LABELS,
        status_labels=STATUS_LABELS, operator_labels=OPERATOR_LABELS,
        data_as_of=gate.data_as_of(db, settings), today=today(),
        cite_url=url_for(".profile", public_id=cited, _external=True),
        minimum=settings.min_public_count,
    )
    return {"title": data.facility.name, "content": content}


@bp.route("/countries/")
def countries():
    """Countries with facilities in the registry, with their public figures."""
    db = get_session()
    settings = current_settings()
    figures = gate.country_figures(gate.public_facilities(db, settings),
                                   settings.min_public_count)
    figures.sort(key=lambda c: country_name(c.iso3))
    return render_template("public/countries.html", countries=figures,
                           data_as_of=gate.data_as_of(db, settings))


@bp.route("/countries/<iso3>")
def country(iso3: str):
    """One country: its facilities (visited or not), totals and red flags."""
    code = iso3.strip().upper()
    if code != iso3:
        return redirect(url_for(".country", iso3=code), code=301)
    if not is_country(code):
        raise RecordNotFound(_("'%(code)s' is not an ISO 3166-1 alpha-3 country code.", code=iso3))
    db = get_session()
    settings = current_settings()
    facilities = gate.public_facilities(db, settings, gate.PublicFilter(country=code),
                                        with_other_names=True)
    summary = next(iter(gate.country_figures(facilities, settings.min_public_count)), None)
    return render_template(
        "public/country.html", iso3=code, facilities=facilities, summary=summary,
        flag_labels=map_views.red_flag_labels(current_catalog()), type_labels=TYPE_LABELS,
        status_labels=STATUS_LABELS, data_as_of=gate.data_as_of(db, settings),
        minimum=settings.min_public_count,
    )


# --- Open data --------------------------------------------------------------------------------


@bp.route("/data")
def data():
    """The open-data downloads and the data dictionary of each file."""
    settings = current_settings()
    return render_template(
        "public/data.html", datasets=gate.DATASETS, downloads=DOWNLOADS,
        data_as_of=gate.data_as_of(get_session(), settings),
        minimum=settings.min_public_count, delay=settings.publication_delay_days,
        language=map_views.language(),
    )


def _profile_url(public_id: str) -> str:
    return url_for("public.profile", public_id=public_id, _external=True)


@bp.route("/data/<filename>")
def download(filename: str):
    """One open-data file (CSV or GeoJSON), built from published visits only."""
    if filename not in DOWNLOADS:
        raise RecordNotFound(_("There is no open-data file '%(name)s'; the files are listed "
                               "at %(page)s.", name=filename, page=url_for('.data')))
    db = get_session()
    settings = current_settings()
    if filename == "facilities.geojson":
        facilities = gate.public_facilities(db, settings, with_other_names=True)
        body = json.dumps(gate.facilities_geojson(facilities, _profile_url), ensure_ascii=False)
        return _attachment(Response(body, mimetype="application/geo+json"), filename)
    if filename == "facilities.csv":
        facilities = gate.public_facilities(db, settings, with_other_names=True)
        rows: Iterable[Sequence[Any]] = gate.facility_rows(facilities, _profile_url)
        columns = [c.name for c in gate.FACILITY_COLUMNS]
    elif filename == "visit-summaries.csv":
        rows, columns = gate.summary_rows(db, settings), [c.name for c in gate.SUMMARY_COLUMNS]
    else:
        rows = gate.finding_rows(db, settings, current_catalog().standards)
        columns = [c.name for c in gate.FINDING_COLUMNS]
    stream = stream_with_context(_csv_lines(columns, rows))
    return _attachment(Response(stream, mimetype="text/csv"), filename)


def _attachment(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _csv_lines(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text a few hundred rows at a time (with a BOM, so spreadsheets read UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(value) for value in row])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
