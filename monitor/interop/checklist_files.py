"""Turn an imported XLSForm into checklist YAML files, check them, and write them.

:func:`import_xlsform` reads the form (:mod:`monitor.interop.xlsform_import`), writes the
checklist as text (``checklist.yaml`` and one file per top-level group, or one file), and runs
the checklist validator and the compliance rule check on it in a scratch folder, exactly as
``monitor checklists validate`` would. Each problem the validator finds is reported against
the spreadsheet row it came from (``sheet survey, row 14: The label has no Spanish (es)
text.``), so the person fixes the form, not YAML they never wrote. :func:`write_checklist`
then writes the files, only when there is no error.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.checklists.schema import Checklist
from monitor.core.errors import InputError
from monitor.interop.form_parts import FormParts, ListPart, QuestionPart, SectionPart
from monitor.interop.sheets import FormProblem
from monitor.interop.xlsform_import import read_form
from monitor.interop.yaml_writer import Item, YamlText, render

__all__ = ["XLSFormImport", "import_xlsform", "write_checklist"]

log = logging.getLogger(__name__)

CHECKLIST_FILE = "checklist.yaml"


@dataclass
class XLSFormImport:
    """An imported form: the YAML files (name → text), every problem, and the checklist.

    ``checklist`` is the checklist the files load as, when they pass the validator.
    """

    checklist_id: str
    version: int
    files: dict[str, str]
    problems: list[FormProblem]
    checklist: Checklist | None = None
    one_file: bool = False
    texts: dict[str, YamlText] = field(default_factory=dict, repr=False)

    @property
    def errors(self) -> list[FormProblem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[FormProblem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors and self.checklist is not None


def import_xlsform(path: Path, *, checklist_dir: Path, one_file: bool = False) -> XLSFormImport:
    """Read an XLSForm and check the checklist it makes.

    :param path: the ``.xlsx`` (or ``.xls``) form.
    :param checklist_dir: the folder of ``standards.yaml`` and ``areas.yaml`` the checklist is
        checked against.
    :param one_file: write one ``<id>.yaml`` instead of a folder with ``checklist.yaml``.
    :returns: the files, the problems (sorted by sheet and row) and, when valid, the checklist.
    :raises InputError: the file cannot be read as a workbook.
    """
    from monitor.services.catalog import validate_paths

    parts = read_form(Path(path))
    result = XLSFormImport(parts.checklist_id, parts.version, {}, parts.problems,
                           one_file=one_file)
    if not parts.languages or not parts.checklist_id or (parts.errors and not parts.sections):
        return _sorted(result)  # nothing to check yet: the errors say why
    result.texts = _Builder(parts, Path(path).name).files(one_file)
    result.files = {name: text.text for name, text in result.texts.items()}
    with tempfile.TemporaryDirectory(prefix="xlsform-") as scratch:
        folder = Path(scratch) / parts.checklist_id
        written = _write(result, folder)
        target = written[0] if one_file else folder
        checklists, problems = validate_paths([target], checklist_dir)
    taken = {(p.sheet, p.row) for p in result.problems if p.level == "error"}
    for problem in problems:
        text = result.texts.get(Path(problem.path).name)
        sheet, row = (text.origin_at(problem.line) if text is not None else None) or ("survey",
                                                                                     None)
        if (sheet, row) in taken and row is not None:
            continue  # the row already has an error of ours, which explains this one
        result.problems.append(FormProblem(sheet, row, _sentence(problem.message, problem.hint)))
    if not result.errors and checklists:
        result.checklist = checklists[0]
    log.info("xlsform read: %d questions, %d errors, %d warnings", len(parts.questions),
             len(result.errors), len(result.warnings))
    return _sorted(result)


def _sorted(result: XLSFormImport) -> XLSFormImport:
    order = {"settings": 0, "survey": 1, "choices": 2, "dm_red_flags": 3}
    result.problems.sort(key=lambda p: (order.get(p.sheet, 4), p.row or 0))
    return result


def _sentence(message: str, hint: str | None) -> str:
    """A validator message for someone who wrote a spreadsheet: YAML-specific hints left out."""
    text = message[0].lower() + message[1:] if len(message) > 1 and message[1].islower() \
        else message
    if hint and "did you mean" in hint.lower():
        text = f"{text.rstrip('.')}. {hint}"
    return text


def write_checklist(result: XLSFormImport, out: Path) -> list[Path]:
    """Write the files of an import that has no error.

    :param out: for a folder checklist, the folder to create (it must not exist, or be
        empty); for a one-file checklist, the folder the ``<id>.yaml`` file goes in.
    :returns: the files written.
    :raises InputError: the import has errors, or the files would replace existing ones.
    """
    if result.errors:
        raise InputError(f"The form has {len(result.errors)} error(s); nothing was written.")
    out = Path(out)
    if result.one_file:
        target = out / f"{result.checklist_id}.yaml"
        if target.exists():
            raise InputError(f"{target} already exists: remove it or choose another --out.")
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} already exists and is not an empty folder: remove it or choose "
                         "another --out.")
    return _write(result, out)


def _write(result: XLSFormImport, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in result.files.items():
        target = out / name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


class _Builder:
    """Lays the parts out as YAML mappings, each item tagged with its spreadsheet row."""

    def __init__(self, parts: FormParts, source_name: str) -> None:
        self.parts = parts
        self.source_name = source_name
        self.shared = {name: found for name, found in parts.lists.items()
                       if not self.inline(found)}

    def inline(self, found: ListPart) -> bool:
        # Our exports name a question's own list after the question.
        return len(found.users) == 1 and found.users[0] == found.name

    def header(self, what: str) -> str:
        return (f"{what}, imported from the XLSForm {self.source_name}.\n"
                "Comments give the spreadsheet row each part was read from.")

    def files(self, one_file: bool) -> dict[str, YamlText]:
        parts = self.parts
        for found in parts.lists.values():
            if not found.users and not found.absorbed:
                parts.problem("choices", found.row, f"the list '{found.name}' is used by no "
                              "question; it is left out.", "warning")
        sections = [(s, self.section(s)) for s in parts.sections]
        sections = [(s, data) for s, data in sections if data is not None]
        top: dict[str, Any] = {"id": parts.checklist_id, "version": parts.version,
                               "title": parts.title}
        if parts.description:
            top["description"] = parts.description
        top["languages"] = list(parts.languages)
        shared = {name: self.choices(found) for name, found in self.shared.items()
                  if found.users}
        if shared:
            top["choice_lists"] = shared
        flags = [Item(self.red_flag(f), f"dm_red_flags row {f.row}", ("dm_red_flags", f.row))
                 for f in parts.red_flags if f.when is not None]
        settings = ("settings", parts.settings_row)
        if one_file:
            top["sections"] = [Item(data, f"survey row {s.row}", ("survey", s.row))
                               for s, data in sections]
            if flags:
                top["red_flags"] = flags
            name = f"{parts.checklist_id}.yaml"
            return {name: render(top, self.header("A checklist"), settings)}
        names = {s.id: self.file_name(s.id) for s, _ in sections}
        top["sections"] = [{"include": names[s.id]} for s, _ in sections]
        if flags:
            top["red_flags"] = flags
        files = {CHECKLIST_FILE: render(top, self.header("A checklist"), settings)}
        for section, data in sections:
            files[names[section.id]] = render(data, self.header("A section of the checklist"),
                                              ("survey", section.row))
        return files

    @staticmethod
    def file_name(section_id: str) -> str:
        return f"{section_id}_section.yaml" if f"{section_id}.yaml" == CHECKLIST_FILE \
            else f"{section_id}.yaml"

    def section(self, section: SectionPart) -> dict[str, Any] | None:
        if section.id in self.parts.dropped_sections:
            return None
        data: dict[str, Any] = {"id": section.id, "title": section.title}
        if section.area:
            data["area"] = section.area
        if section.help:
            data["help"] = section.help
        if section.relevant:
            data["relevant"] = section.relevant
        children = [(child, self.section(child)) for child in section.sections]
        nested = [Item(d, f"survey row {c.row}", ("survey", c.row)) for c, d in children
                  if d is not None]
        if nested:
            data["sections"] = nested
        if section.questions:
            data["questions"] = [Item(self.question(q), f"survey row {q.row}", ("survey", q.row))
                                 for q in section.questions]
        if not nested and not section.questions:
            return None
        return data

    def question(self, part: QuestionPart) -> dict[str, Any]:
        data: dict[str, Any] = {"id": part.id, "type": part.type.value, "label": part.label}
        if part.help:
            data["help"] = part.help
        if part.required:
            data["required"] = True
        for key in ("relevant", "constraint"):
            if getattr(part, key):
                data[key] = getattr(part, key)
        if part.constraint and part.message:
            data["constraint_message"] = part.message
        if part.list_name is not None and part.list_name in self.parts.lists:
            found = self.parts.lists[part.list_name]
            data["choices"] = part.list_name if part.list_name in self.shared \
                else self.choices(found)
        if part.calculation:
            data["calculation"] = part.calculation
        for key in ("unit", "indicator"):
            if getattr(part, key):
                data[key] = getattr(part, key)
        if part.standards:
            data["standards"] = list(part.standards)
        if part.sensitive:
            data["sensitive"] = True
        if part.rule is not None:
            data["rule"] = part.rule
        return data

    @staticmethod
    def choices(found: ListPart) -> list[Item]:
        return [Item({"code": c.code, "label": c.label}, f"choices row {c.row}",
                     ("choices", c.row)) for c in found.choices]

    @staticmethod
    def red_flag(flag: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"id": flag.id, "severity": flag.severity, "label": flag.label,
                                "when": flag.when}
        if flag.standards:
            data["standards"] = list(flag.standards)
        return data
