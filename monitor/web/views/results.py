"""A visit's results (findings, red flags, scores) and its recommendations."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from monitor.compliance.stored import finding_sentence
from monitor.core.errors import InputError, InvalidState
from monitor.db.models import Recommendation, RecommendationStatus, VisitState
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
    return _render(visit)


def _render(visit, *, kept: dict | None = None, status: int = 200):
    """The results page; *kept* holds what was typed into a suggestion's form that was refused."""
    db = get_session()
    catalog = current_catalog()
    checklist = catalog.get(visit.checklist_id, visit.checklist_version)
    language = str(get_locale() or "en")
    recs = list(db.scalars(select(Recommendation).where(
        Recommendation.visit_id == visit.id,
        Recommendation.status != RecommendationStatus.SUGGESTED).order_by(Recommendation.id)))
    page = render_template(
        "results/visit.html", visit=visit, results=visit_results(db, visit, catalog.standards),
        standards=catalog.standards, checklist=checklist, recommendations=recs,
        suggestions=recommendations.suggestions(db, visit, catalog, language),
        dismissed=recommendations.dismissed(db, visit), kept=kept or {},
        finding_text=lambda finding: finding_sentence(finding, catalog.standards, language),
        flag_defs={flag.id: flag for flag in checklist.red_flags},
        can_edit_recs=permissions.can(g.user, "recommendation.edit", visit),
        priorities=[p.value for p in Priority], today=date.today(),
        follow_up_statuses=[s.value for s in FOLLOW_UP_STATUSES],
    )
    return page, status


@bp.route("/visits/<int:visit_id>/suggestions/<standard_id>", methods=["POST"])
@login_required
def suggestion(visit_id: int, standard_id: str):
    """Confirm (with the team's edits), discard, or bring back a suggested recommendation."""
    db = get_session()
    visit = get_visit(db, visit_id, g.user)
    catalog = current_catalog()
    action = request.form.get("action", "confirm")
    try:
        if action == "discard":
            recommendations.dismiss_suggestion(db, visit, standard_id, catalog=catalog, by=g.user)
            message, anchor = _("Suggestion discarded."), "#suggestions"
        elif action == "restore":
            recommendations.restore_suggestion(db, visit, standard_id, by=g.user)
            message, anchor = _("The suggestion is offered again."), f"#sugg-{standard_id}"
        else:
            recommendations.confirm_suggestion(db, visit, standard_id, _draft_from_form(),
                                               catalog=catalog, by=g.user)
            message, anchor = _("Recommendation saved."), "#recommendations"
    except InputError as error:
        # The page again, with what was typed kept in the form and the reason beside it.
        db.rollback()
        typed = {key: request.form.get(key, "") for key in ("text", "addressee", "priority",
                                                             "due_date")}
        return _render(get_visit(db, visit_id, g.user),
                       kept={standard_id: {**typed, "error": localise(error)}}, status=422)
    except InvalidState as error:  # decided meanwhile (a second click, another team member)
        db.rollback()
        flash(localise(error), "error")
        return redirect(url_for(".show", visit_id=visit_id) + "#recommendations")
    db.commit()
    flash(message, "success" if action == "confirm" else "info")
    return redirect(url_for(".show", visit_id=visit_id) + anchor)


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
    """Save edits to a confirmed recommendation (its text, addressee, priority, due date)."""
    db = get_session()
    rec = db.get(Recommendation, rec_id) or abort(404)
    get_visit(db, rec.visit_id, g.user)  # visibility first: 404 for other organisations
    try:
        recommendations.confirm(db, rec, _draft_from_form(rec), by=g.user)
    except InputError as error:
        flash(localise(error), "error")
        return redirect(url_for(".show", visit_id=rec.visit_id) + f"#rec-{rec_id}")
    db.commit()
    flash(_("Recommendation saved."), "success")
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
