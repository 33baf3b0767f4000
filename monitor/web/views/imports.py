"""Uploading a facility list: check it first (dry run), then apply exactly what was shown.

Between the two steps the uploaded file waits in the instance folder, in a folder with a
random name (the file keeps its own name there, so that problems name the file the person
chose). The confirmation reads it again and plans again; if the plan is no longer the one
shown (someone changed the registry meanwhile), the new plan is shown for a new confirmation
instead of being applied. The file is deleted once the import is committed, or cancelled;
if applying fails, nothing is written and the file stays for another try. Uploads left
waiting for more than a day are removed at the next upload.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
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
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from monitor.core.errors import InputError, MonitorError
from monitor.db.models import Role
from monitor.services import facility_import, permissions
from monitor.services.facilities import country_choices
from monitor.services.facility_import import Action, ImportPlan
from monitor.web.auth import roles_required
from monitor.web.context import current_settings
from monitor.web.db import get_session
from monitor.web.i18n import localise

bp = Blueprint("imports", __name__)
logger = logging.getLogger(__name__)

#: File endings the reader understands (``.txt``: tab-separated text saved from a spreadsheet).
ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".geojson", ".json")
#: Uploads not confirmed within this many seconds are removed.
STALE_AFTER = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_SESSION_KEY = "facility_import"
IMPORTERS = (Role.ADMIN, Role.COORDINATOR)


class UploadForm(FlaskForm):
    file = FileField(_l("Facility list"))
    source = StringField(_l("Name of the source"), validators=[Optional(), Length(max=200)])
    country = SelectField(_l("Country of rows that give none"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = [("", _("None: every row gives its country"))] + country_choices()


def _folder() -> Path:
    return Path(current_settings().instance_dir) / "imports"


def _safe_name(filename: str | None) -> str:
    """The uploaded file's own name, without any folder part or control character."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[:150] or "upload"


def _remove_stale(folder: Path) -> None:
    if not folder.is_dir():
        return
    limit = time.time() - STALE_AFTER
    for entry in folder.iterdir():
        try:
            if entry.is_dir() and entry.stat().st_mtime < limit:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:  # removed by a parallel request: nothing to do
            continue


def _pending() -> dict[str, Any] | None:
    """The upload waiting for confirmation in this browser session, if its file still exists."""
    pending = session.get(_SESSION_KEY)
    if not isinstance(pending, dict) or not _TOKEN.match(str(pending.get("token", ""))):
        return None
    return pending if _path_of(pending).is_file() else None


def _path_of(pending: dict[str, Any]) -> Path:
    return _folder() / pending["token"] / pending["name"]


def _discard(pending: dict[str, Any] | None) -> None:
    if pending and _TOKEN.match(str(pending.get("token", ""))):
        shutil.rmtree(_folder() / pending["token"], ignore_errors=True)
    session.pop(_SESSION_KEY, None)


def plan_digest(plan: ImportPlan) -> str:
    """A fingerprint of what *plan* would do, to tell whether a new plan is the same one."""
    parts = [plan.source]
    for row in plan.rows:
        target = row.facility.public_id if row.facility is not None else ""
        parts.append(f"{row.row}|{row.action.value}|{target}|{','.join(sorted(row.changes))}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _plan(pending: dict[str, Any]) -> ImportPlan:
    result = facility_import.read_and_clean(_path_of(pending),
                                            default_country=pending.get("country") or None)
    return facility_import.plan_import(get_session(), result, source=pending["source"])


@dataclass(frozen=True)
class ShownProblem:
    """A problem of the file as the plan page lists it: its level, and its text in the page's
    language (the import's messages are English until a page shows them)."""

    level: str
    text: str

    def __str__(self) -> str:
        return self.text


def _show_plan(plan: ImportPlan, pending: dict[str, Any], *, status: int = 200,
               message: str | None = None):
    rows = {r.row for r in plan.rows}
    by_row: dict[int, list[ShownProblem]] = {}
    general = []
    for problem in plan.problems:
        shown = ShownProblem(problem.level, localise(problem.text()))
        if problem.row in rows:
            by_row.setdefault(problem.row, []).append(shown)
        else:
            general.append(shown)
    return render_template(
        "imports/plan.html", plan=plan, pending=pending, by_row=by_row, general=general,
        Action=Action, message=message, summary=localise(plan.summary()),
        counts={action.value: plan.count(action) for action in Action},
    ), status


def _require_permission() -> None:
    permissions.require(g.user, "facility.import")


@bp.route("/facilities/import", methods=["GET"])
@roles_required(*IMPORTERS)
def upload_form():
    """The upload form (and, when an upload waits, a way back to its plan)."""
    _require_permission()
    return render_template("imports/upload.html", form=UploadForm(formdata=None),
                           pending=_pending(), limit=current_settings().max_upload_mb)


@bp.route("/facilities/import", methods=["POST"])
@roles_required(*IMPORTERS)
def check():
    """Read the uploaded list and show what importing it would do; change nothing."""
    _require_permission()
    form = UploadForm()
    limit = current_settings().max_upload_mb
    upload = request.files.get("file")
    problem = None
    if not form.validate():
        problem = " ".join(str(e) for errors in form.errors.values() for e in errors)
    elif not isinstance(upload, FileStorage) or not upload.filename:
        problem = _("Choose a file to upload.")
    elif not upload.filename.lower().endswith(ALLOWED_SUFFIXES):
        problem = _("%(name)s is not a list this page can read: upload a CSV, TSV, XLSX, XLS "
                    "or GeoJSON file.", name=_safe_name(upload.filename))
    if problem:
        return render_template("imports/upload.html", form=form, pending=_pending(),
                               limit=limit, problem=problem), 422
    _discard(_pending())  # one waiting upload per person: a new one replaces it
    folder = _folder()
    _remove_stale(folder)
    token = secrets.token_hex(16)
    name = _safe_name(upload.filename)
    (folder / token).mkdir(parents=True, exist_ok=True)
    upload.save(folder / token / name)
    pending = {"token": token, "name": name,
               "source": (form.source.data or "").strip() or name,
               "country": form.country.data or ""}
    try:
        plan = _plan(pending)
    except InputError as error:
        shutil.rmtree(folder / token, ignore_errors=True)
        return render_template("imports/upload.html", form=form, pending=None, limit=limit,
                               problem=localise(error)), 422
    finally:
        get_session().rollback()  # a dry run writes nothing
    pending["digest"] = plan_digest(plan)
    session[_SESSION_KEY] = pending
    logger.info("facility import checked: %s rows", len(plan.rows))
    return _show_plan(plan, pending)


@bp.route("/facilities/import/plan", methods=["GET"])
@roles_required(*IMPORTERS)
def show_plan():
    """Show again the plan of the upload waiting for confirmation."""
    _require_permission()
    pending = _pending()
    if pending is None:
        flash(_("No upload is waiting for confirmation; upload the file again."), "info")
        return redirect(url_for(".upload_form"))
    plan = _plan(pending)
    get_session().rollback()
    pending["digest"] = plan_digest(plan)
    session[_SESSION_KEY] = pending
    return _show_plan(plan, pending)


@bp.route("/facilities/import/confirm", methods=["POST"])
@roles_required(*IMPORTERS)
def confirm():
    """Apply the plan that was shown, if it is still the same; else show the new one."""
    _require_permission()
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("The form expired; check the plan and confirm again."), "error")
        return redirect(url_for(".show_plan"))
    pending = _pending()
    if pending is None or request.form.get("token") != pending["token"]:
        flash(_("This upload is no longer waiting (it was applied, cancelled or replaced); "
                "upload the file again."), "error")
        return redirect(url_for(".upload_form"))
    db = get_session()
    try:
        plan = _plan(pending)
    except InputError as error:  # the file was readable a moment ago; say so anyway
        db.rollback()
        _discard(pending)
        flash(localise(error), "error")
        return redirect(url_for(".upload_form"))
    if plan_digest(plan) != pending.get("digest"):
        db.rollback()
        pending["digest"] = plan_digest(plan)
        session[_SESSION_KEY] = pending
        return _show_plan(plan, pending, status=409, message=_(
            "The registry changed since this file was checked, so the import would now do "
            "something else. Nothing was imported: check the new plan below and confirm again."))
    try:
        facility_import.apply_import(db, plan, by=g.user)
        db.commit()
    except MonitorError as error:
        db.rollback()
        return _show_plan(plan, pending, status=422, message=_(
            "Nothing was imported: %(problem)s The file is kept; correct the registry or the "
            "file and try again.", problem=localise(error)))
    _discard(pending)
    logger.info("facility import applied: %s", plan.summary())
    flash(_("Import finished: %(summary)s.", summary=localise(plan.summary())), "success")
    return redirect(url_for(".upload_form"))


@bp.route("/facilities/import/cancel", methods=["POST"])
@roles_required(*IMPORTERS)
def cancel():
    """Forget the waiting upload and delete its file."""
    _require_permission()
    form = FlaskForm()
    if form.validate_on_submit():
        _discard(_pending())
        flash(_("The upload was cancelled; nothing was imported."), "info")
    return redirect(url_for(".upload_form"))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """A file over the size limit: say so on the upload page instead of a bare error."""
    limit = current_settings().max_upload_mb
    if not permissions.can(g.get("user"), "facility.import"):
        # The limit is checked before anyone is asked to sign in: show no form to strangers.
        return render_template("errors/error.html", status=413, message=_(
            "The request is larger than the %(limit)d MB this server accepts.", limit=limit)), 413
    return render_template(
        "imports/upload.html", form=UploadForm(formdata=None), pending=None, limit=limit,
        problem=_("The file is larger than the %(limit)d MB this server accepts. Split the "
                  "list into smaller files, or save it as CSV (much smaller than a workbook).",
                  limit=limit)), 413
