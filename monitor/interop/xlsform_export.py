"""Write a checklist as an XLSForm, for ODK Collect, Enketo and KoboToolbox.

The workbook has the three sheets every XLSForm tool reads (``survey``, ``choices``,
``settings``) and one of ours (``dm_red_flags``). Sections become groups (nested as in the
checklist); every text is written in every language of the checklist, in columns named
``label::English (en)``, ``hint::Español (es)``, ``constraint_message::...``.

========================  ===============================================================
checklist type            XLSForm
========================  ===============================================================
``yes_no``                ``select_one yes_no`` (a generated list: yes, no)
``yes_no_partly_na``      ``select_one yes_no_partly_na`` (yes, no, partly, na)
``integer``, ``decimal``  ``integer``, ``decimal``
``text``                  ``text``
``long_text``             ``text`` with ``appearance`` ``multiline``
``select_one/many``       ``select_one LIST`` / ``select_multiple LIST``
``date``, ``calculate``   ``date``, ``calculate`` (with ``calculation``)
========================  ===============================================================

What XLSForm has no column for travels in extra ``dm_*`` columns, which ODK and KoboToolbox
ignore and :mod:`monitor.interop.xlsform_import` reads back: ``dm_type`` (our type),
``dm_standards`` (space-separated ids), ``dm_indicator``, ``dm_sensitive`` (``yes``),
``dm_unit``, ``dm_rule`` (the rule as JSON) and, on group rows, ``dm_area``. The settings
sheet carries ``form_id`` (the checklist id), ``version``, ``default_language`` and the title
in every language (``dm_title::...``).

So that submissions can become visits (:mod:`monitor.interop.submissions`), the form starts
with a few questions of its own: ``dm_facility_id`` (the facility's public id or name),
``dm_visit_date`` and ``dm_visit_end_date``, the ``start`` and ``end`` timestamps ODK records,
and two constants, ``dm_checklist`` (``core@1``) and, for a form of chosen sections,
``dm_sections``.

A form of chosen sections also takes every question those sections refer to (in skip logic,
constraints, calculations and rules), inside the groups they belong to, so that the form
works on its own; :attr:`ExportedForm.notes` lists what was added and why.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from monitor.checklists.expr import parse
from monitor.checklists.parse import BUILT_IN_CHOICES, parse_checklist
from monitor.checklists.schema import (
    Checklist,
    Choice,
    LocalText,
    Question,
    QuestionType,
    Section,
)
from monitor.core.errors import InputError
from monitor.interop.form_plan import (
    META_CHECKLIST,
    META_FACILITY,
    META_NAMES,
    META_SECTIONS,
    META_VISIT_DATE,
    META_VISIT_END,
    ExportedForm,
    plan_form,
)
from monitor.interop.languages import display_name

__all__ = [
    "META_CHECKLIST",
    "META_FACILITY",
    "META_NAMES",
    "META_SECTIONS",
    "META_VISIT_DATE",
    "META_VISIT_END",
    "ExportedForm",
    "build_workbook",
    "export_xlsform",
    "plan_form",
]

log = logging.getLogger(__name__)

RED_FLAG_SHEET = "dm_red_flags"

_XLSFORM_TYPES = {
    QuestionType.INTEGER: "integer",
    QuestionType.DECIMAL: "decimal",
    QuestionType.TEXT: "text",
    QuestionType.LONG_TEXT: "text",
    QuestionType.DATE: "date",
    QuestionType.CALCULATE: "calculate",
}

#: Texts of the rows the export adds, by language; other languages get the English text.
_META_TEXTS: dict[str, dict[str, str]] = {
    "facility": {
        "en": "Facility visited", "es": "Lugar visitado", "fr": "Lieu visité",
        "pt": "Local visitado"},
    "facility_hint": {
        "en": "Its public id in the registry (such as F-7K2Q9X), or its name.",
        "es": "Su identificador público en el registro (como F-7K2Q9X), o su nombre.",
        "fr": "Son identifiant public dans le registre (comme F-7K2Q9X), ou son nom.",
        "pt": "O seu identificador público no registo (como F-7K2Q9X), ou o seu nome."},
    "date": {"en": "First day of the visit", "es": "Primer día de la visita",
             "fr": "Premier jour de la visite", "pt": "Primeiro dia da visita"},
    "end": {"en": "Last day of the visit (if it lasted several days)",
            "es": "Último día de la visita (si duró varios días)",
            "fr": "Dernier jour de la visite (si elle a duré plusieurs jours)",
            "pt": "Último dia da visita (se durou vários dias)"},
    "end_message": {"en": "The visit cannot end before it starts.",
                    "es": "La visita no puede terminar antes de empezar.",
                    "fr": "La visite ne peut pas finir avant de commencer.",
                    "pt": "A visita não pode terminar antes de começar."},
}

#: Labels of the built-in choices in languages the checklist format does not ship.
_BUILT_IN_EXTRA = {
    "fr": {"yes": "Oui", "no": "Non", "partly": "En partie", "na": "Sans objet"},
    "pt": {"yes": "Sim", "no": "Não", "partly": "Em parte", "na": "Não se aplica"},
}


# --- the workbook ------------------------------------------------------------------------


class _Sheet:
    """Rows as dicts of column → value; the header is the union of columns, in first use."""

    def __init__(self, columns: Iterable[str]) -> None:
        self.columns: list[str] = list(columns)
        self.rows: list[dict[str, Any]] = []

    def add(self, **values: Any) -> None:
        self.add_row(values)

    def add_row(self, values: Mapping[str, Any]) -> None:
        row = {k: v for k, v in values.items() if v not in (None, "")}
        for key in row:
            if key not in self.columns:
                self.columns.append(key)
        self.rows.append(row)

    def write(self, workbook: Workbook, title: str, *, first: bool = False) -> None:
        sheet = workbook.active if first else workbook.create_sheet()
        sheet.title = title
        sheet.append(self.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in self.rows:
            sheet.append([values.get(column) for column in self.columns])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                # A text starting with '=' would be stored as a formula: keep it text.
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        for index, column in enumerate(self.columns, start=1):
            width = 40 if column.startswith(("label", "hint", "constraint_message")) else 18
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width


class _Writer:
    def __init__(self, checklist: Checklist, form: ExportedForm) -> None:
        self.checklist = checklist
        self.form = form
        self.languages = checklist.languages
        self.headers = {lang: display_name(lang) for lang in self.languages}
        self.kept = set(form.question_ids)
        self.kept_sections = {s for q in form.question_ids for s in
                              (x.id for x in checklist.section_chain(checklist.by_id[q].section_id))}
        text_columns = [f"{kind}::{self.headers[lang]}" for kind in ("label", "hint")
                        for lang in self.languages]
        self.survey = _Sheet(["type", "name", *text_columns, "required", "relevant",
                              "constraint",
                              *(f"constraint_message::{self.headers[lang]}"
                                for lang in self.languages),
                              "calculation", "appearance", "dm_type", "dm_standards",
                              "dm_indicator", "dm_sensitive", "dm_unit", "dm_rule", "dm_area"])
        self.choices = _Sheet(["list_name", "name",
                               *(f"label::{self.headers[lang]}" for lang in self.languages)])
        self.list_names = _named_lists(checklist)
        self.lists_written: dict[tuple[Choice, ...], str] = {}
        self.names_taken: set[str] = set()

    def texts(self, kind: str, text: LocalText | None) -> dict[str, str]:
        if text is None:
            return {}
        found = dict(text.values)
        return {f"{kind}::{self.headers[lang]}": found[lang] for lang in self.languages
                if found.get(lang)}

    def meta_text(self, kind: str, key: str) -> dict[str, str]:
        words = _META_TEXTS[key]
        return {f"{kind}::{self.headers[lang]}": words.get(lang, words["en"])
                for lang in self.languages}

    def build(self) -> Workbook:
        self.metadata()
        for section in self.checklist.sections:
            self.section(section)
        workbook = Workbook()
        self.survey.write(workbook, "survey", first=True)
        self.choices.write(workbook, "choices")
        self.settings().write(workbook, "settings")
        self.red_flags().write(workbook, RED_FLAG_SHEET)
        return workbook

    def metadata(self) -> None:
        taken = [name for name in (*META_NAMES, "start", "end") if name in self.checklist.by_id]
        if taken:
            raise InputError(f"The checklist uses the question id '{taken[0]}', which the XLSForm "
                             "export keeps for the visit's own details; rename that question.")
        self.survey.add(type="start", name="start")
        self.survey.add(type="end", name="end")
        self.survey.add(type="calculate", name=META_CHECKLIST,
                        calculation=f"'{self.checklist.id}@{self.checklist.version}'")
        if self.form.sections:
            self.survey.add(type="calculate", name=META_SECTIONS,
                            calculation=f"'{' '.join(self.form.sections)}'")
        self.survey.add_row({"type": "text", "name": META_FACILITY, "required": "yes",
                             **self.meta_text("label", "facility"),
                             **self.meta_text("hint", "facility_hint")})
        self.survey.add_row({"type": "date", "name": META_VISIT_DATE, "required": "yes",
                             **self.meta_text("label", "date")})
        self.survey.add_row({"type": "date", "name": META_VISIT_END,
                             "constraint": f". >= ${{{META_VISIT_DATE}}}",
                             **self.meta_text("label", "end"),
                             **self.meta_text("constraint_message", "end_message")})

    def section(self, section: Section) -> None:
        if section.id not in self.kept_sections:
            return
        self.survey.add_row({
            "type": "begin_group", "name": section.id, **self.texts("label", section.title),
            **self.texts("hint", section.help), "relevant": _canonical(section.relevant),
            "dm_area": section.area})
        for question in section.questions:
            if question.id in self.kept:
                self.question(question)
        for child in section.sections:
            self.section(child)
        self.survey.add(type="end_group", name=section.id)

    def question(self, question: Question) -> None:
        kind = question.type
        if kind in (QuestionType.SELECT_ONE, QuestionType.SELECT_MANY,
                    QuestionType.YES_NO, QuestionType.YES_NO_PARTLY_NA):
            prefix = "select_multiple" if kind is QuestionType.SELECT_MANY else "select_one"
            xlsform_type = f"{prefix} {self.choice_list(question)}"
        else:
            xlsform_type = _XLSFORM_TYPES[kind]
        self.survey.add_row({
            "type": xlsform_type, "name": question.id,
            **self.texts("label", question.label), **self.texts("hint", question.help),
            "required": "yes" if question.required else None,
            "relevant": _canonical(question.relevant),
            "constraint": _canonical(question.constraint),
            **self.texts("constraint_message", question.constraint_message),
            "calculation": _canonical(question.calculation),
            "appearance": "multiline" if kind is QuestionType.LONG_TEXT else None,
            "dm_type": kind.value,
            "dm_standards": " ".join(question.standards),
            "dm_indicator": question.indicator,
            "dm_sensitive": "yes" if question.sensitive else None,
            "dm_unit": question.unit,
            "dm_rule": _rule_json(question),
        })

    def choice_list(self, question: Question) -> str:
        choices = question.choices
        written = self.lists_written.get(choices)
        if written is not None:
            return written
        if question.type in BUILT_IN_CHOICES:
            wanted = question.type.value
        else:
            wanted = self.list_names.get(question.id) or question.id
        name = wanted
        counter = 2
        while name in self.names_taken:
            name = f"{wanted}_{counter}"
            counter += 1
        self.names_taken.add(name)
        self.lists_written[choices] = name
        built_in = question.type in BUILT_IN_CHOICES
        for choice in choices:
            labels = dict(choice.label.values)
            for lang in self.languages:
                if not labels.get(lang) and built_in:
                    labels[lang] = (_BUILT_IN_EXTRA.get(lang, {}).get(choice.code)
                                    or labels.get("en", choice.code))
            self.choices.add_row({"list_name": name, "name": choice.code,
                                  **{f"label::{self.headers[lang]}": labels.get(lang)
                                     for lang in self.languages}})
        return name

    def settings(self) -> _Sheet:
        sheet = _Sheet(["form_title", "form_id", "version", "default_language"])
        default = self.languages[0]
        sheet.add_row({
            "form_title": self.checklist.title.get(default),
            "form_id": self.checklist.id,
            "version": str(self.checklist.version),
            "default_language": self.headers[default],
            **self.texts("dm_title", self.checklist.title),
            **self.texts("dm_description", self.checklist.description),
        })
        return sheet

    def red_flags(self) -> _Sheet:
        sheet = _Sheet(["id", "severity", *(f"label::{self.headers[lang]}"
                                             for lang in self.languages), "when", "standards"])
        for flag in self.checklist.red_flags:
            if not parse(flag.when).references <= self.kept:
                continue  # it names a question outside the chosen sections
            sheet.add_row({"id": flag.id, "severity": flag.severity,
                           **self.texts("label", flag.label), "when": _canonical(flag.when),
                           "standards": " ".join(flag.standards)})
        return sheet


def _canonical(text: str | None) -> str | None:
    return parse(text).to_xlsform() if text else None


def _rule_json(question: Question) -> str | None:
    rule = question.rule
    if rule is None:
        return None
    data: dict[str, Any] = {"kind": rule.kind, **rule.params}
    if tuple(rule.standards) != tuple(question.standards):
        data["standards"] = list(rule.standards)
    if rule.severity != "medium":
        data["severity"] = rule.severity
    return json.dumps(data, ensure_ascii=False)


def _named_lists(checklist: Checklist) -> dict[str, str]:
    """Question id → name of the ``choice_lists`` entry it uses, read from the checklist files.

    The model keeps each question's choices but not the name of the list they came from; the
    name is worth keeping in the form (a list edited once in the choices sheet changes every
    question using it). A checklist without files, or whose files changed since it was
    loaded, simply gets lists named after their first question.
    """
    if checklist.source is None or not Path(checklist.source).is_file():
        return {}
    parsed = parse_checklist(Path(checklist.source))
    names: dict[str, str] = {}
    for entry in parsed.questions:
        name = entry.choice_list
        question = checklist.by_id.get(entry.question.id)
        if name and question is not None and question.choices == entry.question.choices:
            names[question.id] = name
    return names


def build_workbook(checklist: Checklist,
                   sections: Sequence[str] | None = None) -> tuple[Workbook, ExportedForm]:
    """Build the XLSForm workbook of *checklist* (or of some of its sections).

    :param sections: section ids to export; ``None`` or empty for the whole checklist.
    :returns: the workbook and what it holds.
    :raises InputError: an unknown section, or a question id the export needs for itself.
    """
    form = plan_form(checklist, sections)
    workbook = _Writer(checklist, form).build()
    return workbook, form


def export_xlsform(checklist: Checklist, path: Path,
                   sections: Sequence[str] | None = None) -> ExportedForm:
    """Write *checklist* as an XLSForm ``.xlsx`` file at *path*.

    :param sections: section ids to export; ``None`` or empty for the whole checklist.
    :returns: what the form holds (questions, group paths, notes on added questions).
    :raises InputError: an unknown section, or a question id the export needs for itself.
    """
    workbook, form = build_workbook(checklist, sections)
    workbook.save(path)
    log.info("xlsform written: checklist %s v%s, %d questions", checklist.id, checklist.version,
             len(form.question_ids))
    return form
