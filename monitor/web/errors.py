"""Domain errors and HTTP errors shown as pages people can act on (never a stack trace).

A domain error's message is shown in the page's language (:func:`monitor.web.i18n.localise`).
"""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from monitor.core.errors import (
    ChecklistError,
    ConflictError,
    InputError,
    InvalidState,
    MonitorError,
    NotAllowed,
    RecordNotFound,
)
from monitor.web.i18n import localise

logger = logging.getLogger(__name__)

_STATUS: dict[type[MonitorError], int] = {
    RecordNotFound: 404,
    NotAllowed: 403,
    InvalidState: 409,
    ConflictError: 409,
    ChecklistError: 422,
    InputError: 422,
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _page(status: int, message: str | None = None):
    _rollback()
    if _wants_json():
        return jsonify(error=message or "error", status=status), status
    return render_template("errors/error.html", status=status, message=message), status


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(MonitorError)
    def domain_error(error: MonitorError):
        status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 400)
        return _page(status, localise(error))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _page(400, _("The form expired or did not come from this site. Reload the "
                            "page and try again; what you typed is kept in the form where "
                            "possible."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _page(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return _page(500)
