"""Interviews of a visit: recorded apart from the checklist, anonymised, consent first.

Only the visit team and coordinators of the organisation see them (``interview.view`` and
``interview.edit`` in the permission matrix). Notes are decrypted only to fill the edit form.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from monitor.core.errors import InputError
from monitor.db.models import Interview, InterviewKind
from monitor.services import interviews as interview_service
from monitor.services import permissions
from monitor.services import visits as visit_service
from monitor.web.auth import login_required
from monitor.web.context import current_vault
from monitor.web.db import get_session
from monitor.web.forms.visit import KIND_LABELS, URGENCY_LABELS, ActionForm, InterviewForm
from monitor.web.i18n import localise

bp = Blueprint("interviews", __name__, url_prefix="/visits/<int:visit_id>/interviews")


def _visit(visit_id: int, action: str):
    return visit_service.get_visit(get_session(), visit_id, g.user, action)


@bp.route("/")
@login_required
def index(visit_id: int):
    """The visit's interviews (codes, kinds, consents; never the notes)."""
    visit = _visit(visit_id, "interview.view")
    rows = interview_service.list_interviews(get_session(), visit, by=g.user)
    return render_template("interviews/index.html", visit=visit, interviews=rows,
                           kind_labels=KIND_LABELS, urgency_labels=URGENCY_LABELS,
                           can_edit=permissions.can(g.user, "interview.edit", visit))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create(visit_id: int):
    """Record an interview."""
    db = get_session()
    visit = _visit(visit_id, "interview.edit")
    form = InterviewForm()
    if form.validate_on_submit():
        try:
            interview = interview_service.create_interview(db, visit, _data(form), by=g.user,
                                                           vault=current_vault())
        except InputError as error:
            flash(localise(error), "error")
        else:
            db.commit()
            _warn_referral(form)
            flash(_("Interview %(code)s recorded.", code=interview.code), "success")
            return redirect(url_for(".index", visit_id=visit.id))
    status = 422 if request.method == "POST" else 200
    return render_template("interviews/form.html", visit=visit, form=form, interview=None,
                           suggested=interview_service.next_code(db, visit, _kind_of(form))), status


@bp.route("/<int:interview_id>", methods=["GET", "POST"])
@login_required
def edit(visit_id: int, interview_id: int):
    """Change an interview; the notes are shown decrypted only here."""
    db = get_session()
    visit = _visit(visit_id, "interview.edit")
    interview = interview_service.get_interview(db, visit, interview_id, by=g.user,
                                                action="interview.edit")
    form = InterviewForm(data=_form_data(interview) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changed = interview_service.update_interview(db, interview, _data(form), by=g.user,
                                                         vault=current_vault())
        except InputError as error:
            db.rollback()
            flash(localise(error), "error")
        else:
            db.commit()
            _warn_referral(form)
            flash(_("Saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for(".index", visit_id=visit.id))
    status = 422 if request.method == "POST" else 200
    return render_template("interviews/form.html", visit=visit, form=form, interview=interview,
                           delete_form=ActionForm(), suggested=None), status


@bp.route("/<int:interview_id>/delete", methods=["POST"])
@login_required
def delete(visit_id: int, interview_id: int):
    """Delete an interview and its notes."""
    db = get_session()
    visit = _visit(visit_id, "interview.edit")
    if not ActionForm().validate_on_submit():
        abort(400)
    interview = interview_service.get_interview(db, visit, interview_id, by=g.user,
                                                action="interview.edit")
    code = interview.code
    interview_service.delete_interview(db, interview, by=g.user)
    db.commit()
    flash(_("Interview %(code)s and its notes were deleted.", code=code), "success")
    return redirect(url_for(".index", visit_id=visit.id))


def _kind_of(form: InterviewForm) -> InterviewKind:
    try:
        return InterviewKind(form.kind.data)
    except ValueError:
        return InterviewKind.INDIVIDUAL


def _data(form: InterviewForm) -> interview_service.InterviewData:
    return interview_service.InterviewData(
        kind=form.kind.data, code=form.code.data, language=form.language.data,
        interpreter=form.interpreter.data, consent_interview=form.consent_interview.data,
        consent_quote=form.consent_quote.data, consent_referral=form.consent_referral.data,
        consent_photo=form.consent_photo.data, notes=form.notes.data,
        follow_up=form.follow_up.data, urgency=form.urgency.data,
    )


def _form_data(interview: Interview) -> dict:
    return {
        "code": interview.code, "kind": interview.kind.value, "language": interview.language,
        "interpreter": interview.interpreter, "consent_interview": interview.consent_interview,
        "consent_quote": interview.consent_quote, "consent_referral": interview.consent_referral,
        "consent_photo": interview.consent_photo,
        "notes": interview_service.read_notes(interview, current_vault()),
        "follow_up": interview.follow_up, "urgency": interview.urgency.value,
    }


def _warn_referral(form: InterviewForm) -> None:
    if form.follow_up.data and not form.consent_referral.data:
        flash(_("A follow-up is recorded without the person's consent to be referred: refer "
                "them only with consent, unless their life or health is at immediate risk."),
              "warning")
