"""Report downloads: internal reports for people with ``report.internal``, public editions for
every signed-in person, and the blank checklist as a PDF.

Building a PDF takes seconds (WeasyPrint renders about 5-10 pages a second), so nothing here is
open to anonymous visitors: public editions for the world are written with
`monitor report … --public` (or `monitor report facilities --public`) and published as files.
Large batches belong to that command, not to a request.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Response, current_app, g, request
from flask_babel import get_locale
from flask_babel import gettext as _
from jinja2 import TemplateNotFound

from monitor.core import paths
from monitor.core.errors import InputError, RecordNotFound
from monitor.db.models import Visit
from monitor.services import permissions, report_data
from monitor.services.facilities import get_facility
from monitor.services.visits import get_visit
from monitor.web.auth import login_required
from monitor.web.context import current_catalog, current_settings
from monitor.web.db import get_session

bp = Blueprint("reports", __name__)
#: Links to the app's own static files, made relative to the static folder for WeasyPrint.
_STATIC_LINK = re.compile(r'''((?:href|src)\s*=\s*["'])/static/''')


def _format() -> str:
    """pdf or html, from the address asked for (``report.pdf`` / ``report.html``)."""
    return "html" if request.path.endswith(".html") else "pdf"


@bp.route("/visits/<int:visit_id>/report.pdf")
@bp.route("/visits/<int:visit_id>/report.html")
@login_required
def visit(visit_id: int):
    """The internal (confidential) report of a visit of the person's organisation."""
    permissions.require(g.user, "report.internal")
    db = get_session()
    data = report_data.visit_report(db, get_visit(db, visit_id, g.user),
                                    settings=current_settings(), catalog=current_catalog(),
                                    language=_language())
    return _send(data, f"visit-{visit_id}")


@bp.route("/visits/<int:visit_id>/public-report.pdf")
@bp.route("/visits/<int:visit_id>/public-report.html")
@login_required
def public_visit(visit_id: int):
    """The public edition of a published visit's report."""
    db = get_session()
    settings = current_settings()
    # The same answer for a missing and an unpublished visit.
    if not report_data.is_public_visit(db, visit_id, settings):
        raise RecordNotFound(_("There is no published visit %(id)s.", id=visit_id))
    data = report_data.visit_report(db, db.get(Visit, visit_id), settings=settings,
                                    catalog=current_catalog(), language=_language(), public=True)
    return _send(data, f"visit-{visit_id}-public")


@bp.route("/facilities/<public_id>/report.pdf")
@bp.route("/facilities/<public_id>/report.html")
@login_required
def facility(public_id: str):
    """The internal compliance report of a facility, from the organisation's own visits."""
    permissions.require(g.user, "report.internal")
    db = get_session()
    data = report_data.facility_report(
        db, get_facility(db, public_id), settings=current_settings(),
        catalog=current_catalog(), language=_language(), period=_period(required=False),
        organisation_id=g.user.organisation_id)
    return _send(data, f"facility-{data.facility.public_id}")


@bp.route("/facilities/<public_id>/public-report.pdf")
@bp.route("/facilities/<public_id>/public-report.html")
@login_required
def public_facility(public_id: str):
    """The public edition of a facility's compliance report (published visits only)."""
    db = get_session()
    data = report_data.facility_report(
        db, get_facility(db, public_id), settings=current_settings(),
        catalog=current_catalog(), language=_language(), public=True,
        period=_period(required=False))
    return _send(data, f"facility-{data.facility.public_id}-public")


@bp.route("/reports/thematic.pdf")
@bp.route("/reports/thematic.html")
@login_required
def thematic():
    """A thematic report: ?theme=…&country=ISO3&from=YYYY-MM-DD&to=YYYY-MM-DD.

    Internal (the organisation's own visits, needs ``report.internal``) unless ``public=1``.
    """
    public = request.args.get("public") == "1"
    if not public:
        permissions.require(g.user, "report.internal")
    data = report_data.thematic_report(
        get_session(), request.args.get("theme", ""), country=request.args.get("country", ""),
        period=_period(required=True), settings=current_settings(), catalog=current_catalog(),
        language=_language(), public=public,
        organisation_id=None if public else g.user.organisation_id)
    return _send(data, f"thematic-{data.theme_id}-{data.country}" + ("-public" if public else ""))


@bp.route("/checklists/<checklist_id>/<int:version>/print.pdf")
@login_required
def checklist_pdf(checklist_id: str, version: int):
    """The blank paper checklist (the printable page) as a PDF."""
    view = current_app.view_functions.get("paper.print_checklist")
    if view is None:
        raise RecordNotFound(_("The printable checklist is not available in this installation."))
    try:
        html = view(checklist_id=checklist_id, version=version)
    except TemplateNotFound:
        raise RecordNotFound(_("The printable checklist template (templates/visits/print.html) "
                               "is missing.")) from None
    if not isinstance(html, str):  # e.g. a redirect: pass it on
        return html
    html = _STATIC_LINK.sub(r"\1", html)
    from monitor.outputs import reports  # WeasyPrint: loaded by the workers that render

    pdf = reports.render_pdf(html, paths.STATIC,
                             stylesheets=[reports.paper_stylesheet(_language())])
    return _pdf_response(pdf, f"checklist-{checklist_id}-v{version}", private=False)


def _send(data, name: str) -> Response:
    fmt = _format()
    from monitor.outputs import reports

    built = reports.build(data, fmt=fmt)
    db = get_session()
    report_data.record_generation(db, data, fmt=fmt, by=g.get("user"))
    db.commit()
    if fmt == "html":
        return Response(built.html, mimetype="text/html")
    return _pdf_response(built.pdf or b"", name, private=not data.header.public)


def _pdf_response(pdf: bytes, name: str, *, private: bool) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    response.headers["Cache-Control"] = "no-store" if private else "public, max-age=300"
    return response


def _language() -> str:
    language = request.args.get("lang") or str(get_locale() or "en")
    return report_data.check_language(language, current_catalog().standards.languages)


def _period(*, required: bool) -> report_data.Period:
    start, end = (_day(request.args.get(name), name) for name in ("from", "to"))
    if required and (start is None or end is None):
        raise InputError(_("Give the period as ?from=YYYY-MM-DD&to=YYYY-MM-DD."))
    return report_data.Period(start, end)


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(_("'%(name)s' must be a date written YYYY-MM-DD, not '%(text)s'.",
                           name=name, text=text)) from None
