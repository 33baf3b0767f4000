"""Signing in and out, and the decorators that protect views."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email

from monitor.core.errors import NotAllowed
from monitor.db.models import Role, User
from monitor.services import accounts, audit
from monitor.web.context import current_settings
from monitor.web.db import get_session
from monitor.web.i18n import localise
from monitor.web.security import too_many_attempts

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
#: "Last seen" is rewritten at most this often, so that not every response sets a cookie.
_SEEN_RESOLUTION = 60


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


def load_user() -> None:
    """Put the signed-in user (or ``None``) on ``g.user`` before each request.

    A session ends ``session_hours`` after signing in whatever happens, and earlier after
    ``MONITOR_IDLE_MINUTES`` without any request: an unattended laptop in a field office should
    not stay signed in to confidential interview notes.
    """
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    now = time.time()
    since, seen = session.get("since"), session.get("seen")
    idle_limit = current_app.config["MONITOR_IDLE_MINUTES"] * 60
    if (not isinstance(since, (int, float)) or not isinstance(seen, (int, float))
            or now - since > current_settings().session_hours * 3600 or now - seen > idle_limit):
        session.clear()
        session["expired"] = True  # said on the sign-in page (languages are not chosen yet here)
        return
    user = get_session().get(User, user_id)
    if user is None or not user.is_active or session.get("pw") != user.password_hash[-12:]:
        session.clear()  # deleted, deactivated, or password changed elsewhere
        return
    if now - seen > _SEEN_RESOLUTION:
        session["seen"] = now
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
    # Browsers drop tabs and line breaks and some read other blanks loosely: "/\t/evil" can
    # become "//evil". A path we generate never holds a raw blank or control character.
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    return target


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the login page, then back here."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            if session.pop("expired", False):
                flash(_("You were signed out because the session expired. Sign in again."), "info")
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
        throttle = current_app.extensions["monitor.login_throttle"]
        wait = throttle.wait(request.remote_addr, form.email.data)
        if wait:
            # Refused before the password is checked: a flood costs no hashing and cannot lock
            # the account out further (see monitor.web.security on several workers).
            logger.warning("sign-in throttled for %s", request.remote_addr)
            return too_many_attempts(wait)
        throttle.attempted(request.remote_addr, form.email.data)
        db = get_session()
        try:
            user = accounts.authenticate(db, form.email.data, form.password.data,
                                         remote_addr=request.remote_addr)
        except NotAllowed as error:
            db.commit()  # keep the failure count and the audit entry
            flash(localise(error), "error")
            status = 401
        else:
            db.commit()
            throttle.succeeded(form.email.data)
            session.clear()
            session.permanent = True
            session["since"] = session["seen"] = time.time()
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
