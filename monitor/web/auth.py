"""Signing in and out, and the decorators that protect views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email

from monitor.core.errors import NotAllowed
from monitor.db.models import Role, User
from monitor.services import accounts, audit
from monitor.web.context import current_settings
from monitor.web.db import get_session

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_("Password"), validators=[DataRequired()])


def load_user() -> None:
    """Put the signed-in user (or ``None``) on ``g.user`` before each request."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = get_session().get(User, user_id)
    if user is None or not user.is_active or session.get("pw") != user.password_hash[-12:]:
        session.clear()  # deleted, deactivated, or password changed elsewhere
        return
    g.user = user


def safe_next(target: str | None) -> str | None:
    """Return *target* if it is a path on this site, else ``None`` (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the login page, then back here."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow only signed-in users with one of *roles* (403 for others)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign the person in."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        db = get_session()
        try:
            user = accounts.authenticate(db, form.email.data, form.password.data,
                                         remote_addr=request.remote_addr)
        except NotAllowed as error:
            db.commit()  # keep the failure count and the audit entry
            flash(str(error), "error")
            status = 401
        else:
            db.commit()
            session.clear()
            session.permanent = True
            session["user_id"] = user.id
            session["pw"] = user.password_hash[-12:]
            if user.language:
                session["lang"] = user.language
            return redirect(safe_next(request.args.get("next")) or url_for("dashboard.home"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, so that a link elsewhere cannot sign people out)."""
    if g.get("user") is not None:
        db = get_session()
        audit.record(db, "user.logout", by=g.user, obj=g.user)
        db.commit()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.home"))


def session_lifetime() -> timedelta:
    return timedelta(hours=current_settings().session_hours)
