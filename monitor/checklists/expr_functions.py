"""What the values, operators and functions of the checklist expression language mean.

:mod:`monitor.checklists.expr` parses an expression and builds a tree of closures; this module
supplies the behaviour those closures call. Every function here accepts any answer value
(``None``, ``bool``, ``int``, ``float``, ``str``, a list of choice codes, or anything else a
caller passes) and never raises: a strange value gives an empty result, not a crash in the
middle of a visit. The rules themselves are listed in the docstring of
:mod:`monitor.checklists.expr`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from monitor.core.clock import today as clock_today

#: A compiled expression: ``evaluate(answers, current, today)`` returns a value.
Evaluator = Callable[[Mapping[str, Any], Any, "date | None"], Any]

_NUMERIC_TEXT = re.compile(r"\s*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*\Z")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_EPOCH = date(1970, 1, 1)
# Python refuses to turn text of more than 4,300 digits into an int; such text is read as a
# float instead (which then overflows to infinity and counts as empty in arithmetic).
_LONGEST_INT_TEXT = 4000
# Enough digits for any rounding a person could mean; larger place counts are clamped.
_ROUNDING = Context(prec=1000, rounding=ROUND_HALF_UP)
_MAX_PLACES = 400


def is_empty(value: Any) -> bool:
    """Tell whether a value counts as "no answer": ``None``, ``''`` or an empty list.

    :param value: any answer or computed value.
    :returns: ``True`` for ``None``, the empty string and empty lists or tuples.
    """
    if value is None:
        return True
    if isinstance(value, (str, list, tuple)):
        return len(value) == 0
    return False


def to_boolean(value: Any) -> bool:
    """Convert a value to true or false the way XPath ``boolean()`` does.

    ``None``, ``''``, empty lists, ``0``, ``False`` and NaN are false; every other value,
    including the text ``'false'`` or ``'0'``, is true.
    """
    if value is None:
        return False
    if isinstance(value, float):
        return value != 0 and value == value  # NaN is the only value unequal to itself
    if isinstance(value, (bool, int)):
        return value != 0
    if isinstance(value, (str, list, tuple)):
        return len(value) > 0
    return True


def to_string(value: Any) -> str:
    """Convert a value to text as XPath ``string()`` does (``2.0`` becomes ``'2'``)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, (list, tuple)):
        return " ".join(to_string(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _number_from_text(text: str) -> int | float | None:
    if not _NUMERIC_TEXT.match(text):
        return None
    text = text.strip()
    if "." in text or len(text) > _LONGEST_INT_TEXT:
        return float(text)
    return int(text)


def to_number(value: Any) -> int | float | None:
    """Read a value as a number: numbers, numeric text (``' 12.5 '``) and booleans (1/0).

    :returns: the number, or ``None`` when the value is empty or not a number.
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return _number_from_text(value)
    if isinstance(value, (list, tuple)) and value:
        return _number_from_text(to_string(value))
    return None


def to_operand(value: Any) -> int | float | None:
    """Read a value for arithmetic: like :func:`to_number`, and an ISO date counts as days.

    A date (``'2024-03-01'`` or a :class:`datetime.date`) becomes the number of days since
    1970-01-01, as in ODK, so ``${released} - ${arrived}`` gives a length of stay in days.
    Infinite and NaN numbers count as empty.
    """
    kind = type(value)
    if kind is int:  # the common cases first: this runs for every operand of arithmetic
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    number = to_number(value)
    if number is None:
        if isinstance(value, str) and _ISO_DATE.match(value):
            try:
                return (date.fromisoformat(value) - _EPOCH).days
            except ValueError:  # looks like a date but is not one (2024-13-45)
                return None
        if isinstance(value, datetime):
            return (value.date() - _EPOCH).days
        if isinstance(value, date):
            return (value - _EPOCH).days
        return None
    if isinstance(number, float) and not math.isfinite(number):
        return None
    return number


# -- operators ---------------------------------------------------------------------------------


_PLAIN_NUMBERS = (int, float)  # exact types: bool is a subclass of int but is not plain


def equals(left: Any, right: Any) -> bool:
    """The ``=`` operator.

    Empty equals ``''`` and empty only; if either side is a boolean, both are compared as
    booleans; two numbers (or numeric texts) compare as numbers; anything else as text.
    """
    if type(left) in _PLAIN_NUMBERS and type(right) in _PLAIN_NUMBERS:
        return left == right
    left_empty, right_empty = is_empty(left), is_empty(right)
    if left_empty or right_empty:
        return left_empty and right_empty
    if isinstance(left, bool) or isinstance(right, bool):
        return to_boolean(left) == to_boolean(right)
    left_number, right_number = to_number(left), to_number(right)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    return to_string(left) == to_string(right)


def not_equals(left: Any, right: Any) -> bool:
    """The ``!=`` operator: exactly the opposite of ``=``."""
    return not equals(left, right)


def _ordering(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        if type(left) in _PLAIN_NUMBERS and type(right) in _PLAIN_NUMBERS:
            return test(left, right)
        # An empty side never satisfies an ordering: a skipped question must not pass a rule.
        if is_empty(left) or is_empty(right):
            return False
        left_number, right_number = to_number(left), to_number(right)
        if left_number is not None and right_number is not None:
            return test(left_number, right_number)
        if left_number is None and right_number is None:
            return test(to_string(left), to_string(right))  # ISO dates sort as text
        return False  # a number against text that is not a number

    return compare


COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": equals,
    "!=": not_equals,
    "<": _ordering(lambda a, b: a < b),
    "<=": _ordering(lambda a, b: a <= b),
    ">": _ordering(lambda a, b: a > b),
    ">=": _ordering(lambda a, b: a >= b),
}


def _finite(result: int | float) -> int | float | None:
    if isinstance(result, float) and not math.isfinite(result):
        return None
    return result


def _arithmetic(operate: Callable[[Any, Any], Any]) -> Callable[[Any, Any], int | float | None]:
    def apply(left: Any, right: Any) -> int | float | None:
        if type(left) is int and type(right) is int:
            a, b = left, right
        else:
            a, b = to_operand(left), to_operand(right)
        if a is None or b is None:
            return None
        try:
            result = operate(a, b)
        except (OverflowError, ZeroDivisionError, ValueError):  # huge ints no float can hold
            return None
        return None if result is None else _finite(result)

    return apply


def _divide(a: int | float, b: int | float) -> float | None:
    return None if b == 0 else a / b


def _modulo(a: int | float, b: int | float) -> int | float | None:
    # XPath's mod keeps the sign of the dividend (-7 mod 3 = -1), unlike Python's %.
    if b == 0:
        return None
    if isinstance(a, int) and isinstance(b, int):
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    return math.fmod(a, b)


ARITHMETIC: dict[str, Callable[[Any, Any], int | float | None]] = {
    "+": _arithmetic(lambda a, b: a + b),
    "-": _arithmetic(lambda a, b: a - b),
    "*": _arithmetic(lambda a, b: a * b),
    "div": _arithmetic(_divide),
    "mod": _arithmetic(_modulo),
}


def negate(value: Any) -> int | float | None:
    """Unary minus; empty stays empty."""
    number = to_operand(value)
    return None if number is None else -number


# -- functions ---------------------------------------------------------------------------------


def _selected_codes(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)):
        return [code for code in (to_string(item).strip() for item in value) if code]
    return to_string(value).split()


def selected(value: Any, code: Any) -> bool:
    """``selected(v, 'code')``: the answer (a list or a space-separated text) includes code."""
    wanted = to_string(code).strip()
    if not wanted:
        return False
    if isinstance(value, list) and wanted in value:  # the common case, without copying
        return True
    return wanted in _selected_codes(value)


def count_selected(value: Any) -> int:
    """``count-selected(v)``: how many choices a select_many answer holds."""
    return len(_selected_codes(value))


def to_int(value: Any) -> int | None:
    """``int(x)``: the number without its fraction (towards zero); empty stays empty."""
    number = to_operand(value)
    return None if number is None else math.trunc(number)


def round_number(value: Any, places: Any = 0) -> int | float | None:
    """``round(x[, n])``: round to n decimal places, halves away from zero.

    ``round(2.5)`` is 3 and ``round(-2.5)`` is -3 (as ODK's two-argument ``round`` does). With
    n <= 0 the result is a whole number; a negative n rounds to tens, hundreds...
    """
    number, digits = to_operand(value), to_operand(places)
    if number is None or digits is None:
        return None
    digits = max(-_MAX_PLACES, min(_MAX_PLACES, math.trunc(digits)))
    exact = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    try:
        rounded = exact.quantize(Decimal(1).scaleb(-digits), context=_ROUNDING)
    except InvalidOperation:  # more digits than the rounding context holds
        return None
    if digits <= 0:
        return int(rounded)
    return _finite(float(rounded))


def _numbers(values: Sequence[Any]) -> list[int | float]:
    return [n for n in (to_number(v) for v in values) if n is not None and n == n]


def minimum(*values: Any) -> int | float | None:
    """``min(...)``: the smallest number among the arguments, ignoring empty values."""
    numbers = _numbers(values)
    return min(numbers) if numbers else None


def maximum(*values: Any) -> int | float | None:
    """``max(...)``: the largest number among the arguments, ignoring empty values."""
    numbers = _numbers(values)
    return max(numbers) if numbers else None


@dataclass(frozen=True)
class FunctionSpec:
    """A function of the language: how many arguments it takes and how to build its evaluator.

    ``build`` receives the evaluators of the arguments and returns the evaluator of the call,
    so that ``if`` and ``coalesce`` can leave an argument unevaluated.
    """

    name: str
    min_args: int
    max_args: int | None  # None: any number
    usage: str
    build: Callable[[list[Evaluator]], Evaluator]
    depends_on_today: bool = False


def _strict(function: Callable[..., Any]) -> Callable[[list[Evaluator]], Evaluator]:
    """Build an evaluator that evaluates every argument, then calls *function*."""

    def build(args: list[Evaluator]) -> Evaluator:
        if len(args) == 0:
            return lambda answers, current, today: function()
        if len(args) == 1:
            (only,) = args
            return lambda answers, current, today: function(only(answers, current, today))
        if len(args) == 2:
            first, second = args
            return lambda answers, current, today: function(
                first(answers, current, today), second(answers, current, today)
            )
        return lambda answers, current, today: function(*(a(answers, current, today) for a in args))

    return build


def _build_if(args: list[Evaluator]) -> Evaluator:
    condition, when_true, when_false = args

    def evaluate_if(answers: Mapping[str, Any], current: Any, today: date | None) -> Any:
        if to_boolean(condition(answers, current, today)):
            return when_true(answers, current, today)
        return when_false(answers, current, today)

    return evaluate_if


def _build_coalesce(args: list[Evaluator]) -> Evaluator:
    first, second = args

    def evaluate_coalesce(answers: Mapping[str, Any], current: Any, today: date | None) -> Any:
        value = first(answers, current, today)
        return second(answers, current, today) if is_empty(value) else value

    return evaluate_coalesce


def _build_today(args: list[Evaluator]) -> Evaluator:
    return lambda answers, current, today: (today or clock_today()).isoformat()


def _concat(*values: Any) -> str:
    return "".join(to_string(value) for value in values)


_SPECS = [
    FunctionSpec("not", 1, 1, "not(condition)", _strict(lambda v: not to_boolean(v))),
    FunctionSpec("selected", 2, 2, "selected(${question}, 'code')", _strict(selected)),
    FunctionSpec("count-selected", 1, 1, "count-selected(${question})", _strict(count_selected)),
    FunctionSpec("if", 3, 3, "if(condition, value_if_true, value_if_false)", _build_if),
    FunctionSpec("coalesce", 2, 2, "coalesce(value, value_if_empty)", _build_coalesce),
    FunctionSpec("number", 1, 1, "number(value)", _strict(to_operand)),
    FunctionSpec("int", 1, 1, "int(number)", _strict(to_int)),
    FunctionSpec("round", 1, 2, "round(number) or round(number, places)", _strict(round_number)),
    FunctionSpec(
        "string-length", 1, 1, "string-length(text)", _strict(lambda v: len(to_string(v)))
    ),
    FunctionSpec("concat", 0, None, "concat(text, text, ...)", _strict(_concat)),
    FunctionSpec("min", 1, None, "min(number, number, ...)", _strict(minimum)),
    FunctionSpec("max", 1, None, "max(number, number, ...)", _strict(maximum)),
    FunctionSpec("today", 0, 0, "today()", _build_today, depends_on_today=True),
    FunctionSpec("true", 0, 0, "true()", _strict(lambda: True)),
    FunctionSpec("false", 0, 0, "false()", _strict(lambda: False)),
]

#: Every function of the language, by name.
FUNCTION_SPECS: dict[str, FunctionSpec] = {spec.name: spec for spec in _SPECS}
