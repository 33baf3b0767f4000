"""The parts of a checklist read from an XLSForm, and the sheets other than ``survey``.

:mod:`monitor.interop.xlsform_import` walks the survey sheet; this module holds what it
builds (:class:`FormParts`) and reads the ``settings``, ``choices`` and ``dm_red_flags``
sheets, the form's languages, and the columns a checklist has no place for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from monitor.checklists.schema import QuestionType
from monitor.checklists.validate import ID_PATTERN
from monitor.interop.languages import column_language, display_name
from monitor.interop.sheets import FormProblem, Sheet, Workbook

__all__ = ["ChoicePart", "FormParts", "ListPart", "QuestionPart", "RedFlagPart", "SectionPart",
           "read_choices", "read_red_flags", "read_settings", "unkept_columns"]

_TEXT_SHEETS = {"survey": ("label", "hint", "constraint_message"), "choices": ("label",),
                "dm_red_flags": ("label",), "settings": ("dm_title", "dm_description")}
_SETTINGS_KEPT = frozenset({"form_id", "form_title", "version", "default_language", "dm_title",
                            "dm_description"})


@dataclass
class QuestionPart:
    """A question as read from one survey row; expressions are converted in a second pass."""

    id: str
    row: int
    type: QuestionType
    list_name: str | None
    label: dict[str, str] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)
    message: dict[str, str] = field(default_factory=dict)
    required: bool = False
    raw: dict[str, str] = field(default_factory=dict)
    relevant: str | None = None
    constraint: str | None = None
    calculation: str | None = None
    dm_type: str | None = None
    standards: list[str] = field(default_factory=list)
    indicator: str | None = None
    unit: str | None = None
    sensitive: bool = False
    rule: dict[str, Any] | None = None


@dataclass
class SectionPart:
    """A group of the survey sheet."""

    id: str
    row: int
    title: dict[str, str]
    help: dict[str, str] = field(default_factory=dict)
    raw_relevant: str | None = None
    area: str | None = None
    relevant: str | None = None
    questions: list[QuestionPart] = field(default_factory=list)
    sections: list[SectionPart] = field(default_factory=list)


@dataclass
class ChoicePart:
    """One row of the choices sheet."""

    code: str
    row: int
    label: dict[str, str]


@dataclass
class ListPart:
    """A list of the choices sheet and the questions using it."""

    name: str
    row: int
    choices: list[ChoicePart] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    absorbed: bool = False  # yes/no questions use it as their built-in choices


@dataclass
class RedFlagPart:
    """One row of our ``dm_red_flags`` sheet; ``when`` is set once it is converted."""

    id: str
    row: int
    severity: str
    label: dict[str, str]
    raw_when: str
    standards: list[str]
    when: str | None = None


@dataclass
class FormParts:
    """Everything read from one XLSForm, and every problem met while reading it."""

    path: Path
    problems: list[FormProblem] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    codes: dict[str | None, str] = field(default_factory=dict)  # header language → code
    checklist_id: str = ""
    version: int = 1
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    settings_row: int | None = None
    renames: dict[str, str] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)
    dropped: dict[str, str] = field(default_factory=dict)
    dropped_sections: set[str] = field(default_factory=set)
    questions: dict[str, QuestionPart] = field(default_factory=dict)
    sections: list[SectionPart] = field(default_factory=list)
    lists: dict[str, ListPart] = field(default_factory=dict)
    red_flags: list[RedFlagPart] = field(default_factory=list)

    @property
    def errors(self) -> list[FormProblem]:
        return [p for p in self.problems if p.level == "error"]

    def problem(self, sheet: str, row: int | None, message: str,
                level: Literal["error", "warning"] = "error") -> None:
        self.problems.append(FormProblem(sheet, row, message, level))

    def texts(self, sheet: Sheet, values: dict[int, Any], base: str) -> dict[str, str]:
        """The texts of column *base* in a row, by language code, in the form's language order."""
        found: dict[str, str] = {}
        columns = sorted(sheet.translations(base), key=lambda c: c.language is None)
        for column in columns:  # named languages first; the plain column fills what is left
            code = self.codes.get(column.language)
            value = values.get(column.index)
            if code is not None and value is not None and code not in found:
                found[code] = str(value)
        return {lang: found[lang] for lang in self.languages if lang in found}

    def all_sections(self) -> Iterator[SectionPart]:
        def walk(section: SectionPart) -> Iterator[SectionPart]:
            yield section
            for child in section.sections:
                yield from walk(child)

        for section in self.sections:
            yield from walk(section)


def read_settings(parts: FormParts, workbook: Workbook) -> None:
    """Read the languages of every text column, then the settings sheet."""
    settings = workbook.get("settings")
    values: dict[int, Any] = {}
    if settings is not None and settings.rows:
        parts.settings_row, values = settings.rows[0]
    default_text = settings.text(values, "default_language") if settings is not None else ""
    default_code = column_language(default_text) if default_text else None
    if default_text and default_code is None and default_text.lower() != "default":
        parts.problem("settings", parts.settings_row, f"the default_language '{default_text}' "
                      "names no language code: write it as English (en).")
    named: list[str] = []
    plain = False
    for sheet_name, bases in _TEXT_SHEETS.items():
        sheet = workbook.get(sheet_name)
        for column in sheet.columns if sheet is not None else []:
            if column.base not in bases:
                continue
            if column.language is None:
                plain = True
                continue
            code = column_language(column.language)
            if code is None:
                parts.problem(sheet_name, 1, f"the column '{column.header}' names a language "
                              f"without a code: write it as {column.base}::"
                              f"{column.language} (xx), with the language's ISO 639 code.")
                continue
            parts.codes[column.language] = code
            if code not in named:
                named.append(code)
    if plain:
        plain_code = default_code or ("en" if "en" not in named else None)
        if plain_code is None:
            parts.problem("survey", 1, "the plain 'label' column names no language while others "
                          "do: name it (label::English (en)) or set default_language in the "
                          "settings sheet.")
        else:
            parts.codes[None] = plain_code
            if default_code is None:
                parts.problem("survey", 1, "the columns without a language (such as 'label') "
                              f"are read as {display_name(plain_code)}: name the language in "
                              "the header or set default_language to say otherwise.", "warning")
    first = default_code or parts.codes.get(None)
    ordered = ([first] if first else []) + named + ([parts.codes[None]] if None in parts.codes
                                                    else [])
    parts.languages = list(dict.fromkeys(ordered)) or ["en"]
    _settings(parts, settings, values)


def _settings(parts: FormParts, settings: Sheet | None, values: dict[int, Any]) -> None:
    row = parts.settings_row
    form_id = settings.text(values, "form_id") if settings is not None else ""
    if not form_id:
        form_id = parts.path.stem
        parts.problem("settings", row, f"the form has no form_id; the checklist id is taken from "
                      f"the file name ('{form_id}').", "warning")
    checklist_id = form_id
    if not ID_PATTERN.match(form_id):
        checklist_id = re.sub(r"[^a-z0-9_]+", "_", form_id.lower()).strip("_") or "imported"
        if not checklist_id[0].isalpha():
            checklist_id = f"form_{checklist_id}"
        parts.problem("settings", row, f"the form_id '{form_id}' becomes the checklist id "
                      f"'{checklist_id}' (lower-case letters, digits and _).", "warning")
    parts.checklist_id = checklist_id
    version = settings.text(values, "version") if settings is not None else ""
    if version.isdigit() and int(version) > 0:
        parts.version = int(version)
    else:
        said = f"the version '{version}' is not a whole number" if version \
            else "the form has no version"
        parts.problem("settings", row, f"{said}; the checklist gets version 1 (raise it "
                      "whenever the checklist changes).", "warning")
    title = parts.texts(settings, values, "dm_title") if settings is not None else {}
    form_title = settings.text(values, "form_title") if settings is not None else ""
    if form_title and parts.languages[0] not in title:
        title[parts.languages[0]] = form_title  # form_title is in the default language
    if len(title) < len(parts.languages):
        fallback = form_title or next(iter(title.values()), "") or parts.checklist_id
        missing = [lang for lang in parts.languages if lang not in title]
        title.update({lang: fallback for lang in missing})
        if len(parts.languages) > 1:
            parts.problem("settings", row, f"the form title '{fallback}' is used in "
                          f"{', '.join(display_name(m) for m in missing)}: an XLSForm title has "
                          "no translations; translate it in checklist.yaml.", "warning")
    parts.title = {lang: title[lang] for lang in parts.languages}
    if settings is not None:
        parts.description = parts.texts(settings, values, "dm_description")
        for column in settings.columns:
            if column.base not in _SETTINGS_KEPT and values.get(column.index) is not None:
                parts.problem("settings", row, f"the setting '{column.header}' is not kept in "
                              "a checklist.", "warning")


def unkept_columns(parts: FormParts, sheet: Sheet, kept: frozenset[str],
                   text_columns: Sequence[str]) -> None:
    """Report, once per column, every used column a checklist has no place for."""
    for column in sheet.columns:
        if column.base in kept and (column.language is None or column.base in text_columns):
            continue
        rows = [row for row, values in sheet if values.get(column.index) is not None]
        if rows:
            shown = ", ".join(str(r) for r in rows)
            parts.problem(sheet.name, 1, f"the column '{column.header}' is not kept in a "
                          f"checklist; it is left out (row{'s' if len(rows) > 1 else ''} "
                          f"{shown}).", "warning")


def read_choices(parts: FormParts, sheet: Sheet | None) -> None:
    """Read the lists of the choices sheet, refusing choices without a name or a repeated one."""
    if sheet is None:
        return
    list_column = sheet.find("list_name")
    name_base = "name" if sheet.find("name") is not None else "value"
    if list_column is None or sheet.find(name_base) is None:
        parts.problem("choices", 1, "the choices sheet needs the columns list_name, name and "
                      "label.")
        return
    unkept_columns(parts, sheet, frozenset({"list_name", name_base, "label"}), ("label",))
    for row, values in sheet:
        list_name = sheet.text(values, "list_name")
        code = sheet.text(values, name_base)
        if not list_name:
            parts.problem("choices", row, "the choice has no list_name; it is left out.",
                          "warning")
            continue
        found = parts.lists.setdefault(list_name, ListPart(list_name, row))
        if not code:
            parts.problem("choices", row, f"a choice of the list '{list_name}' has no name "
                          "(the code answers store): write one.")
            continue
        earlier = next((c for c in found.choices if c.code == code), None)
        if earlier is not None:
            parts.problem("choices", row, f"the list '{list_name}' has the choice '{code}' twice "
                          f"(rows {earlier.row} and {row}); give each its own name.")
            continue
        label = parts.texts(sheet, values, "label")
        if not label:
            parts.problem("choices", row, f"the choice '{code}' of the list '{list_name}' has no "
                          "label.")
            continue
        found.choices.append(ChoicePart(code, row, label))


def read_red_flags(parts: FormParts, sheet: Sheet | None) -> None:
    """Read our ``dm_red_flags`` sheet (exports of this application carry one)."""
    if sheet is None:
        return
    unkept_columns(parts, sheet, frozenset({"id", "severity", "label", "when", "standards"}),
                   ("label",))
    for row, values in sheet:
        flag_id = sheet.text(values, "id")
        when = sheet.text(values, "when")
        if not flag_id or not when:
            parts.problem("dm_red_flags", row, "a red flag needs an id and a 'when' condition.")
            continue
        standards = [s for s in re.split(r"[\s,;]+", sheet.text(values, "standards")) if s]
        parts.red_flags.append(RedFlagPart(flag_id, row, sheet.text(values, "severity"),
                                           parts.texts(sheet, values, "label"), when, standards))
