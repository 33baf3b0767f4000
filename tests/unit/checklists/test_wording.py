"""Skip logic and constraints in words, on a checklist written next to the expectations."""

from __future__ import annotations

import pytest

from monitor.checklists.schema import Checklist, Choice, LocalText, Question, QuestionType, Section
from monitor.checklists.wording import constraint_instruction, describe, skip_instruction


def _text(en: str, es: str | None = None) -> LocalText:
    return LocalText((("en", en),) + ((("es", es),) if es else ()))


YES_NO = (Choice("yes", _text("Yes", "Sí")), Choice("no", _text("No", "No")))
PARTLY = YES_NO + (Choice("partly", _text("Partly", "Parcialmente")), Choice("na", _text("N/A")))


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    questions = (
        Question(
            "isolation_used",
            QuestionType.YES_NO,
            _text("Is isolation used?", "¿Se aísla?"),
            "s",
            choices=YES_NO,
        ),
        Question(
            "register",
            QuestionType.YES_NO_PARTLY_NA,
            _text("Is there a register?"),
            "s",
            choices=PARTLY,
        ),
        Question("children", QuestionType.INTEGER, _text("Children held"), "s"),
        Question("population", QuestionType.INTEGER, _text("People held"), "s"),
        Question(
            "areas",
            QuestionType.SELECT_MANY,
            _text("Areas withheld"),
            "s",
            choices=(
                Choice("isolation", _text("Isolation cells")),
                Choice("none", _text("None of these")),
            ),
        ),
        Question(
            "reason",
            QuestionType.SELECT_ONE,
            _text("Why not held?"),
            "s",
            choices=(
                Choice("entry_refused", _text("Entry refused, or never answered")),
                Choice("closed", _text("Closed")),
            ),
        ),
    )
    return Checklist(
        "t", 1, _text("T"), ("en", "es"), (Section("s", _text("S"), questions=questions),)
    )


@pytest.mark.parametrize(
    "expression, words",
    [
        ("${isolation_used} = 'yes'", "'Is isolation used?' is Yes"),
        ("${isolation_used} != 'no'", "'Is isolation used?' is not No"),
        ("${children} > 0", "'Children held' is more than 0"),
        ("${children} >= 2", "'Children held' is 2 or more"),
        ("3 < ${children}", "'Children held' is more than 3"),
        ("${children} <= ${population}", "'Children held' is 'People held' or less"),
        ("${children} = ''", "'Children held' is not answered"),
        (
            "${register} = 'yes' or ${register} = 'partly'",
            "'Is there a register?' is Yes or Partly",
        ),
        ("selected(${areas}, 'isolation')", "'Areas withheld' includes 'Isolation cells'"),
        (
            "not(selected(${areas}, 'isolation'))",
            "'Areas withheld' does not include 'Isolation cells'",
        ),
        (
            "selected(${reason}, 'entry_refused') or selected(${reason}, 'closed')",
            "'Why not held?' is 'Entry refused, or never answered' or Closed",
        ),
        (
            "count-selected(${areas}) > 1",
            "the number of boxes ticked in 'Areas withheld' is more than 1",
        ),
        (
            "${isolation_used} = 'yes' and (${children} > 0 or ${population} > 10)",
            "'Is isolation used?' is Yes and ('Children held' is more than 0 "
            "or 'People held' is more than 10)",
        ),
        ("not(${isolation_used} = 'yes')", "'Is isolation used?' is not Yes"),
    ],
)
def test_common_shapes_are_put_into_words(checklist, expression, words):
    assert describe(expression, checklist) == words


def test_arithmetic_and_unknown_functions_are_shown_as_written(checklist):
    assert (
        describe("${children} div ${population} > 0.5", checklist)
        == "“${children} div ${population}” is more than 0.5"
    )
    assert (
        describe("${isolation_used} = 'yes' and today() > '2024-01-01'", checklist)
        == "'Is isolation used?' is Yes and “today()” is more than '2024-01-01'"
    )
    assert describe("${nobody} = 'x'", checklist) == "“${nobody} = 'x'”"
    assert describe("${children} >", checklist) == "“${children} >”"


def test_instructions_name_question_numbers_and_speak_spanish(checklist):
    assert (
        skip_instruction("${isolation_used} = 'yes'", checklist, numbers={"isolation_used": 7})
        == "Answer only if 'Is isolation used?' (question 7) is Yes."
    )
    assert (
        skip_instruction("${isolation_used} = 'yes'", checklist, "es")
        == "Responda solo si «¿Se aísla?» es Sí."
    )


def test_constraints_read_the_answer_and_its_choices(checklist):
    assert (
        constraint_instruction(". >= 0 and . <= 1440", checklist)
        == "The answer must meet: the answer is between 0 and 1440."
    )
    assert constraint_instruction(
        "not(selected(., 'none')) or count-selected(.) = 1", checklist, current="areas"
    ) == (
        "The answer must meet: the answer does not include 'None of these' or the number of "
        "boxes ticked in the answer is 1."
    )
