"""Internal data downloads for the people allowed to make them (``export.internal``).

Public downloads (published data only) are offered to everyone on the public data page; this
page is for the organisation's own files: answers to sensitive questions decrypted, team and
notes included, visits of the person's own organisation only. Each download is written to a
temporary file in the instance folder, sent, and removed; it is recorded in the audit log.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from flask import Blueprint, current_app, g, render_template, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _

from monitor.core.errors import InputError
from monitor.db.models import Role
from monitor.services import permissions
from monitor.services.exports import (
    FORMATS,
    SHAPES,
    ExportRequest,
    run_export,
    write_visit_dictionary,
)
from monitor.web.auth import roles_required
from monitor.web.context import current_catalog, current_settings, current_vault
from monitor.web.db import get_session

bp = Blueprint("exports", __name__, url_prefix="/exports")
EXPORTERS = (Role.ADMIN, Role.COORDINATOR)

MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
#: Kinds whose rows belong to an organisation (the registry of facilities is shared).
ORGANISATION_KINDS = frozenset({"visits", "findings", "recommendations"})


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else current_settings().default_language


def _scratch_file(suffix: str) -> Path:
    folder = Path(current_settings().instance_dir) / "exports-tmp"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, suffix=suffix)
    os.close(handle)
    return Path(name)


def _send(path: Path, download_name: str, fmt: str, extra: tuple[Path, ...] = ()):
    """Send *path* as an attachment and remove it (and *extra* files) once sent."""
    for other in extra:
        other.unlink(missing_ok=True)
    handle = path.open("rb")
    response = send_file(handle, mimetype=MIMETYPES[fmt], as_attachment=True,
                         download_name=download_name, max_age=0)
    response.headers["Cache-Control"] = "no-store"  # confidential: never in a shared cache
    try:
        path.unlink()  # POSIX: the open handle keeps the data until the download ends
    except OSError:
        response.call_on_close(lambda: path.unlink(missing_ok=True))
    return response


@bp.route("/")
@roles_required(*EXPORTERS)
def index():
    """The downloads this person may make."""
    permissions.require(g.user, "export.internal")
    checklists = sorted({c.id for c in current_catalog()})
    has_public_page = any(rule.rule == "/data" for rule in current_app.url_map.iter_rules())
    return render_template("exports/index.html", formats=FORMATS, shapes=SHAPES,
                           checklists=checklists, has_public_page=has_public_page)


@bp.route("/<kind>")
@roles_required(*EXPORTERS)
def download(kind: str):
    """Write one internal export and send it (``?format=csv|xlsx|geojson&shape=&checklist=``)."""
    permissions.require(g.user, "export.internal")
    fmt = request.args.get("format", "csv")
    shape = request.args.get("shape", "wide") if kind == "visits" else "wide"
    checklist_id = (request.args.get("checklist") or None) if kind == "visits" else None
    export = ExportRequest(
        kind=kind, fmt=fmt, public=False, shape=shape, checklist_id=checklist_id,
        organisation_id=g.user.organisation_id if kind in ORGANISATION_KINDS else None,
        language=_language())
    export.check()  # before any file is made: unknown kinds and formats are a 422 page
    db = get_session()
    path = _scratch_file("." + fmt)
    try:
        result = run_export(db, export, path, catalog=current_catalog(), vault=current_vault(),
                            settings=current_settings(), by=g.user)
        db.commit()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    stem = kind if kind != "visits" else f"visits-{shape}"
    if checklist_id:
        stem += f"-{checklist_id}"
    return _send(path, f"{stem}-{date.today().isoformat()}.{fmt}", fmt, result.files[1:])


@bp.route("/visits/dictionary")
@roles_required(*EXPORTERS)
def dictionary():
    """The data dictionary of the wide visits export, as CSV."""
    permissions.require(g.user, "export.internal")
    checklist_id = request.args.get("checklist") or None
    if checklist_id and not any(c.id == checklist_id for c in current_catalog()):
        raise InputError(_("There is no checklist '%(id)s'.", id=checklist_id))
    path = _scratch_file(".csv")
    try:
        write_visit_dictionary(get_session(), path, catalog=current_catalog(),
                               settings=current_settings(), public=False,
                               checklist_id=checklist_id,
                               organisation_id=g.user.organisation_id, language=_language())
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return _send(path, f"visits-dictionary-{date.today().isoformat()}.csv", "csv")
