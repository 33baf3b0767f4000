"""Which questions a form holds: the whole checklist, or chosen sections and what they need.

A form of chosen sections also takes every question those sections refer to (in skip logic,
constraints, calculations and rules), inside the groups they belong to, so that the form
works on its own. Each question's group path (``access/visit_basics/visit_took_place``) is the
column name KoboToolbox gives its answer in submission exports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from monitor.checklists.expr import parse
from monitor.checklists.schema import Checklist, Question, Section
from monitor.core.errors import InputError

__all__ = ["META_CHECKLIST", "META_FACILITY", "META_NAMES", "META_SECTIONS", "META_VISIT_DATE",
           "META_VISIT_END", "ExportedForm", "plan_form"]

META_FACILITY = "dm_facility_id"
META_VISIT_DATE = "dm_visit_date"
META_VISIT_END = "dm_visit_end_date"
META_CHECKLIST = "dm_checklist"
META_SECTIONS = "dm_sections"
#: Names of the rows the export adds for the visit import (not questions of the checklist).
META_NAMES = frozenset({META_FACILITY, META_VISIT_DATE, META_VISIT_END, META_CHECKLIST,
                        META_SECTIONS})


@dataclass(frozen=True)
class ExportedForm:
    """What a form holds: the questions written, where each sits, and what was added.

    :ivar question_ids: ids of the checklist questions in the form, in form order.
    :ivar paths: question id → group path (``access/visit_basics/visit_took_place``), the
        column name KoboToolbox gives the answer in its exports.
    :ivar sections: the sections chosen (``None``: the whole checklist).
    :ivar notes: sentences about questions added because chosen sections refer to them.
    """

    checklist: Checklist
    question_ids: tuple[str, ...]
    paths: Mapping[str, str]
    sections: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()


@dataclass
class _Plan:
    questions: set[str]
    sections: set[str]
    chosen: tuple[str, ...] | None
    notes: list[str] = field(default_factory=list)


def plan_form(checklist: Checklist, sections: Sequence[str] | None = None) -> ExportedForm:
    """Work out which questions a form of *sections* holds, and their group paths.

    :param sections: section ids; ``None`` or empty for the whole checklist.
    :returns: the questions and paths, without building a workbook.
    :raises InputError: a section id is not in the checklist.
    """
    plan = _select(checklist, sections)
    paths: dict[str, str] = {}
    order: list[str] = []

    def walk(section: Section, trail: tuple[str, ...]) -> None:
        if section.id not in plan.sections:
            return
        here = (*trail, section.id)
        for question in section.questions:
            if question.id in plan.questions:
                paths[question.id] = "/".join((*here, question.id))
                order.append(question.id)
        for child in section.sections:
            walk(child, here)

    for top in checklist.sections:
        walk(top, ())
    return ExportedForm(checklist, tuple(order), paths, plan.chosen, tuple(plan.notes))


def _select(checklist: Checklist, sections: Sequence[str] | None) -> _Plan:
    every_section = {s.id for s in checklist.all_sections()}
    chosen = [s for s in dict.fromkeys(x.strip() for x in sections or ()) if s]
    if not chosen:
        return _Plan(set(checklist.by_id), every_section, None)
    unknown = [s for s in chosen if s not in checklist.section_by_id]
    if unknown:
        known = ", ".join(s.id for s in checklist.all_sections())
        raise InputError(f"The checklist '{checklist.id}' has no section '{unknown[0]}'. "
                         f"Its sections are: {known}.")
    inside = {d.id for s in chosen for d in checklist.section_by_id[s].walk()}
    keep = {q.id for q in checklist.questions() if q.section_id in inside}
    notes: list[str] = []
    pending = list(keep)
    while pending:
        question = checklist.by_id[pending.pop()]
        for name in sorted(_references(checklist, question)):
            if name not in keep and name in checklist.by_id:
                keep.add(name)
                pending.append(name)
                notes.append(f"Question '{name}' (section "
                             f"'{checklist.by_id[name].section_id}') is added because "
                             f"'{question.id}' refers to it.")
    kept_sections = set(inside)
    for question_id in keep:
        kept_sections.update(s.id for s in checklist.section_chain(checklist.by_id[question_id]
                                                                   .section_id))
    return _Plan(keep, kept_sections, tuple(chosen), notes)


def _references(checklist: Checklist, question: Question) -> set[str]:
    """Ids a question's skip logic, constraint, calculation, sections and rule refer to."""
    texts = [question.relevant, question.constraint, question.calculation]
    texts += [s.relevant for s in checklist.section_chain(question.section_id)]
    if question.rule is not None and question.rule.kind == "expression":
        texts += [question.rule.params.get(k) for k in ("compliant", "partial")]
    found: set[str] = set()
    for text in texts:
        if isinstance(text, str) and text.strip():
            found |= parse(text).references
    return found
