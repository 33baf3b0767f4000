"""The kinds of compliance rule a checklist question can carry, keyed by their name in YAML.

Each kind is registered with :func:`rule`, which records the parameters it needs and may take,
and a *builder*: given the question, its rule and the standards catalogue, the builder returns
a :class:`CompiledRule` whose ``judge`` turns one answer into a :class:`Status`. Builders run
once per checklist (see :func:`monitor.compliance.engine.prepare`); judges run for every visit
and must be quick and pure.

The kinds
---------
``map``
    ``values``: answer code → status. A ``select_many`` answer takes the worst status among
    the ticked codes that are listed. Codes not listed are not assessed.
``threshold``
    ``standard`` (the catalogue's threshold for that standard: operator, value and unit) or
    ``operator`` + ``value`` (operators ``>=``, ``>``, ``<=``, ``<``, ``==``); optional
    ``partial: {operator, value}``. Compliant when ``answer <operator> value`` holds, else
    partially compliant when the ``partial`` condition holds, else non-compliant. Equality and
    the bounds allow for floating-point noise (12 ÷ 3 is exactly 4 here). An answer that is
    not a number (text that does not read as one, a yes/no value) is not assessed.
``expression``
    ``compliant`` and optional ``partial``: expressions in which ``.`` is the answer.
    Compliant when ``compliant`` is true, partially compliant when ``partial`` is true,
    otherwise non-compliant — except that when neither is true and another question the
    expressions name is empty, the rule is not assessed: a missing comparison figure is not
    evidence of a breach.

For every kind, an empty answer (``None``, ``''``, no choice ticked), a skipped question and
the answer ``na`` are not assessed before the judge is ever called: silence is never
compliance. The engine applies that rule; judges only see real answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.checklists.expr import Expression, is_empty
from monitor.checklists.expr import parse as parse_expression
from monitor.checklists.expr_functions import to_number
from monitor.checklists.schema import Question, RuleSpec
from monitor.compliance.standards import ENGLISH, OPERATORS, Threshold, Wording
from monitor.compliance.types import Status

if TYPE_CHECKING:
    from monitor.compliance.standards import Catalogue

__all__ = [
    "NOT_ASKED",
    "RULE_KINDS",
    "CompiledRule",
    "Judge",
    "RuleError",
    "RuleKind",
    "compile_rule",
    "judge_answer",
    "rule",
    "to_measure",
]

#: ``judge(answer, values)``: the status of one real answer; ``values`` are the visit's
#: answers after skip logic plus computed values (expression rules read them).
Judge = Callable[[Any, Mapping[str, Any]], Status]

#: The answer that means "does not apply here": never assessed.
NOT_ASKED = "na"


class RuleError(ValueError):
    """A rule's parameters cannot be used. :mod:`monitor.compliance.check` reports these as
    problems with file and line before the engine ever builds a rule."""


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule made ready to judge answers.

    ``threshold`` and ``partial`` are the compliant and partly-compliant conditions of a
    threshold rule (``None`` for other kinds); ``from_standard`` tells whether the threshold
    comes from the catalogue. ``references`` are the question ids the rule reads besides the
    answer itself.
    """

    kind: str
    judge: Judge
    threshold: Threshold | None = None
    partial: Threshold | None = None
    from_standard: bool = False
    references: frozenset[str] = frozenset()


Builder = Callable[[Question, RuleSpec, "Catalogue | None"], CompiledRule]


@dataclass(frozen=True)
class RuleKind:
    """A registered kind: its name, the parameters it needs and may take, and its builder."""

    name: str
    required: frozenset[str]
    optional: frozenset[str]
    build: Builder

    @property
    def allowed(self) -> frozenset[str]:
        return self.required | self.optional


_KINDS: dict[str, RuleKind] = {}
#: Every registered kind by name (read-only view).
RULE_KINDS: Mapping[str, RuleKind] = _KINDS


def rule(kind: str, *required: str, optional: tuple[str, ...] = ()) -> Callable[[Builder], Builder]:
    """Register a builder under *kind*, declaring the parameters it needs and may take.

    :param kind: the name written as ``kind:`` in a checklist.
    :param required: parameters every rule of this kind must have.
    :param optional: parameters it may have.
    :raises RuntimeError: the kind is registered twice.
    """
    def register(build: Builder) -> Builder:
        if kind in _KINDS:
            raise RuntimeError(f"rule kind {kind!r} is registered twice")
        _KINDS[kind] = RuleKind(kind, frozenset(required), frozenset(optional), build)
        return build
    return register


def compile_rule(question: Question, catalogue: Catalogue | None = None) -> CompiledRule:
    """Build the judge for *question*'s rule.

    :param question: a question that has a ``rule``.
    :param catalogue: the standards catalogue (needed by ``threshold`` rules with ``standard``).
    :raises RuleError: the rule's kind or parameters cannot be used.
    """
    spec = question.rule
    if spec is None:
        raise RuleError(f"question '{question.id}' has no rule")
    kind = _KINDS.get(spec.kind)
    if kind is None:
        raise RuleError(f"unknown rule kind '{spec.kind}'")
    missing = kind.required - set(spec.params)
    if missing:
        raise RuleError(f"the {spec.kind} rule needs {', '.join(sorted(missing))}")
    return kind.build(question, spec, catalogue)


def judge_answer(question: Question, answer: Any, values: Mapping[str, Any] | None = None,
                 catalogue: Catalogue | None = None) -> Status:
    """Judge one answer with the question's rule, as the engine does (for tests and previews).

    :param question: a question that has a ``rule``.
    :param answer: the answer; empty or ``na`` gives ``not_assessed``.
    :param values: the other answers, for expression rules; the answer itself is added.
    :param catalogue: the standards catalogue.
    :raises RuleError: the rule cannot be used.
    """
    compiled = compile_rule(question, catalogue)
    if is_empty(answer) or answer == NOT_ASKED:
        return Status.NOT_ASSESSED
    known = dict(values or {})
    known[question.id] = answer
    return compiled.judge(answer, known)


def to_measure(value: Any) -> float | None:
    """Read an answer as a measurement: a number or numeric text; anything else is ``None``.

    Yes/no values are not measurements, and neither are NaN or infinity.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    # The expression language's reading of numbers, so a rule and a red flag agree on '12'.
    number = to_number(value)
    if number is None:
        return None
    try:
        number = float(number)
    except OverflowError:  # an integer beyond any float
        return None
    return number if math.isfinite(number) else None


# -- map ----------------------------------------------------------------------------------------


def status_of(value: Any) -> Status:
    """The status a rule parameter names; :raises RuleError: it names none."""
    try:
        return Status(value)
    except ValueError:
        raise RuleError(f"{value!r} is not a status") from None


@rule("map", "values")
def _build_map(question: Question, spec: RuleSpec, catalogue: Catalogue | None) -> CompiledRule:
    table_in = spec.params["values"]
    if not isinstance(table_in, Mapping) or not table_in:
        raise RuleError("'values' must map answers to statuses")
    table = {_code(answer): status_of(status) for answer, status in table_in.items()}
    ranks = {code: status.rank for code, status in table.items()}

    def judge(answer: Any, values: Mapping[str, Any]) -> Status:
        if type(answer) is str:
            return table.get(answer, Status.NOT_ASSESSED)
        if isinstance(answer, (list, tuple)):
            # Several ticked codes: the worst listed one decides.
            listed = [code for code in answer if code in ranks and ranks[code] < 3]
            if not listed:
                return Status.NOT_ASSESSED
            return table[min(listed, key=ranks.__getitem__)]
        return Status.NOT_ASSESSED

    return CompiledRule("map", judge)


def _code(answer: Any) -> str:
    # Choice codes are text; a key YAML read as a number is compared as the text it was.
    return answer if isinstance(answer, str) else str(answer)


# -- threshold ----------------------------------------------------------------------------------


def make_threshold(measure: str, operator: Any, value: Any, unit: str | None,
                   wording: Wording = ENGLISH) -> Threshold:
    """Build a threshold from a rule's own ``operator`` and ``value``.

    :param wording: how the catalogue's languages say it (English alone by default).

    :raises RuleError: the operator is not one of ``>=``, ``>``, ``<=``, ``<``, ``==`` or the
        value is not a number.
    """
    if operator not in OPERATORS:
        raise RuleError(f"operator {operator!r} is not one of {', '.join(OPERATORS)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RuleError(f"value {value!r} is not a number")
    return Threshold(measure, operator, float(value), unit or "", wording)


@rule("threshold", optional=("standard", "operator", "value", "partial"))
def _build_threshold(question: Question, spec: RuleSpec,
                     catalogue: Catalogue | None) -> CompiledRule:
    params = spec.params
    wording = catalogue.wording if catalogue is not None else ENGLISH
    standard_id = params.get("standard")
    if standard_id is not None:
        if "operator" in params or "value" in params:
            raise RuleError("write either 'standard' or 'operator' and 'value', not both")
        standard = catalogue.standards.get(standard_id) if catalogue is not None else None
        if standard is None or standard.threshold is None:
            raise RuleError(f"the standard {standard_id!r} has no threshold in the catalogue")
        threshold = standard.threshold
        unit: str | None = threshold.unit
    else:
        if "operator" not in params or "value" not in params:
            raise RuleError("a threshold rule needs 'standard', or 'operator' and 'value'")
        unit = question.unit
        threshold = make_threshold(question.id, params["operator"], params["value"], unit,
                                   wording)
    partial_in = params.get("partial")
    partial = None
    if partial_in is not None:
        if not isinstance(partial_in, Mapping):
            raise RuleError("'partial' must be {operator: ..., value: ...}")
        partial = make_threshold(question.id, partial_in.get("operator"), partial_in.get("value"),
                                 unit, wording)
    meets, partly = threshold.holds, (partial.holds if partial is not None else None)

    def judge(answer: Any, values: Mapping[str, Any]) -> Status:
        number = to_measure(answer)
        if number is None:
            return Status.NOT_ASSESSED
        if meets(number):
            return Status.COMPLIANT
        if partly is not None and partly(number):
            return Status.PARTIALLY_COMPLIANT
        return Status.NON_COMPLIANT

    return CompiledRule("threshold", judge, threshold, partial, standard_id is not None)


# -- expression ---------------------------------------------------------------------------------


def rule_expression(spec: RuleSpec, key: str) -> Expression | None:
    """Parse the expression parameter *key* of a rule (``None`` when absent).

    :raises RuleError: it is not text or cannot be read.
    """
    text = spec.params.get(key)
    if text is None:
        return None
    try:
        return parse_expression(text)
    except ValueError as error:  # ExpressionError is a ValueError
        raise RuleError(f"'{key}' cannot be read: {error}") from None


@rule("expression", "compliant", optional=("partial",))
def _build_expression(question: Question, spec: RuleSpec,
                      catalogue: Catalogue | None) -> CompiledRule:
    compliant = rule_expression(spec, "compliant")
    assert compliant is not None  # required
    partial = rule_expression(spec, "partial")
    test_compliant = compliant.test
    test_partial = partial.test if partial is not None else None
    others = set(compliant.references) | (set(partial.references) if partial else set())
    others.discard(question.id)
    inputs = tuple(sorted(others))

    def judge(answer: Any, values: Mapping[str, Any]) -> Status:
        if test_compliant(values, answer):
            return Status.COMPLIANT
        if test_partial is not None and test_partial(values, answer):
            return Status.PARTIALLY_COMPLIANT
        for name in inputs:
            if is_empty(values.get(name)):
                return Status.NOT_ASSESSED
        return Status.NON_COMPLIANT

    return CompiledRule("expression", judge, references=frozenset(inputs))
