"""Export every shipped checklist, convert it with pyxform, import it back: the same checklist."""

from __future__ import annotations

from dataclasses import fields

import pytest
from pyxform.xls2xform import convert

from monitor.checklists.expr import parse
from monitor.checklists.schema import Checklist
from monitor.core import paths
from monitor.core.errors import InputError
from monitor.interop.checklist_files import import_xlsform, write_checklist
from monitor.interop.xlsform_export import export_xlsform
from monitor.services.catalog import validate_paths


def _canonical(text: str | None) -> str | None:
    return parse(text).to_xlsform() if text else None


def _rule(rule):
    return None if rule is None else (rule.kind, dict(rule.params), rule.standards, rule.severity)


def assert_equivalent(original: Checklist, again: Checklist) -> None:
    """Same ids, types, texts, logic (compared in canonical form), choices, standards, rules."""
    assert (again.id, again.version, again.languages) == (original.id, original.version,
                                                          original.languages)
    assert again.title == original.title
    assert [q.id for q in again.questions()] == [q.id for q in original.questions()]
    for question in original.questions():
        copy = again.by_id[question.id]
        for item in fields(question):
            if item.name in ("line", "source"):
                continue
            mine, theirs = getattr(question, item.name), getattr(copy, item.name)
            if item.name in ("relevant", "constraint", "calculation"):
                mine, theirs = _canonical(mine), _canonical(theirs)
            elif item.name == "rule":
                mine, theirs = _rule(mine), _rule(theirs)
            assert theirs == mine, f"{question.id}.{item.name}"
    assert [s.id for s in again.all_sections()] == [s.id for s in original.all_sections()]
    for section in original.all_sections():
        copy = again.section_by_id[section.id]
        assert (copy.title, copy.area, copy.help, copy.parent_id) == (
            section.title, section.area, section.help, section.parent_id)
        assert _canonical(copy.relevant) == _canonical(section.relevant)
    assert [(f.id, f.severity, f.label, _canonical(f.when), f.standards)
            for f in again.red_flags] == [(f.id, f.severity, f.label, _canonical(f.when),
                                           f.standards) for f in original.red_flags]


def test_every_shipped_checklist_comes_back_the_same(catalog, tmp_path):
    for original in catalog:
        form = tmp_path / f"{original.id}-{original.version}.xlsx"
        export_xlsform(original, form)
        convert(xlsform=str(form), validate=False)  # ODK tools accept it on the way
        result = import_xlsform(form, checklist_dir=paths.CHECKLISTS)
        assert result.problems == []
        assert result.ok and result.checklist is not None
        assert_equivalent(original, result.checklist)
        assert set(result.files) == {"checklist.yaml", *(
            f"{s.id}.yaml" for s in original.sections)}


@pytest.mark.parametrize("one_file", [False, True])
def test_written_files_pass_the_validator(catalog, tmp_path, one_file):
    original = catalog.get("core")
    form = tmp_path / "core.xlsx"
    export_xlsform(original, form)
    result = import_xlsform(form, checklist_dir=paths.CHECKLISTS, one_file=one_file)
    out = tmp_path / "out"
    written = write_checklist(result, out)
    assert [p.name for p in written] == (["core.yaml"] if one_file else list(result.files))
    loaded, problems = validate_paths([out], paths.CHECKLISTS)
    assert problems == []
    (checklist,) = loaded
    assert_equivalent(original, checklist)
    header = written[0].read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# A checklist, imported from the XLSForm core.xlsx")
    with pytest.raises(InputError, match="already exists"):
        write_checklist(result, out)


def test_a_form_of_some_sections_comes_back_as_those_sections(catalog, tmp_path):
    original = catalog.get("core")
    form = tmp_path / "health.xlsx"
    exported = export_xlsform(original, form, ["health"])
    result = import_xlsform(form, checklist_dir=paths.CHECKLISTS)
    assert result.ok, [str(p) for p in result.problems]
    again = result.checklist
    assert [q.id for q in again.questions()] == list(exported.question_ids)
    assert [s.id for s in again.sections] == ["access", "health"]
    for question_id in exported.question_ids:
        assert again.by_id[question_id].label == original.by_id[question_id].label
