"""Read KoboToolbox and ODK submission exports, and say what each column holds.

Files
    - CSV and XLSX as KoboToolbox exports them ("XML values and headers"): one column per
      question, named by its group path (``access/visit_basics/visit_took_place``), plus
      ``_uuid``, ``_submission_time``, ``meta/instanceID``, ``_id``...; for a
      ``select_multiple`` question, optionally one 0/1 column per choice
      (``group/question/choice``); a path joined with ``.`` is read too. ODK Central's CSV
      joins the path with ``-`` and names the instance ``KEY``. Both are read with :func:`monitor.imports.tables.read_table`
      (any encoding, separator or sheet).
    - ODK Central JSON: the OData document ``{"value": [{...}]}`` whose groups are nested
      objects, KoboToolbox's ``{"results": [...]}``, or a plain array of objects. Nested
      objects give ``group/question`` columns, as in the CSV.

Columns
    A column is matched by the last part of its path: a question of the checklist, one of the
    export's own questions (``dm_facility_id``...), a submission's metadata (instance id,
    start, end, submission time), a choice column of a select_many question, a column the
    platforms add (ignored quietly), or none of these (reported once, then ignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from monitor.checklists.schema import Checklist, Question, QuestionType
from monitor.core.errors import InputError
from monitor.imports.tables import RowProblem, SourceRow, read_table
from monitor.interop.form_plan import META_NAMES

__all__ = ["ColumnRole", "SubmissionFile", "column_role", "day_of", "export_name", "instance_id",
           "meta_value", "read_submissions", "spreadsheet_value"]

#: Metadata columns by the last part of their path, most trusted first for the instance id.
INSTANCE_COLUMNS = ("instanceID", "__id", "KEY", "_uuid")
DEPRECATED_COLUMNS = ("deprecatedID",)
START_COLUMNS = ("start",)
END_COLUMNS = ("end",)
SUBMITTED_COLUMNS = ("_submission_time", "SubmissionDate", "submissionDate")
_METADATA = frozenset((*INSTANCE_COLUMNS, *DEPRECATED_COLUMNS, *START_COLUMNS, *END_COLUMNS,
                       *SUBMITTED_COLUMNS))
#: Columns the platforms add that mean nothing to a visit.
_PLATFORM = frozenset({
    "today", "deviceid", "username", "audit", "phonenumber", "simserial", "subscriberid",
    "rootUuid", "uuid", "SubmitterID", "SubmitterName", "AttachmentsPresent",
    "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion",
    "submitterId", "submitterName", "attachmentsPresent", "attachmentsExpected", "status",
    "reviewState", "deviceId", "edits", "formVersion", "updatedAt", "instanceName"})
_PLATFORM_GROUPS = frozenset({"meta", "__system", "formhub"})
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                   re.IGNORECASE)


@dataclass(frozen=True)
class ColumnRole:
    """What a column holds: ``kind`` is question, choice, export, meta, platform or unknown."""

    kind: str
    name: str = ""
    code: str = ""


@dataclass
class SubmissionFile:
    """The rows of a submission export, each with the row number a person finds it at."""

    columns: list[str]
    rows: list[SourceRow]
    format: str
    notes: list[RowProblem] = field(default_factory=list)


def read_submissions(path: Path) -> SubmissionFile:
    """Read a CSV, XLSX or JSON export of submissions.

    :raises InputError: the file cannot be read (the message names it and says what to do).
    """
    path = Path(path)
    try:
        head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as error:
        raise InputError(f"cannot read {path.name}: {error.strerror or error}.") from None
    if head.startswith((b"{", b"[")):
        return _read_json(path)
    table = read_table(path, known_column=_looks_known)
    return SubmissionFile(table.columns, table.rows, table.format, list(table.notes))


def _looks_known(header: str) -> bool:
    last = _segments(header)[-1]
    return last in _METADATA or last in META_NAMES or last.startswith("_")


def _read_json(path: Path) -> SubmissionFile:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read {path.name}: it is not valid JSON ({error}).") from None
    if isinstance(document, dict):
        records = document.get("value", document.get("results"))
    else:
        records = document
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(f"cannot read {path.name}: expected ODK Central's {{\"value\": [...]}}, "
                         "KoboToolbox's {\"results\": [...]} or an array of submissions.")
    columns: dict[str, None] = {}
    rows: list[SourceRow] = []
    notes: list[RowProblem] = []
    for number, record in enumerate(records, start=1):
        flat: dict[str, Any] = {}
        _flatten(record, "", flat, number, notes)
        columns.update(dict.fromkeys(flat))
        rows.append(SourceRow(number, flat))
    return SubmissionFile(list(columns), rows, "json", notes)


def _flatten(value: dict[str, Any], prefix: str, out: dict[str, Any], number: int,
             notes: list[RowProblem]) -> None:
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, dict):
            _flatten(item, f"{path}/", out, number, notes)
        elif isinstance(item, list) and any(isinstance(i, dict) for i in item):
            notes.append(RowProblem(number, path, "a repeat group is not imported (a checklist "
                                    "asks each question once per visit).", "warning"))
        elif isinstance(item, list):
            out[path] = " ".join(str(i) for i in item)
        else:
            out[path] = item


def _segments(header: str) -> list[str]:
    # KoboToolbox joins groups with '/' (or '.', if chosen when exporting); ids have neither.
    parts = [p for p in re.split(r"[/.]", header.strip()) if p]
    return parts or [header.strip()]


def export_name(header: str) -> str | None:
    """The name of one of the export's own questions (``dm_checklist``) the column holds."""
    last = _segments(header)[-1]
    for name in (last, last.rsplit("-", 1)[-1]):
        if name in META_NAMES:
            return name
    return None


def column_role(header: str, checklist: Checklist) -> ColumnRole:
    """Say what the column *header* holds for answers to *checklist*."""
    parts = _segments(header)
    last = parts[-1]
    candidates = [last]
    if "-" in last and not last.startswith("_"):
        candidates.append(last.rsplit("-", 1)[-1])  # ODK Central CSV: group-question
    for name in candidates:
        question = checklist.by_id.get(name)
        if question is not None:
            return ColumnRole("question", name)
        if name in META_NAMES:
            return ColumnRole("export", name)
        if name in _METADATA:
            return ColumnRole("meta", name)
    if len(parts) >= 2:
        owner = checklist.by_id.get(parts[-2].rsplit("-", 1)[-1])
        if owner is not None and owner.type is QuestionType.SELECT_MANY:
            return ColumnRole("choice", owner.id, last)
    if (last.startswith(("_", "@")) or last in _PLATFORM or parts[0] in _PLATFORM_GROUPS
            or header.startswith("@")):
        return ColumnRole("platform", last)
    return ColumnRole("unknown", last)


# --- values -------------------------------------------------------------------------------


def meta_value(values: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    """The first non-empty value of a metadata column named by one of *names* (in order)."""
    for name in names:
        for column, value in values.items():
            last = _segments(column)[-1]
            if (last == name or last.rsplit("-", 1)[-1] == name) and value not in (None, ""):
                return value
    return None


def instance_id(value: Any) -> str | None:
    """The submission's instance id as ODK writes it (``uuid:...``), or ``None`` when empty."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if _UUID.match(text):
        return f"uuid:{text.lower()}"  # KoboToolbox's _uuid is the instance id without prefix
    return text


def day_of(value: Any) -> date | None:
    """The day of a date, a timestamp or ISO text (``2025-03-04T09:00:00+01:00``: its date)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None


def spreadsheet_value(question: Question, value: Any) -> Any:
    """Undo what spreadsheets do to values: 3.0 for 3, dates with a time of day."""
    if isinstance(value, datetime):
        return value.date() if question.type is QuestionType.DATE else value.isoformat()
    if isinstance(value, float) and value.is_integer() and question.type is not \
            QuestionType.DECIMAL:
        return int(value) if question.type is QuestionType.INTEGER else str(int(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and question.type not in (
            QuestionType.INTEGER, QuestionType.DECIMAL):
        return str(value)
    return value
