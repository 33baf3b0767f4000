"""The signed-in person's own settings: for now, the language of the interface."""

from __future__ import annotations

from flask import Blueprint, g, redirect, request, session, url_for
from flask_babel import gettext as _

from monitor.core.errors import InputError
from monitor.services import audit
from monitor.web.auth import safe_next
from monitor.web.context import current_settings
from monitor.web.db import get_session
from monitor.web.i18n import SESSION_KEY, language_name

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/language", methods=["POST"])
def language():
    """Switch the interface language and go back to the page the switch was on.

    The choice is kept in the session; for a signed-in person it is also saved as their own
    setting (``User.language``), so that it follows them to their next sign-in on any device.
    Without an account only the session remembers it (the switch of a page whose session has
    just expired still works).

    :raises InputError: the form names no configured language.
    """
    settings = current_settings()
    code = (request.form.get("language") or "").strip()
    if code not in settings.languages:
        choices = ", ".join(f"{c} ({language_name(c)})" for c in settings.languages)
        raise InputError(_("“%(code)s” is not one of the languages of this installation. "
                           "Choose one of: %(choices)s.", code=code, choices=choices))
    session[SESSION_KEY] = code
    user = g.get("user")
    if user is not None and user.language != code:
        db = get_session()
        user.language = code
        audit.record(db, "user.language", by=user, obj=user, summary={"language": code})
        db.commit()
    home = url_for("dashboard.home") if user is not None else url_for("public.home")
    return redirect(safe_next(request.form.get("next")) or home)
