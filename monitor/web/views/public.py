"""Pages anyone may see: the landing page and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy import text

import monitor
from monitor.db.migrate import current_revision, head_revision
from monitor.web.auth import safe_next
from monitor.web.context import current_settings
from monitor.web.db import get_session

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    """The public landing page."""
    return render_template("public/home.html")


@bp.route("/language/<code>", methods=["POST"])
def switch_language(code: str):
    """Remember the chosen language and go back to the page the switch was on."""
    if code in current_settings().languages:
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("public.home"))


@bp.route("/health")
def health():
    """Say whether the application and its database work (for monitoring and load balancers)."""
    db = get_session()
    reachable, revision = True, None
    try:
        db.execute(text("SELECT 1"))
        revision = current_revision(db.get_bind())
    except Exception:  # any database failure means "not healthy", whatever the driver says
        reachable = False
    head = head_revision()
    healthy = reachable and revision == head
    body = {
        "status": "ok" if healthy else "degraded",
        "database": "reachable" if reachable else "unreachable",
        "schema_revision": revision,
        "schema_expected": head,
        "version": monitor.__version__,
    }
    return jsonify(body), 200 if healthy else 503
