"""The checklist expression language: parsing, meaning, errors and XLSForm text."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.checklists.expr import FUNCTIONS, Expression, ExpressionError, is_empty, parse
from monitor.core import clock

DAY = date(2024, 5, 1)


def value(text: str, answers: Mapping[str, Any] | None = None, current: Any = None) -> Any:
    return parse(text).evaluate(answers or {}, current, today=DAY)


class RecordingAnswers(Mapping[str, Any]):
    """Answers that remember which question ids were read, to observe short-circuiting."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.read: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.read.append(key)
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


# -- literals, references, precedence ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("2.5", 2.5),
        (".5", 0.5),
        ("3.", 3.0),
        ("'yes'", "yes"),
        ('"it\'s"', "it's"),
        ("''", ""),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("8 - 3 - 2", 3),
        ("16 div 4 div 2", 2.0),
        ("16 / 4 / 2", 2.0),
        ("2 * 3 mod 4", 2),
        ("7 mod 3", 1),
        ("-7 mod 3", -1),
        ("7 mod -3", 1),
        ("7.5 mod 2", 1.5),
        ("-2 * 3", -6),
        ("- -2", 2),
        ("-(1 + 2)", -3),
        ("1 - -1", 2),
        ("1 + 1 = 2", True),
        ("1 < 2 = 2 > 1", True),  # comparisons bind tighter than equality
        ("true() or false() and false()", True),  # 'and' binds tighter than 'or'
        ("(true() or false()) and false()", False),
        ("1 = 1 and 2 = 3 or 4 = 4", True),
        ("3 > 2 > 1", False),  # left to right: (3 > 2) > 1 is true > 1, i.e. 1 > 1
        ("  1\n+\t2 ", 3),
        ("1\u00a0+\u00a02", 3),  # non-breaking spaces pasted from a word processor
    ],
)
def test_literals_operators_and_precedence(text: str, expected: Any) -> None:
    result = value(text)
    assert result == expected
    assert type(result) is type(expected)


def test_reference_reads_the_answer_and_a_missing_answer_is_empty() -> None:
    assert value("${floor_area_m2}", {"floor_area_m2": 12.5}) == 12.5
    assert value("${floor_area_m2}", {}) is None
    assert value("${Q2_b}", {"Q2_b": "x"}) == "x"


def test_dot_is_the_current_value() -> None:
    expression = parse(". >= 3 and . <= 10")
    assert expression.test({}, 5)
    assert not expression.test({}, 11)
    assert not expression.test({}, None)


def test_keywords_inside_longer_names_are_names() -> None:
    # 'android', 'order', 'divers' and 'model' contain and/or/div/mod but are question ids.
    answers = {"android": 1, "order": 2, "divers": 3, "model": 4}
    assert value("${android} + ${order} + ${divers} + ${model}", answers) == 10


# -- comparisons and empty answers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ("${q} = ''", {}, True),
        ("${q} = ''", {"q": ""}, True),
        ("${q} = ''", {"q": []}, True),
        ("${q} = ''", {"q": "no"}, False),
        ("${q} != ''", {"q": "no"}, True),
        ("${q} = 0", {}, False),
        ("${q} != 0", {}, True),
        ("${q} = ${r}", {}, True),
        ("${q} = 'yes'", {"q": "yes"}, True),
        ("${q} = 'yes'", {"q": "Yes"}, False),
        ("${q} != 'yes'", {"q": "no"}, True),
        ("${q} != 'yes'", {}, True),
        ("${q} = 2", {"q": "2.0"}, True),  # numeric text compares as a number
        ("${q} = '01'", {"q": "1"}, True),
        ("${q} = '2'", {"q": 2}, True),
        ("${q} = 'two'", {"q": 2}, False),
        ("${q} = 'a b'", {"q": ["a", "b"]}, True),  # a select_many list as its codes joined
        ("${q} = true()", {"q": "yes"}, True),  # a boolean side compares as booleans
        ("${q} = false()", {"q": 0}, True),
        ("${q} > 0", {}, False),
        ("${q} < 0", {}, False),
        ("${q} >= 0", {"q": ""}, False),
        ("${q} <= 5", {"q": []}, False),
        ("${q} > 3", {"q": 4}, True),
        ("${q} > 3", {"q": "4"}, True),
        ("${q} > 3", {"q": "10"}, True),  # numerically, not as text
        ("${q} > '3'", {"q": "10"}, True),
        ("${q} > 3", {"q": "four"}, False),  # a number against other text is false
        ("${q} < 3", {"q": "four"}, False),
        ("${q} > 3", {"q": True}, False),  # true is 1
        ("${q} >= 1", {"q": True}, True),
        ("${d} > '2024-01-31'", {"d": "2024-02-01"}, True),  # ISO dates compare as text
        ("${d} <= today()", {"d": "2024-05-01"}, True),
        ("${d} < today()", {"d": "2024-05-02"}, False),
        ("'b' > 'a'", {}, True),
        ("${q} > ${r}", {"q": 2, "r": 1.5}, True),
        ("${q} = ${r}", {"q": float("nan"), "r": float("nan")}, False),
    ],
)
def test_comparisons_follow_the_empty_rules(text: str, answers: dict, expected: bool) -> None:
    assert value(text, answers) is expected


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("${a} + 1", {}),
        ("${a} - 1", {"a": ""}),
        ("${a} * 2", {"a": []}),
        ("${a} div 2", {}),
        ("${a} mod 2", {}),
        ("-${a}", {}),
        ("${a} + 1", {"a": "many"}),  # text that is not a number
        ("${a} div 0", {"a": 5}),
        ("${a} div ${b}", {"a": 5, "b": "0"}),
        ("${a} mod 0", {"a": 5}),
        ("${a} * 10", {"a": 1e308}),  # too large to hold
        ("${a} + 0.5", {"a": 10**400}),
        ("${a} + 1", {"a": float("inf")}),
        ("${a} + 1", {"a": float("nan")}),
        ("${a} - 1", {"a": "2024-02-30"}),  # looks like a date, is not one
    ],
)
def test_arithmetic_with_an_empty_or_unusable_operand_is_empty(text: str, answers: dict) -> None:
    assert value(text, answers) is None


def test_arithmetic_reads_numeric_text_booleans_and_dates() -> None:
    assert value("${a} + ${b}", {"a": "2", "b": " 3.5 "}) == 5.5
    assert value("${a} * 2", {"a": True}) == 2
    assert value("${left} - ${arrived}", {"left": "2024-03-01", "arrived": "2024-02-01"}) == 29
    assert value("${a} + 1", {"a": date(1970, 1, 11)}) == 11
    assert value("${a} div ${b}", {"a": 60, "b": 24}) == 2.5


def test_and_or_short_circuit() -> None:
    answers = RecordingAnswers({"a": "yes", "b": "x"})
    assert parse("${a} = 'yes' or ${b} = 'x'").test(answers)
    assert answers.read == ["a"]
    answers = RecordingAnswers({"a": "no", "b": "x"})
    assert not parse("${a} = 'yes' and ${b} = 'x'").test(answers)
    assert answers.read == ["a"]
    answers = RecordingAnswers({"a": "no", "b": "x"})
    assert parse("${a} = 'yes' or ${b} = 'x'").test(answers)
    assert answers.read == ["a", "b"]


def test_and_or_return_booleans() -> None:
    assert value("1 and 'x'") is True
    assert value("0 or ''") is False


# -- functions ---------------------------------------------------------------------------------


FUNCTION_CASES = [
        ("not(${a} = 'yes')", {"a": "no"}, True),
        ("not(${a})", {}, True),
        ("not('0')", {}, False),  # non-empty text is true
        ("selected(${m}, 'b')", {"m": ["a", "b"]}, True),
        ("selected(${m}, 'c')", {"m": ["a", "b"]}, False),
        ("selected(${m}, 'b')", {"m": "a b"}, True),
        ("selected(${m}, 'a')", {"m": "ab"}, False),
        ("selected(${m}, 'a')", {"m": "a"}, True),  # select_one answers work too
        ("selected(${m}, 'a')", {}, False),
        ("selected(${m}, '')", {"m": ["a"]}, False),
        ("selected(${m}, ' b ')", {"m": ["a", "b"]}, True),
        ("selected(${m}, 3)", {"m": ["1", "3"]}, True),
        ("count-selected(${m})", {"m": ["a", "b", "c"]}, 3),
        ("count-selected(${m})", {"m": "a  b"}, 2),
        ("count-selected(${m})", {"m": ["a", ""]}, 1),
        ("count-selected(${m})", {}, 0),
        ("count-selected(${m})", {"m": []}, 0),
        ("if(${a} > 1, 'many', 'few')", {"a": 2}, "many"),
        ("if(${a} > 1, 'many', 'few')", {}, "few"),
        ("coalesce(${a}, 5)", {}, 5),
        ("coalesce(${a}, 5)", {"a": ""}, 5),
        ("coalesce(${a}, 5)", {"a": 0}, 0),
        ("number('12.5')", {}, 12.5),
        ("number(' 7 ')", {}, 7),
        ("number('seven')", {}, None),
        ("number(${a})", {}, None),
        ("number(true())", {}, 1),
        ("number('1970-01-03')", {}, 2),
        ("int(3.7)", {}, 3),
        ("int(-3.7)", {}, -3),
        ("int('12.9')", {}, 12),
        ("int(${a})", {}, None),
        ("round(2.5)", {}, 3),
        ("round(-2.5)", {}, -3),
        ("round(2.4)", {}, 2),
        ("round(2.675, 2)", {}, 2.68),
        ("round(1.005, 2)", {}, 1.01),
        ("round(1234, -2)", {}, 1200),
        ("round(${a}, 1)", {"a": "3.14159"}, 3.1),
        ("round(${a})", {}, None),
        ("round(2.5, ${a})", {}, None),
        ("round(7, 2)", {}, 7.0),
        ("round(7.25, 400000)", {}, 7.25),
        ("string-length(${a})", {"a": "hello"}, 5),
        ("string-length(${a})", {}, 0),
        ("string-length(12.0)", {}, 2),
        ("concat('a', 1, 2.0, ${x}, true())", {}, "a12true"),
        ("concat(${m})", {"m": ["a", "b"]}, "a b"),
        ("concat()", {}, ""),
        ("min(${a}, ${b}, 3)", {"a": None, "b": "7"}, 3),
        ("max(${a}, ${b}, 3)", {"a": None, "b": "7"}, 7),
        ("max(${a}, 'n/a', 2.5)", {"a": ""}, 2.5),
        ("min(${a})", {}, None),
        ("max(-1, -5)", {}, -1),
        ("today()", {}, "2024-05-01"),
        ("true()", {}, True),
        ("false()", {}, False),
]


@pytest.mark.parametrize(("text", "answers", "expected"), FUNCTION_CASES)
def test_functions(text: str, answers: dict, expected: Any) -> None:
    result = value(text, answers)
    assert result == expected
    assert type(result) is type(expected)


def test_every_function_has_a_test_above() -> None:
    tested = {call for (text, _, _) in FUNCTION_CASES for call in parse(text).functions}
    assert tested == FUNCTIONS


def test_if_and_coalesce_evaluate_only_what_they_need() -> None:
    answers = RecordingAnswers({"c": 1, "a": "A", "b": "B"})
    assert parse("if(${c}, ${a}, ${b})").evaluate(answers) == "A"
    assert answers.read == ["c", "a"]
    answers = RecordingAnswers({"a": "A", "b": "B"})
    assert parse("coalesce(${a}, ${b})").evaluate(answers) == "A"
    assert answers.read == ["a"]


def test_today_defaults_to_the_application_clock() -> None:
    before = clock.today().isoformat()
    result = parse("today()").evaluate({})
    after = clock.today().isoformat()
    assert result in {before, after}


def test_today_is_not_folded_into_a_constant() -> None:
    expression = parse("concat('on ', today())")
    assert expression.evaluate({}, today=date(2020, 1, 2)) == "on 2020-01-02"
    assert expression.evaluate({}, today=date(2021, 3, 4)) == "on 2021-03-04"


def test_test_uses_xpath_boolean() -> None:
    assert parse("${a}").test({"a": "0"}) is True
    for falsy in (None, "", [], 0, 0.0, False, float("nan")):
        assert parse("${a}").test({"a": falsy}) is False
    assert parse("${a}").test({"a": ["x"]}) is True


def test_is_empty() -> None:
    assert all(is_empty(v) for v in (None, "", [], ()))
    assert not any(is_empty(v) for v in (0, 0.0, False, " ", ["a"], "no"))


# -- what an expression names ------------------------------------------------------------------


def test_references_current_and_functions_are_collected() -> None:
    expression = parse("if(selected(${a}, 'x'), . + ${b}, count-selected(${a})) > ${c_2}")
    assert expression.references == frozenset({"a", "b", "c_2"})
    assert expression.uses_current is True
    assert expression.functions == frozenset({"if", "selected", "count-selected"})
    assert expression.source == "if(selected(${a}, 'x'), . + ${b}, count-selected(${a})) > ${c_2}"

    plain = parse("1 + 2")
    assert plain.references == frozenset()
    assert plain.uses_current is False
    assert plain.functions == frozenset()


def test_dot_inside_a_number_or_text_is_not_current() -> None:
    assert parse(".5 + 1.5 = '.'").uses_current is False


def test_parse_is_cached() -> None:
    assert parse("${a} = 'cached'") is parse("${a} = 'cached'")


def test_functions_constant() -> None:
    assert {"not", "selected", "count-selected", "if", "coalesce", "number", "int", "round",
            "string-length", "concat", "min", "max", "today", "true", "false"} == FUNCTIONS


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("${a} = 1 and ", 12, "expected a value after 'and' at character 13"),
        ("1 +", 3, "expected a value after '+'"),
        ("${a} = ", 6, "expected a value after '='"),
        ("max(1,)", 6, "expected a value after ','"),
        ("(1 + 2", 0, "'(' is never closed at character 1"),
        ("max(1, (2)", 3, "'(' is never closed at character 4"),
        ("1 + 2)", 5, "')' has no matching '('"),
        ("()", 0, "empty parentheses"),
        ("1 2", 2, "missing operator between '1' and '2'"),
        ("${a} 'x'", 5, "missing operator between '${a}' and 'x'"),
        ("'yes", 0, "no closing quote"),
        ('${a} = "yes', 7, 'add a matching "'),
        ("'it''s'", 4, "double quotes"),
        ("${", 0, "'${' must be followed by a question id"),
        ("${}", 0, "'${' must be followed by a question id"),
        ("${1a}", 0, "'${' must be followed by a question id"),
        ("${abc", 0, "${abc is not closed"),
        ("${abc def}", 5, "unexpected character ' ' in a question reference"),
        ("${a-b}", 3, "unexpected character '-' in a question reference"),
        ("$a", 0, "'$' must start a question reference"),
        ("${a} == 1", 5, "write a single '='"),
        ("${a} = = 1", 7, "expected a value after '='"),
        ("${a} && ${b}", 5, "write 'and'"),
        ("${a} || ${b}", 5, "write 'or'"),
        ("!${a}", 0, "'!' must be followed by '='"),
        ("${a} = \u2018yes\u2019", 7, "use straight quotes"),
        ("${a} = 1 # note", 9, "unexpected character '#'"),
        ("_a", 0, "names start with a letter"),
        ("${a} = yes", 7, "put text in quotes ('yes')"),
        ("not ${a}", 0, "not is a function and needs parentheses"),
        ("today > ${d}", 0, "write today()"),
        ("and ${a}", 0, "expected a value but found 'and'"),
        ("1, 2", 1, "',' is only used between the arguments of a function"),
        ("1e3", 0, "numbers cannot have an exponent"),
        ("1" * 400, 0, "this number is too long"),
        ("selectd(${a}, 'x')", 0, "did you mean selected()?"),
        ("${a} + Round(2.5)", 7, "did you mean round()?"),
        ("regex(${a}, 'x')", 0, "unknown function regex()"),
        ("selected(${a})", 0, "selected() takes 2 arguments but has 1"),
        ("round(1, 2, 3)", 0, "round() takes 1 to 2 arguments but has 3"),
        ("min()", 0, "min() needs at least 1 argument but has 0"),
        ("1 + today(1)", 4, "today() takes no arguments but has 1"),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert fragment in str(error)
    assert error.position == position
    assert f"at character {position + 1}" in error.message
    assert error.text == text
    assert str(error) == error.message


def test_unknown_function_lists_the_known_ones() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("sum(${a})")
    for name in FUNCTIONS:
        assert name in str(caught.value)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_expression(text: str) -> None:
    with pytest.raises(ExpressionError, match="the expression is empty") as caught:
        parse(text)
    assert caught.value.position is None


@pytest.mark.parametrize("text", [True, 5, None])
def test_non_text_is_refused_with_advice(text: Any) -> None:
    # YAML turns an unquoted `relevant: yes` into True: say so rather than crash.
    with pytest.raises(ExpressionError, match="must be text.*put it in quotes"):
        parse(text)


def test_nesting_too_deep_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="levels deep"):
        parse("not(" * 300 + "1" + ")" * 300)
    assert parse("not(" * 51 + "1" + ")" * 51).evaluate({}) is False


def test_expression_error_is_a_value_error_and_marks_the_place() -> None:
    with pytest.raises(ValueError) as caught:
        parse("${a} = 1 and")
    assert isinstance(caught.value, ExpressionError)
    assert caught.value.marked() == "${a} = 1 and\n            ^"


# -- XLSForm text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("${a}/${b}", "${a} div ${b}"),
        ("  ${a}   div(${b})", "${a} div ${b}"),
        ("((1))", "1"),
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("1 + (2 * 3)", "1 + 2 * 3"),
        ("(1 - 2) - 3", "1 - 2 - 3"),
        ("1 - (2 - 3)", "1 - (2 - 3)"),
        ("${a}='yes' and(${b}!='no'or ${c}>=1)", "${a} = 'yes' and (${b} != 'no' or ${c} >= 1)"),
        ("-(1+2)", "-(1 + 2)"),
        ("- - 1", "- -1"),
        ("selected( ${q} ,\"it's\" )", "selected(${q}, \"it's\")"),
        ("if(.>0,concat('a','b'),'')", "if(. > 0, concat('a', 'b'), '')"),
        ("count-selected(${q})>=2", "count-selected(${q}) >= 2"),
    ],
)
def test_to_xlsform_normalises_spacing_and_division(text: str, canonical: str) -> None:
    expression = parse(text)
    assert expression.to_xlsform() == canonical
    assert parse(canonical).to_xlsform() == canonical


# -- properties --------------------------------------------------------------------------------

NAMES = ["a", "b", "c"]
ANSWER_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["", "0", "12", " 3.5 ", "-2", "yes", "no", "2024-02-29", "2023-02-29", "a b"]),
    st.lists(st.sampled_from(["a", "b", "c", "", "1"]), max_size=4),
    st.lists(st.text(max_size=4), max_size=3),
)
ANSWERS = st.dictionaries(st.sampled_from(NAMES), ANSWER_VALUES)

_LEAVES = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.sampled_from(["0", "0.5", ".25", "3.", "2.5", "100"]),
    st.text(alphabet="abcxyz 019-", max_size=6).map(lambda s: f"'{s}'"),
    st.sampled_from(["'2024-01-01'", "''", "'yes'", "\"no\""]),
    st.sampled_from(NAMES).map(lambda name: f"${{{name}}}"),
    st.just("."),
    st.sampled_from(["today()", "true()", "false()"]),
)
_BINARY = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod", "/"]
_CALLS = {
    "not": 1, "selected": 2, "count-selected": 1, "if": 3, "coalesce": 2, "number": 1, "int": 1,
    "round": 2, "string-length": 1, "concat": 3, "min": 2, "max": 3,
}


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(_BINARY), children, st.booleans()).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})" if t[3] else f"{t[0]} {t[1]} {t[2]}")
    negative = children.map(lambda c: f"-({c})")
    calls = st.sampled_from(sorted(_CALLS)).flatmap(
        lambda name: st.lists(children, min_size=_CALLS[name], max_size=_CALLS[name]).map(
            lambda args: f"{name}({', '.join(args)})"))
    return st.one_of(binary, negative, calls)


EXPRESSIONS = st.recursive(_LEAVES, _extend, max_leaves=12)
FAST = settings(max_examples=200, deadline=None)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return type(left) is type(right) and left == right


@FAST
@given(st.text(max_size=40))
def test_parse_of_any_text_raises_only_expression_errors(text: str) -> None:
    try:
        expression = parse(text)
    except ExpressionError as error:
        assert error.text == text
        assert error.position is None or 0 <= error.position <= len(text)
    else:
        assert isinstance(expression, Expression)


@FAST
@given(st.text(alphabet="${}()'\". ,=!<>+-*/abdivmortn_019\n", max_size=30))
def test_parse_of_expression_like_text_raises_only_expression_errors(text: str) -> None:
    try:
        parse(text)
    except ExpressionError as error:
        assert error.position is None or 0 <= error.position <= len(text)
        assert error.message


@FAST
@given(EXPRESSIONS, ANSWERS, ANSWER_VALUES)
def test_valid_expressions_evaluate_over_any_answers_without_raising(
    text: str, answers: dict, current: Any
) -> None:
    expression = parse(text)
    result = expression.evaluate(answers, current, today=DAY)
    assert result is None or isinstance(result, (bool, int, float, str, list))
    assert expression.test(answers, current, today=DAY) in (True, False)


@FAST
@given(EXPRESSIONS, ANSWERS, ANSWER_VALUES)
def test_xlsform_text_round_trips(text: str, answers: dict, current: Any) -> None:
    original = parse(text)
    again = parse(original.to_xlsform())
    assert again.to_xlsform() == original.to_xlsform()
    assert again.references == original.references
    assert again.functions == original.functions
    assert again.uses_current == original.uses_current
    assert _same(again.evaluate(answers, current, today=DAY),
                 original.evaluate(answers, current, today=DAY))


_CONSTANTS = st.sampled_from(["'yes'", "''", "'0'", "'2'", "'2024-01-01'", "3", "2.5", "0"])
_SWAPPED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@FAST
@given(st.sampled_from(sorted(_SWAPPED)), _CONSTANTS, ANSWER_VALUES)
def test_comparisons_agree_whichever_side_the_answer_is_on(
    symbol: str, constant: str, answer: Any
) -> None:
    # '${a} > 3' takes a faster path than '3 < ${a}'; both must mean the same.
    answers = {"a": answer}
    left = parse(f"${{a}} {symbol} {constant}").evaluate(answers)
    right = parse(f"{constant} {_SWAPPED[symbol]} ${{a}}").evaluate(answers)
    assert left is right
