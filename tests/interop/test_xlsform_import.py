"""XLSForms written elsewhere become checklists, or the import says exactly why not."""

from __future__ import annotations

import pytest
from pyxform.xls2xform import convert as pyxform_convert

from monitor.checklists.schema import QuestionType
from monitor.core import paths
from monitor.core.errors import InputError
from monitor.interop.checklist_files import import_xlsform
from monitor.interop.expressions import convert
from monitor.interop.languages import column_language, display_name
from tests.interop.conftest import XLSFORM_DATA

HEADER = ["type", "name", "label::English (en)", "label::Español (es)"]


def _import(path, **options):
    return import_xlsform(path, checklist_dir=paths.CHECKLISTS, **options)


def _said(result, level=None) -> list[str]:
    return [str(p) for p in result.problems if level is None or p.level == level]


def _has(lines: list[str], start: str, *words: str) -> bool:
    return any(line.startswith(start) and all(w in line for w in words) for line in lines)


@pytest.fixture(scope="module")
def field_form():
    return _import(XLSFORM_DATA / "field_form.xlsx")


def test_a_kobo_style_form_imports_with_every_loss_reported(field_form):
    pyxform_convert(xlsform=str(XLSFORM_DATA / "field_form.xlsx"), validate=False)  # a real form
    assert field_form.ok, _said(field_form)
    checklist = field_form.checklist
    assert (checklist.id, checklist.version, checklist.languages) == (
        "field_visit", 2024031501, ("en", "fr"))
    assert [s.id for s in checklist.all_sections()] == ["site", "conditions", "general"]
    kinds = {q.id: q.type for q in checklist.questions()}
    assert kinds == {
        "site_name": QuestionType.TEXT, "region": QuestionType.SELECT_ONE,
        "district": QuestionType.SELECT_ONE, "capacity": QuestionType.INTEGER,
        "population": QuestionType.INTEGER, "occupancy": QuestionType.CALCULATE,
        "beds": QuestionType.SELECT_ONE, "beds_notes": QuestionType.LONG_TEXT,
        "problems": QuestionType.SELECT_MANY, "phone": QuestionType.TEXT,
        "visit_day": QuestionType.DATE, "stamp": QuestionType.CALCULATE,
        "final_remarks": QuestionType.TEXT}
    warnings = _said(field_form, "warning")
    # Every row left out is named with its sheet and row.
    for row, name in ((2, "'start'"), (3, "'end'"), (4, "'deviceid'"), (5, "'intro'"),
                      (10, "'location'"), (20, "'interviews'"), (21, "'interviewee_code'"),
                      (22, "'interviewee_age'"), (24, "'photo'")):
        assert _has(warnings, f"sheet survey, row {row}: ", name, "left out"), row
    assert _has(warnings, "sheet survey, row 9: ", "choice filter", "region=${region}")
    assert _has(warnings, "sheet survey, row 25: ", "regex()", "left out")
    assert _has(warnings, "sheet survey, row 27: ", "once()")
    assert _has(warnings, "sheet survey, row 1: ", "'default'", "row 26")
    assert _has(warnings, "sheet choices, row 1: ", "'region'", "rows 6, 7")
    assert _has(warnings, "sheet choices, row 11: ", "'leftover'", "no question")
    assert _has(warnings, "sheet settings, row 2: ", "'style'")
    assert _has(warnings, "sheet settings, row 2: ", "Français (fr)", "translate")


def test_kept_parts_keep_their_texts_logic_and_choices(field_form):
    checklist = field_form.checklist
    population = checklist.by_id["population"]
    assert population.label.get("fr") == "Personnes détenues aujourd'hui"
    assert population.help.get("en") == "Count everyone"
    assert population.required and population.constraint == ". >= 0 and . <= 5000"
    assert population.constraint_message.get("fr") == "Entre 0 et 5000"
    assert checklist.by_id["phone"].constraint is None  # refused, so dropped with its message
    assert checklist.by_id["phone"].constraint_message is None
    assert checklist.by_id["stamp"].calculation == "today()"
    assert checklist.by_id["occupancy"].calculation == "${population} div ${capacity}"
    assert checklist.section_by_id["conditions"].relevant == "${population} > 0"
    assert checklist.by_id["problems"].choice_codes() == ("crowding", "vermin", "heat")
    assert checklist.by_id["district"].choice_label("d1", "fr") == "Quartier du port"
    assert checklist.title.get("fr") == "Field visit"


def test_the_yaml_names_the_rows_it_came_from(field_form):
    site = field_form.files["site.yaml"]
    assert "- id: population  # survey row 12" in site
    assert "- code: crowding  # choices row 8" in site
    assert field_form.files["checklist.yaml"].startswith(
        "# A checklist, imported from the XLSForm field_form.xlsx.")
    assert set(field_form.files) == {"checklist.yaml", "site.yaml", "general.yaml"}


def test_what_cannot_be_kept_stops_the_import_with_each_reason():
    result = _import(XLSFORM_DATA / "broken_form.xlsx")
    assert not result.ok and result.checklist is None
    errors = _said(result, "error")
    assert _has(errors, "sheet survey, row 5: ", "jr:choice-name()", "choice codes")
    assert _has(errors, "sheet survey, row 6: ", "pulldata()")
    assert _has(errors, "sheet survey, row 7: ", "${where}", "not imported", "geopoint")
    assert _has(errors, "sheet survey, row 8: ", "'sizes'")
    assert _has(errors, "sheet survey, row 9: ", "'who' is already used on row 5")
    assert _has(errors, "sheet survey, row 10: ", "French (fr)")  # found by the validator
    assert _has(errors, "sheet survey, row 12: ", "end_group has no matching begin_group")
    assert len(errors) == 7


def test_language_headers(write_form):
    assert column_language("English (en)") == "en"
    assert column_language("Español") == "es"
    assert column_language("Spanish") == "es"
    assert column_language("Français") == "fr"
    assert column_language("Português") == "pt"
    assert column_language("pt-BR") == "pt-BR"
    assert column_language("Kiswahili") is None
    assert display_name("es") == "Español (es)"
    path = write_form(survey=[["type", "name", "label::English", "label::Kiswahili"],
                              ["begin_group", "g", "G", "G"], ["text", "q", "Q", "Q"],
                              ["end_group"]])
    result = _import(path)
    assert _has(_said(result, "error"), "sheet survey, row 1: ", "'label::Kiswahili'",
                "label::Kiswahili (xx)")


def test_a_plain_label_column_takes_the_default_language(write_form):
    path = write_form(
        survey=[["type", "name", "label", "label::Español (es)"],
                ["begin_group", "g", "Group", "Grupo"], ["integer", "n", "Number", "Número"],
                ["end_group"]],
        settings=[["form_title", "form_id", "version", "default_language"],
                  ["Plain", "plain", "3", "English"]])
    result = _import(path)
    assert result.ok, _said(result)
    assert result.checklist.languages == ("en", "es")
    assert result.checklist.by_id["n"].label.get("en") == "Number"
    assert result.checklist.title.get("en") == "Plain"
    assert _said(result) == ["sheet settings, row 2: the form title 'Plain' is used in Español "
                             "(es): an XLSForm title has no translations; translate it in "
                             "checklist.yaml."]


def test_names_that_are_not_ids_are_renamed_everywhere(write_form):
    path = write_form(survey=[HEADER + ["relevant"],
                              ["begin_group", "Main-Part", "Main", "Principal"],
                              ["integer", "Count.Total", "Count", "Cuenta"],
                              ["text", "why", "Why", "Por qué", "${Count.Total} > 3"],
                              ["end_group"]])
    result = _import(path)
    assert result.ok, _said(result)
    assert [q.id for q in result.checklist.questions()] == ["count_total", "why"]
    assert result.checklist.by_id["why"].relevant == "${count_total} > 3"
    assert result.checklist.sections[0].id == "main_part"
    assert _has(_said(result), "sheet survey, row 3: ", "'Count.Total' becomes 'count_total'")


def test_our_yes_no_types_come_back_from_dm_type(write_form):
    path = write_form(
        survey=[HEADER + ["dm_type"], ["begin_group", "g", "G", "G"],
                ["select_one yes_no", "ok", "OK?", "¿Bien?", "yes_no"],
                ["select_one yes_no", "ok2", "OK?", "¿Bien?", "integer"],
                ["end_group"]],
        choices=[["list_name", "name", "label::English (en)", "label::Español (es)"],
                 ["yes_no", "yes", "Yes", "Sí"], ["yes_no", "no", "No", "No"]])
    result = _import(path)
    assert result.ok, _said(result)
    assert result.checklist.by_id["ok"].type is QuestionType.YES_NO
    assert result.checklist.by_id["ok2"].type is QuestionType.SELECT_ONE
    assert _has(_said(result), "sheet survey, row 4: ", "dm_type integer", "select_one")


def test_questions_outside_groups_and_close_types(write_form):
    path = write_form(survey=[HEADER + ["parameters"],
                              ["datetime", "seen_at", "Seen at", "Visto a las"],
                              ["range", "score", "Score", "Puntaje", "start=1 end=5"],
                              ["select_one yn or_other", "pick", "Pick", "Elija"]],
                      choices=[["list_name", "name", "label::English (en)", "label::Español (es)"],
                               ["yn", "a", "A", "A"]])
    result = _import(path)
    assert result.ok, _said(result)
    checklist = result.checklist
    assert [s.id for s in checklist.sections] == ["general"]
    assert checklist.by_id["seen_at"].type is QuestionType.DATE
    assert checklist.by_id["score"].type is QuestionType.DECIMAL
    assert checklist.by_id["score"].constraint == ". >= 1 and . <= 5"
    warnings = _said(result, "warning")
    assert _has(warnings, "sheet survey, row 2: ", "time of day")
    assert _has(warnings, "sheet survey, row 3: ", "range")
    assert _has(warnings, "sheet survey, row 4: ", "or_other")


def test_unclosed_groups_and_missing_sheets_are_errors(write_form, tmp_path):
    open_group = write_form(survey=[HEADER, ["begin_group", "g", "G", "G"],
                                    ["text", "q", "Q", "Q"]])
    assert _has(_said(_import(open_group), "error"), "sheet survey, row 2: ", "never closed")
    no_survey = write_form(choices=[["list_name", "name", "label"]])
    assert _said(_import(no_survey)) == [
        "sheet survey: the workbook has no sheet named 'survey'; an XLSForm lists its "
        "questions there."]
    text = tmp_path / "form.xlsx.txt"
    text.write_text("type,name\n")
    with pytest.raises(InputError, match="not an Excel workbook"):
        _import(text)


@pytest.mark.parametrize(("written", "expected"), [
    ("${a} = 'yes' and (${b} > 2)", "${a} = 'yes' and ${b} > 2"),
    ("once(today())", "today()"),
    ("now()", "today()"),
    ("string(${a})", "concat(${a})"),
    ("concat('once(', 'a/b')", "concat('once(', 'a/b')"),
    ("${a} div ${b}", "${a} div ${b}"),
])
def test_expressions_are_mapped(written, expected):
    assert convert(written).text == expected


@pytest.mark.parametrize(("written", "words"), [
    ("regex(., '[0-9]')", "regex()"),
    ("jr:choice-name(${a}, '${a}')", "jr:choice-name()"),
    ("pulldata('f', 'c', 'k', ${a})", "pulldata()"),
    ("/data/g/a > 3", "XPath path"),
    ("../a = 1", "XPath path"),
    ("${a} +", "cannot be read"),
])
def test_expressions_are_refused_with_a_reason(written, words):
    result = convert(written)
    assert result.text is None and words in result.error


def test_presentation_settings_are_reported_not_dropped_silently(write_form):
    path = write_form(survey=[HEADER + ["appearance", "parameters"],
                              ["begin_group", "g", "G", "G", "field-list"],
                              ["text", "notes", "Notes", "Notas", "multiline", "rows=5"],
                              ["integer", "n", "N", "N", "numbers"],
                              ["end_group"]])
    result = _import(path)
    assert result.ok, _said(result)
    assert result.checklist.by_id["notes"].type is QuestionType.LONG_TEXT
    warnings = _said(result, "warning")
    assert _has(warnings, "sheet survey, row 2: ", "'field-list'", "'g'")
    assert _has(warnings, "sheet survey, row 3: ", "'rows=5'", "'notes'")
    assert _has(warnings, "sheet survey, row 4: ", "'numbers'", "'n'")
    assert not _has(warnings, "sheet survey, row 3: ", "appearance")  # multiline is kept
