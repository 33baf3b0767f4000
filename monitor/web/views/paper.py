"""The paper fallback: a blank checklist to print, with every skip instruction in words."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, render_template
from flask_babel import get_locale

from monitor.checklists.schema import Checklist, Section
from monitor.checklists.wording import constraint_instruction, skip_instruction
from monitor.web.auth import login_required
from monitor.web.context import current_catalog

bp = Blueprint("paper", __name__, url_prefix="/checklists")


@bp.route("/<checklist_id>/<int:version>/print")
@login_required
def print_checklist(checklist_id: str, version: int):
    """A4-friendly blank checklist: answer boxes, tick boxes, skip instructions in words."""
    checklist = current_catalog().get(checklist_id, version)
    language = str(get_locale() or "en")
    numbers = question_numbers(checklist)
    return render_template(
        "visits/print.html", checklist=checklist, numbers=numbers,
        section_numbers=dict(section_numbers(checklist.sections)),
        skips=_skips(checklist, language, numbers),
        constraints={q.id: constraint_instruction(q.constraint, checklist, language,
                                                  numbers=numbers, current=q.id)
                     for q in checklist.questions() if q.constraint},
    )


def question_numbers(checklist: Checklist) -> dict[str, int]:
    """Number the questions to answer 1, 2, 3… in form order (computed values get none)."""
    asked = [q for q in checklist.questions() if not q.is_computed]
    return {q.id: position for position, q in enumerate(asked, start=1)}


def section_numbers(sections: tuple[Section, ...], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Yield (section id, "2.3") for every section, depth first."""
    for position, section in enumerate(sections, start=1):
        number = f"{prefix}{position}"
        yield section.id, number
        yield from section_numbers(section.sections, number + ".")


def _skips(checklist: Checklist, language: str, numbers: dict[str, int]) -> dict[str, str]:
    words: dict[str, str] = {}
    for section in checklist.all_sections():
        if section.relevant:
            words[section.id] = skip_instruction(section.relevant, checklist, language,
                                                 numbers=numbers)
        for question in section.questions:
            if question.relevant:
                words[question.id] = skip_instruction(question.relevant, checklist, language,
                                                      numbers=numbers)
    return words
