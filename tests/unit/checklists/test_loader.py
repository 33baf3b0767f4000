"""Loading checklist YAML: the model it builds and the problems it reports.

Checklists are written inline (dedented by :func:`write_checklist`) so that the line numbers in
each expectation can be counted on the screen; the deliberately broken files under
``tests/data/checklists/broken/`` are checked one by one at the end.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from pathlib import Path

import pytest

from monitor.checklists.loader import (
    check_checklists,
    discover,
    load_checklist,
    load_checklists,
)
from monitor.checklists.schema import QuestionType
from monitor.checklists.yamlsource import LocatedList, LocatedMap, load_yaml
from monitor.core.errors import ChecklistError, Problem

DATA = Path(__file__).resolve().parents[2] / "data" / "checklists"
BROKEN = DATA / "broken"
VALID = DATA / "valid"

#: The catalogue ids the fixtures may cite (all real ids of the standards reference).
STANDARDS = frozenset({"mandela-r23", "mandela-r61", "bop-p17-18", "cmw-crc-jgc-p12",
                       "cpt-living-space-multi"})
AREAS = frozenset({"proc.legal_counsel", "cond.accommodation", "health.access_care"})


def write_checklist(folder: Path, text: str, name: str = "checklist.yaml") -> Path:
    """Write *text* (dedented, first newline dropped) so that its first line is line 1."""
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path: Path, **kwargs) -> tuple[Problem, ...]:
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path, **kwargs)
    return caught.value.problems


def assert_reads_well(problem: Problem) -> None:
    """A sentence a monitor can act on: capitalised, finished, and free of Python leftovers."""
    for text in filter(None, (problem.message, problem.hint)):
        assert text[0].isupper() or text[0] in "'$", text
        assert text.endswith((".", "?")), text
        for leftover in ("None", "Located", "<class", "{'", "Traceback", "tag:yaml.org"):
            assert leftover not in text, text
    assert problem.line is None or problem.line >= 1


# --- a valid checklist -----------------------------------------------------------------------


def test_valid_multi_file_checklist__builds_the_whole_model():
    checklist = load_checklist(VALID / "visit_basics", standards=STANDARDS, areas=AREAS)

    assert checklist.key == ("visit_basics", 2)
    assert checklist.languages == ("en", "es")
    assert [s.id for s in checklist.all_sections()] == ["snapshot", "conditions", "legal"]
    assert {q.type for q in checklist.questions()} == set(QuestionType)
    assert checklist.question("shower_frequency").choice_codes() == ("daily", "weekly", "never")
    assert checklist.question("problems_seen").choice_label("vermin", "es") == "Plagas"
    assert checklist.question("m2_per_person").calculation == (
        "${dorm_floor_area_m2} div ${dorm_occupants}")
    assert checklist.area_of("lawyers_visit") == "proc.legal_counsel"
    assert checklist.sensitive_ids() == {"interview_notes"}
    (flag,) = checklist.red_flags
    assert (flag.id, flag.severity, flag.when) == ("children_detained", "critical",
                                                   "${children_held} > 0")
    kinds = {q.id: q.rule.kind for q in checklist.questions() if q.rule}
    assert sorted(set(kinds.values())) == ["expression", "map", "threshold"]


def test_valid_checklist__records_the_file_and_line_of_each_question():
    checklist = load_checklist(VALID / "visit_basics" / "checklist.yaml")

    question = checklist.question("lawyer_visits_private")
    assert question.source.name == "legal.yaml"
    assert question.line == 10
    assert checklist.section_by_id["legal"].source.name == "legal.yaml"
    assert checklist.question("population").source.name == "checklist.yaml"


def test_digest__is_sha256_of_the_checklist_and_its_includes_in_include_order(tmp_path):
    folder = VALID / "visit_basics"
    expected = hashlib.sha256()
    for name in ("checklist.yaml", "conditions.yaml", "legal.yaml"):
        expected.update((folder / name).read_bytes())

    assert load_checklist(folder).digest == expected.hexdigest()


def test_digest__changes_when_an_included_file_changes(tmp_path):
    write_checklist(tmp_path, """
        id: small
        version: 1
        title: Small
        sections:
          - include: part.yaml
        """)
    part = write_checklist(tmp_path, """
        id: part
        title: Part
        questions:
          - {id: first, type: text, label: First}
        """, "part.yaml")
    before = load_checklist(tmp_path).digest
    part.write_text(part.read_text().replace("First", "Changed"), encoding="utf-8")

    assert load_checklist(tmp_path).digest != before


def test_yes_no_types__get_built_in_choices_in_english_and_spanish(tmp_path):
    path = write_checklist(tmp_path, """
        id: legal
        version: 1
        title: Legal
        sections:
          - id: legal
            title: Legal
            questions:
              - {id: lawyers_visit, type: yes_no, label: 'Do lawyers visit?'}
              - {id: private, type: yes_no_partly_na, label: 'In private?'}
        """)
    checklist = load_checklist(path)

    assert checklist.question("lawyers_visit").choice_codes() == ("yes", "no")
    private = checklist.question("private")
    assert private.choice_codes() == ("yes", "no", "partly", "na")
    assert [private.choice_label(code, "es") for code in private.choice_codes()] == [
        "Sí", "No", "Parcialmente", "No aplica"]
    assert private.choice_label("na") == "Not applicable"


def test_unquoted_yes_and_no__stay_choice_codes_and_map_rule_answers(tmp_path):
    path = write_checklist(tmp_path, """
        id: water
        version: 1
        title: Water
        sections:
          - id: water
            title: Water
            questions:
              - id: water_any_time
                type: select_one
                label: Can people get drinking water at any time?
                choices:
                  - {code: yes, label: Yes}
                  - {code: no, label: No}
                  - {code: on, label: On request}
                standards: [mandela-r23]
                rule:
                  kind: map
                  values: {yes: compliant, on: partially_compliant, no: non_compliant}
        """)
    question = load_checklist(path).question("water_any_time")

    assert question.choice_codes() == ("yes", "no", "on")
    assert [c.label.get() for c in question.choices] == ["Yes", "No", "On request"]
    assert dict(question.rule.params["values"]) == {
        "yes": "compliant", "on": "partially_compliant", "no": "non_compliant"}


def test_rule__judges_the_question_standards_unless_it_names_its_own(tmp_path):
    path = write_checklist(tmp_path, """
        id: rules
        version: 1
        title: Rules
        sections:
          - id: regime
            title: Regime
            questions:
              - id: hours_outdoors
                type: decimal
                label: Hours outdoors
                standards: [mandela-r23]
                rule: {kind: threshold, standard: mandela-r23, severity: high}
              - id: children_held
                type: integer
                label: Children held
                rule: {kind: threshold, operator: '<=', value: 0, standards: [cmw-crc-jgc-p12]}
        """)
    checklist = load_checklist(path, standards=STANDARDS)

    outdoors = checklist.question("hours_outdoors").rule
    assert (outdoors.standards, outdoors.severity, outdoors.line) == (("mandela-r23",), "high", 12)
    assert dict(outdoors.params) == {"standard": "mandela-r23"}
    children = checklist.question("children_held").rule
    assert (children.standards, children.severity) == (("cmw-crc-jgc-p12",), "medium")


def test_nested_sections__know_their_parent_and_inherit_the_area(tmp_path):
    path = write_checklist(tmp_path, """
        id: health
        version: 1
        title: Health
        sections:
          - id: health
            title: Health care
            area: health.access_care
            sections:
              - id: doctors
                title: Doctors
                questions:
                  - {id: doctor_daily, type: yes_no, label: 'Is a doctor on site every day?'}
        """)
    checklist = load_checklist(path, areas=AREAS)

    assert checklist.section_by_id["doctors"].parent_id == "health"
    assert checklist.area_of("doctor_daily") == "health.access_care"
    assert [s.id for s in checklist.section_chain("doctors")] == ["health", "doctors"]


def test_plain_string_labels__belong_to_the_first_declared_language(tmp_path):
    path = write_checklist(tmp_path, """
        id: solo
        version: 1
        title: Solo español
        languages: [es]
        sections:
          - id: agua
            title: Agua
            questions:
              - {id: agua_potable, type: yes_no, label: '¿Hay agua potable?'}
        """)
    question = load_checklist(path).question("agua_potable")

    assert question.label.languages == {"es"}
    assert question.label.get("es") == "¿Hay agua potable?"


# --- problems, as a monitor reads them ---------------------------------------------------------


def test_unknown_type__names_file_line_and_question__suggests_spelling(tmp_path):
    path = write_checklist(tmp_path, """
        id: health
        version: 1
        title: Health care
        sections:
          - id: staffing
            title: Staffing
            questions:
              - id: doctor_daily
                type: yesno
                label: Is a doctor on site every day?
        """, "health.yaml")

    (problem,) = problems_of(path)

    assert (problem.path, problem.line, problem.field) == (path, 9, "doctor_daily")
    assert str(problem) == (f"{path}:9: [doctor_daily] Unknown question type 'yesno'. "
                            "Did you mean 'yes_no'?")


def test_problem_path__is_the_path_as_given(tmp_path, monkeypatch):
    write_checklist(tmp_path, """
        id: health
        version: one
        title: Health
        sections:
          - id: staffing
            title: Staffing
            questions:
              - {id: doctor_daily, type: yes_no, label: 'Doctor every day?'}
        """)
    monkeypatch.chdir(tmp_path)

    (problem,) = problems_of(Path("checklist.yaml"))

    assert problem.path == Path("checklist.yaml")
    assert str(problem).startswith("checklist.yaml:2: [version] The version must be a whole number")


def test_every_problem_in_a_file__is_reported_in_line_order(tmp_path):
    path = write_checklist(tmp_path, """
        id: Many_Faults
        version: 0
        title: {en: Many faults, es: Muchos fallos}
        languages: [en, es]
        sections:
          - id: staffing
            title: Staffing
            questions:
              - id: doctor_daily
                type: yes_no
                label: Is a doctor on site every day?
                sensitive: no
              - id: doctor_daily
                type: integr
                label: {en: Doctors, es: Médicos}
                relevant: "${nurse} > 0"
        """)

    problems = problems_of(path)

    assert [(p.line, p.field) for p in problems] == [
        (1, "id"),
        (2, "version"),
        (7, "sections[staffing].title"),
        (11, "doctor_daily"),
        (12, "doctor_daily"),
        (13, "doctor_daily"),
        (14, "doctor_daily"),
        (16, "doctor_daily"),
    ]
    texts = [p.message for p in problems]
    assert "'Many_Faults' is not allowed" in texts[0]
    assert texts[1] == "The version must be 1 or more, not 0."
    assert texts[3] == "The label has no Spanish (es) text."
    assert texts[4] == "'sensitive' must be true or false, not 'no'."
    assert texts[5] == "The question id 'doctor_daily' is already used on line 9."
    assert texts[6] == "Unknown question type 'integr'."
    assert "${nurse}" in texts[7]
    for problem in problems:
        assert_reads_well(problem)


def test_duplicate_key__names_both_lines_and_the_question(tmp_path):
    path = write_checklist(tmp_path, """
        id: dup
        version: 1
        title: Dup
        sections:
          - id: staffing
            title: Staffing
            questions:
              - id: doctor_daily
                type: yes_no
                label: Doctor every day?
                type: integer
        """)

    (problem,) = problems_of(path)

    assert (problem.line, problem.field) == (11, "doctor_daily")
    assert "on line 9 and on line 11" in problem.message


def test_missing_translations__are_each_listed_with_the_missing_languages(tmp_path):
    path = write_checklist(tmp_path, """
        id: three
        version: 1
        title: {en: Three languages, es: Tres idiomas, fr: Trois langues}
        languages: [en, es, fr]
        choice_lists:
          frequency:
            - {code: daily, label: {en: Every day, es: Todos los días, fr: Tous les jours}}
            - {code: never, label: {en: Never}}
        sections:
          - id: water
            title: {en: Water, es: Agua, fr: Eau}
            questions:
              - id: water_access
                type: select_one
                label: {en: Water access, es: Acceso al agua, fr: Accès à l'eau}
                help: {en: Ask detainees., es: Pregunte a las personas., fr: ''}
                constraint: ". != 'never'"
                constraint_message: {en: Not never., fr: Pas jamais., pt: Nunca não.}
                choices: frequency
        """)

    problems = problems_of(path)

    assert [(p.line, p.field, p.message) for p in problems] == [
        (8, "choice_lists[frequency]",
         "The label of choice 'never' has no Spanish (es) or French (fr) text."),
        (16, "water_access", "The help text has no French (fr) text."),
        (18, "water_access", "The constraint message has no Spanish (es) text."),
        (18, "water_access", "The constraint message has text in 'pt', which is not one of the "
                             "checklist's languages (en, es, fr)."),
    ]


def test_sensitive_question__expression_problem_does_not_echo_the_expression(tmp_path):
    path = write_checklist(tmp_path, """
        id: interviews
        version: 1
        title: Interviews
        sections:
          - id: interviews
            title: Interviews
            questions:
              - id: perpetrator
                type: text
                label: Who was named?
                sensitive: true
                constraint: ". != 'Officer Ramirez"
        """)

    (problem,) = problems_of(path)

    assert (problem.line, problem.field) == (12, "perpetrator")
    assert "Ramirez" not in str(problem)
    assert "character 6" in problem.message


def test_constraint_and_rule_expressions__may_use_the_current_answer(tmp_path):
    path = write_checklist(tmp_path, """
        id: space
        version: 1
        title: Space
        sections:
          - id: space
            title: Space
            questions:
              - {id: population, type: integer, label: People held}
              - id: beds
                type: integer
                label: Beds
                constraint: ". >= 0"
                standards: [mandela-r23]
                rule:
                  kind: expression
                  compliant: ". >= ${population}"
                  partial: ". >= ${popul} * 0.8"
        """)

    (problem,) = problems_of(path)

    assert (problem.line, problem.field) == (17, "beds")
    assert problem.message == ("The partial expression refers to ${popul}, but no question has "
                               "the id 'popul'.")
    assert problem.hint == "Did you mean 'population'?"


def test_include_problems__name_the_included_file_and_its_lines(tmp_path):
    write_checklist(tmp_path, """
        id: split
        version: 1
        title: Split
        sections:
          - include: health.yaml
          - include: ../elsewhere.yaml
        """)
    part = write_checklist(tmp_path, """
        id: health
        title: Health
        questions:
          - id: doctor_daily
            type: yes_no
            label: Doctor every day?
            lable: typo
        """, "health.yaml")

    problems = problems_of(tmp_path)

    assert [(p.path.name, p.line, p.field) for p in problems] == [
        ("checklist.yaml", 6, "sections[1]"),
        ("health.yaml", 7, "doctor_daily"),
    ]
    assert problems[1].path == part
    assert problems[0].message == (
        "The include '../elsewhere.yaml' points outside the checklist's folder.")


def test_section_file_included_twice__is_reported_once_at_the_second_include(tmp_path):
    write_checklist(tmp_path, """
        id: twice
        version: 1
        title: Twice
        sections:
          - include: health.yaml
          - include: health.yaml
        """)
    write_checklist(tmp_path, """
        id: health
        title: Health
        questions:
          - {id: doctor_daily, type: yes_no, label: Doctor every day}
        """, "health.yaml")

    (problem,) = problems_of(tmp_path)

    assert (problem.path.name, problem.line) == ("checklist.yaml", 6)
    assert problem.message == "The file 'health.yaml' is already included on line 5."


def test_comma_inside_a_flow_map__is_explained(tmp_path):
    path = write_checklist(tmp_path, """
        id: comma
        version: 1
        title: {en: Comma, es: Coma}
        languages: [en, es]
        sections:
          - id: legal
            title: {en: Legal, es: Legal}
            questions:
              - id: lawyers_visit
                type: yes_no
                label: {en: Lawyers visit, es: Visitas de abogados}
                help: {en: Ask detainees, not only staff., es: Pregunte a las personas detenidas.}
        """)

    (problem,) = problems_of(path)

    assert (problem.line, problem.field) == (12, "lawyers_visit")
    assert problem.message == ("The help text has an entry 'not only staff.', which is not a "
                               "language code.")
    assert "put texts that contain commas in quotes" in problem.hint


def test_yaml_syntax_error__gives_the_line_and_a_fix(tmp_path):
    path = write_checklist(tmp_path, """
        id: tabs
        version: 1
        title: Tabs
        sections:
        \t- id: x
        """)

    (problem,) = problems_of(path)

    assert problem.line == 5
    assert problem.hint == "Indent with spaces, not tabs."
    assert_reads_well(problem)


def test_missing_file__is_a_problem_not_a_crash(tmp_path):
    (problem,) = problems_of(tmp_path / "nowhere.yaml")

    assert problem.message == "The checklist file does not exist."


def test_top_level_not_a_mapping__is_reported(tmp_path):
    path = write_checklist(tmp_path, """
        - id: a
        - id: b
        """)

    (problem,) = problems_of(path)

    assert (problem.line, problem.message) == (1, "The file holds a list, not a checklist.")


# --- several files -----------------------------------------------------------------------------


def test_discover__finds_folders_and_single_file_checklists_but_not_catalogues(tmp_path):
    core = tmp_path / "core"
    core.mkdir()
    write_checklist(core, "id: core\nversion: 1\ntitle: Core\nsections: []\n")
    write_checklist(core, "id: part\ntitle: Part\nquestions: []\n", "part.yaml")
    write_checklist(tmp_path, "id: extra\nversion: 1\ntitle: Extra\nsections: []\n", "extra.yaml")
    write_checklist(tmp_path, "meta: {}\nstandards: []\n", "standards.yaml")
    write_checklist(tmp_path, "id: areas\nversion: 1\nsections: []\n", "areas.yaml")
    write_checklist(tmp_path, "notes: not a checklist\n", "notes.yaml")
    write_checklist(tmp_path, "id: [broken\n", "broken.yaml")
    themed = tmp_path / "themed"
    themed.mkdir()
    write_checklist(themed, "id: children\nversion: 1\ntitle: C\nsections: []\n", "children.yaml")

    found = discover([tmp_path])

    assert found == [tmp_path / "broken.yaml", tmp_path / "extra.yaml",
                     core / "checklist.yaml", themed / "children.yaml"]
    assert discover([core]) == [core / "checklist.yaml"]
    assert discover([core / "part.yaml", core / "part.yaml"]) == [core / "part.yaml"]


def test_load_checklists__reports_a_version_defined_twice_and_every_file(tmp_path):
    text = """
        id: core
        version: 3
        title: Core
        sections:
          - id: s
            title: S
            questions:
              - {id: q, type: text, label: Q}
        """
    write_checklist(tmp_path, text, "a.yaml")
    copy = write_checklist(tmp_path, text, "b.yaml")
    write_checklist(tmp_path, text.replace("core", "other").replace("type: text", "type: txt"),
                    "c.yaml")

    with pytest.raises(ChecklistError) as caught:
        load_checklists([tmp_path])

    problems = caught.value.problems
    assert [(p.path, p.line, p.field) for p in problems] == [
        (copy, 2, "version"), (tmp_path / "c.yaml", 8, "q")]
    assert problems[0].message == (f"The checklist 'core' version 3 is also defined in "
                                   f"{tmp_path / 'a.yaml'}.")
    assert str(caught.value).startswith("2 problems in checklist files:")


def test_check_checklists__returns_the_good_ones_and_never_raises(tmp_path):
    good = write_checklist(tmp_path, """
        id: good
        version: 1
        title: Good
        sections:
          - id: s
            title: S
            questions:
              - {id: q, type: text, label: Q}
        """, "good.yaml")
    write_checklist(tmp_path, "id: bad\nversion: 1\ntitle: Bad\nsections: [\n", "bad.yaml")
    empty = tmp_path / "empty"
    empty.mkdir()

    checklists, problems = check_checklists([tmp_path, empty])

    assert [c.source for c in checklists] == [good]
    assert [(p.path, p.line) for p in problems] == [(empty, None), (tmp_path / "bad.yaml", 5)]
    assert problems[0].message == "No checklist was found in this folder."


# --- the YAML reader ---------------------------------------------------------------------------


def test_yaml_reader__keeps_lines_of_mappings_keys_and_items():
    document = load_yaml("title: T\nsections:\n  - id: a\n    label: A\n  - id: b\n", "x.yaml")

    data = document.data
    assert isinstance(data, LocatedMap) and isinstance(data["sections"], LocatedList)
    assert (data.line, data.line_of("sections")) == (1, 2)
    assert data["sections"].item_lines == [3, 5]
    assert data["sections"][0].line_of("label") == 4


def test_yaml_reader__uses_yaml_1_2_scalars():
    document = load_yaml(
        "a: yes\nb: no\nc: on\nd: off\ne: true\nf: False\ng: 012\nh: 12:30\ni: 2024-05-01\n"
        "j: 0x10\nk: 1.5\nl: ~\nm: y\n", "x.yaml")

    assert dict(document.data) == {"a": "yes", "b": "no", "c": "on", "d": "off", "e": True,
                                   "f": False, "g": 12, "h": "12:30", "i": "2024-05-01",
                                   "j": 16, "k": 1.5, "l": None, "m": "y"}


def test_yaml_reader__keeps_the_first_of_two_equal_keys_and_reports_both_lines():
    document = load_yaml("a: 1\nb:\n  c: 2\n  c: 3\n", "x.yaml")

    assert document.data["b"]["c"] == 2
    (problem,) = document.problems()
    assert (problem.line, problem.field) == (4, "b")
    assert problem.message == (
        "The key 'c' is written twice in the same mapping, on line 3 and on line 4.")


def test_yaml_reader__refuses_python_tags():
    document = load_yaml("a: !!python/object/apply:os.system ['true']\n", "x.yaml")

    assert document.data is None
    assert document.error.line == 1
    assert "tag" in document.error.hint


# --- the broken fixtures, one kind of fault each ----------------------------------------------

#: file -> (file the problem is in, line, field, words the message must contain)
BROKEN_EXPECTATIONS = {
    "yaml_syntax.yaml": ("yaml_syntax.yaml", 10, None, "mapping values are not allowed"),
    "duplicate_key.yaml": ("duplicate_key.yaml", 11, "lawyers_visit",
                           "The key 'label' is written twice in the same mapping, on line 10 "
                           "and on line 11."),
    "unknown_key.yaml": ("unknown_key.yaml", 11, "lawyers_visit",
                         "The key 'requried' is not known for a question."),
    "unknown_type.yaml": ("unknown_type.yaml", 9, "doctor_daily",
                          "Unknown question type 'yesno'."),
    "duplicate_id.yaml": ("duplicate_id.yaml", 11, "stock_checked",
                          "The question id 'stock_checked' is already used on line 8."),
    "duplicate_section_id.yaml": ("duplicate_section_id.yaml", 11, "sections[health]",
                                  "The section id 'health' is already used on line 5."),
    "bad_id.yaml": ("bad_id.yaml", 8, "Doctor-Daily",
                    "The question id 'Doctor-Daily' is not allowed"),
    "unknown_reference.yaml": ("unknown_reference.yaml", 14, "lawyer_visits_private",
                               "refers to ${lawyer_visit}, but no question has the id"),
    "circular_relevant.yaml": ("circular_relevant.yaml", 11, "lawyers_visit",
                               "loop: lawyers_visit -> lawyer_visits_private -> lawyers_visit."),
    "circular_calculation.yaml": ("circular_calculation.yaml", 14, "m2_per_person",
                                  "loop: m2_per_person -> occupants -> m2_per_person."),
    "section_relevant_loop.yaml": ("section_relevant_loop.yaml", 7, "sections[legal].relevant",
                                   "loop: section legal -> lawyers_visit -> section legal."),
    "bad_expression.yaml": ("bad_expression.yaml", 14, "lawyers_paid",
                            "The relevant expression cannot be read: unexpected character '&' "
                            "at character 26"),
    "current_outside_constraint.yaml": ("current_outside_constraint.yaml", 14, "population_notes",
                                        "The relevant expression uses '.'"),
    "unknown_standard.yaml": ("unknown_standard.yaml", 11, "hours_outdoors",
                              "cites the standard 'mandela-r32', which does not exist."),
    "unknown_area.yaml": ("unknown_area.yaml", 7, "sections[legal]",
                          "cites the monitoring area 'proc.legal_councel', which does not exist."),
    "missing_choice_list.yaml": ("missing_choice_list.yaml", 15, "shower_frequency",
                                 "There is no choice list named 'frequncy'."),
    "select_without_choices.yaml": ("select_without_choices.yaml", 8, "shower_frequency",
                                    "A select_one question needs choices."),
    "repeated_choice_code.yaml": ("repeated_choice_code.yaml", 14, "problems_seen",
                                  "The choice code 'damp' is already used on line 12"),
    "sensitive_choice_code.yaml": ("sensitive_choice_code.yaml", 14, "ill_treatment_by",
                                   "A choice code is already used on line 13"),
    "choices_on_yes_no.yaml": ("choices_on_yes_no.yaml", 11, "lawyers_visit",
                               "A yes_no question has built-in choices (yes, no)"),
    "missing_translation.yaml": ("missing_translation.yaml", 11, "lawyers_visit",
                                 "The label has no Spanish (es) text."),
    "missing_section_title_translation.yaml": ("missing_section_title_translation.yaml", 7,
                                               "sections[legal].title",
                                               "The title has no Spanish (es) text."),
    "missing_label.yaml": ("missing_label.yaml", 8, "lawyers_visit", "The label is missing."),
    "calculate_without_calculation.yaml": ("calculate_without_calculation.yaml", 8,
                                           "m2_per_person",
                                           "A calculate question needs a 'calculation'."),
    "calculation_on_non_calculate.yaml": ("calculation_on_non_calculate.yaml", 14,
                                          "m2_per_person",
                                          "Only calculate questions take a 'calculation'"),
    "bad_version.yaml": ("bad_version.yaml", 2, "version",
                         "The version must be a whole number, not 1.5."),
    "not_boolean.yaml": ("not_boolean.yaml", 11, "lawyers_visit",
                         "'required' must be true or false, not 'yes'."),
    "numeric_choice_code.yaml": ("numeric_choice_code.yaml", 12, "meals_per_day",
                                 "The code of choice 1 is a number; choice codes are text."),
    "rule_without_kind.yaml": ("rule_without_kind.yaml", 12, "lawyers_visit",
                               "The rule has no 'kind'."),
    "bad_severity.yaml": ("bad_severity.yaml", 15, "lawyers_visit",
                          "The rule severity 'urgent' is not one of low, medium, high, critical."),
    "bad_status.yaml": ("bad_status.yaml", 15, "lawyers_visit",
                        "The rule gives the answer 'yes' the status 'complaint', which is not a "
                        "status."),
    "rule_unknown_standard.yaml": ("rule_unknown_standard.yaml", 11, "children_held",
                                   "The rule judges the standard 'cmw-crc-jgc-p21'"),
    "red_flag_unknown_reference.yaml": ("red_flag_unknown_reference.yaml", 15,
                                        "red_flags[children_detained].when",
                                        "The when expression refers to ${children}"),
    "include_missing.yaml": ("include_missing.yaml", 5, "sections[0]",
                             "The included file 'include_missing_helth.yaml' does not exist"),
    "include_escape.yaml": ("include_escape.yaml", 5, "sections[0]",
                            "points outside the checklist's folder."),
    "include_cycle.yaml": ("include_cycle_b.yaml", 8,
                           "sections[part_a].sections[part_b].sections[0]",
                           "makes a loop: include_cycle_a.yaml -> include_cycle_b.yaml -> "
                           "include_cycle_a.yaml."),
    "included_problem.yaml": ("included_problem_section.yaml", 9, "nurse_daily",
                              "Unknown question type 'yes-no'."),
}


@pytest.mark.parametrize("name", sorted(BROKEN_EXPECTATIONS))
def test_broken_fixture__gives_one_problem_with_file_line_and_field(name):
    file_name, line, field, words = BROKEN_EXPECTATIONS[name]

    problems = problems_of(BROKEN / name, standards=STANDARDS, areas=AREAS)

    assert [(Path(p.path).name, p.line, p.field) for p in problems] == [(file_name, line, field)]
    (problem,) = problems
    assert words in problem.message
    assert_reads_well(problem)
    assert re.match(rf".+{re.escape(file_name)}:{line}: ", str(problem))


def test_sensitive_fixture__never_echoes_the_repeated_code():
    (problem,) = problems_of(BROKEN / "sensitive_choice_code.yaml")

    assert "guard_night_shift" not in str(problem)


def test_every_broken_fixture__has_an_expectation():
    checklists = {path.name for path in discover([BROKEN])}

    assert checklists == set(BROKEN_EXPECTATIONS)
