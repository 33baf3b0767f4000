"""Rule kinds at their boundaries: just below, at and just above each threshold and band."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.checklists.parse import BUILT_IN_CHOICES
from monitor.checklists.schema import Choice, LocalText, Question, QuestionType, RuleSpec
from monitor.compliance.rules import (
    RULE_KINDS,
    RuleError,
    compile_rule,
    judge_answer,
    rule,
    to_measure,
)
from monitor.compliance.standards import Catalogue, load_catalogue
from monitor.compliance.types import Status

CHECKLISTS = Path(__file__).resolve().parents[3] / "checklists"
C, P, N, NA = (Status.COMPLIANT, Status.PARTIALLY_COMPLIANT, Status.NON_COMPLIANT,
               Status.NOT_ASSESSED)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(CHECKLISTS / "standards.yaml", CHECKLISTS / "areas.yaml")


def question(kind: str, params: dict[str, Any], *, type_: QuestionType = QuestionType.DECIMAL,
             choices: tuple[str, ...] = (), unit: str | None = None,
             standards: tuple[str, ...] = ("mandela-r23",), qid: str = "measured") -> Question:
    built = BUILT_IN_CHOICES.get(type_) or tuple(
        Choice(code, LocalText((("en", code),))) for code in choices)
    return Question(id=qid, type=type_, label=LocalText((("en", "A question"),)),
                    section_id="s", choices=built, standards=standards, unit=unit,
                    rule=RuleSpec(kind, params, standards))


# -- map ----------------------------------------------------------------------------------------

YES_PARTLY_NO = {"yes": "compliant", "partly": "partially_compliant", "no": "non_compliant"}


@pytest.mark.parametrize(("answer", "expected"), [
    ("yes", C), ("partly", P), ("no", N),
    ("na", NA), (None, NA), ("", NA), ([], NA),
    ("maybe", NA),  # not listed: not assessed
    (1, NA), (True, NA),  # not a choice code at all
])
def test_map__gives_the_listed_status_and_nothing_else(answer, expected):
    q = question("map", {"values": YES_PARTLY_NO}, type_=QuestionType.YES_NO_PARTLY_NA)
    assert judge_answer(q, answer) is expected


def test_map__na_is_never_assessed_even_when_listed():
    q = question("map", {"values": {"yes": "compliant", "na": "compliant"}},
                 type_=QuestionType.YES_NO_PARTLY_NA)
    assert judge_answer(q, "na") is NA
    assert judge_answer(q, "yes") is C


@pytest.mark.parametrize(("ticked", "expected"), [
    (["weekly"], C),
    (["weekly", "fortnightly"], P),  # the worst listed code decides
    (["weekly", "never", "fortnightly"], N),
    (["other"], NA),  # nothing listed ticked
    (["other", "weekly"], C),
    (("weekly", "never"), N),  # a tuple reads like a list
])
def test_map_on_select_many__the_worst_listed_ticked_code_decides(ticked, expected):
    q = question("map", {"values": {"weekly": "compliant", "fortnightly": "partially_compliant",
                                    "never": "non_compliant"}},
                 type_=QuestionType.SELECT_MANY, choices=("weekly", "fortnightly", "never",
                                                          "other"))
    assert judge_answer(q, ticked) is expected


def test_map__a_code_mapped_to_not_assessed_never_decides_a_select_many():
    q = question("map", {"values": {"a": "not_assessed", "b": "compliant"}},
                 type_=QuestionType.SELECT_MANY, choices=("a", "b"))
    assert judge_answer(q, ["a"]) is NA
    assert judge_answer(q, ["a", "b"]) is C


def test_map__a_key_yaml_read_as_a_number_matches_the_code_written_the_same_way():
    q = question("map", {"values": {1: "compliant", "2": "non_compliant"}},
                 type_=QuestionType.SELECT_ONE, choices=("1", "2"))
    assert judge_answer(q, "1") is C
    assert judge_answer(q, "2") is N


def test_map__a_word_that_is_not_a_status_cannot_be_built():
    q = question("map", {"values": {"yes": "fine"}}, type_=QuestionType.YES_NO)
    with pytest.raises(RuleError, match="'fine' is not a status"):
        compile_rule(q)


# -- threshold ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("operator", "value", "answer", "expected"), [
    (">=", 4, 3.999, N), (">=", 4, 4, C), (">=", 4, 4.001, C),
    (">", 0, -0.001, N), (">", 0, 0, N), (">", 0, 0.001, C),
    ("<=", 30, 29.999, C), ("<=", 30, 30, C), ("<=", 30, 30.001, N),
    ("<", 24, 23.999, C), ("<", 24, 24, N), ("<", 24, 24.001, N),
    ("==", 0, -1, N), ("==", 0, 0, C), ("==", 0, 1, N),
])
def test_threshold__own_operator_and_value(operator, value, answer, expected):
    q = question("threshold", {"operator": operator, "value": value})
    assert judge_answer(q, answer) is expected


@pytest.mark.parametrize(("answer", "expected"), [
    (2.999, N), (3, P), (3.5, P), (3.999, P), (4, C), (4.001, C),
])
def test_threshold__partial_band_below_a_lower_bound(answer, expected):
    q = question("threshold", {"operator": ">=", "value": 4,
                               "partial": {"operator": ">=", "value": 3}})
    assert judge_answer(q, answer) is expected


@pytest.mark.parametrize(("answer", "expected"), [
    (30, C), (30.5, P), (60, P), (60.001, N), (0, C),
])
def test_threshold__partial_band_above_an_upper_bound(answer, expected):
    q = question("threshold", {"operator": "<=", "value": 30,
                               "partial": {"operator": "<=", "value": 60}}, unit="minutes")
    assert judge_answer(q, answer) is expected


def test_threshold__floating_point_noise_does_not_push_a_value_over_its_bound():
    q = question("threshold", {"operator": ">=", "value": 4})
    assert 12 / 3.0000000000000004 < 4  # the noise is real ...
    assert judge_answer(q, 12 / 3.0000000000000004) is C  # ... and forgiven
    strict = question("threshold", {"operator": ">", "value": 4})
    assert judge_answer(strict, 4.000000000000001) is N


@pytest.mark.parametrize(("answer", "expected"), [(0.99, N), (1, C), (1.01, C), (0, N)])
def test_threshold_from_the_catalogue__mandela_rule_23(catalogue, answer, expected):
    q = question("threshold", {"standard": "mandela-r23"}, unit="hours/day")
    assert judge_answer(q, answer, catalogue=catalogue) is expected


def test_threshold_from_the_catalogue__carries_the_catalogue_figure(catalogue):
    q = question("threshold", {"standard": "cpt-living-space-multi",
                               "partial": {"operator": ">=", "value": 3}},
                 standards=("cpt-living-space-multi",))
    compiled = compile_rule(q, catalogue)
    assert compiled.from_standard is True
    assert (compiled.threshold.operator, compiled.threshold.value) == (">=", 4.0)
    assert compiled.threshold.describe("en") == "at least 4 m2/person"
    assert compiled.partial is not None and compiled.partial.value == 3.0
    assert [judge_answer(q, x, catalogue=catalogue) for x in (2.99, 3, 4)] == [N, P, C]


@pytest.mark.parametrize(("answer", "expected"), [
    ("4", C), (" 3.5 ", N), ("four", NA), (True, NA), (False, NA), ("na", NA), (None, NA),
    ("", NA), (float("nan"), NA), (float("inf"), NA), ([4], NA), ("1e3", NA),
])
def test_threshold__only_numbers_and_numeric_text_are_measured(answer, expected):
    q = question("threshold", {"operator": ">=", "value": 4})
    assert judge_answer(q, answer) is expected


def test_to_measure__agrees_with_the_expression_language():
    assert to_measure("12") == 12.0
    assert to_measure("-0.5") == -0.5
    assert to_measure("1_000") is None
    assert to_measure(10 ** 400) is None  # beyond any float


@pytest.mark.parametrize(("params", "message"), [
    ({"standard": "mandela-r22"}, "has no threshold"),
    ({"standard": "no-such-standard"}, "has no threshold"),
    ({"standard": "mandela-r23", "operator": ">=", "value": 1}, "not both"),
    ({"operator": ">="}, "needs 'standard', or 'operator' and 'value'"),
    ({"operator": "=>", "value": 1}, "operator '=>' is not one of"),
    ({"operator": ">=", "value": "4"}, "not a number"),
    ({"operator": ">=", "value": 4, "partial": 3}, "'partial' must be"),
])
def test_threshold__unusable_parameters_are_refused(catalogue, params, message):
    with pytest.raises(RuleError, match=message):
        compile_rule(question("threshold", params), catalogue)


# -- expression ---------------------------------------------------------------------------------

LANGUAGES = {"compliant": ". >= ${population}", "partial": ". >= ${population} * 0.8"}


@pytest.mark.parametrize(("answer", "expected"), [
    (10, C), (11, C), (9.99, P), (8, P), (7.99, N), (0, N),
])
def test_expression__compliant_and_partial_bands(answer, expected):
    q = question("expression", LANGUAGES, type_=QuestionType.INTEGER)
    assert judge_answer(q, answer, {"population": 10}) is expected


def test_expression__a_missing_comparison_figure_is_not_a_breach():
    q = question("expression", LANGUAGES, type_=QuestionType.INTEGER)
    assert judge_answer(q, 3, {}) is NA
    assert judge_answer(q, 3, {"population": ""}) is NA
    assert judge_answer(q, 3, {"population": 3}) is C


def test_expression__a_condition_that_holds_without_the_missing_figure_still_counts():
    q = question("expression", {"compliant": ". >= 3 or ${override} = 'yes'"},
                 type_=QuestionType.INTEGER)
    assert judge_answer(q, 5, {}) is C
    assert judge_answer(q, 1, {}) is NA  # could have been met by 'override'
    assert judge_answer(q, 1, {"override": "no"}) is N


@pytest.mark.parametrize(("answer", "expected"), [(None, NA), ("", NA), ("na", NA), ([], NA)])
def test_expression__empty_or_na_answers_are_not_assessed(answer, expected):
    q = question("expression", {"compliant": "not(. = 'no')"}, type_=QuestionType.TEXT)
    assert judge_answer(q, answer) is expected


@pytest.mark.parametrize(("ticked", "expected"), [
    (["none"], C), (["collective"], N), (["none", "collective"], C),
])
def test_expression__may_name_its_own_question_instead_of_dot(ticked, expected):
    q = question("expression", {"compliant": "selected(${sanctions}, 'none')"},
                 type_=QuestionType.SELECT_MANY, choices=("none", "collective"), qid="sanctions")
    assert judge_answer(q, ticked) is expected


def test_expression__text_that_cannot_be_read_is_refused():
    with pytest.raises(RuleError, match="'compliant' cannot be read"):
        compile_rule(question("expression", {"compliant": ". >="}))


# -- the registry -------------------------------------------------------------------------------


def test_registry__knows_the_three_kinds_of_the_checklist_format():
    assert sorted(RULE_KINDS) == ["expression", "map", "threshold"]
    assert RULE_KINDS["map"].required == {"values"}
    assert RULE_KINDS["expression"].required == {"compliant"}
    assert RULE_KINDS["expression"].optional == {"partial"}
    assert RULE_KINDS["threshold"].allowed == {"standard", "operator", "value", "partial"}


def test_registry__a_kind_cannot_be_registered_twice():
    with pytest.raises(RuntimeError, match="registered twice"):
        rule("map", "values")(lambda question, spec, catalogue: None)


def test_unknown_kind_or_missing_parameter__cannot_be_built():
    with pytest.raises(RuleError, match="unknown rule kind 'treshold'"):
        compile_rule(question("treshold", {}))
    with pytest.raises(RuleError, match="needs values"):
        compile_rule(question("map", {}))


# -- statuses -----------------------------------------------------------------------------------


def test_statuses_order_from_worst_to_best_and_silence_never_wins():
    assert [s.rank for s in Status.worst_first()] == [0, 1, 2, 3]
    assert Status.worst([C, P, N]) is N
    assert Status.worst([C, NA, P]) is P
    assert Status.worst([NA, NA]) is NA
    assert Status.worst([]) is NA
    assert (N.label(), N.label("es")) == ("Not met", "No se cumple")
    assert not NA.is_assessed and C.is_assessed
