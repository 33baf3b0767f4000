"""The second pass of an XLSForm import: expressions, choice lists and our own types.

Once every row is read (and every renamed question is known), each expression is converted
(:func:`monitor.interop.expressions.convert`) and its references checked: one that cannot be
kept, or that names a question left out, is an error in ``relevant``, ``calculation`` and red
flags and a warning in ``constraint`` (dropped with its message). Select questions are tied to
their lists, and ``dm_type`` turns yes/no lists of our own exports back into ``yes_no`` and
``yes_no_partly_na``.
"""

from __future__ import annotations

from monitor.checklists.schema import QuestionType
from monitor.interop.expressions import Converted, convert, rename_references
from monitor.interop.form_parts import FormParts, ListPart, QuestionPart
from monitor.interop.sheets import FormProblem

__all__ = ["finish"]


def finish(parts: FormParts) -> None:
    """Convert every expression, check every choice list, and restore our own types."""
    for section in parts.all_sections():
        if section.raw_relevant:
            section.relevant = _expression(parts, "survey", section.row, section.raw_relevant,
                                           f"the relevant of the group '{section.id}'", True)
    for part in parts.questions.values():
        for key, strict in (("relevant", True), ("calculation", True), ("constraint", False)):
            text = part.raw.get(key)
            if text:
                setattr(part, key, _expression(parts, "survey", part.row, text,
                                               f"the {key} of '{part.id}'", strict))
        if part.raw.get("constraint") and part.constraint is None:
            part.message = {}
        elif part.message and not part.raw.get("constraint"):
            parts.problems.append(FormProblem("survey", part.row, f"the constraint message of "
                                              f"'{part.id}' is left out: it has no constraint.",
                                              "warning"))
            part.message = {}
        if isinstance(part.rule, dict):
            for key in ("compliant", "partial"):
                if isinstance(part.rule.get(key), str):
                    part.rule[key] = rename_references(part.rule[key], parts.renames)
        _choices(parts, part)
    for flag in parts.red_flags:
        flag.when = _expression(parts, "dm_red_flags", flag.row, flag.raw_when,
                                f"the condition of the red flag '{flag.id}'", True)


def _expression(parts: FormParts, sheet: str, row: int, text: str, what: str,
                strict: bool) -> str | None:
    """Convert one expression; report what cannot be kept (an error when *strict*)."""
    result: Converted = convert(text, parts.renames)
    level = "error" if strict else "warning"
    consequence = "" if strict else "; it is left out (the answer is checked less)"
    if result.error is not None:
        parts.problems.append(FormProblem(sheet, row, f"{what} ({text}) cannot be kept: "
                                          f"{result.error}{consequence}.", level))
        return None
    for warning in result.warnings:
        parts.problems.append(FormProblem(sheet, row, f"{what}: {warning}.", "warning"))
    for name in sorted(result.references):
        if name in parts.questions:
            continue
        why = parts.dropped.get(name)
        reason = (f"'{name}' is not imported ({why})" if why
                  else f"the form has no question named '{name}'")
        parts.problems.append(FormProblem(sheet, row, f"{what} ({text}) refers to ${{{name}}}, "
                                          f"but {reason}{consequence}.", level))
        return None
    return result.text


def _choices(parts: FormParts, part: QuestionPart) -> None:
    """Check the question's list and its ``dm_type``; turn yes/no lists back into our types."""
    if part.list_name is not None:
        found: ListPart | None = parts.lists.get(part.list_name)
        if found is None:
            parts.problems.append(FormProblem(
                "survey", part.row, f"'{part.id}' uses the choice list '{part.list_name}', which "
                "the choices sheet does not have: add it, or correct the list name."))
            part.list_name = None
        else:
            found.users.append(part.id)
    if not part.dm_type or part.dm_type == part.type.value:
        return
    wanted = part.dm_type
    codes = tuple(c.code for c in parts.lists[part.list_name].choices) \
        if part.list_name in parts.lists else ()
    built_in = {"yes_no": ("yes", "no"), "yes_no_partly_na": ("yes", "no", "partly", "na")}
    if wanted in built_in and part.type is QuestionType.SELECT_ONE and codes == built_in[wanted]:
        used = parts.lists[part.list_name]  # type: ignore[index]
        used.users.remove(part.id)
        used.absorbed = True
        part.type, part.list_name = QuestionType(wanted), None
        return
    if wanted == "long_text" and part.type is QuestionType.TEXT:
        part.type = QuestionType.LONG_TEXT
        return
    parts.problems.append(FormProblem(
        "survey", part.row, f"'{part.id}' has dm_type {wanted}, which does not fit its XLSForm "
        f"type; it stays {part.type.value}.", "warning"))
