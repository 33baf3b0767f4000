"""A visit's results (findings, red flags, scores) and its recommendations."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from monitor.core.errors import InputError
from monitor.db.models import Recommendation, VisitState
from monitor.db.models.recommendation import Priority
from monitor.services import permissions, recommendations
from monitor.services.recommendations import FOLLOW_UP_STATUSES
from monitor.services.results import visit_results
from monitor.services.visits import get_visit
from monitor.web.auth import login_required, safe_next
from monitor.web.context import current_catalog
from monitor.web.db import get_session
from monitor.web.i18n import localise

bp = Blueprint("results", __name__)


@bp.route("/visits/<int:visit_id>/results")
@login_required
def show(visit_id: int):
    """Findings grouped by area, red flags first, compared with the previous visit."""
    db = get_session()
    visit = get_visit(db, visit_id, g.user)
    if visit.state in (VisitState.DRAFT, VisitState.RETURNED):
        flash(_("Results appear once the visit is submitted."), "info")
    catalog = current_catalog()
    checklist = catalog.get(visit.checklist_id, visit.checklist_version)
    recs = list(db.scalars(select(Recommendation).where(Recommendation.visit_id == visit.id)
                           .order_by(Recommendation.id)))
    return render_template(
        "results/visit.html", visit=visit, results=visit_results(db, visit, catalog.standards),
        standards=catalog.standards, checklist=checklist, recommendations=recs,
        flag_defs={flag.id: flag for flag in checklist.red_flags},
        can_edit_recs=permissions.can(g.user, "recommendation.edit", visit),
        priorities=[p.value for p in Priority], today=date.today(),
        follow_up_statuses=[s.value for s in FOLLOW_UP_STATUSES],
    )


def _draft_from_form(rec: Recommendation | None = None) -> recommendations.Draft:
    due = request.form.get("due_date") or None
    try:
        due_date = date.fromisoformat(due) if due else None
    except ValueError:
        raise InputError(_("The due date must be a date (YYYY-MM-DD).")) from None
    standards = request.form.get("standards", "").split() or (rec.standards if rec else [])
    return recommendations.Draft(
        text=request.form.get("text", ""), standards=standards,
        area_id=rec.area_id if rec else None, addressee=request.form.get("addressee"),
        priority=request.form.get("priority", "medium"), due_date=due_date)


@bp.route("/recommendations/<int:rec_id>/confirm", methods=["POST"])
@login_required
def confirm(rec_id: int):
    """Confirm (and edit) a suggested recommendation, or save edits to a confirmed one."""
    db = get_session()
    rec = db.get(Recommendation, rec_id) or abort(404)
    get_visit(db, rec.visit_id, g.user)  # visibility first: 404 for other organisations
    try:
        if request.form.get("action") == "discard":
            recommendations.discard(db, rec, by=g.user)
            flash(_("Suggestion discarded."), "info")
        else:
            recommendations.confirm(db, rec, _draft_from_form(rec), by=g.user)
            flash(_("Recommendation saved."), "success")
    except InputError as error:
        flash(localise(error), "error")
        return redirect(url_for(".show", visit_id=rec.visit_id) + f"#rec-{rec_id}")
    db.commit()
    return redirect(url_for(".show", visit_id=rec.visit_id) + "#recommendations")


@bp.route("/visits/<int:visit_id>/recommendations", methods=["POST"])
@login_required
def add(visit_id: int):
    """Write a recommendation by hand."""
    db = get_session()
    visit = get_visit(db, visit_id, g.user)
    try:
        recommendations.add(db, visit, _draft_from_form(), by=g.user)
    except InputError as error:
        flash(localise(error), "error")
        return redirect(url_for(".show", visit_id=visit_id) + "#new-recommendation")
    db.commit()
    flash(_("Recommendation added."), "success")
    return redirect(url_for(".show", visit_id=visit_id) + "#recommendations")


@bp.route("/recommendations/<int:rec_id>/follow-up", methods=["POST"])
@login_required
def follow_up(rec_id: int):
    """Record what became of a recommendation (status, dated note, authority's response)."""
    db = get_session()
    rec = db.get(Recommendation, rec_id) or abort(404)
    visit_id = request.form.get("visit_id", type=int)
    visit = get_visit(db, visit_id, g.user) if visit_id else get_visit(db, rec.visit_id, g.user)
    on = request.form.get("recorded_on") or None
    try:
        recommendations.record_follow_up(
            db, rec, status=request.form.get("status", ""), by=g.user,
            visit=visit if visit_id else None, note=request.form.get("note", ""),
            authority_response=request.form.get("authority_response", ""),
            on=date.fromisoformat(on) if on else None)
    except (InputError, ValueError) as error:
        flash(localise(error), "error")
    else:
        db.commit()
        flash(_("Follow-up recorded."), "success")
    return redirect(safe_next(request.form.get("back")) or url_for(".show", visit_id=rec.visit_id))
