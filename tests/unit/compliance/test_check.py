"""check_rules: every kind of rule problem, named by file, line and question.

Problems the checklist loader already refuses (an unknown kind, a word that is not a status, an
expression it cannot read) are built in code, because a checklist with them never loads; the
others are written as YAML so the line numbers can be counted on the screen.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from monitor.checklists.loader import load_checklist
from monitor.checklists.parse import BUILT_IN_CHOICES
from monitor.checklists.schema import (
    Checklist,
    Choice,
    LocalText,
    Question,
    QuestionType,
    RedFlag,
    RuleSpec,
    Section,
)
from monitor.compliance.check import check_rules
from monitor.compliance.rules import RULE_KINDS
from monitor.compliance.standards import Catalogue, load_catalogue
from monitor.core.errors import Problem

CHECKLISTS = Path(__file__).resolve().parents[3] / "checklists"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(CHECKLISTS / "standards.yaml", CHECKLISTS / "areas.yaml")


def write_checklist(folder: Path, text: str) -> Path:
    """Write *text* dedented, so that its first line is line 1."""
    path = folder / "checklist.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def one_question(tmp_path: Path, question_yaml: str) -> Checklist:
    """A checklist whose one question starts on line 8 (the question text is indented for it)."""
    body = textwrap.indent(textwrap.dedent(question_yaml).strip("\n"), " " * 6)
    text = (
        "id: checks\n"
        "version: 1\n"
        "title: Rule checks\n"
        "sections:\n"
        "  - id: rooms\n"
        "    title: Rooms\n"
        "    questions:\n"
        f"{body}\n"
    )
    return load_checklist(write_checklist(tmp_path, text))


def built(question: Question, red_flags: tuple[RedFlag, ...] = ()) -> Checklist:
    """A checklist made in code, for rules the loader would refuse."""
    section = Section(id="rooms", title=LocalText((("en", "Rooms"),)),
                      area="cond.accommodation", questions=(question,))
    return Checklist(id="made", version=1, title=LocalText((("en", "Made"),)),
                     languages=("en",), sections=(section,), red_flags=red_flags,
                     source=Path("made.yaml"))


def coded(kind: str, params: dict[str, Any], *, type_: QuestionType = QuestionType.YES_NO,
          standards: tuple[str, ...] = ("mandela-r13",), sensitive: bool = False) -> Question:
    return Question(id="q", type=type_, label=LocalText((("en", "Q"),)), section_id="rooms",
                    choices=BUILT_IN_CHOICES.get(type_, ()), standards=standards,
                    sensitive=sensitive, rule=RuleSpec(kind, params, standards, line=12),
                    line=10, source=Path("made.yaml"))


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# -- the shipped checklist ----------------------------------------------------------------------


def test_shipped_core_checklist__has_no_rule_problems(catalogue):
    core = load_checklist(CHECKLISTS / "core", standards=set(catalogue.standards),
                          areas=set(catalogue.areas))
    assert check_rules(core, catalogue) == []


def test_every_registered_kind_has_its_own_checks():
    from monitor.compliance.check import _KIND_CHECKS

    assert set(_KIND_CHECKS) == set(RULE_KINDS)


# -- any kind -----------------------------------------------------------------------------------


def test_unknown_kind__suggests_the_closest(catalogue):
    problem = only(check_rules(built(coded("treshold", {"operator": ">=", "value": 1})),
                               catalogue))
    assert (str(problem.path), problem.line, problem.field) == ("made.yaml", 12, "q")
    assert problem.message == "The rule kind 'treshold' is not known."
    assert problem.hint == "Did you mean 'threshold'?"


def test_missing_kind__lists_the_kinds(catalogue):
    problem = only(check_rules(built(coded("", {})), catalogue))
    assert problem.message == "The rule kind missing is not known."
    assert problem.hint == "Add 'kind:' with one of: expression, map, threshold."


def test_missing_required_parameter(tmp_path, catalogue):
    checklist = one_question(tmp_path, """
        - id: bed_for_everyone
          type: yes_no
          label: Does everyone have a bed?
          standards: [mandela-r21]
          rule: {kind: map}
        """)
    problem = only(check_rules(checklist, catalogue))
    assert (problem.path.name, problem.line, problem.field) == ("checklist.yaml", 12,
                                                                "bed_for_everyone")
    assert problem.message == "The map rule has no 'values'."
    assert "values: {'yes': compliant" in problem.hint


def test_unknown_parameter__suggests_the_closest(tmp_path, catalogue):
    checklist = one_question(tmp_path, """
        - id: toilets
          type: integer
          label: Working toilets
          standards: [mandela-r15]
          rule:
            kind: threshold
            oparator: '>'
            operator: '>'
            value: 0
        """)
    problem = only(check_rules(checklist, catalogue))
    assert problem.line == 13  # a block mapping starts at its first key
    assert problem.message == "The threshold rule does not take 'oparator'."
    assert problem.hint == "Did you mean 'operator'?"


def test_rule_citing_a_standard_the_catalogue_lacks(catalogue):
    problem = only(check_rules(built(coded("map", {"values": {"yes": "compliant"}},
                                           standards=("mandela_r13",))), catalogue))
    assert "'mandela_r13', which is not in the standards catalogue" in problem.message
    assert problem.hint == "Did you mean 'mandela-r13'?"


def test_rule_without_any_standard(catalogue):
    problem = only(check_rules(built(coded("map", {"values": {"yes": "compliant"}},
                                           standards=())), catalogue))
    assert problem.message.startswith("The rule has no standard to judge")


def test_bad_severity(catalogue):
    question = coded("map", {"values": {"yes": "compliant"}})
    question = Question(**{**question.__dict__, "rule": RuleSpec(
        "map", {"values": {"yes": "compliant"}}, ("mandela-r13",), severity="urgent", line=12)})
    problem = only(check_rules(built(question), catalogue))
    assert problem.message == "The rule severity 'urgent' is not one of low, medium, high, critical."


# -- map ----------------------------------------------------------------------------------------


def test_map_key_that_is_not_a_choice_code__names_its_line_and_suggests(tmp_path, catalogue):
    checklist = one_question(tmp_path, """
        - id: light_ok
          type: yes_no_partly_na
          label: Is there enough light?
          standards: [mandela-r13]
          rule:
            kind: map
            values:
              'yes': compliant
              partially: partially_compliant
              'no': non_compliant
        """)
    problem = only(check_rules(checklist, catalogue))
    assert (problem.line, problem.field) == (16, "light_ok")
    assert problem.message == ("The map lists the answer 'partially', which is not one of the "
                               "question's choices.")
    assert problem.hint == "Did you mean 'partly'?"


def test_map_key_read_as_a_number__asks_for_quotes(catalogue):
    question = Question(id="q", type=QuestionType.SELECT_ONE, label=LocalText((("en", "Q"),)),
                        section_id="rooms", choices=(Choice("1", LocalText((("en", "One"),))),),
                        standards=("mandela-r13",),
                        rule=RuleSpec("map", {"values": {1: "compliant"}}, ("mandela-r13",)))
    problem = only(check_rules(built(question), catalogue))
    assert problem.message == "The map lists the answer '1' as a number; choice codes are text."
    assert problem.hint == "Put it in quotes: '1'."


def test_map_value_that_is_not_a_status(catalogue):
    problem = only(check_rules(built(coded("map", {"values": {"yes": "complaint"}})), catalogue))
    assert problem.message == ("The map gives the answer 'yes' the status 'complaint', which is "
                               "not a status.")
    assert problem.hint == "Did you mean 'compliant'?"


def test_map_giving_a_status_to_na(catalogue):
    problem = only(check_rules(built(coded("map", {"values": {"na": "compliant"}},
                                           type_=QuestionType.YES_NO_PARTLY_NA)), catalogue))
    assert problem.message == "The map gives a status to 'na', which is never assessed."


def test_map_on_a_number_question(catalogue):
    problem = only(check_rules(built(coded("map", {"values": {"0": "compliant"}},
                                           type_=QuestionType.INTEGER)), catalogue))
    assert problem.message == ("A map rule judges choice codes, but the question is of type "
                               "'integer'.")


def test_map_values_not_a_mapping(catalogue):
    problem = only(check_rules(built(coded("map", {"values": ["yes"]})), catalogue))
    assert problem.message == "'values' must map answers to statuses, not a list."


def test_map_on_a_sensitive_question__never_echoes_its_codes(catalogue):
    question = coded("map", {"values": {"secretcode": "compliant", "yes": "bogus"}},
                     sensitive=True)
    problems = check_rules(built(question), catalogue)
    assert len(problems) == 2
    for problem in problems:
        assert "secretcode" not in str(problem)
    assert problems[1].message == "The map gives an answer the status 'bogus', which is not a status."


# -- threshold ----------------------------------------------------------------------------------


def test_bad_operator__suggests_the_spelling(tmp_path, catalogue):
    checklist = one_question(tmp_path, """
        - id: ceiling
          type: decimal
          label: Ceiling height (m)
          standards: [cpt-ceiling-height]
          rule: {kind: threshold, operator: '=>', value: 2.5}
        """)
    problem = only(check_rules(checklist, catalogue))
    assert (problem.line, problem.field) == (12, "ceiling")
    assert problem.message == "The operator '=>' is not one of >=, >, <=, <, ==."
    assert problem.hint == "Did you mean '>='? Write it in quotes, e.g. operator: '>='."


def test_value_that_is_not_a_number(catalogue):
    problem = only(check_rules(built(coded("threshold", {"operator": ">=", "value": "2.5"},
                                           type_=QuestionType.DECIMAL)), catalogue))
    assert problem.message == "The value must be a number, not text."


def test_standard_without_a_catalogue_threshold(tmp_path, catalogue):
    checklist = one_question(tmp_path, """
        - id: food_score
          type: integer
          label: Food quality score
          standards: [mandela-r22]
          rule: {kind: threshold, standard: mandela-r22}
        """)
    problem = only(check_rules(checklist, catalogue))
    assert problem.line == 12
    assert problem.message == ("The rule takes its threshold from the standard 'mandela-r22', "
                               "but the catalogue gives that standard no threshold.")


def test_standard_unknown_to_the_catalogue(catalogue):
    problems = check_rules(built(coded("threshold", {"standard": "mandela-23"},
                                       type_=QuestionType.DECIMAL)), catalogue)
    problem = only(problems)
    assert problem.message == ("The rule takes its threshold from the standard 'mandela-23', "
                               "which is not in the standards catalogue.")
    assert problem.hint == "Did you mean 'mandela-r23'?"


def test_standard_whose_figure_is_used_but_not_judged(catalogue):
    problem = only(check_rules(built(coded("threshold", {"standard": "mandela-r23"},
                                           type_=QuestionType.DECIMAL,
                                           standards=("cpt-outdoor-exercise",))), catalogue))
    assert problem.message == ("The rule takes its threshold from 'mandela-r23' but does not "
                               "judge it (it judges cpt-outdoor-exercise).")


def test_standard_together_with_operator(catalogue):
    problem = only(check_rules(built(coded(
        "threshold", {"standard": "mandela-r23", "operator": ">=", "value": 2},
        type_=QuestionType.DECIMAL, standards=("mandela-r23",))), catalogue))
    assert problem.message == "The threshold rule has both 'standard' and 'operator'/'value'."


def test_threshold_with_neither_standard_nor_operator(catalogue):
    problem = only(check_rules(built(coded("threshold", {"value": 3},
                                           type_=QuestionType.DECIMAL)), catalogue))
    assert problem.message == "The threshold rule has no 'standard' and no 'operator'."


@pytest.mark.parametrize("type_", [QuestionType.YES_NO, QuestionType.TEXT,
                                   QuestionType.SELECT_MANY, QuestionType.DATE])
def test_threshold_on_a_question_that_holds_no_number(catalogue, type_):
    problem = only(check_rules(built(coded("threshold", {"operator": ">", "value": 0},
                                           type_=type_)), catalogue))
    assert problem.message == (f"A threshold rule compares numbers, but the question is of type "
                               f"'{type_.value}'.")


@pytest.mark.parametrize("type_", [QuestionType.INTEGER, QuestionType.DECIMAL,
                                   QuestionType.CALCULATE])
def test_threshold_on_numbers_and_computed_values_is_fine(catalogue, type_):
    assert check_rules(built(coded("threshold", {"operator": ">", "value": 0}, type_=type_)),
                       catalogue) == []


def test_partial_band_facing_the_other_way(tmp_path, catalogue):
    checklist = one_question(tmp_path, """
        - id: space
          type: decimal
          label: Space per person (m²)
          standards: [cpt-living-space-multi]
          rule:
            kind: threshold
            standard: cpt-living-space-multi
            partial: {operator: '<=', value: 2}
        """)
    problem = only(check_rules(checklist, catalogue))
    assert problem.line == 15  # the 'partial' mapping
    assert problem.message == ("The partial band '<= 2' faces the other way from the threshold "
                               "'>= 4': a lower answer could be judged better than a higher one.")


@pytest.mark.parametrize(("main", "band"), [
    ({"operator": ">=", "value": 4}, {"operator": ">=", "value": 5}),
    ({"operator": ">=", "value": 4}, {"operator": ">", "value": 4}),
    ({"operator": "<=", "value": 30}, {"operator": "<=", "value": 20}),
    ({"operator": "<=", "value": 30}, {"operator": "<", "value": 30}),
])
def test_partial_band_that_can_never_apply(catalogue, main, band):
    problem = only(check_rules(built(coded("threshold", {**main, "partial": band},
                                           type_=QuestionType.DECIMAL)), catalogue))
    assert "can never apply" in problem.message


def test_partial_band_on_the_failing_side_is_fine(catalogue):
    for main, band in [((">=", 4), (">=", 3)), ((">", 0), (">=", 0)), (("<=", 30), ("<=", 60)),
                       (("<", 24), ("<=", 24)), (("==", 0), ("<=", 2))]:
        rule = {"operator": main[0], "value": main[1],
                "partial": {"operator": band[0], "value": band[1]}}
        assert check_rules(built(coded("threshold", rule, type_=QuestionType.DECIMAL)),
                           catalogue) == [], (main, band)


def test_partial_band_missing_its_value(catalogue):
    problem = only(check_rules(built(coded(
        "threshold", {"operator": ">=", "value": 4, "partial": {"operator": ">="}},
        type_=QuestionType.DECIMAL)), catalogue))
    assert problem.message == "'partial' needs both operator and value."


# -- expression ---------------------------------------------------------------------------------


def test_expression_that_cannot_be_read(catalogue):
    problem = only(check_rules(built(coded("expression", {"compliant": ". >= "},
                                           type_=QuestionType.INTEGER)), catalogue))
    assert problem.message.startswith("The rule's 'compliant' expression cannot be read: ")
    assert "character" in problem.message


def test_expression_on_a_sensitive_question__does_not_echo_its_text(catalogue):
    problem = only(check_rules(built(coded("expression", {"compliant": ". = 'secret"},
                                           type_=QuestionType.TEXT, sensitive=True)), catalogue))
    assert "secret" not in str(problem)
    assert problem.message.startswith("The rule's 'compliant' expression cannot be read at ")


def test_expression_naming_an_unknown_question(catalogue):
    problem = only(check_rules(built(coded("expression", {"compliant": ". >= ${populaton}"},
                                           type_=QuestionType.INTEGER)), catalogue))
    assert problem.message == ("The rule's 'compliant' expression refers to ${populaton}, but no "
                               "question has the id 'populaton'.")


def test_expression_that_never_reads_the_answer(catalogue):
    problem = only(check_rules(built(coded("expression", {"compliant": "1 = 1"},
                                           type_=QuestionType.INTEGER)), catalogue))
    assert problem.message.startswith("The rule's expressions never read the answer")


def test_expression_not_text(catalogue):
    problem = only(check_rules(built(coded("expression", {"compliant": 3},
                                           type_=QuestionType.INTEGER)), catalogue))
    assert problem.message == "'compliant' must be an expression in quotes, not a number."


# -- red flags ----------------------------------------------------------------------------------


def test_red_flag_citing_an_unknown_standard(catalogue):
    flag = RedFlag(id="crowded", severity="high", label=LocalText((("en", "Crowded"),)),
                   when="${q} = 'yes'", standards=("mandela-r13", "mandela-r1333"), line=40)
    problem = only(check_rules(built(coded("map", {"values": {"yes": "compliant"}}), (flag,)),
                               catalogue))
    assert (str(problem.path), problem.line, problem.field) == ("made.yaml", 40,
                                                                "red_flags[crowded]")
    assert problem.message == ("The red flag cites the standard 'mandela-r1333', which is not in "
                               "the standards catalogue.")


def test_red_flag_without_standards_or_with_a_bad_severity(catalogue):
    flag = RedFlag(id="crowded", severity="severe", label=LocalText((("en", "Crowded"),)),
                   when="${q} = 'yes'", line=40)
    problems = check_rules(built(coded("map", {"values": {"yes": "compliant"}}), (flag,)),
                           catalogue)
    assert [p.message for p in problems] == [
        "The red flag severity 'severe' is not one of low, medium, high, critical.",
        "The red flag cites no standard."]
