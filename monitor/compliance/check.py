"""Check every compliance rule and red flag of a checklist against the rule kinds and the catalogue.

The checklist validator (:mod:`monitor.checklists.validate`) checks the shape of a rule; it
cannot know what each kind needs, since the kinds live in this layer. :func:`check_rules` does:
an unknown kind, a missing or unknown parameter, a bad operator, a ``standard:`` without a
threshold in the catalogue, a threshold on a question that does not hold a number, a map from
answers that are not the question's choices or to words that are not statuses, an expression
that cannot be read, a partial band that can never apply or points the wrong way, a red flag
citing an unknown standard. Each problem names the file, line and question.

The engine refuses a checklist with any of these problems (:func:`monitor.compliance.engine.prepare`),
so it never meets a broken rule in the middle of a visit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.checklists.expr import ExpressionError
from monitor.checklists.expr import parse as parse_expression
from monitor.checklists.parse import did_you_mean, kind_of
from monitor.checklists.schema import (
    CHOICE_TYPES,
    NUMBER_TYPES,
    SEVERITIES,
    STATUSES,
    Checklist,
    Question,
    QuestionType,
)
from monitor.compliance.rules import NOT_ASKED, RULE_KINDS
from monitor.compliance.standards import OPERATORS, Catalogue
from monitor.core.errors import Problem

__all__ = ["check_rules"]

_EXPRESSION_HELP = "The expression language is described in checklists/README.md (Expressions)."
_UPWARD = frozenset({">=", ">"})
_DOWNWARD = frozenset({"<=", "<"})
# Spellings people write for an operator, and the one the rules accept.
_OPERATOR_SLIPS = {"=": "==", "=>": ">=", "=<": "<=", "≥": ">=", "≤": "<="}


@dataclass
class _Report:
    """Collects the problems of one checklist, each placed at a question's rule."""

    checklist: Checklist
    problems: list[Problem]

    def add(self, question: Question, message: str, hint: str | None = None, *,
            line: int | None = None) -> None:
        rule_line = question.rule.line if question.rule is not None else None
        path = question.source or self.checklist.source or Path(self.checklist.id)
        self.problems.append(Problem(path, line or rule_line or question.line, question.id,
                                     message, hint))


def check_rules(checklist: Checklist, catalogue: Catalogue) -> list[Problem]:
    """List every problem in the compliance rules and red flags of *checklist*.

    :param checklist: a loaded checklist.
    :param catalogue: the standards catalogue the rules cite.
    :returns: the problems, in checklist order (red flags last); empty when all is well.
    """
    report = _Report(checklist, [])
    known_ids = set(checklist.by_id)
    for question in checklist.questions():
        if question.rule is not None:
            _check_rule(report, question, catalogue, known_ids)
    _check_red_flags(report, checklist, catalogue, known_ids)
    return report.problems


def _check_rule(report: _Report, question: Question, catalogue: Catalogue,
                known_ids: set[str]) -> None:
    spec = question.rule
    assert spec is not None
    kind = RULE_KINDS.get(spec.kind)
    kinds = ", ".join(sorted(RULE_KINDS))
    if kind is None:
        shown = f"'{spec.kind}'" if spec.kind else "missing"
        report.add(question, f"The rule kind {shown} is not known.",
                   did_you_mean(spec.kind, sorted(RULE_KINDS), f"Use one of: {kinds}.")
                   if spec.kind else f"Add 'kind:' with one of: {kinds}.")
        return
    for name in sorted(kind.required - set(spec.params)):
        report.add(question, f"The {spec.kind} rule has no '{name}'.",
                   _PARAM_HELP.get(spec.kind, "See checklists/README.md (Compliance rules)."))
    for name in sorted(set(spec.params) - kind.allowed):
        allowed = ", ".join(sorted(kind.allowed | {"kind", "standards", "severity"}))
        report.add(question, f"The {spec.kind} rule does not take '{name}'.",
                   did_you_mean(name, sorted(kind.allowed), f"It takes: {allowed}."))
    if spec.severity not in SEVERITIES:
        report.add(question, f"The rule severity '{spec.severity}' is not one of "
                   f"{', '.join(SEVERITIES)}.",
                   did_you_mean(spec.severity, SEVERITIES, f"Use one of: {', '.join(SEVERITIES)}."))
    if not spec.standards:
        report.add(question, "The rule has no standard to judge: the question cites none and "
                   "the rule names none.", "Add 'standards: [...]' to the question or the rule.")
    for standard_id in spec.standards:
        if standard_id not in catalogue.standards:
            report.add(question, f"The rule judges the standard '{standard_id}', which is not in "
                       "the standards catalogue.",
                       did_you_mean(standard_id, sorted(catalogue.standards),
                                    "Check the id against standards.yaml."))
    check_kind = _KIND_CHECKS.get(spec.kind)
    if check_kind is not None:
        check_kind(report, question, catalogue, known_ids)


_PARAM_HELP = {
    "map": "Write values: {'yes': compliant, 'no': non_compliant}.",
    "threshold": "Write standard: <id> to use the catalogue's threshold, or operator: '>=' and "
                 "value: <number>.",
    "expression": "Write compliant: \". >= ${other_question}\" (the answer is '.').",
}


# -- map ----------------------------------------------------------------------------------------


def _check_map(report: _Report, question: Question, catalogue: Catalogue,
               known_ids: set[str]) -> None:
    values = question.rule.params.get("values") if question.rule else None
    if values is None:
        return  # reported as missing
    if not isinstance(values, Mapping) or not values:
        report.add(question, f"'values' must map answers to statuses, not {kind_of(values)}.",
                   _PARAM_HELP["map"])
        return
    if question.type not in CHOICE_TYPES:
        report.add(question, f"A map rule judges choice codes, but the question is of type "
                   f"'{question.type.value}'.",
                   "Use a threshold rule for numbers, or an expression rule.")
        return
    codes = question.choice_codes()
    line_of = getattr(values, "line_of", None)
    for answer, status in values.items():
        line = line_of(answer) if line_of else None
        shown = "an answer" if question.sensitive else f"the answer '{answer}'"
        if not isinstance(answer, str):
            report.add(question, f"The map lists {shown} as {kind_of(answer)}; choice codes are "
                       "text.", f"Put it in quotes: '{answer}'." if not question.sensitive
                       else "Put the code in quotes.", line=line)
        elif answer not in codes:
            report.add(question, f"The map lists {shown}, which is not one of the question's "
                       "choices.",
                       did_you_mean(answer, codes, f"Use the codes: {', '.join(codes)}.")
                       if not question.sensitive else "Use the question's choice codes.",
                       line=line)
        elif answer == NOT_ASKED:
            report.add(question, "The map gives a status to 'na', which is never assessed.",
                       "Remove it: 'not applicable' is always not assessed.", line=line)
        if not isinstance(status, str) or status not in STATUSES:
            shown_status = f"'{status}'" if isinstance(status, str) else kind_of(status)
            report.add(question, f"The map gives {shown} the status {shown_status}, which is not "
                       "a status.",
                       did_you_mean(status, STATUSES, f"Use one of: {', '.join(STATUSES)}."),
                       line=line)


# -- threshold ----------------------------------------------------------------------------------


def _check_threshold(report: _Report, question: Question, catalogue: Catalogue,
                     known_ids: set[str]) -> None:
    spec = question.rule
    assert spec is not None
    params = spec.params
    if question.type not in NUMBER_TYPES and question.type is not QuestionType.CALCULATE:
        report.add(question, f"A threshold rule compares numbers, but the question is of type "
                   f"'{question.type.value}'.",
                   "Make the question an integer or decimal, or use a map rule.")
    standard_id = params.get("standard")
    main: tuple[str, float] | None = None
    if standard_id is not None:
        if "operator" in params or "value" in params:
            report.add(question, "The threshold rule has both 'standard' and 'operator'/'value'.",
                       "Keep 'standard' to use the catalogue's figure, or remove it and keep "
                       "your own operator and value.")
        standard = catalogue.standards.get(standard_id) if isinstance(standard_id, str) else None
        if standard is None:
            report.add(question, f"The rule takes its threshold from the standard "
                       f"'{standard_id}', which is not in the standards catalogue.",
                       did_you_mean(standard_id, sorted(catalogue.standards),
                                    "Check the id against standards.yaml."))
        elif standard.threshold is None:
            report.add(question, f"The rule takes its threshold from the standard "
                       f"'{standard_id}', but the catalogue gives that standard no threshold.",
                       "Write operator and value in the rule instead, or use a standard that "
                       "has a threshold.")
        else:
            main = (standard.threshold.operator, standard.threshold.value)
            if standard_id not in spec.standards:
                report.add(question, f"The rule takes its threshold from '{standard_id}' but "
                           f"does not judge it (it judges {', '.join(spec.standards)}).",
                           f"Add '{standard_id}' to the question's standards, so that findings "
                           "cite the standard whose figure they apply.")
    elif "operator" not in params or "value" not in params:
        missing = [name for name in ("operator", "value") if name not in params]
        report.add(question, f"The threshold rule has no 'standard' and no "
                   f"{' and no '.join(repr(m) for m in missing)}.", _PARAM_HELP["threshold"])
    else:
        main = _operator_value(report, question, params["operator"], params["value"], "")
    partial = params.get("partial")
    if partial is None:
        return
    if not isinstance(partial, Mapping):
        report.add(question, f"'partial' must be a mapping with operator and value, not "
                   f"{kind_of(partial)}.", "Write partial: {operator: '>=', value: 3}.")
        return
    line = getattr(partial, "line", None) or None
    for name in sorted(set(partial) - {"operator", "value"}):
        report.add(question, f"'partial' does not take '{name}'.",
                   "It takes operator and value only.", line=line)
    if "operator" not in partial or "value" not in partial:
        report.add(question, "'partial' needs both operator and value.",
                   "Write partial: {operator: '>=', value: 3}.", line=line)
        return
    band = _operator_value(report, question, partial["operator"], partial["value"], "partial ",
                           line)
    if main is not None and band is not None:
        _check_band(report, question, main, band, line)


def _operator_value(report: _Report, question: Question, operator: Any, value: Any,
                    what: str, line: int | None = None) -> tuple[str, float] | None:
    good = True
    if operator not in OPERATORS:
        slip = _OPERATOR_SLIPS.get(str(operator))
        report.add(question, f"The {what}operator {operator!r} is not one of "
                   f"{', '.join(OPERATORS)}.",
                   (f"Did you mean '{slip}'? " if slip else "")
                   + "Write it in quotes, e.g. operator: '>='.", line=line)
        good = False
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        report.add(question, f"The {what}value must be a number, not {kind_of(value)}.",
                   "Write the figure without quotes or units, e.g. value: 4.", line=line)
        good = False
    return (str(operator), float(value)) if good else None


def _check_band(report: _Report, question: Question, main: tuple[str, float],
                band: tuple[str, float], line: int | None) -> None:
    """A partial band must sit on the failing side of the threshold, facing the same way.

    Otherwise a worse answer could earn a better status (``>= 4`` with a partial ``<= 2`` makes
    1 partly compliant but 3 non-compliant), or the band could never apply.
    """
    (operator, value), (band_operator, band_value) = main, band
    if operator in _UPWARD:
        if band_operator not in _UPWARD:
            report.add(question, f"The partial band '{band_operator} {band_value:g}' faces the "
                       f"other way from the threshold '{operator} {value:g}': a lower answer "
                       "could be judged better than a higher one.",
                       f"Use '>=' or '>' with a value below {value:g}.", line=line)
        elif band_value > value or (band_value == value and band_operator == ">"
                                    and operator == ">="):
            report.add(question, f"The partial band '{band_operator} {band_value:g}' can never "
                       f"apply: every such answer already meets '{operator} {value:g}'.",
                       f"Give the band a value below {value:g}.", line=line)
    elif operator in _DOWNWARD:
        if band_operator not in _DOWNWARD:
            report.add(question, f"The partial band '{band_operator} {band_value:g}' faces the "
                       f"other way from the threshold '{operator} {value:g}': a higher answer "
                       "could be judged better than a lower one.",
                       f"Use '<=' or '<' with a value above {value:g}.", line=line)
        elif band_value < value or (band_value == value and band_operator == "<"
                                    and operator == "<="):
            report.add(question, f"The partial band '{band_operator} {band_value:g}' can never "
                       f"apply: every such answer already meets '{operator} {value:g}'.",
                       f"Give the band a value above {value:g}.", line=line)


# -- expression ---------------------------------------------------------------------------------


def _check_expression(report: _Report, question: Question, catalogue: Catalogue,
                      known_ids: set[str]) -> None:
    spec = question.rule
    assert spec is not None
    reads_answer, all_read = False, True
    for key in ("compliant", "partial"):
        if key not in spec.params:
            continue
        text = spec.params[key]
        if not isinstance(text, str):
            report.add(question, f"'{key}' must be an expression in quotes, not {kind_of(text)}.",
                       _EXPRESSION_HELP)
            all_read = False
            continue
        try:
            expression = parse_expression(text)
        except ExpressionError as error:
            if question.sensitive:
                at = f" at character {error.position + 1}" if error.position is not None else ""
                message = f"The rule's '{key}' expression cannot be read{at}."
            else:
                message = f"The rule's '{key}' expression cannot be read: {error.message}."
            report.add(question, message, _EXPRESSION_HELP)
            all_read = False
            continue
        for name in sorted(expression.references - known_ids):
            report.add(question, f"The rule's '{key}' expression refers to ${{{name}}}, but no "
                       f"question has the id '{name}'.",
                       did_you_mean(name, sorted(known_ids), "Check the question id."))
        if expression.uses_current or question.id in expression.references:
            reads_answer = True
    if "compliant" in spec.params and all_read and not reads_answer:
        report.add(question, "The rule's expressions never read the answer, so every answer "
                   "would be judged the same.",
                   f"Write '.' (or ${{{question.id}}}) where the answer belongs.")


# -- red flags ----------------------------------------------------------------------------------


def _check_red_flags(report: _Report, checklist: Checklist, catalogue: Catalogue,
                     known_ids: set[str]) -> None:
    path = checklist.source or Path(checklist.id)
    for flag in checklist.red_flags:
        where = f"red_flags[{flag.id}]"
        if flag.severity not in SEVERITIES:
            report.problems.append(Problem(
                path, flag.line, where, f"The red flag severity '{flag.severity}' is not one of "
                f"{', '.join(SEVERITIES)}.",
                did_you_mean(flag.severity, SEVERITIES, f"Use one of: {', '.join(SEVERITIES)}.")))
        if not flag.standards:
            report.problems.append(Problem(
                path, flag.line, where, "The red flag cites no standard.",
                "Add 'standards: [...]' so results can say which standard the situation breaches."))
        for standard_id in flag.standards:
            if standard_id not in catalogue.standards:
                report.problems.append(Problem(
                    path, flag.line, where, f"The red flag cites the standard '{standard_id}', "
                    "which is not in the standards catalogue.",
                    did_you_mean(standard_id, sorted(catalogue.standards),
                                 "Check the id against standards.yaml.")))
        try:
            expression = parse_expression(flag.when)
        except ExpressionError as error:
            report.problems.append(Problem(path, flag.line, where,
                                           f"The red flag's 'when' cannot be read: {error.message}.",
                                           _EXPRESSION_HELP))
            continue
        for name in sorted(expression.references - known_ids):
            report.problems.append(Problem(
                path, flag.line, where, f"The red flag's 'when' refers to ${{{name}}}, but no "
                f"question has the id '{name}'.",
                did_you_mean(name, sorted(known_ids), "Check the question id.")))


_KIND_CHECKS: dict[str, Callable[[_Report, Question, Catalogue, set[str]], None]] = {
    "map": _check_map,
    "threshold": _check_threshold,
    "expression": _check_expression,
}
