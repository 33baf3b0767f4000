"""Turn KoboToolbox/ODK submissions of an exported form into draft visits.

:func:`plan_submissions` reads the file (:mod:`monitor.interop.submission_files`) and decides
for each row, without writing anything, whether it creates a visit, updates one, leaves one
unchanged or is rejected, with a problem for everything it could not use (``row R, column C:
sentence``). :func:`apply_submissions` carries the plan out. The visits are drafts owned by
the importing account, so that the team reviews them and submits them as any other visit.

- **Which submission**: the instance id (``meta/instanceID``, ``__id``, ``KEY`` or ``_uuid``)
  is kept in ``Visit.source_instance_id``. Importing the same submission again finds that
  visit: unchanged when the answers are the same, updated (while it is a draft) when they
  differ. A submission edited on the server carries the old id as ``deprecatedID``, which
  finds the visit too.
- **Which checklist**: ``--checklist``, or the ``dm_checklist`` value (``core@1``) each
  submission of an exported form carries; ``dm_sections`` makes it a thematic visit.
- **Which facility**: the ``dm_facility_id`` answer, a public id (``F-7K2Q9X``, merges
  followed) or a name, compared folded (accents, case and punctuation ignored) with the
  registry's names and other names. A row whose facility is missing or ambiguous is rejected.
- **Which dates**: ``dm_visit_date`` (and ``dm_visit_end_date``), else the day of the
  submission's ``start`` (or end, or submission time).
- **Answers**: typed with :func:`monitor.checklists.answers.coerce` (select_many answers are
  space-separated codes); an answer that does not fit its question is left out and reported,
  and the rest of the row is still imported. Computed values are not read: the compliance
  engine works them out again. Answers to sensitive questions are never echoed in problems.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from monitor.checklists.answers import AnswerError, coerce
from monitor.checklists.expr import is_empty
from monitor.checklists.schema import Checklist
from monitor.core.crypto import Vault
from monitor.core.errors import InputError, RecordNotFound
from monitor.core.text import fold
from monitor.db.models import Facility, User, Visit
from monitor.imports.tables import RowProblem, SourceRow
from monitor.interop.form_plan import (
    META_CHECKLIST,
    META_FACILITY,
    META_SECTIONS,
    META_VISIT_DATE,
    META_VISIT_END,
)
from monitor.interop.submission_files import (
    DEPRECATED_COLUMNS,
    END_COLUMNS,
    INSTANCE_COLUMNS,
    START_COLUMNS,
    SUBMITTED_COLUMNS,
    ColumnRole,
    column_role,
    day_of,
    export_name,
    instance_id,
    meta_value,
    read_submissions,
    spreadsheet_value,
)
from monitor.services import audit, permissions, visits
from monitor.services.catalog import ChecklistCatalog
from monitor.services.facilities import get_facility

__all__ = ["Action", "PlannedVisit", "SubmissionImport", "apply_submissions",
           "plan_submissions"]

log = logging.getLogger(__name__)

_PUBLIC_ID = re.compile(r"^F-[0-9A-Z]{6}$", re.IGNORECASE)
_TRUE = frozenset({"1", "true", "yes"})


class Action(StrEnum):
    """What a submission does to the visits."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass
class PlannedVisit:
    """What one submission becomes."""

    row: int
    action: Action
    instance_id: str | None = None
    checklist: Checklist | None = None
    facility: Facility | None = None
    start_date: date | None = None
    end_date: date | None = None
    sections: tuple[str, ...] = ()
    answers: dict[str, Any] = field(default_factory=dict)
    visit: Visit | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    new_dates: bool = False


@dataclass
class SubmissionImport:
    """The plan for a whole file: a row each, and every problem met."""

    rows: list[PlannedVisit] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if row.action is action)

    def summary(self) -> str:
        return (f"created {self.count(Action.CREATE)}, updated {self.count(Action.UPDATE)}, "
                f"unchanged {self.count(Action.UNCHANGED)}, "
                f"rejected {self.count(Action.REJECTED)}")


def plan_submissions(session: Session, path: Path, *, catalog: ChecklistCatalog, vault: Vault,
                     by: User, checklist_id: str | None = None) -> SubmissionImport:
    """Decide what each submission in *path* does; nothing is written.

    :param checklist_id: ``core`` or ``core@1``; without it, each row's ``dm_checklist``.
    :param by: the account the visits will belong to (its permissions are checked).
    :raises InputError: the file cannot be read, or no checklist is named anywhere.
    :raises RecordNotFound: the checklist named is not installed.
    """
    data = read_submissions(path)
    planner = _Planner(session, catalog, vault, by, checklist_id, data.columns)
    result = SubmissionImport(problems=list(data.notes))
    planner.problems = result.problems
    seen: dict[str, int] = {}
    for row in data.rows:
        planned = planner.plan(row)
        if planned.instance_id is not None and planned.action is not Action.REJECTED:
            if planned.instance_id in seen:
                planner.reject(planned, f"the same submission as row {seen[planned.instance_id]}; "
                               "it is imported once.")
            else:
                seen[planned.instance_id] = row.number
        result.rows.append(planned)
    log.info("submissions planned: %s", result.summary())
    return result


class _Planner:
    def __init__(self, session: Session, catalog: ChecklistCatalog, vault: Vault, by: User,
                 checklist_id: str | None, columns: list[str]) -> None:
        self.session = session
        self.catalog = catalog
        self.vault = vault
        self.by = by
        self.columns = columns
        self.problems: list[RowProblem] = []
        self.forced = self._checklist(checklist_id) if checklist_id else None
        self.forced_version = "@" in (checklist_id or "")
        self.roles: dict[tuple[str, int], dict[str, ColumnRole]] = {}
        self.reported: set[str] = set()
        self.names: dict[str, list[Facility]] | None = None
        self.checklist_column = next((c for c in columns if export_name(c) == META_CHECKLIST),
                                     None)
        if self.forced is None and self.checklist_column is None:
            raise InputError("The file does not say which checklist its submissions answer (no "
                             f"{META_CHECKLIST} column): give it with --checklist ID.")

    def _checklist(self, text: str) -> Checklist:
        name, _, version = text.strip().partition("@")
        if version and not version.isdigit():
            raise InputError(f"'{text}' is not a checklist: write it as core or core@1.")
        return self.catalog.get(name, int(version) if version else None)

    def reject(self, planned: PlannedVisit, message: str, column: str | None = None) -> None:
        planned.action = Action.REJECTED
        self.problems.append(RowProblem(planned.row, column, message))

    def role_map(self, checklist: Checklist) -> dict[str, ColumnRole]:
        found = self.roles.get(checklist.key)
        if found is None:
            found = {c: column_role(c, checklist) for c in self.columns}
            self.roles[checklist.key] = found
            if not any(role.kind == "question" for role in found.values()):
                raise InputError(
                    f"No column of the file is a question of the checklist '{checklist.id}' "
                    f"version {checklist.version}: export the submissions with their XML "
                    "names as headers (KoboToolbox: 'XML values and headers'), not labels.")
            for column, role in found.items():
                if role.kind == "unknown" and column not in self.reported:
                    self.reported.add(column)
                    self.problems.append(RowProblem(
                        None, column, f"not a question of the checklist '{checklist.id}' "
                        f"version {checklist.version}; the column is ignored.", "warning"))
        return found

    def plan(self, row: SourceRow) -> PlannedVisit:
        planned = PlannedVisit(row.number, Action.CREATE)
        values = row.values
        planned.instance_id = instance_id(meta_value(values, INSTANCE_COLUMNS))
        if planned.instance_id is None:
            self.reject(planned, "the submission has no instance id (meta/instanceID, __id, KEY "
                        "or _uuid); export the submissions with their metadata.")
            return planned
        checklist = self.row_checklist(planned, values)
        if checklist is None:
            return planned
        planned.checklist = checklist
        roles = self.role_map(checklist)
        by_name = {role.name: column for column, role in roles.items() if role.kind == "export"}
        planned.facility = self.facility(planned, values, by_name.get(META_FACILITY))
        self.dates(planned, values, by_name)
        if planned.action is Action.REJECTED:
            return planned
        sections = str(values.get(by_name.get(META_SECTIONS, ""), "") or "").split()
        planned.sections = tuple(s for s in sections if s in checklist.section_by_id)
        planned.answers = self.answers(planned, checklist, values, roles)
        self.existing(planned, meta_value(values, DEPRECATED_COLUMNS))
        return planned

    def row_checklist(self, planned: PlannedVisit, values: Mapping[str, Any]) -> Checklist | None:
        column = self.checklist_column
        written = str(values.get(column) or "").strip() if column else ""
        if self.forced is not None:
            name, _, version = written.partition("@")
            if written and name != self.forced.id:
                self.reject(planned, f"the submission answers the checklist '{written}', not "
                            f"'{self.forced.id}' given with --checklist.", column)
                return None
            if self.forced_version or not version.isdigit():
                return self.forced
            written = f"{name}@{version}"  # --checklist ID: the version the form was made from
        if not written:
            self.reject(planned, "no checklist is named; give it with --checklist ID.", column)
            return None
        try:
            return self._checklist(written)
        except (InputError, RecordNotFound) as error:
            self.reject(planned, str(error), column)
            return None

    def facility(self, planned: PlannedVisit, values: Mapping[str, Any],
                 column: str | None) -> Facility | None:
        text = str(values.get(column) or "").strip() if column else ""
        if not text:
            self.reject(planned, f"no facility is given: answer {META_FACILITY} with the "
                        "facility's public id (such as F-7K2Q9X) or its name.", column)
            return None
        if _PUBLIC_ID.match(text):
            try:
                return get_facility(self.session, text)
            except RecordNotFound:
                self.reject(planned, f"there is no facility {text.upper()} in the registry.",
                            column)
                return None
        matches = self._names().get(fold(text), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            ids = ", ".join(f.public_id for f in matches)
            self.reject(planned, f"'{text}' names several facilities ({ids}); answer with the "
                        "public id instead.", column)
        else:
            self.reject(planned, f"no facility of the registry is called '{text}'; add it "
                        "(monitor facilities import) or answer with its public id.", column)
        return None

    def _names(self) -> dict[str, list[Facility]]:
        if self.names is None:
            self.names = {}
            rows = self.session.scalars(select(Facility).where(Facility.merged_into_id.is_(None))
                                        .options(selectinload(Facility.aliases)))
            for facility in rows:
                for name in {fold(facility.name), *(fold(a.name) for a in facility.aliases)}:
                    self.names.setdefault(name, []).append(facility)
        return self.names

    def dates(self, planned: PlannedVisit, values: Mapping[str, Any],
              by_name: Mapping[str, str]) -> None:
        column = by_name.get(META_VISIT_DATE)
        start = day_of(values.get(column)) if column else None
        if column and values.get(column) not in (None, "") and start is None:
            self.problems.append(RowProblem(planned.row, column, "the visit date is not a date "
                                            "(YYYY-MM-DD); the submission's start is used.",
                                            "warning"))
        if start is None:
            start = next((d for d in (day_of(meta_value(values, names)) for names in
                                      (START_COLUMNS, END_COLUMNS, SUBMITTED_COLUMNS))
                          if d is not None), None)
        if start is None:
            self.reject(planned, f"the visit has no date: answer {META_VISIT_DATE}, or export "
                        "the start and end of each submission.", column)
            return
        end_column = by_name.get(META_VISIT_END)
        end = (day_of(values.get(end_column)) if end_column else None) or start
        if end < start:
            self.problems.append(RowProblem(planned.row, end_column, "the last day of the visit "
                                            "is before the first; the first day is used.",
                                            "warning"))
            end = start
        planned.start_date, planned.end_date = start, end

    def answers(self, planned: PlannedVisit, checklist: Checklist, values: Mapping[str, Any],
                roles: Mapping[str, ColumnRole]) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        ticked: dict[str, list[str]] = {}
        for column, role in roles.items():
            if role.kind == "choice":
                ticked.setdefault(role.name, [])
                if str(values.get(column, "")).strip().lower() in _TRUE:
                    ticked[role.name].append(role.code)
            if role.kind != "question":
                continue
            question = checklist.by_id[role.name]
            if question.is_computed:
                continue  # the compliance engine computes it again
            try:
                answers[question.id] = coerce(question, spreadsheet_value(question, values.get(column)))
            except AnswerError as error:
                said = (f"the answer does not fit this {question.type.value} question"
                        if question.sensitive else str(error).rstrip("."))
                self.problems.append(RowProblem(planned.row, column,
                                                f"{said}; the answer is left out."))
        for question_id, codes in ticked.items():
            if question_id not in answers:  # only choice columns: build the answer from them
                answers[question_id] = coerce(checklist.by_id[question_id], codes)
        return answers

    def existing(self, planned: PlannedVisit, deprecated: Any) -> None:
        visit = self.session.scalar(select(Visit).where(
            Visit.source_instance_id == planned.instance_id))
        old_id = instance_id(deprecated)
        if visit is None and old_id is not None:
            visit = self.session.scalar(select(Visit).where(Visit.source_instance_id == old_id))
        if visit is None:
            if not permissions.can(self.by, "visit.create"):
                self.reject(planned, "the importing account may not create visits.")
            return
        planned.visit = visit
        checklist = planned.checklist
        assert checklist is not None and planned.facility is not None
        if (visit.checklist_id, visit.checklist_version) != checklist.key:
            self.reject(planned, f"this submission was imported as visit {visit.id}, answered "
                        f"with {visit.checklist_id} version {visit.checklist_version}, not "
                        f"{checklist.id} version {checklist.version}.")
            return
        current = visits.current_answers(visit, self.vault)
        planned.changes = {qid: value for qid, value in planned.answers.items()
                           if not _same(current.get(qid), value)}
        planned.new_dates = (visit.start_date, visit.end_date, visit.facility_id) != (
            planned.start_date, planned.end_date, planned.facility.id)
        changed = bool(planned.changes or planned.new_dates
                       or visit.source_instance_id != planned.instance_id)
        if not changed:
            planned.action = Action.UNCHANGED
        elif visit.state not in visits.EDITABLE:
            planned.action = Action.UNCHANGED
            self.problems.append(RowProblem(planned.row, None, f"visit {visit.id} was already "
                                            f"{visit.state.value}; the changes in this "
                                            "submission are not applied.", "warning"))
        elif not permissions.can(self.by, "visit.edit", visit):
            self.reject(planned, f"visit {visit.id} was imported from this submission, but the "
                        "importing account may not edit it.")
        else:
            planned.action = Action.UPDATE


def _same(a: Any, b: Any) -> bool:
    return (is_empty(a) and is_empty(b)) or a == b


def apply_submissions(session: Session, plan: SubmissionImport, *, by: User, vault: Vault,
                      on_progress: Callable[[int], None] | None = None) -> None:
    """Create and update the visits of *plan* (the caller commits).

    :param by: the account the new visits belong to (as planned).
    """
    for planned in plan.rows:
        if planned.action is Action.CREATE:
            _create(session, planned, by, vault)
        elif planned.action is Action.UPDATE:
            _update(session, planned, by, vault)
        if on_progress is not None:
            on_progress(1)
    audit.record(session, "visits.import", by=by, summary={
        "created": plan.count(Action.CREATE), "updated": plan.count(Action.UPDATE),
        "unchanged": plan.count(Action.UNCHANGED), "rejected": plan.count(Action.REJECTED)})
    session.flush()
    log.info("submissions imported: %s", plan.summary())


def _create(session: Session, planned: PlannedVisit, by: User, vault: Vault) -> None:
    checklist, facility = planned.checklist, planned.facility
    assert checklist is not None and facility is not None and planned.start_date is not None
    visit = visits.create_visit(
        session, facility=facility, by=by, checklist=checklist, start_date=planned.start_date,
        end_date=planned.end_date, scope="thematic" if planned.sections else "full",
        sections=planned.sections or None)
    visit.source_instance_id = planned.instance_id
    visits.save_answers(session, visit, planned.answers, by=by, vault=vault, checklist=checklist)
    planned.visit = visit


def _update(session: Session, planned: PlannedVisit, by: User, vault: Vault) -> None:
    visit, checklist = planned.visit, planned.checklist
    assert visit is not None and checklist is not None and planned.facility is not None
    if planned.new_dates:
        visit.start_date, visit.end_date = planned.start_date, planned.end_date  # type: ignore[assignment]
        visit.facility_id = planned.facility.id
    visit.source_instance_id = planned.instance_id
    session.flush()
    if planned.changes:
        visits.save_answers(session, visit, planned.changes, by=by, vault=vault,
                            checklist=checklist)
    else:
        audit.record(session, "visit.reimport", by=by, obj=visit,
                     summary={"dates_or_facility": planned.new_dates})

