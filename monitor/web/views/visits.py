"""Visits: open one, fill it in section by section, submit, review, publish.

Answers are saved through one path (:func:`monitor.web.capture.save_section`) whether the page
was posted by the browser (no script), by the page script's autosave, or from the conflict
view; skip logic and constraints are therefore enforced on the server for all three.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from monitor.core.errors import InputError, RecordNotFound
from monitor.db.models import Role, User, Visit, VisitState
from monitor.services import facilities as registry
from monitor.services import permissions, recommendations
from monitor.services import visits as visit_service
from monitor.services.findings import IncompleteVisit, submit_and_evaluate
from monitor.web import capture
from monitor.web.auth import login_required, roles_required
from monitor.web.context import current_catalog, current_vault
from monitor.web.db import get_session
from monitor.web.forms.admin import ROLE_LABELS
from monitor.web.forms.visit import (
    SCOPE_LABELS,
    AcceptForm,
    ActionForm,
    NewVisitForm,
    ReturnForm,
    answers_from_form,
    section_questions,
)
from monitor.web.i18n import localise

logger = logging.getLogger(__name__)
bp = Blueprint("visits", __name__, url_prefix="/visits")
CREATORS = (Role.ADMIN, Role.COORDINATOR, Role.MONITOR)


def _language() -> str:
    return str(get_locale() or "en")


def _load(visit_id: int, action: str = "visit.view"):
    """Return the visit (404 when not visible to this person) and its checklist."""
    visit = visit_service.get_visit(get_session(), visit_id, g.user, action)
    checklist = current_catalog().get(visit.checklist_id, visit.checklist_version)
    return visit, checklist


@bp.route("/")
@login_required
def index():
    """The visits of the person's organisation, newest first."""
    rows = get_session().scalars(
        select(Visit).where(Visit.organisation_id == g.user.organisation_id)
        .order_by(Visit.start_date.desc(), Visit.id.desc()).limit(300)).all()
    return render_template("visits/index.html", visits=rows, scope_labels=SCOPE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*CREATORS)
def create():
    """Open a draft visit of a facility."""
    db = get_session()
    catalog = current_catalog()
    prefilled = {"facility": request.args.get("facility", "")} if request.method == "GET" else None
    form = NewVisitForm(checklists=catalog.latest(), team_choices=_team_choices(db),
                        language=_language(), data=prefilled)
    facility = _facility_or_none(db, form.facility.data)
    if form.validate_on_submit():
        try:
            visit, added = _create_visit(db, form, facility)
        except (InputError, RecordNotFound) as error:
            flash(localise(error), "error")
        else:
            db.commit()
            flash(_("Visit opened as a draft."), "success")
            if added:
                flash(_("Also included, because the chosen sections depend on its answers: %(s)s.",
                        s=", ".join(added)), "info")
            return redirect(url_for(".show", visit_id=visit.id))
    status = 422 if request.method == "POST" else 200
    return render_template("visits/new.html", form=form, facility=facility), status


def _create_visit(db, form: NewVisitForm, facility) -> tuple[Visit, list[str]]:
    if facility is None:
        raise RecordNotFound(_("There is no facility %(id)s: check the public id on the "
                               "facility page.", id=form.facility.data))
    checklist_id, version = form.checklist_key()
    checklist = current_catalog().get(checklist_id, version)
    chosen = list(form.sections.data or []) if form.scope.data != "full" else []
    sections, added = capture.with_dependencies(checklist, chosen)
    team = [db.get(User, uid) for uid in form.team.data or []]
    team = [u for u in team if u is not None and u.organisation_id == g.user.organisation_id]
    previous = next((v for v in visit_service.visits_of_facility(db, facility.id, g.user)
                     if v.state not in visit_service.EDITABLE), None)
    visit = visit_service.create_visit(
        db, facility=facility, by=g.user, checklist=checklist, start_date=form.start_date.data,
        end_date=form.end_date.data, scope=form.scope.data, announced=form.announced.data == "yes",
        sections=sections or None, team=team, previous_visit=previous)
    titles = [checklist.section_by_id[s].title.get(_language()) for s in added]
    return visit, titles


def _facility_or_none(db, public_id: str | None):
    if not public_id or not public_id.strip():
        return None
    try:
        return registry.get_facility(db, public_id.strip())
    except RecordNotFound:
        return None


def _team_choices(db) -> list[tuple[int, str]]:
    users = db.scalars(select(User).where(
        User.organisation_id == g.user.organisation_id, User.is_active.is_(True),
        User.role.in_([Role.ADMIN, Role.COORDINATOR, Role.MONITOR]), User.id != g.user.id)
        .order_by(User.name)).all()
    return [(u.id, f"{u.name} ({ROLE_LABELS[u.role]})") for u in users]


@bp.route("/<int:visit_id>")
@login_required
def show(visit_id: int):
    """The visit page: progress per section, open recommendations, review and publication."""
    visit, checklist = _load(visit_id)
    return render_template("visits/show.html", **_show_context(visit, checklist))


def _show_context(visit: Visit, checklist, **extra: Any) -> dict[str, Any]:
    db = get_session()
    values = visit_service.current_answers(visit, current_vault())
    evaluation = capture.evaluate_values(checklist, values, visit)
    user = g.user
    open_recs = []
    if visit.scope.value == "follow_up":
        open_recs = [r for r in recommendations.open_for_facility(db, visit.facility_id)
                     if r.visit_id != visit.id and _may_see_visit(db, r.visit_id)]
    context = {
        "visit": visit, "checklist": checklist, "scope_labels": SCOPE_LABELS,
        "progress": capture.progress(checklist, visit, values, evaluation.relevant),
        "open_recommendations": open_recs,
        "members": [m.user for m in visit.members],
        "previous": db.get(Visit, visit.previous_visit_id) if visit.previous_visit_id else None,
        "can": {action: permissions.can(user, action, visit) for action in (
            "visit.edit", "visit.submit", "visit.review", "visit.publish", "visit.unpublish",
            "interview.view")},
        "editable": visit.state in visit_service.EDITABLE,
        "return_form": ReturnForm(prefix="return"), "accept_form": AcceptForm(prefix="accept"),
        "action_form": ActionForm(), "missing": [], "invalid": [],
    }
    context.update(extra)
    return context


def _may_see_visit(db, visit_id: int) -> bool:
    other = db.get(Visit, visit_id)
    return other is not None and (other.state is VisitState.PUBLISHED
                                  or permissions.can(g.user, "visit.view", other))


# -- filling in a section -----------------------------------------------------------------------


@bp.route("/<int:visit_id>/sections/<section_id>", methods=["GET", "POST"])
@login_required
def section(visit_id: int, section_id: str):
    """One top-level section of the checklist; posting saves a draft (works without script)."""
    visit, checklist = _load(visit_id)
    top = capture.top_section(checklist, visit, section_id)
    if request.method == "GET":
        context = capture.section_context(visit, checklist, top)
        return render_template("visits/section.html", **context)
    permissions.require(g.user, "visit.edit", visit)
    posted = capture.posted_state(request.form)
    raw = answers_from_form(request.form, section_questions(top))
    result = capture.save_section(get_session(), visit, checklist, top, raw, posted.base,
                                  posted.version, by=g.user, language=_language())
    if result.conflict is not None:
        return _conflict_page(visit, checklist, top, result)
    if result.errors:
        context = capture.section_context(visit, checklist, top, evaluation=result.evaluation,
                                          errors=result.errors, typed=result.rejected_raw)
        return render_template("visits/section.html", **context), 422
    flash(_saved_message(len(result.saved)), "success")
    return redirect(_after_save(visit, checklist, top, request.form.get("action", "save")))


def _saved_message(count: int) -> str:
    if count == 0:
        return _("Nothing had changed; the draft is as it was.")
    return ngettext("Saved (%(num)d answer changed).", "Saved (%(num)d answers changed).", count)


def _after_save(visit: Visit, checklist, top, action: str) -> str:
    if action == "next":
        following = capture.neighbour(checklist, visit, top.id, +1)
        if following is not None:
            return url_for(".section", visit_id=visit.id, section_id=following.id)
    if action in ("next", "done"):
        return url_for(".show", visit_id=visit.id)
    return url_for(".section", visit_id=visit.id, section_id=top.id)


@bp.route("/<int:visit_id>/sections/<section_id>/autosave", methods=["POST"])
def autosave(visit_id: int, section_id: str):
    """Save what the page script sends; answer with skip logic, computed values and errors."""
    if g.get("user") is None:
        return _json({"error": _("Your session has expired. Sign in again; your answers are "
                                 "kept in this browser until they are saved.")}, 401)
    visit, checklist = _load(visit_id, "visit.edit")
    top = capture.top_section(checklist, visit, section_id)
    posted = capture.posted_state(request.form)
    raw = answers_from_form(request.form, section_questions(top))
    result = capture.save_section(get_session(), visit, checklist, top, raw, posted.base,
                                  posted.version, by=g.user, language=_language())
    if result.conflict is not None:
        return _json({"error": localise(result.conflict), "version": result.conflict.version,
                      "conflicts": [c.question_id for c in result.conflict.conflicts]}, 409)
    return _json(capture.autosave_payload(visit, checklist, top, result), 200)


def _json(payload: dict[str, Any], status: int):
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # answers may be confidential
    return response


@bp.route("/<int:visit_id>/sections/<section_id>/resolve", methods=["POST"])
@login_required
def resolve(visit_id: int, section_id: str):
    """Save the choices made on the conflict page: for each question, theirs or mine."""
    visit, checklist = _load(visit_id, "visit.edit")
    top = capture.top_section(checklist, visit, section_id)
    try:
        pending = json.loads(request.form.get("pending", "{}"))
        current = json.loads(request.form.get("current", "{}"))
        version = int(request.form.get("lock_version", ""))
    except ValueError:
        abort(400)
    if not isinstance(pending, dict) or not isinstance(current, dict):
        abort(400)
    raw = {qid: value for qid, value in pending.items()
           if request.form.get(f"keep_{qid}", "mine") != "theirs"}
    result = capture.save_section(get_session(), visit, checklist, top, raw, current, version,
                                  by=g.user, language=_language())
    if result.conflict is not None:
        return _conflict_page(visit, checklist, top, result)
    if result.errors:
        context = capture.section_context(visit, checklist, top, evaluation=result.evaluation,
                                          errors=result.errors, typed=result.rejected_raw)
        return render_template("visits/section.html", **context), 422
    flash(_saved_message(len(result.saved)), "success")
    return redirect(url_for(".section", visit_id=visit.id, section_id=top.id))


def _conflict_page(visit: Visit, checklist, top, result: capture.SaveOutcome):
    context = capture.conflict_context(visit, checklist, top, result, _language())
    return render_template("visits/conflict.html", **context), 409


# -- submit, review, publish --------------------------------------------------------------------


@bp.route("/<int:visit_id>/submit", methods=["POST"])
@login_required
def submit(visit_id: int):
    """Validate the whole visit and close it for editing, or list what is missing."""
    visit, checklist = _load(visit_id, "visit.submit")
    if not ActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    try:
        submit_and_evaluate(db, visit, by=g.user, catalog=current_catalog(), vault=current_vault())
    except IncompleteVisit as error:
        db.rollback()
        visit, checklist = _load(visit_id)
        missing = capture.question_links(checklist, visit, error.missing, {})
        invalid = capture.question_links(
            checklist, visit, list(error.invalid),
            capture.constraint_messages(checklist, list(error.invalid), _language()))
        context = _show_context(visit, checklist, missing=missing, invalid=invalid)
        return render_template("visits/show.html", **context), 422
    db.commit()
    logger.info("visit %s submitted", visit.id)
    flash(_("Submitted. A coordinator will review the visit."), "success")
    return redirect(url_for(".show", visit_id=visit.id))


@bp.route("/<int:visit_id>/return", methods=["POST"])
@login_required
def return_to_team(visit_id: int):
    """Send a submitted visit back to its team with comments."""
    visit, checklist = _load(visit_id, "visit.review")
    form = ReturnForm(prefix="return")
    if not form.validate_on_submit():
        context = _show_context(visit, checklist, return_form=form)
        return render_template("visits/show.html", **context), 422
    db = get_session()
    visit_service.return_visit(db, visit, by=g.user, comment=form.comment.data)
    db.commit()
    flash(_("Returned to the team with your comments."), "success")
    return redirect(url_for(".show", visit_id=visit.id))


@bp.route("/<int:visit_id>/accept", methods=["POST"])
@login_required
def accept(visit_id: int):
    """Accept a submitted visit after review (not by its author)."""
    visit, checklist = _load(visit_id, "visit.review")
    form = AcceptForm(prefix="accept")
    if not form.validate_on_submit():
        context = _show_context(visit, checklist, accept_form=form)
        return render_template("visits/show.html", **context), 422
    db = get_session()
    visit_service.accept_visit(db, visit, by=g.user, comment=form.comment.data or "")
    db.commit()
    flash(_("Accepted. The visit can now be published."), "success")
    return redirect(url_for(".show", visit_id=visit.id))


@bp.route("/<int:visit_id>/publish", methods=["POST"])
@login_required
def publish(visit_id: int):
    """Publish a reviewed visit's vetted findings."""
    visit, _checklist = _load(visit_id, "visit.publish")
    if not ActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    visit_service.publish_visit(db, visit, by=g.user)
    db.commit()
    flash(_("Published. Public pages, maps and open data now include this visit."), "success")
    return redirect(url_for(".show", visit_id=visit.id))


@bp.route("/<int:visit_id>/unpublish", methods=["POST"])
@login_required
def unpublish(visit_id: int):
    """Withdraw a visit from every public page at once."""
    visit, _checklist = _load(visit_id, "visit.unpublish")
    if not ActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    visit_service.unpublish_visit(db, visit, by=g.user, reason=request.form.get("reason", ""))
    db.commit()
    flash(_("Withdrawn from public pages."), "success")
    return redirect(url_for(".show", visit_id=visit.id))
