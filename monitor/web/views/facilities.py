"""The facility registry: list and search, create, edit, merge, facility page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from monitor.core.errors import InputError, RecordNotFound
from monitor.db.models import Role
from monitor.services import facilities as registry
from monitor.services import recommendations
from monitor.services import visits as visit_service
from monitor.web.auth import login_required, roles_required
from monitor.web.context import current_catalog
from monitor.web.db import get_session
from monitor.web.forms.facility import (
    OPERATOR_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    FacilityForm,
    MergeForm,
)
from monitor.web.i18n import localise

bp = Blueprint("facilities", __name__, url_prefix="/facilities")
PAGE_SIZE = 50
EDITORS = (Role.ADMIN, Role.COORDINATOR, Role.MONITOR)


@bp.route("/")
@login_required
def index():
    """List facilities with search (accent-insensitive, aliases included) and filters."""
    filters = registry.FacilityFilter(
        text=request.args.get("q", ""),
        country=request.args.get("country") or None,
        type=request.args.get("type") or None,
        status=request.args.get("status") or None,
        operator=request.args.get("operator") or None,
    )
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = registry.search_facilities(get_session(), filters, limit=PAGE_SIZE,
                                             offset=(page - 1) * PAGE_SIZE)
    return render_template(
        "facilities/index.html", facilities=rows, total=total, filters=filters, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), countries=registry.country_choices(),
        type_labels=TYPE_LABELS, status_labels=STATUS_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create():
    """Add a facility to the registry."""
    form = FacilityForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            facility = registry.create_facility(db, form.to_data(), by=g.user, source="manual entry")
        except InputError as error:
            flash(localise(error), "error")
        else:
            db.commit()
            flash(_("Facility %(name)s added as %(id)s.", name=facility.name, id=facility.public_id), "success")
            return redirect(url_for(".show", public_id=facility.public_id))
    status = 422 if request.method == "POST" else 200
    return render_template("facilities/form.html", form=form, facility=None), status


@bp.route("/<public_id>")
@login_required
def show(public_id: str):
    """The facility page: details, small map, visits."""
    facility = registry.get_facility(get_session(), public_id)
    if facility.public_id != public_id.upper():  # merged: send people to the record kept
        return redirect(url_for(".show", public_id=facility.public_id), code=301)
    db = get_session()
    return render_template(
        "facilities/show.html", facility=facility, type_labels=TYPE_LABELS,
        status_labels=STATUS_LABELS, operator_labels=OPERATOR_LABELS,
        merge_form=MergeForm(), visits=visit_service.visits_of_facility(db, facility.id, g.user),
        recommendations=recommendations.for_facility(db, facility.id),
        age_days=recommendations.age_days, is_overdue=recommendations.is_overdue,
        standards=current_catalog().standards,
        follow_up_statuses=[s.value for s in recommendations.FOLLOW_UP_STATUSES],
    )


@bp.route("/<public_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(public_id: str):
    """Change a facility's details."""
    db = get_session()
    facility = registry.get_facility(db, public_id)
    form = FacilityForm(obj=None, data=_form_data(facility) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changed = registry.update_facility(db, facility, form.to_data(), by=g.user)
        except InputError as error:
            flash(localise(error), "error")
        else:
            db.commit()
            flash(_("Saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for(".show", public_id=facility.public_id))
    status = 422 if request.method == "POST" else 200
    return render_template("facilities/form.html", form=form, facility=facility), status


@bp.route("/<public_id>/merge", methods=["POST"])
@roles_required(Role.ADMIN, Role.COORDINATOR)
def merge(public_id: str):
    """Merge this facility (a duplicate) into another; its id will redirect there."""
    db = get_session()
    duplicate = registry.get_facility(db, public_id)
    form = MergeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        keep = registry.get_facility(db, form.keep.data.strip())
        registry.merge_facilities(db, duplicate, keep, by=g.user)
    except (InputError, RecordNotFound) as error:
        flash(localise(error), "error")
        return redirect(url_for(".show", public_id=duplicate.public_id))
    db.commit()
    flash(_("%(dup)s was merged into %(keep)s.", dup=duplicate.public_id, keep=keep.public_id), "success")
    return redirect(url_for(".show", public_id=keep.public_id))


def _form_data(facility) -> dict:
    data = registry.data_of(facility)
    return {
        "name": data.name, "country": data.country, "type": data.type,
        "admin_area": data.admin_area, "locality": data.locality, "latitude": data.latitude,
        "longitude": data.longitude, "operator_kind": data.operator_kind,
        "operator_name": data.operator_name, "capacity": data.capacity, "status": data.status,
        "notes": data.notes, "other_names": "\n".join(data.other_names),
    }

