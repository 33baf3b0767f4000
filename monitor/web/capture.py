"""Saving checklist answers from the web, section by section, and what the pages show.

One function, :func:`save_section`, takes the raw values a page sent and:

1. types them (``coerce``) — text that is not a number is refused with a message;
2. keeps only what differs from the values the page was opened with, so that answers someone
   else saved in the meantime are never overwritten by a stale copy;
3. applies skip logic with the compliance engine: answers to questions that are not asked
   with the new answers are dropped, never stored;
4. checks constraints, refusing each failing value with the checklist's message;
5. stores the rest with optimistic locking; when someone else changed the same questions,
   nothing is stored and the conflict is returned for the person to settle.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import abort, g, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from monitor.checklists.answers import constraint_message, constraint_problems
from monitor.checklists.expr import is_empty, parse
from monitor.checklists.schema import Checklist, Question, QuestionType, Section
from monitor.checklists.wording import skip_instruction
from monitor.compliance.engine import evaluate
from monitor.compliance.types import VisitEvaluation
from monitor.core.errors import RecordNotFound
from monitor.db.models import User, Visit
from monitor.services import permissions
from monitor.services import visits as visit_service
from monitor.services.visits import AnswerConflict
from monitor.web.context import current_catalog, current_vault
from monitor.web.forms.visit import display_value, display_values, section_questions
from monitor.web.i18n import localise

logger = logging.getLogger(__name__)


# -- scope and navigation -----------------------------------------------------------------------


def sections_in_scope(checklist: Checklist, visit: Visit) -> list[Section]:
    """The top-level sections this visit answers (all of them unless the visit chose some)."""
    if not visit.sections:
        return list(checklist.sections)
    chosen = set(visit.sections)
    return [s for s in checklist.sections if s.id in chosen]


def top_section(checklist: Checklist, visit: Visit, section_id: str) -> Section:
    """Return the top-level section *section_id* of the visit.

    :raises RecordNotFound: no such top-level section, or not part of this visit.
    """
    for section in sections_in_scope(checklist, visit):
        if section.id == section_id:
            return section
    raise RecordNotFound(_("Visit %(id)s has no section '%(section)s'.", id=visit.id,
                            section=section_id))


def neighbour(checklist: Checklist, visit: Visit, section_id: str, step: int) -> Section | None:
    """The section before (*step* = -1) or after (+1) *section_id*, if any."""
    ids = [s.id for s in sections_in_scope(checklist, visit)]
    position = ids.index(section_id) + step
    return sections_in_scope(checklist, visit)[position] if 0 <= position < len(ids) else None


def with_dependencies(checklist: Checklist, chosen: Sequence[str]) -> tuple[list[str], list[str]]:
    """Add to *chosen* the top-level sections whose answers its skip logic or checks read.

    A thematic visit of "health" still needs "did the visit take place?" from "access":
    without it every health question would be skipped.

    :returns: every section id to include, in checklist order, and the ids that were added.
    """
    if not chosen:
        return [], []
    top_of = {q.id: top_of_question(checklist, q.id) for q in checklist.questions()}
    wanted = set(chosen)
    pending = list(chosen)
    while pending:
        section = checklist.section_by_id[pending.pop()]
        for expression in _expressions(section):
            for reference in parse(expression).references:
                owner = top_of.get(reference)
                if owner is not None and owner not in wanted:
                    wanted.add(owner)
                    pending.append(owner)
    ordered = [s.id for s in checklist.sections if s.id in wanted]
    return ordered, [s for s in ordered if s not in set(chosen)]


def _expressions(section: Section) -> list[str]:
    found: list[str] = []
    for part in section.walk():
        found += [part.relevant] if part.relevant else []
        for question in part.questions:
            found += [e for e in (question.relevant, question.constraint) if e]
    return found


def top_of_question(checklist: Checklist, question_id: str) -> str:
    """The id of the top-level section holding the question."""
    return checklist.section_chain(checklist.by_id[question_id].section_id)[0].id


# -- evaluation and progress --------------------------------------------------------------------


def evaluate_values(checklist: Checklist, values: Mapping[str, Any],
                    visit: Visit) -> VisitEvaluation:
    """Run the compliance engine on *values* (skip logic, computed values) for this visit."""
    return evaluate(checklist, values, current_catalog().standards, sections=visit.sections or None)


@dataclass(frozen=True)
class ProgressRow:
    """How far one top-level section is: answered / required questions among those asked."""

    section: Section
    asked: int
    answered: int
    required: int
    required_answered: int

    @property
    def skipped(self) -> bool:
        return self.asked == 0

    @property
    def complete(self) -> bool:
        return self.required_answered == self.required

    def as_json(self) -> dict[str, Any]:
        return {"section": self.section.id, "asked": self.asked, "answered": self.answered,
                "required": self.required, "required_answered": self.required_answered}


def section_progress(section: Section, values: Mapping[str, Any],
                     relevant: frozenset[str]) -> ProgressRow:
    """Count the asked, answered and required questions of one section."""
    asked = [q for q in section_questions(section) if not q.is_computed and q.id in relevant]
    required = [q for q in asked if q.required]
    return ProgressRow(
        section=section, asked=len(asked),
        answered=sum(1 for q in asked if not is_empty(values.get(q.id))),
        required=len(required),
        required_answered=sum(1 for q in required if not is_empty(values.get(q.id))),
    )


def progress(checklist: Checklist, visit: Visit, values: Mapping[str, Any],
             relevant: frozenset[str]) -> list[ProgressRow]:
    """One :class:`ProgressRow` per section of the visit."""
    return [section_progress(s, values, relevant) for s in sections_in_scope(checklist, visit)]


def question_links(checklist: Checklist, visit: Visit, ids: Sequence[str],
                   messages: Mapping[str, str]) -> list[dict[str, str]]:
    """Label, message and a link to the question on its section page, for each id."""
    links = []
    for question_id in ids:
        question = checklist.by_id.get(question_id)
        if question is None:
            continue
        links.append({
            "id": question_id, "label": question.label, "message": messages.get(question_id, ""),
            "url": url_for("visits.section", visit_id=visit.id,
                           section_id=top_of_question(checklist, question_id),
                           _anchor=f"q-{question_id}"),
        })
    return links


def constraint_messages(checklist: Checklist, ids: Sequence[str], language: str) -> dict[str, str]:
    """Question id → why its answer is refused, in *language*, for answers a constraint refuses.

    A submission is checked without knowing the page's language; its refusals are worded
    again here from each question's own message, rather than shown as the English it carries.
    """
    return {qid: localise(constraint_message(checklist.by_id[qid], language))
            for qid in ids if qid in checklist.by_id}


# -- saving -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostedState:
    """What the page was opened with: the visit's lock version and the section's values."""

    version: int
    base: dict[str, Any]


def posted_state(form: MultiDict) -> PostedState:
    """Read ``lock_version`` and ``base`` from a posted section form (400 when unusable)."""
    try:
        version = int(form.get("lock_version", ""))
        base = json.loads(form.get("base", ""))
    except ValueError:
        abort(400, _("The form is incomplete; reload the page."))
    if not isinstance(base, dict):
        abort(400, _("The form is incomplete; reload the page."))
    return PostedState(version, base)


@dataclass
class SaveOutcome:
    """What :func:`save_section` did."""

    saved: list[str] = field(default_factory=list)
    #: question id → message, for values refused (wrong type, constraint), in the language of
    #: the page that sent them.
    errors: dict[str, str] = field(default_factory=dict)
    #: the raw values of refused answers, to show them again as typed.
    rejected_raw: dict[str, Any] = field(default_factory=dict)
    #: the typed changes this save tried to store (used by the conflict view).
    changes: dict[str, Any] = field(default_factory=dict)
    conflict: AnswerConflict | None = None
    evaluation: VisitEvaluation | None = None


def same(a: Any, b: Any) -> bool:
    """Tell whether two answers are the same (every kind of empty is the same)."""
    if is_empty(a) and is_empty(b):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def save_section(session: Session, visit: Visit, checklist: Checklist, section: Section,
                 raw: Mapping[str, Any], base: Mapping[str, Any], version: int, *, by: User,
                 language: str = "en") -> SaveOutcome:
    """Type, filter, check and store the answers a page sent for *section*; commit.

    :param raw: question id → value as sent (text, a list of codes, or a typed value).
    :param base: the values the page was opened with; only answers that differ are saved.
    :param version: the visit's ``lock_version`` when the page was opened.
    :raises InvalidState: the visit cannot be edited any more.
    :raises NotAllowed: *by* may not edit this visit.
    """
    for attempt in range(2):
        try:
            outcome = _save_once(session, visit, checklist, section, raw, base, version, by,
                                 language)
        except StaleDataError:
            # Another save reached the database between our read and our write: start again
            # from what is stored now; the version check will then see their change.
            session.rollback()
            if attempt:
                raise
            continue
        if outcome.conflict is None:
            session.commit()
        else:
            session.rollback()
        return outcome
    raise AssertionError("unreachable")


def _save_once(session: Session, visit: Visit, checklist: Checklist, section: Section,
               raw: Mapping[str, Any], base: Mapping[str, Any], version: int, by: User,
               language: str) -> SaveOutcome:
    permissions.require(by, "visit.edit", visit)
    vault = current_vault()
    asked = {q.id: q for q in section_questions(section) if not q.is_computed}
    raw = {qid: value for qid, value in raw.items() if qid in asked}
    typed, problems = visit_service.coerce_answers(checklist, raw)
    changes = {qid: v for qid, v in typed.items() if not same(v, base.get(qid))}
    current = visit_service.current_answers(visit, vault)
    relevant = evaluate_values(checklist, {**current, **changes}, visit).relevant
    # Skip logic: an answer to a question that is not asked is dropped, never stored.
    changes = {qid: v for qid, v in changes.items() if qid in relevant}
    problems = {qid: m for qid, m in problems.items() if qid in relevant}
    for qid, message in constraint_problems(checklist, {**current, **changes}, relevant,
                                            language).items():
        if qid in raw:
            problems[qid] = message
            changes.pop(qid, None)
    # The answer checker speaks English (its messages keep their templates): show each
    # refusal in the page's language, beside its question and in the autosave reply.
    problems = {qid: localise(message) for qid, message in problems.items()}
    outcome = SaveOutcome(errors=problems, changes=changes,
                          rejected_raw={qid: raw[qid] for qid in problems if qid in raw})
    try:
        result = visit_service.save_answers(session, visit, changes, by=by, vault=vault,
                                            checklist=checklist, expected_version=version,
                                            base=base)
    except AnswerConflict as conflict:
        outcome.conflict = conflict
        return outcome
    outcome.saved = result.changed
    outcome.evaluation = evaluate_values(checklist, {**current, **changes}, visit)
    logger.info("visit %s section %s: %d answers saved, %d refused", visit.id, section.id,
                len(result.changed), len(problems))
    return outcome


# -- what the pages show ------------------------------------------------------------------------


def computed_text(value: Any) -> str:
    """A computed value as shown on the page (two decimals at most)."""
    if is_empty(value):
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def section_context(visit: Visit, checklist: Checklist, section: Section, *,
                    evaluation: VisitEvaluation | None = None,
                    errors: Mapping[str, str] | None = None,
                    typed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything ``visits/section.html`` needs.

    :param typed: raw values to show instead of the stored ones (answers refused on save).
    """
    from flask_babel import get_locale  # here: only pages need the request's language

    language = str(get_locale() or "en")
    stored = visit_service.current_answers(visit, current_vault())
    evaluation = evaluation or evaluate_values(checklist, stored, visit)
    questions = section_questions(section)
    values = display_values(questions, stored)
    values.update(typed or {})
    scope = sections_in_scope(checklist, visit)
    editable = (visit.state in visit_service.EDITABLE
                and permissions.can(g.user, "visit.edit", visit))
    return {
        "visit": visit, "checklist": checklist, "section": section, "language": language,
        "values": values, "relevant": evaluation.relevant, "errors": dict(errors or {}),
        "computed": {q.id: computed_text(evaluation.values.get(q.id)) for q in questions
                     if q.is_computed},
        "skip_notes": _skip_notes(checklist, section, language),
        "base_json": json.dumps(_base(questions, stored), ensure_ascii=False, sort_keys=True),
        "progress": section_progress(section, stored, evaluation.relevant),
        "sections": scope, "previous_section": neighbour(checklist, visit, section.id, -1),
        "next_section": neighbour(checklist, visit, section.id, +1),
        "editable": editable,
        "storage_key": f"dm-visit-{visit.id}-{section.id}",
        "error_links": question_links(checklist, visit, list(errors or {}), errors or {}),
    }


def _base(questions: Sequence[Question], stored: Mapping[str, Any]) -> dict[str, Any]:
    return {q.id: stored.get(q.id) for q in questions
            if not q.is_computed and not is_empty(stored.get(q.id))}


def _skip_notes(checklist: Checklist, section: Section, language: str) -> dict[str, str]:
    notes: dict[str, str] = {}
    for part in section.walk():
        if part.relevant:
            notes[part.id] = skip_instruction(part.relevant, checklist, language)
        for question in part.questions:
            if question.relevant:
                notes[question.id] = skip_instruction(question.relevant, checklist, language)
    return notes


def autosave_payload(visit: Visit, checklist: Checklist, section: Section,
                     outcome: SaveOutcome) -> dict[str, Any]:
    """The JSON the page script reads after an autosave."""
    stored = visit_service.current_answers(visit, current_vault())
    evaluation = outcome.evaluation or evaluate_values(checklist, stored, visit)
    questions = section_questions(section)
    ids = {q.id for q in questions}
    return {
        "saved": outcome.saved,
        "errors": outcome.errors,
        "relevant": sorted(ids & evaluation.relevant),
        "values_computed": {q.id: computed_text(evaluation.values.get(q.id)) for q in questions
                            if q.is_computed},
        "version": visit.lock_version,
        "base": _base(questions, stored),
        "progress": section_progress(section, stored, evaluation.relevant).as_json(),
    }


def answer_text(question: Question, value: Any, language: str) -> str:
    """An answer in words, for the conflict view."""
    if is_empty(value):
        return "—"
    if question.type in (QuestionType.SELECT_MANY,) and isinstance(value, (list, tuple)):
        return ", ".join(question.choice_label(str(c), language) for c in value)
    if question.choices:
        return question.choice_label(str(value), language)
    shown = display_value(question, value)
    return ", ".join(shown) if isinstance(shown, list) else shown


def conflict_context(visit: Visit, checklist: Checklist, section: Section, outcome: SaveOutcome,
                     language: str) -> dict[str, Any]:
    """What ``visits/conflict.html`` needs: each conflict, theirs and yours, in words."""
    conflict = outcome.conflict
    assert conflict is not None
    stored = visit_service.current_answers(visit, current_vault())
    rows = []
    for item in conflict.conflicts:
        question = checklist.by_id[item.question_id]
        rows.append({"question": question, "theirs": answer_text(question, item.theirs, language),
                     "yours": answer_text(question, item.yours, language)})
    others = [checklist.by_id[q] for q in outcome.changes
              if q not in {c.question_id for c in conflict.conflicts}]
    return {
        "visit": visit, "checklist": checklist, "section": section, "rows": rows,
        "others": others, "version": conflict.version,
        "pending_json": json.dumps(outcome.changes, ensure_ascii=False, sort_keys=True),
        "current_json": json.dumps({q: stored.get(q) for q in outcome.changes},
                                   ensure_ascii=False, sort_keys=True),
        "error_links": [],
    }
