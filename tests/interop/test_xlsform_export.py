"""Checklists written as XLSForms: what ODK, KoboToolbox and pyxform read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from monitor.checklists.expr import parse
from monitor.checklists.schema import QuestionType
from monitor.core.errors import InputError
from monitor.interop.xlsform_export import META_NAMES, export_xlsform, plan_form


def _rows(path: Path, sheet: str) -> list[dict]:
    book = load_workbook(path, read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    book.close()
    header = rows[0]
    return [{h: v for h, v in zip(header, row) if v is not None} for row in rows[1:]]


def _shipped(catalog):
    return [pytest.param(c, id=f"{c.id}@{c.version}") for c in catalog]


def test_every_shipped_checklist_converts_with_pyxform(catalog, tmp_path):
    checklists = list(catalog)
    assert checklists, "no checklist is shipped"
    for checklist in checklists:
        target = tmp_path / f"{checklist.id}-{checklist.version}.xlsx"
        form = export_xlsform(checklist, target)
        assert set(form.question_ids) == set(checklist.by_id)
        result = convert(xlsform=str(target), validate=False)
        assert f'id="{checklist.id}"' in result.xform
        assert f'version="{checklist.version}"' in result.xform
        for language in checklist.languages:
            assert f"({language})" in result.xform  # a translation per language
        for question_id in checklist.by_id:
            assert f"/{question_id}" in result.xform


def test_types_texts_and_logic_travel_in_xlsform_columns(catalog, tmp_path):
    checklist = catalog.get("core")
    target = tmp_path / "core.xlsx"
    export_xlsform(checklist, target)
    survey = {row["name"]: row for row in _rows(target, "survey") if "name" in row
              and row.get("type") != "end_group"}
    expected_prefix = {
        QuestionType.YES_NO: "select_one yes_no", QuestionType.YES_NO_PARTLY_NA:
        "select_one yes_no_partly_na", QuestionType.INTEGER: "integer",
        QuestionType.DECIMAL: "decimal", QuestionType.TEXT: "text",
        QuestionType.LONG_TEXT: "text", QuestionType.SELECT_ONE: "select_one ",
        QuestionType.SELECT_MANY: "select_multiple ", QuestionType.DATE: "date",
        QuestionType.CALCULATE: "calculate"}
    for question in checklist.questions():
        row = survey[question.id]
        assert row["type"].startswith(expected_prefix[question.type]), question.id
        assert row["dm_type"] == question.type.value
        assert row.get("appearance") == ("multiline" if question.type is QuestionType.LONG_TEXT
                                         else None)
        assert row["label::English (en)"] == question.label.get("en")
        assert row["label::Español (es)"] == question.label.get("es")
        if question.help:
            assert row["hint::Español (es)"] == question.help.get("es")
        assert (row.get("required") == "yes") is question.required
        for key, column in (("relevant", "relevant"), ("constraint", "constraint"),
                            ("calculation", "calculation")):
            written = getattr(question, key)
            assert row.get(column) == (parse(written).to_xlsform() if written else None)
        if question.constraint_message:
            assert row["constraint_message::English (en)"] == question.constraint_message.get("en")
        assert row.get("dm_standards", "").split() == list(question.standards)
        assert (row.get("dm_sensitive") == "yes") is question.sensitive
        assert row.get("dm_indicator") == question.indicator
        assert row.get("dm_unit") == question.unit
        if question.rule is not None:
            assert json.loads(row["dm_rule"])["kind"] == question.rule.kind
    groups = {row["name"]: row for row in _rows(target, "survey")
              if row.get("type") == "begin_group"}
    assert set(groups) == {s.id for s in checklist.all_sections()}
    for section in checklist.all_sections():
        assert groups[section.id].get("dm_area") == section.area
        assert groups[section.id]["label::Español (es)"] == section.title.get("es")


def test_settings_choices_and_red_flags_sheets(catalog, tmp_path):
    checklist = catalog.get("core")
    target = tmp_path / "core.xlsx"
    export_xlsform(checklist, target)
    (settings,) = _rows(target, "settings")
    assert settings["form_id"] == "core"
    assert settings["version"] == str(checklist.version)
    assert settings["default_language"] == "English (en)"
    assert settings["dm_title::Español (es)"] == checklist.title.get("es")
    choices = _rows(target, "choices")
    yes_no = [(r["name"], r["label::Español (es)"]) for r in choices if r["list_name"] == "yes_no"]
    assert yes_no == [("yes", "Sí"), ("no", "No")]
    # A list of choice_lists keeps its name; a question's own list is named after it.
    assert [r["name"] for r in choices if r["list_name"] == "cooperation_levels"] == [
        "full", "adequate", "reluctant", "obstructive"]
    survey = {r["name"]: r for r in _rows(target, "survey") if "name" in r}
    assert survey["management_cooperation"]["type"] == "select_one cooperation_levels"
    assert survey["staff_within_hearing"]["type"] == "select_one staff_within_hearing"
    flags = _rows(target, "dm_red_flags")
    assert [f["id"] for f in flags] == [f.id for f in checklist.red_flags]
    assert flags[0]["when"] == parse(checklist.red_flags[0].when).to_xlsform()


def test_the_form_asks_for_the_facility_and_the_visit_dates(catalog, tmp_path):
    target = tmp_path / "core.xlsx"
    export_xlsform(catalog.get("core"), target)
    rows = _rows(target, "survey")
    first = [(r["type"], r["name"]) for r in rows[:7]]
    assert first == [("start", "start"), ("end", "end"), ("calculate", "dm_checklist"),
                     ("text", "dm_facility_id"), ("date", "dm_visit_date"),
                     ("date", "dm_visit_end_date"), ("begin_group", "access")]
    assert rows[2]["calculation"] == "'core@1'"
    assert rows[3]["required"] == "yes"
    assert {"dm_checklist", "dm_facility_id", "dm_visit_date"} <= META_NAMES


def test_chosen_sections_bring_the_questions_they_refer_to(catalog, tmp_path):
    checklist = catalog.get("core")
    target = tmp_path / "health.xlsx"
    form = export_xlsform(checklist, target, ["health"])
    health = {q.id for s in checklist.section_by_id["health"].walk() for q in s.questions}
    assert health < set(form.question_ids)
    assert "visit_took_place" in form.question_ids  # the health section's skip logic uses it
    assert any("'visit_took_place'" in note for note in form.notes)
    assert "population_total" not in form.question_ids  # nothing in health refers to it
    assert form.paths["visit_took_place"] == "access/visit_took_place"
    rows = _rows(target, "survey")
    assert {"type": "calculate", "name": "dm_sections", "calculation": "'health'"} in rows
    flag_ids = {f["id"] for f in _rows(target, "dm_red_flags")}
    assert "no_medical_exam_on_admission" in flag_ids
    assert "children_detained" not in flag_ids  # its question is not in the form
    convert(xlsform=str(target), validate=False)  # every ${...} has its question


def test_an_unknown_section_is_refused_with_the_known_ones(catalog):
    with pytest.raises(InputError, match="no section 'healthcare'.*health_screening"):
        plan_form(catalog.get("core"), ["healthcare"])


def test_paths_follow_the_groups(catalog):
    checklist = catalog.get("core")
    form = plan_form(checklist)
    for question_id, path in form.paths.items():
        groups = path.split("/")[:-1]
        assert groups == [s.id for s in checklist.section_chain(
            checklist.by_id[question_id].section_id)]
        assert path.endswith(f"/{question_id}")
