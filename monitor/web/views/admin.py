"""Administration: accounts and the audit log (administrators only)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from monitor.core.errors import InputError, InvalidState
from monitor.db.models import Organisation, Role
from monitor.services import audit_log, permissions
from monitor.services import users as user_service
from monitor.web.auth import roles_required
from monitor.web.db import get_session
from monitor.web.forms.admin import ROLE_LABELS, ConfirmForm, NewUserForm, RoleForm
from monitor.web.i18n import localise

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE_SIZE = 50


@bp.before_request
@roles_required(Role.ADMIN)
def _admins_only() -> None:
    """Every page here is for administrators (403 for other roles, sign-in for the public)."""
    permissions.require(g.user, "users.manage")


# -- accounts -----------------------------------------------------------------------------------


@bp.route("/users")
def users():
    """Every account, with filters, and what can be done to each."""
    active = {"yes": True, "no": False}.get(request.args.get("active", ""))
    role = request.args.get("role") or None
    if role not in {r.value for r in Role}:
        role = None
    filters = user_service.UserFilter(text=request.args.get("q", ""), role=role, active=active)
    rows = user_service.list_users(get_session(), by=g.user, filters=filters)
    return render_template("admin/users.html", users=rows, filters=filters,
                           active=request.args.get("active", ""), role_labels=ROLE_LABELS,
                           role_form=RoleForm(), confirm_form=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    """Create an account with a temporary password shown once."""
    db = get_session()
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user, password = user_service.create(
                db, form.email.data, role=form.role.data, organisation=form.organisation.data,
                name=form.name.data or None, by=g.user)
        except InputError as error:
            db.rollback()
            flash(localise(error), "error")
        else:
            db.commit()
            return _show_password(user, password, created=True)
    status = 422 if request.method == "POST" else 200
    organisations = db.scalars(select(Organisation.name).order_by(Organisation.name)).all()
    return render_template("admin/user_new.html", form=form, organisations=organisations), status


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def set_role(user_id: int):
    """Give an account another role."""
    db = get_session()
    user = user_service.get_user(db, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = user_service.set_role(db, user, form.role.data, by=g.user)
    except (InputError, InvalidState) as error:
        db.rollback()
        flash(localise(error), "error")
    else:
        db.commit()
        if changed:
            flash(_("%(email)s is now %(role)s.", email=user.email,
                    role=ROLE_LABELS[user.role]), "success")
    return redirect(url_for(".users"))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int):
    """Deactivate an account: the person is signed out; their work stays."""
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
def activate(user_id: int):
    """Reactivate an account (this also lifts a lockout)."""
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    db = get_session()
    user = user_service.get_user(db, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        user_service.set_active(db, user, active, by=g.user)
    except InvalidState as error:
        db.rollback()
        flash(localise(error), "error")
    else:
        db.commit()
        flash(_("%(email)s can sign in again.", email=user.email) if active else
              _("%(email)s is deactivated and signed out.", email=user.email), "success")
    return redirect(url_for(".users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int):
    """Replace an account's password with a temporary one, shown once."""
    db = get_session()
    user = user_service.get_user(db, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    password = user_service.reset_password(db, user, by=g.user)
    db.commit()
    return _show_password(user, password, created=False)


def _show_password(user, password: str | None, *, created: bool):
    # Rendered in the response itself (never flashed: flashes travel in the session cookie).
    response = Response(render_template("admin/password.html", user=user, password=password,
                                        created=created))
    response.headers["Cache-Control"] = "no-store"
    return response


# -- audit log ----------------------------------------------------------------------------------


def _audit_filter() -> audit_log.AuditFilter:
    return audit_log.AuditFilter(
        user_id=request.args.get("user", type=int),
        action=(request.args.get("action") or "").strip() or None,
        start=_day(request.args.get("from")),
        end=_day(request.args.get("to")),
    )


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(_("'%(value)s' is not a date: use YYYY-MM-DD.", value=value)) from None


@bp.route("/audit")
def audit():
    """The audit log, newest first, filtered by person, action and days."""
    db = get_session()
    filters = _audit_filter()
    number = max(1, request.args.get("page", 1, type=int))
    rows, total = audit_log.page(db, filters, by=g.user, number=number, size=AUDIT_PAGE_SIZE)
    people = user_service.list_users(db, by=g.user)
    return render_template(
        "admin/audit.html", rows=rows, total=total, filters=filters, page=number,
        pages=max(1, -(-total // AUDIT_PAGE_SIZE)), people=people,
        actions=audit_log.actions(db), args={k: v for k, v in request.args.items() if k != "page"})


@bp.route("/audit.csv")
def audit_export():
    """Download the filtered audit log as CSV; the download is itself written to the log."""
    db = get_session()
    filters = _audit_filter()
    # Built before the response starts: the request's database session closes with it.
    rows = audit_log.count(db, filters)
    body = "".join(audit_log.csv_chunks(db, filters))
    audit_log.record_export(db, filters, rows, by=g.user, remote_addr=request.remote_addr)
    db.commit()
    name = f"audit-{date.today().isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
