"""Read an XLSForm written in ODK, KoboToolbox or by hand, as the parts of a checklist.

Every row is either taken, taken with a change the import explains, or left out with a
sentence saying so (``sheet survey, row 14: ...``): nothing is dropped silently. Problems of
level ``error`` stop the import (no file is written); ``warning`` says what was left out or
changed. :mod:`monitor.interop.checklist_files` turns the result into YAML files and checks
them with the checklist validator.

What becomes of each XLSForm type:

======================================  ==================================================
XLSForm                                 checklist
======================================  ==================================================
integer, decimal, text, date,           the same type (``text`` with appearance
calculate                               ``multiline`` becomes ``long_text``)
select_one L, select_multiple L         ``select_one`` / ``select_many`` with the choices
                                        of list L (``dm_type`` restores ``yes_no`` and
                                        ``yes_no_partly_na`` from our own exports)
begin_group … end_group                 a section (nested groups: nested sections);
                                        questions outside any group: a section ``general``
datetime / time / barcode / range       date / text / text / decimal, with a warning
begin_repeat … end_repeat               left out with everything inside (a checklist asks
                                        each question once per visit), one warning per row
note                                    left out (it asks nothing), with a warning
geopoint, image, audio, file, ...       left out, with a warning
start, end, deviceid, ... (metadata)    left out, with a warning (quietly for the ``start``
                                        and ``end`` rows of our own exports)
======================================  ==================================================

Expressions go through :func:`monitor.interop.expressions.convert`. One that cannot be kept,
or that refers to a question left out, is an error in ``relevant``, ``calculation`` and red
flags (the checklist would mean something else without it) and a warning in ``constraint``
(the constraint and its message are dropped: the answer is only checked less). A
``choice_filter`` is always reported and dropped: every choice of the list is offered.
Columns the checklist format has no place for (``default``, ``read_only``, media...) are
reported once each, with the rows that use them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from monitor.checklists.schema import QuestionType
from monitor.checklists.validate import ID_PATTERN
from monitor.interop.form_checks import finish
from monitor.interop.form_parts import (
    FormParts,
    QuestionPart,
    SectionPart,
    read_choices,
    read_red_flags,
    read_settings,
    unkept_columns,
)
from monitor.interop.form_plan import META_CHECKLIST, META_NAMES
from monitor.interop.sheets import FormProblem, Sheet, read_workbook

__all__ = ["read_form"]

_SIMPLE = {"integer": QuestionType.INTEGER, "int": QuestionType.INTEGER,
           "decimal": QuestionType.DECIMAL, "text": QuestionType.TEXT,
           "string": QuestionType.TEXT, "date": QuestionType.DATE,
           "calculate": QuestionType.CALCULATE}
_CLOSE = {
    "datetime": (QuestionType.DATE, "a date-and-time question becomes a date question: the "
                                    "time of day is not kept"),
    "time": (QuestionType.TEXT, "a time question becomes a text question (the time is kept as "
                                "text, such as 09:30)"),
    "barcode": (QuestionType.TEXT, "a barcode question becomes a text question: the answer "
                                   "is typed, not scanned"),
}
_METADATA = frozenset({"start", "end", "today", "deviceid", "phonenumber", "simserial",
                       "subscriberid", "username", "email", "audit", "start-geopoint", "imei",
                       "instanceid"})
_NOT_KEPT = {"geopoint": "a location", "geotrace": "a line on a map", "geoshape": "a shape on "
             "a map", "image": "a photo", "audio": "a sound recording", "video": "a video",
             "file": "a file", "background-audio": "a sound recording", "rank": "a ranking",
             "acknowledge": "an acknowledgement", "hidden": "a hidden value",
             "trigger": "an acknowledgement", "xml-external": "an external data file",
             "csv-external": "an external data file",
             "select_one_from_file": "a choice from an attached file",
             "select_multiple_from_file": "choices from an attached file"}
_SELECT = re.compile(r"^select[ _]?(one|1|multiple|all that apply)\s+(\S+)(\s+or_other)?$")
_STRUCTURE = re.compile(r"^(begin|end)[ _](group|repeat)$")
_SURVEY_COLUMNS = frozenset({"type", "name", "label", "hint", "required", "relevant",
                             "constraint", "constraint_message", "calculation", "appearance",
                             "choice_filter", "parameters", "dm_type", "dm_standards",
                             "dm_indicator", "dm_sensitive", "dm_unit", "dm_rule", "dm_area"})
_TRUE = frozenset({"yes", "true", "true()", "1"})
_FALSE = frozenset({"no", "false", "false()", "0"})
_GENERAL = {"en": "General", "es": "General", "fr": "Général", "pt": "Geral"}


@dataclass
class _Frame:
    kind: str  # "group" or "repeat"
    row: int
    name: str
    section: SectionPart | None = None


@dataclass
class _Survey:
    """The walk through the survey sheet, row by row."""

    parts: FormParts
    sheet: Sheet
    from_export: bool
    stack: list[_Frame] = field(default_factory=list)
    loose: SectionPart | None = None
    raw_names: dict[str, int] = field(default_factory=dict)

    def problem(self, row: int | None, message: str,
                level: Literal["error", "warning"] = "error") -> None:
        self.parts.problems.append(FormProblem("survey", row, message, level))

    def run(self) -> None:
        for row, values in self.sheet:
            self.row(row, values)
        for frame in reversed(self.stack):
            self.problem(frame.row, f"the {frame.kind} '{frame.name}' is never closed: add an "
                         f"end_{frame.kind} row where it ends.")

    def repeat(self) -> _Frame | None:
        return next((f for f in self.stack if f.kind == "repeat"), None)

    def row(self, row: int, values: dict[int, Any]) -> None:
        sheet = self.sheet
        kind = " ".join(sheet.text(values, "type").lower().split())
        name = sheet.text(values, "name")
        if not kind:
            self.problem(row, "the row has no type; it is left out.", "warning")
            return
        structure = _STRUCTURE.match(kind)
        if structure is not None:
            self.structure(row, values, structure.group(1), structure.group(2), name)
            return
        if not name:
            self.problem(row, f"the {kind} row has no name: give it one (letters, digits, _).")
            return
        new_id = self.name(row, name)
        if new_id is None:
            return
        repeat = self.repeat()
        if repeat is not None:
            self.parts.dropped[new_id] = f"it is inside the repeat '{repeat.name}'"
            self.problem(row, f"'{name}' is inside the repeat '{repeat.name}' (row {repeat.row}) "
                         "and is left out: a checklist asks each question once per visit.",
                         "warning")
            return
        base = kind.split()[0]
        if name in META_NAMES and not self.stack:
            self.parts.dropped[new_id] = "it is a detail of the visit added by the export"
            return  # the rows our own export adds for the visit import
        if base in _METADATA:
            self.parts.dropped[new_id] = f"it is the {base} metadata"
            if not (self.from_export and base in ("start", "end")):
                self.problem(row, f"'{name}' records the {base} metadata, not an answer; it is "
                             "left out.", "warning")
            return
        if base == "note":
            self.parts.dropped[new_id] = "it is a note"
            self.problem(row, f"the note '{name}' is left out: a note asks nothing.", "warning")
            return
        self.question(row, values, kind, name, new_id)

    def name(self, row: int, name: str) -> str | None:
        """The id a form name becomes, or ``None`` when the name is used twice."""
        if name in self.raw_names:
            self.problem(row, f"the name '{name}' is already used on row {self.raw_names[name]}; "
                         "every question and group needs its own name.")
            return None
        self.raw_names[name] = row
        new_id = self.parts.renames.get(name, name)
        if not ID_PATTERN.match(name):
            candidate = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "q"
            if not candidate[0].isalpha():
                candidate = f"q_{candidate}"
            new_id, counter = candidate, 2
            while new_id in self.parts.taken:
                new_id, counter = f"{candidate}_{counter}", counter + 1
            self.parts.renames[name] = new_id
            self.problem(row, f"the name '{name}' becomes '{new_id}': checklist ids use lower-case "
                         "letters, digits and _ and start with a letter.", "warning")
            self.parts.taken.add(new_id)
        return new_id

    def structure(self, row: int, values: dict[int, Any], action: str, kind: str,
                  name: str) -> None:
        if action == "end":
            if not self.stack or self.stack[-1].kind != kind:
                open_kind = self.stack[-1].kind if self.stack else None
                self.problem(row, f"end_{kind} has no matching begin_{kind}"
                             + (f" (the {open_kind} '{self.stack[-1].name}' is still open)"
                                if open_kind else "") + ".")
                return
            frame = self.stack.pop()
            dropped = self.parts.dropped_sections
            if frame.section is not None and not frame.section.questions \
                    and all(s.id in dropped for s in frame.section.sections):
                self.parts.dropped_sections.add(frame.section.id)
                self.problem(frame.row, f"the group '{frame.name}' holds no question that can be "
                             "kept; it is left out.", "warning")
            return
        if not name:
            self.problem(row, f"the begin_{kind} row has no name: give it one.")
            name = f"row_{row}"
        new_id = self.name(row, name) or f"row_{row}"
        if kind == "repeat" or self.repeat() is not None:
            outer = self.repeat()
            self.parts.dropped[new_id] = "it is a repeat" if kind == "repeat" and outer is None \
                else f"it is inside the repeat '{outer.name if outer else name}'"
            message = (f"the repeat '{name}' and every row inside it are left out: a checklist "
                       "asks each question once per visit." if kind == "repeat" and outer is None
                       else f"'{name}' is inside the repeat "
                            f"'{outer.name if outer else name}' and is left out.")
            self.problem(row, message, "warning")
            self.stack.append(_Frame(kind, row, name))
            return
        section = SectionPart(new_id, row, self.parts.texts(self.sheet, values, "label"),
                              self.parts.texts(self.sheet, values, "hint"),
                              self.sheet.text(values, "relevant") or None,
                              self.sheet.text(values, "dm_area") or None)
        if not section.title:
            section.title = {lang: name.replace("_", " ") for lang in self.parts.languages}
            self.problem(row, f"the group '{name}' has no label; its name is used as its title.",
                         "warning")
        self.not_kept(row, name, values, self.sheet.text(values, "appearance").split(),
                      "parameters")
        self.place_section(section)
        self.stack.append(_Frame("group", row, name, section))

    def not_kept(self, row: int, name: str, values: dict[int, Any], appearance: list[str],
                 parameters: str | None) -> None:
        """Report presentation settings a checklist has no place for."""
        if appearance:
            self.problem(row, f"the appearance '{' '.join(appearance)}' of '{name}' is left out "
                         "(a checklist form lays questions out itself).", "warning")
        written = self.sheet.text(values, parameters) if parameters else ""
        if written:
            self.problem(row, f"the parameters '{written}' of '{name}' are left out.", "warning")

    def place_section(self, section: SectionPart) -> None:
        parent = self.stack[-1].section if self.stack else None
        if parent is not None:
            parent.sections.append(section)
        else:
            self.parts.sections.append(section)
            self.loose = None  # questions after this group start a new section

    def question(self, row: int, values: dict[int, Any], kind: str, name: str,
                 new_id: str) -> None:
        sheet = self.sheet
        select = _SELECT.match(kind)
        base = kind.split()[0]
        list_name = None
        if select is not None and not base.endswith("_from_file"):
            qtype = QuestionType.SELECT_ONE if select.group(1) in ("one", "1") \
                else QuestionType.SELECT_MANY
            list_name = select.group(2)
            if select.group(3):
                self.problem(row, "'or_other' is left out: add an 'other' choice and a text "
                             "question instead.", "warning")
        elif base in _SIMPLE and len(kind.split()) == 1:
            qtype = _SIMPLE[base]
        elif base in _CLOSE:
            qtype, why = _CLOSE[base]
            self.problem(row, f"'{name}': {why}.", "warning")
        elif base == "range":
            qtype = QuestionType.DECIMAL
            self.problem(row, f"'{name}': a range question becomes a decimal question.", "warning")
        else:
            what = _NOT_KEPT.get(base)
            self.parts.dropped[new_id] = f"it is of type {base}"
            self.problem(row, f"'{name}' asks for {what}, which a checklist cannot hold; it is "
                         "left out." if what else f"the type '{kind}' is not known; '{name}' is "
                         "left out.", "warning")
            return
        appearance = sheet.text(values, "appearance").lower().split()
        if qtype is QuestionType.TEXT and "multiline" in appearance:
            qtype = QuestionType.LONG_TEXT
            appearance.remove("multiline")
        self.not_kept(row, name, values, appearance, "parameters" if base != "range" else None)
        part = QuestionPart(new_id, row, qtype, list_name,
                            label=self.parts.texts(sheet, values, "label"),
                            help=self.parts.texts(sheet, values, "hint"),
                            message=self.parts.texts(sheet, values, "constraint_message"))
        self.our_columns(part, values, base)
        self.required(part, sheet.text(values, "required"))
        for key in ("relevant", "constraint", "calculation"):
            text = sheet.text(values, key)
            if text:
                part.raw[key] = text
        if base == "range":
            part.raw.setdefault("constraint", _range_constraint(sheet.text(values, "parameters")))
        if qtype is QuestionType.CALCULATE and "calculation" not in part.raw:
            self.problem(row, f"the calculate question '{name}' has no calculation: write it in "
                         "the calculation column.")
            return
        choice_filter = sheet.text(values, "choice_filter")
        if choice_filter:
            self.problem(row, f"the choice filter of '{name}' ({choice_filter}) is left out: "
                         "every choice of the list is offered.", "warning")
        if not part.label:
            part.label = {lang: name.replace("_", " ") for lang in self.parts.languages}
            self.problem(row, f"'{name}' has no label; its name is used as its label.",
                         "warning")
        if self.stack:
            self.stack[-1].section.questions.append(part)  # type: ignore[union-attr]
        else:
            if self.loose is None:
                self.loose = self.general_section(row)
            self.loose.questions.append(part)
        self.parts.questions[new_id] = part

    def general_section(self, row: int) -> SectionPart:
        base, counter = "general", 2
        section_id = base
        while section_id in self.parts.taken:
            section_id, counter = f"{base}_{counter}", counter + 1
        self.parts.taken.add(section_id)
        self.problem(row, f"questions outside any group go into a section '{section_id}'.",
                     "warning")
        section = SectionPart(section_id, row, {lang: _GENERAL.get(lang, "General")
                                                for lang in self.parts.languages})
        self.parts.sections.append(section)
        return section

    def required(self, part: QuestionPart, text: str) -> None:
        value = text.strip().lower()
        if not value or value in _FALSE:
            return
        if value in _TRUE:
            part.required = True
            return
        self.problem(part.row, f"'{part.id}' is required only when '{text}': a checklist question "
                     "is required always or never, so it is imported as not required.", "warning")

    def our_columns(self, part: QuestionPart, values: dict[int, Any], base: str) -> None:
        sheet = self.sheet
        written = sheet.text(values, "dm_type")
        if written:
            part.dm_type = written
        standards = sheet.text(values, "dm_standards")
        part.standards = [s for s in re.split(r"[\s,;]+", standards) if s]
        part.indicator = sheet.text(values, "dm_indicator") or None
        part.unit = sheet.text(values, "dm_unit") or None
        part.sensitive = sheet.text(values, "dm_sensitive").strip().lower() in _TRUE
        rule = sheet.text(values, "dm_rule")
        if rule:
            try:
                part.rule = json.loads(rule)
            except json.JSONDecodeError as error:
                self.problem(part.row, f"the dm_rule of '{part.id}' is not valid JSON "
                             f"({error.msg} at character {error.pos + 1}).")
                return
            if not isinstance(part.rule, dict):
                self.problem(part.row, f"the dm_rule of '{part.id}' must be a JSON object such as "
                             '{"kind": "map", "values": {"yes": "compliant"}}.')
                part.rule = None


def _range_constraint(parameters: str) -> str:
    found = dict(re.findall(r"(start|end)\s*=\s*(-?[0-9.]+)", parameters))
    low, high = found.get("start", "0"), found.get("end", "10")
    return f". >= {low} and . <= {high}"


def read_form(path: Path) -> FormParts:
    """Read the XLSForm at *path* into the parts of a checklist, with every problem found.

    :raises InputError: the file cannot be read as a workbook.
    """
    workbook = read_workbook(path)
    parts = FormParts(path)
    survey = workbook.get("survey")
    if survey is None:
        parts.problems.append(FormProblem("survey", None, "the workbook has no sheet named "
                                          "'survey'; an XLSForm lists its questions there."))
        return parts
    missing = [c for c in ("type", "name") if survey.find(c) is None]
    if missing:
        parts.problems.append(FormProblem("survey", 1, f"the survey sheet has no '{missing[0]}' "
                                          "column."))
        return parts
    read_settings(parts, workbook)
    if parts.problems and any(p.level == "error" for p in parts.problems):
        return parts
    unkept_columns(parts, survey, _SURVEY_COLUMNS, text_columns=("label", "hint",
                                                                  "constraint_message"))
    read_choices(parts, workbook.get("choices"))
    names = [survey.text(v, "name") for _, v in survey]
    from_export = META_CHECKLIST in names
    # Valid names are reserved first, so that a renamed one can never take an id in use.
    parts.taken.update(n for n in names if ID_PATTERN.match(n))
    _Survey(parts, survey, from_export).run()
    read_red_flags(parts, workbook.get("dm_red_flags"))
    finish(parts)
    return parts

