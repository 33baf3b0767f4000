"""The standards catalogue: which standards exist, where they come from and what they require.

Two data files kept beside the checklists hold it: ``standards.yaml`` (the languages it is
written in, the words thresholds are said with, the sources and the standards, with
paraphrases in every language, numeric thresholds, jurisdiction and an ``uncertain`` flag) and
``areas.yaml`` (the monitoring areas and sub-areas of the Practical Manual, with the standards
that apply to each). :func:`load_catalogue` reads both, checks every
entry and every cross-reference, and either returns an immutable :class:`Catalogue` or raises
:class:`~monitor.core.errors.ChecklistError` listing every problem with its file, line and field.

A report cites a standard through :meth:`Standard.citation`, never from a string in code.

Languages are data: ``standards.yaml`` declares them (``languages: [en, es]``) and gives, under
``wording:``, how each language says a threshold ("at least", "hours") and "to be verified".
Adding a language means adding it there and writing its texts; English alone is built in, as
the language of the code.
"""

from __future__ import annotations

import difflib
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel import Locale, UnknownLocaleError

from monitor.checklists.schema import LocalText
from monitor.checklists.yamlsource import LocatedList, LocatedMap, load_yaml
from monitor.core.errors import ChecklistError, Problem

logger = logging.getLogger(__name__)

#: Languages every paraphrase, name, title and short title must be written in when the
#: catalogue file declares none (the shipped one declares its own: ``languages:``).
LANGUAGES = ("en", "es")
OPERATORS = (">=", ">", "<=", "<", "==")
JURISDICTIONS = (
    "international", "inter-american", "council-of-europe", "european-union", "united-kingdom",
    "united-states", "humanitarian",
)
BINDINGS = (
    "treaty", "soft_law", "case_law", "regional_law", "national_law", "inspection_criteria",
    "practice_guide", "expert_principles", "humanitarian_standard",
)
#: What kind of document a source is (finer than ``binding``, which is about legal force).
SOURCE_KINDS = (
    "treaty", "soft_law", "treaty_body_interpretation", "case_law", "regional_law",
    "regional_standard", "national_law", "national_standard", "inspection_criteria",
    "practice_guide", "expert_principles", "humanitarian_standard",
)

_STANDARD_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_AREA_ID = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)?$")
_MEASURE = re.compile(r"^[a-z][a-z0-9_]*$")
# What an id of each kind of entry looks like, and how to say so to the person editing the file.
_ID_RULES = {
    "source": (_STANDARD_ID, "lower-case letters, digits, '.' and '-' (e.g. mandela-2015)"),
    "standard": (_STANDARD_ID, "lower-case letters, digits, '.' and '-' (e.g. mandela-r23)"),
    "area": (_AREA_ID, "lower-case letters and '_', with a '.' between area and sub-area "
                       "(e.g. proc.legal_counsel)"),
}
# Spellings people write for an operator, mapped to the one the catalogue accepts.
_OPERATOR_SLIPS = {"=>": ">=", "=<": "<=", "=": "==", "≥": ">=", "≤": "<=", "!<": ">=", "!>": "<="}

# --- thresholds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """How thresholds and uncertain citations are said, language by language.

    ``operators``: language → operator → phrase ("at least"). ``units``: language → a word
    that appears in units → (singular, plural); the first word of a unit agrees with the number
    ("1 hour/day", "2 hours/day"), words after a slash stay singular, and a word without an
    entry is shown as written. ``to_verify``: language → the flag of an uncertain citation.
    """

    operators: Mapping[str, Mapping[str, str]]
    units: Mapping[str, Mapping[str, tuple[str, str]]]
    to_verify: Mapping[str, str]

    def language(self, wanted: str) -> str:
        """*wanted* if this wording has it, else English."""
        return wanted if wanted in self.operators else "en"


#: English, the language of the code: a threshold reads even without a catalogue's wording.
ENGLISH = Wording(
    operators={"en": {">=": "at least", ">": "more than", "<=": "at most", "<": "less than",
                      "==": "exactly"}},
    units={"en": {"hours": ("hour", "hours"), "days": ("day", "days"), "day": ("day", "day"),
                  "week": ("week", "week"), "months": ("month", "months"),
                  "times": ("time", "times"), "persons": ("person", "persons"),
                  "person": ("person", "person"), "toilet": ("toilet", "toilet"),
                  "phone": ("phone", "phone")}},
    to_verify={"en": "to be verified"},
)
# Two measurements that differ only by floating-point noise (12 / 3 giving 3.9999999999999996)
# count as equal, so that a room of exactly 4 m² per person is not judged below 4.
_TOLERANCE = 1e-9


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _unit_label(unit: str, value: float, language: str, wording: Wording) -> str:
    words = unit.split("/")
    shown = []
    for position, word in enumerate(words):
        forms = wording.units.get(language, {}).get(word)
        if forms is None:
            shown.append(word)
        elif position == 0:
            shown.append(forms[0] if value == 1 else forms[1])
        else:
            shown.append(forms[0])
    return "/".join(shown)


@dataclass(frozen=True)
class Threshold:
    """A numeric condition a measurement must meet to be compliant (``observed <op> value``)."""

    measure: str
    operator: str
    value: float
    unit: str
    #: The words of the catalogue it belongs to (not part of what the threshold is).
    wording: Wording = field(default=ENGLISH, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise ValueError(
                f"Unknown threshold operator {self.operator!r}; use one of {', '.join(OPERATORS)}."
            )

    def holds(self, observed: float) -> bool:
        """Return whether *observed* meets the threshold (is compliant).

        :param observed: the measured value, in the threshold's unit.
        :raises ValueError: *observed* is not a number (NaN); a missing measurement is never
            compliant, so callers must treat it as "not assessed" before asking.
        """
        if isinstance(observed, float) and math.isnan(observed):
            raise ValueError(f"Cannot judge {self.measure}: the observed value is not a number.")
        close = math.isclose(observed, self.value, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)
        if self.operator == "==":
            return close
        if self.operator == ">=":
            return close or observed > self.value
        if self.operator == "<=":
            return close or observed < self.value
        if self.operator == ">":
            return not close and observed > self.value
        return not close and observed < self.value

    def describe(self, language: str = "en") -> str:
        """Say the compliant condition in words, e.g. ``at least 4 m2/person``.

        :param language: a language of the catalogue's wording; any other gets English.
        """
        language = self.wording.language(language)
        phrase = self.wording.operators[language][self.operator]
        unit = _unit_label(self.unit, self.value, language, self.wording)
        return f"{phrase} {_format_number(self.value)} {unit}"


# --- the catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """An instrument standards come from (a treaty, a set of rules, a judgment, a handbook)."""

    id: str
    title: LocalText
    short: LocalText
    publisher: str
    year: int | None
    ref: str | None
    kind: str
    jurisdiction: str


@dataclass(frozen=True)
class Standard:
    """One standard: what a source requires, in the project's own words.

    ``cite`` is the article, rule or paragraph in English; ``cite_text`` holds it in every
    language when the file gives translations. ``notes`` explains how to apply a figure.
    ``uncertain_note`` says (in English) what to verify; ``uncertain_note_text`` says it in
    every language.
    """

    id: str
    source: Source
    cite: str
    paraphrase: LocalText
    threshold: Threshold | None
    uncertain: bool
    uncertain_note: str | None
    jurisdiction: str
    binding: str
    areas: tuple[str, ...]
    cite_text: LocalText | None = None
    notes: LocalText | None = None
    uncertain_note_text: LocalText | None = None
    #: The words of the catalogue it belongs to (not part of what the standard is).
    wording: Wording = field(default=ENGLISH, compare=False, repr=False)

    def citation(self, language: str = "en", *, flag_uncertain: bool = False) -> str:
        """Return the citation, e.g. ``Nelson Mandela Rules, Rule 23(1)``.

        :param language: the language of the source's short title and of the article reference.
        :param flag_uncertain: append "(to be verified)" when the citation is marked uncertain.
        """
        cite = self.cite_text.get(language) if self.cite_text else self.cite
        text = f"{self.source.short.get(language)}, {cite}"
        if flag_uncertain and self.uncertain:
            text += f" ({self.wording.to_verify[self.wording.language(language)]})"
        return text


@dataclass(frozen=True)
class Area:
    """A monitoring area (``parent`` is ``None``) or one of its sub-areas."""

    id: str
    name: LocalText
    parent: str | None
    manual_section: str | None
    standards: tuple[str, ...]
    order: int
    manual_section_uncertain: bool = False

    @property
    def is_top(self) -> bool:
        return self.parent is None


def _missing(kind: str, wanted: str, known: Iterable[str]) -> KeyError:
    close = difflib.get_close_matches(wanted, list(known), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return KeyError(f"There is no {kind} '{wanted}' in the standards catalogue.{hint}")


@dataclass(frozen=True)
class Catalogue:
    """Every source, standard and monitoring area, read-only and in file order."""

    standards: Mapping[str, Standard]
    areas: Mapping[str, Area]
    sources: Mapping[str, Source]
    #: The languages every text of the catalogue is written in (the file's ``languages:``).
    languages: tuple[str, ...] = LANGUAGES
    wording: Wording = ENGLISH

    def standard(self, standard_id: str) -> Standard:
        """Return the standard *standard_id*; :raises KeyError: unknown id (suggests one)."""
        try:
            return self.standards[standard_id]
        except KeyError:
            raise _missing("standard", standard_id, self.standards) from None

    def area(self, area_id: str) -> Area:
        """Return the area or sub-area *area_id*; :raises KeyError: there is none."""
        try:
            return self.areas[area_id]
        except KeyError:
            raise _missing("monitoring area", area_id, self.areas) from None

    def top_areas(self) -> list[Area]:
        """The monitoring areas, in their ``order``."""
        return sorted((a for a in self.areas.values() if a.is_top), key=lambda a: a.order)

    def subareas(self, parent: str | None = None) -> list[Area]:
        """The sub-areas of *parent* in order; with no parent, every sub-area, area by area.

        :raises KeyError: *parent* is not a monitoring area.
        """
        parents = [self.area(parent)] if parent is not None else self.top_areas()
        found: list[Area] = []
        for top in parents:
            found.extend(sorted((a for a in self.areas.values() if a.parent == top.id),
                                key=lambda a: a.order))
        return found

    def area_of_subarea(self, sub_id: str) -> Area:
        """Return the monitoring area that *sub_id* belongs to.

        :raises KeyError: *sub_id* is unknown.
        :raises ValueError: *sub_id* is itself a top-level area.
        """
        sub = self.area(sub_id)
        if sub.parent is None:
            raise ValueError(f"'{sub_id}' is a top-level monitoring area, not a sub-area.")
        return self.areas[sub.parent]

    def standards_for(self, area_id: str) -> list[Standard]:
        """The standards that apply to an area or sub-area, in the order the area lists them."""
        return [self.standards[sid] for sid in self.area(area_id).standards]


# --- reading and checking the files ----------------------------------------------------------


def _language_name(code: str) -> str:
    try:
        name = Locale.parse(code).get_display_name("en") or code
    except (ValueError, UnknownLocaleError):
        name = code
    return f"{name} ('{code}')"


def _did_you_mean(value: Any, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(str(value), list(candidates), n=1)
    return f"Did you mean '{close[0]}'?" if close else None


class _FileChecker:
    """Reads entries of one catalogue file, recording a :class:`Problem` for every fault."""

    def __init__(self, path: Path | str, languages: tuple[str, ...], problems: list[Problem]):
        self.path = path
        self.languages = languages
        self.problems = problems

    def add(self, line: int | None, field: str | None, message: str,
            hint: str | None = None) -> None:
        self.problems.append(Problem(self.path, line, field, message, hint))

    def entries(self, doc: Any, key: str, what: str) -> list[tuple[str, str, LocatedMap]]:
        """Return ``(id, field, mapping)`` for each well-formed, first-seen entry of list *key*."""
        id_pattern, id_rule = _ID_RULES[what]
        items = doc.get(key) if isinstance(doc, LocatedMap) else None
        if not isinstance(items, LocatedList):
            line = doc.line_of(key) if isinstance(doc, LocatedMap) else 1
            self.add(line, key, f"The file needs a list '{key}:' of {what}s.",
                     f"Write '{key}:' at the left margin followed by '- id: ...' entries.")
            return []
        seen: dict[str, int] = {}
        found = []
        for index, item in enumerate(items):
            line = items.line_of(index)
            if not isinstance(item, LocatedMap):
                self.add(line, f"{key}[{index}]", f"Entry {index + 1} of '{key}' is not a mapping.",
                         "Each entry starts with '- id: ...' followed by its keys.")
                continue
            entry_id = item.get("id")
            if not isinstance(entry_id, str) or not id_pattern.match(entry_id):
                self.add(item.line_of("id"), f"{key}[{index}].id",
                         f"Entry {index + 1} of '{key}' has no valid id (found {entry_id!r}).",
                         f"Give every {what} an id made of {id_rule}.")
                continue
            if entry_id in seen:
                self.add(item.line_of("id"), f"{key}[{entry_id}].id",
                         f"The {what} id '{entry_id}' is used twice: first on line "
                         f"{seen[entry_id]}, again here.",
                         f"Give each {what} its own id; ids are cited by checklists and stored "
                         "with findings, so one id must never mean two things.")
                continue
            seen[entry_id] = item.line_of("id")
            found.append((entry_id, f"{key}[{entry_id}]", item))
        return found

    def unknown_keys(self, mapping: LocatedMap, allowed: Iterable[str], field: str) -> None:
        allowed = sorted(allowed)
        for key in mapping:
            if key not in allowed:
                self.add(mapping.line_of(key), f"{field}.{key}" if field else str(key),
                         f"Unknown key '{key}'.",
                         _did_you_mean(key, allowed)
                         or f"The keys allowed here: {', '.join(allowed)}.")

    def text(self, mapping: LocatedMap, key: str, field: str, required: bool = True) -> str | None:
        value = mapping.get(key)
        if value is None:
            if required:
                self.add(mapping.line_of(key), f"{field}.{key}", f"'{key}' is missing or empty.",
                         f"Add '{key}: ...' to this entry.")
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(mapping.line_of(key), f"{field}.{key}",
                     f"'{key}' must be text, not {value!r}.",
                     "Put the value in quotes so YAML reads it as text (for example '4.1').")
            return None
        return value

    def local_text(self, mapping: LocatedMap, key: str, field: str, required: bool = True,
                   plain_allowed: bool = False) -> LocalText | None:
        """Read a ``{language: text}`` map holding every required language."""
        value = mapping.get(key)
        where = f"{field}.{key}"
        if value is None:
            if required:
                self.add(mapping.line_of(key), where, f"'{key}' is missing.",
                         f"Add '{key}:' with one line per language ({', '.join(self.languages)}).")
            return None
        if isinstance(value, str) and plain_allowed and value.strip():
            return LocalText.of(value)
        if not isinstance(value, LocatedMap):
            found = [self.languages[0]] if isinstance(value, str) else []
            self._missing_languages(mapping.line_of(key), where, key, found)
            return None
        before = len(self.problems)
        for language, text in value.items():
            if not isinstance(text, str) or not text.strip():
                self.add(value.line_of(language), f"{where}.{language}",
                         f"The {_language_name(str(language))} text of '{key}' is empty "
                         "or not text.",
                         "Write the text after the language code, or quote it.")
        self._missing_languages(value.line, where, key, [str(k) for k in value])
        if len(self.problems) > before:
            return None
        return LocalText.of({str(k): v.strip() for k, v in value.items()})

    def _missing_languages(self, line: int, where: str, key: str, present: list[str]) -> None:
        for language in self.languages:
            if language not in present:
                self.add(line, where, f"'{key}' has no {_language_name(language)} text.",
                         f"Write '{key}' as a map with one entry per language "
                         f"({', '.join(f'{code}: ...' for code in self.languages)}).")

    def choice(self, mapping: LocatedMap, key: str, field: str,
               allowed: tuple[str, ...]) -> str | None:
        value = mapping.get(key)
        if value in allowed:
            return value
        if value is None:
            message = f"'{key}' is missing."
        else:
            message = f"'{key}' is {value!r}, which is not one of the accepted values."
        suggestion = _did_you_mean(value, allowed) if value is not None else None
        self.add(mapping.line_of(key), f"{field}.{key}", message,
                 suggestion or f"Use one of: {', '.join(allowed)}.")
        return None

    def flag(self, mapping: LocatedMap, key: str, field: str) -> bool:
        value = mapping.get(key, False)
        if isinstance(value, bool):
            return value
        self.add(mapping.line_of(key), f"{field}.{key}",
                 f"'{key}' must be true or false, not {value!r}.",
                 f"Write '{key}: true' or '{key}: false' without quotes.")
        return False

    def id_list(self, mapping: LocatedMap, key: str, field: str) -> tuple[str, ...] | None:
        value = mapping.get(key)
        if not isinstance(value, LocatedList) or not value:
            self.add(mapping.line_of(key), f"{field}.{key}",
                     f"'{key}' must be a non-empty list of ids.",
                     f"Write '{key}: [first-id, second-id]' or one '- id' per line.")
            return None
        seen: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.add(value.line_of(index), f"{field}.{key}",
                         f"Item {index + 1} of '{key}' is {item!r}, not an id.",
                         "Write the id as text.")
            elif item in seen:
                self.add(value.line_of(index), f"{field}.{key}",
                         f"'{item}' is listed twice in '{key}'.", "Keep one of them.")
            else:
                seen.append(item)
        return tuple(seen)


_TOP_KEYS_STANDARDS = ("languages", "wording", "sources", "standards")
_TOP_KEYS_AREAS = ("areas",)
_SOURCE_KEYS = ("id", "title", "short", "publisher", "year", "ref", "kind", "jurisdiction")
_STANDARD_KEYS = ("id", "source", "cite", "paraphrase", "threshold", "uncertain", "uncertain_note",
                  "jurisdiction", "binding", "areas", "notes")
_THRESHOLD_KEYS = ("measure", "operator", "value", "unit")
_AREA_KEYS = ("id", "name", "parent", "order", "manual_section", "manual_section_uncertain",
              "standards")


def _read_source(check: _FileChecker, field: str, entry: LocatedMap,
                 source_id: str) -> Source | None:
    before = len(check.problems)
    check.unknown_keys(entry, _SOURCE_KEYS, field)
    title = check.local_text(entry, "title", field)
    short = check.local_text(entry, "short", field)
    publisher = check.text(entry, "publisher", field)
    year = entry.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        check.add(entry.line_of("year"), f"{field}.year",
                  f"'year' must be a whole number, not {year!r}.",
                  "Write the year of adoption, e.g. 'year: 2015', or 'year: null' if unknown.")
    ref = check.text(entry, "ref", field, required=False)
    kind = check.choice(entry, "kind", field, SOURCE_KINDS)
    jurisdiction = check.choice(entry, "jurisdiction", field, JURISDICTIONS)
    if len(check.problems) > before:
        return None
    # No problem was added, so every required value above was read.
    return Source(source_id, title, short, publisher, year, ref, kind, jurisdiction)


def _read_threshold(check: _FileChecker, field: str, entry: LocatedMap,
                    wording: Wording) -> Threshold | None:
    raw = entry["threshold"]
    field = f"{field}.threshold"
    if not isinstance(raw, LocatedMap):
        check.add(entry.line_of("threshold"), field, "'threshold' must be a mapping.",
                  "Write measure, operator, value and unit under 'threshold:', or remove it.")
        return None
    before = len(check.problems)
    check.unknown_keys(raw, _THRESHOLD_KEYS, field)
    measure = check.text(raw, "measure", field)
    if measure is not None and not _MEASURE.match(measure):
        check.add(raw.line_of("measure"), f"{field}.measure",
                  f"The measure name '{measure}' is not a plain identifier.",
                  "Use lower-case letters, digits and '_' (e.g. living_space_per_person_m2).")
    operator = raw.get("operator")
    if operator not in OPERATORS:
        slip = _OPERATOR_SLIPS.get(str(operator))
        check.add(raw.line_of("operator"), f"{field}.operator",
                  f"The operator {operator!r} is not one of {', '.join(OPERATORS)}.",
                  (f"Did you mean '{slip}'? " if slip else "")
                  + "Write it in quotes, e.g. operator: '>='.")
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        check.add(raw.line_of("value"), f"{field}.value",
                  f"'value' must be a number, not {value!r}.",
                  "Write the figure without quotes or units, e.g. 'value: 4' or 'value: 2.5'.")
    unit = check.text(raw, "unit", field)
    if len(check.problems) > before:
        return None
    # No problem was added, so every required value above was read.
    return Threshold(measure, operator, float(value), unit, wording)


def _read_cite(check: _FileChecker, field: str,
               entry: LocatedMap) -> tuple[str | None, LocalText | None]:
    """A citation is plain text (the same in every language) or a map of translations."""
    if isinstance(entry.get("cite"), LocatedMap):
        text = check.local_text(entry, "cite", field)
        return (text.get("en") if text else None), text
    return check.text(entry, "cite", field), None


def _read_standard(check: _FileChecker, field: str, entry: LocatedMap, standard_id: str,
                   sources: Mapping[str, Source | None], wording: Wording) -> Standard | None:
    """Read one standard; *sources* maps every source id written to its Source (None if broken)."""
    before = len(check.problems)
    check.unknown_keys(entry, _STANDARD_KEYS, field)
    source_id = check.text(entry, "source", field)
    source = sources.get(source_id) if source_id else None
    if source_id and source_id not in sources:
        check.add(entry.line_of("source"), f"{field}.source",
                  f"The source '{source_id}' is not in the 'sources' list of this file.",
                  _did_you_mean(source_id, sources) or "Add the source under 'sources:' first.")
    cite, cite_text = _read_cite(check, field, entry)
    paraphrase = check.local_text(entry, "paraphrase", field)
    threshold = (_read_threshold(check, field, entry, wording)
                 if entry.get("threshold") is not None else None)
    uncertain = check.flag(entry, "uncertain", field)
    note_text = check.local_text(entry, "uncertain_note", field, required=False)
    note = note_text.get("en") if note_text else None
    if uncertain and note is None and "uncertain_note" not in entry:
        check.add(entry.line_of("uncertain"), f"{field}.uncertain_note",
                  "The standard is marked uncertain but does not say what to verify.",
                  "Add 'uncertain_note: ...' naming the figure or citation to check in the source.")
    if note_text is not None and not uncertain:
        check.add(entry.line_of("uncertain_note"), f"{field}.uncertain_note",
                  "'uncertain_note' is given but 'uncertain' is not true.",
                  "Set 'uncertain: true', or remove the note once the citation is verified.")
    jurisdiction = check.choice(entry, "jurisdiction", field, JURISDICTIONS)
    binding = check.choice(entry, "binding", field, BINDINGS)
    areas = check.id_list(entry, "areas", field)
    notes = check.local_text(entry, "notes", field, required=False)
    if len(check.problems) > before or source is None:
        return None
    # No problem was added, so every required value above was read.
    return Standard(standard_id, source, cite, paraphrase, threshold, uncertain, note,
                    jurisdiction, binding, areas, cite_text, notes, note_text, wording)


def _read_area(check: _FileChecker, field: str, entry: LocatedMap, area_id: str) -> Area | None:
    before = len(check.problems)
    check.unknown_keys(entry, _AREA_KEYS, field)
    name = check.local_text(entry, "name", field)
    parent = entry.get("parent")
    if parent is not None and not isinstance(parent, str):
        check.add(entry.line_of("parent"), f"{field}.parent",
                  f"'parent' must be an area id, not {parent!r}.",
                  "Write 'parent: null' for a top-level area or the id of its area.")
    section = entry.get("manual_section")
    if section is not None and not isinstance(section, str):
        check.add(entry.line_of("manual_section"), f"{field}.manual_section",
                  f"'manual_section' was read as the number {section!r}, not as text.",
                  f"Put it in quotes: manual_section: '{section}'.")
    uncertain = check.flag(entry, "manual_section_uncertain", field)
    standards = entry.get("standards", LocatedList())
    ids = check.id_list(entry, "standards", field) if standards else ()
    order = entry.get("order")
    if parent is None and order is None:
        check.add(entry.line, f"{field}.order", "A top-level area needs an 'order'.",
                  "Add 'order: N' (1 is shown first).")
    elif order is not None and (isinstance(order, bool) or not isinstance(order, int)):
        check.add(entry.line_of("order"), f"{field}.order",
                  f"'order' must be a whole number, not {order!r}.",
                  "Write 'order: 1', 'order: 2', ...")
    if len(check.problems) > before:
        return None
    # No problem was added, so every required value above was read.
    return Area(area_id, name, parent, section, ids, order or 0, uncertain)


def _read_file(path: Path, problems: list[Problem]) -> Any:
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        problems.append(Problem(path, None, None, f"The file cannot be read ({error.strerror}).",
                                "Check the path: the catalogue is checklists/standards.yaml and "
                                "checklists/areas.yaml."))
        return None
    document = load_yaml(raw, path)
    problems.extend(document.problems())
    return document.data if document.error is None else None


def _check_top(check: _FileChecker, doc: Any, allowed: tuple[str, ...]) -> None:
    if isinstance(doc, LocatedMap):
        check.unknown_keys(doc, allowed, "")
    else:
        check.add(1, None, f"The file must be a mapping with the keys {', '.join(allowed)}.",
                  f"Start the file with '{allowed[0]}:' at the left margin.")


def _order_subareas(areas: dict[str, Area], entries: dict[str, LocatedMap]) -> dict[str, Area]:
    """Give each sub-area without an explicit ``order`` its position among its siblings."""
    position: dict[str | None, int] = {}
    ordered = {}
    for area_id, area in areas.items():
        if area.parent is not None:
            position[area.parent] = position.get(area.parent, 0) + 1
            if "order" not in entries[area_id]:
                area = Area(area.id, area.name, area.parent, area.manual_section, area.standards,
                            position[area.parent], area.manual_section_uncertain)
        ordered[area_id] = area
    return ordered


def _check_tree(check: _FileChecker, areas: Mapping[str, Area],
                entries: Mapping[str, LocatedMap]) -> None:
    orders: dict[int, str] = {}
    for area in areas.values():
        field = f"areas[{area.id}]"
        entry = entries[area.id]
        if area.parent is None:
            if "." in area.id:
                check.add(entry.line_of("parent"), f"{field}.parent",
                          f"'{area.id}' looks like a sub-area but has no parent.",
                          f"Set 'parent: {area.id.split('.')[0]}'.")
            if area.order in orders:
                check.add(entry.line_of("order"), f"{field}.order",
                          f"Order {area.order} is also used by '{orders[area.order]}'.",
                          "Give each top-level area its own order.")
            orders[area.order] = area.id
            continue
        parent = areas.get(area.parent)
        if parent is None and area.parent in entries:
            continue  # the parent's entry is broken; its own problems say why
        if parent is None or not parent.is_top:
            check.add(entry.line_of("parent"), f"{field}.parent",
                      f"The parent '{area.parent}' is not a top-level area of this file.",
                      _did_you_mean(area.parent, [a.id for a in areas.values() if a.is_top])
                      or "Sub-areas sit directly under a top-level area (parent: null).")
        elif not area.id.startswith(f"{area.parent}."):
            check.add(entry.line_of("id"), f"{field}.id",
                      f"The sub-area id '{area.id}' does not start with its parent's id "
                      f"'{area.parent}.'.",
                      f"Rename it '{area.parent}.{area.id.split('.')[-1]}' or correct 'parent'.")


def _check_links(std_check: _FileChecker, area_check: _FileChecker,
                 standards: Mapping[str, Standard],
                 std_entries: Mapping[str, LocatedMap], areas: Mapping[str, Area],
                 area_entries: Mapping[str, LocatedMap]) -> None:
    """Check that standards and areas name each other, in both files, the same way."""
    for standard in standards.values():
        entry = std_entries[standard.id]
        for area_id in standard.areas:
            area = areas.get(area_id)
            field = f"standards[{standard.id}].areas"
            if area is None and area_id in area_entries:
                continue  # the area's entry is broken; its own problems say why
            if area is None:
                std_check.add(entry.line_of("areas"), field,
                              f"The area '{area_id}' is not defined in areas.yaml.",
                              _did_you_mean(area_id, areas)
                              or "Use a sub-area id such as proc.legal_counsel.")
            elif area.is_top:
                std_check.add(entry.line_of("areas"), field,
                              f"'{area_id}' is a top-level area; standards belong to sub-areas.",
                              f"Name one of its sub-areas ({area_id}.…) instead.")
            elif standard.id not in area.standards:
                std_check.add(entry.line_of("areas"), field,
                              f"The standard names the sub-area '{area_id}', but that sub-area's "
                              "'standards' list in areas.yaml does not include it.",
                              f"Add '{standard.id}' under '{area_id}' in areas.yaml, or remove "
                              f"'{area_id}' here.")
    for area in areas.values():
        entry = area_entries[area.id]
        field = f"areas[{area.id}].standards"
        children = [a for a in areas.values() if a.parent == area.id]
        from_children = {sid for child in children for sid in child.standards}
        for standard_id in area.standards:
            standard = standards.get(standard_id)
            line = entry.get("standards").line_of(area.standards.index(standard_id))
            if standard is None:
                if standard_id not in std_entries:  # a broken entry is reported in its own file
                    area_check.add(line, field,
                                   f"The standard '{standard_id}' is not in standards.yaml.",
                                   _did_you_mean(standard_id, std_entries) or "Check the id.")
            elif area.is_top and standard_id not in from_children:
                area_check.add(line, field,
                               f"'{standard_id}' is listed under the area '{area.id}' but under "
                               "none of its sub-areas.",
                               "Add it to the sub-area it belongs to, or remove it here.")
            elif not area.is_top and area.id not in standard.areas:
                area_check.add(line, field,
                               f"'{standard_id}' is listed here, but its own 'areas' in "
                               f"standards.yaml does not name '{area.id}'.",
                               f"Add '{area.id}' to the areas of '{standard_id}', "
                               "or remove it here.")
        for standard_id in sorted(from_children - set(area.standards)):
            area_check.add(entry.line_of("standards"), field,
                           f"'{standard_id}' applies to a sub-area of '{area.id}' but is missing "
                           "from the area's own list.",
                           f"Add '{standard_id}' to the standards of '{area.id}'.")


def load_catalogue(standards_path: Path, areas_path: Path,
                   languages: tuple[str, ...] | None = None) -> Catalogue:
    """Read and check the standards catalogue and the monitoring-area tree.

    :param standards_path: ``standards.yaml`` (languages, wording, sources and standards).
    :param areas_path: ``areas.yaml`` (monitoring areas and sub-areas).
    :param languages: the languages every text must be written in; by default the ones
        ``standards.yaml`` declares (:data:`LANGUAGES` if it declares none).
    :returns: the catalogue, every entry checked.
    :raises ChecklistError: anything is malformed; every problem is listed with file, line and
        field, and nothing is loaded.
    """
    problems: list[Problem] = []
    std_doc = _read_file(standards_path, problems)
    area_doc = _read_file(areas_path, problems)
    if problems and (std_doc is None or area_doc is None):
        raise ChecklistError(problems)
    languages = languages or _declared_languages(std_doc, standards_path, problems)
    std_check = _FileChecker(standards_path, languages, problems)
    area_check = _FileChecker(areas_path, languages, problems)
    _check_top(std_check, std_doc, _TOP_KEYS_STANDARDS)
    _check_top(area_check, area_doc, _TOP_KEYS_AREAS)
    wording = _read_wording(std_check, std_doc)

    written: dict[str, Source | None] = {}
    for source_id, field, entry in std_check.entries(std_doc, "sources", "source"):
        written[source_id] = _read_source(std_check, field, entry, source_id)
    sources = {k: v for k, v in written.items() if v is not None}
    std_entries: dict[str, LocatedMap] = {}
    standards: dict[str, Standard] = {}
    listed = std_check.entries(std_doc, "standards", "standard")
    for standard_id, field, entry in listed:
        std_entries[standard_id] = entry
        standard = _read_standard(std_check, field, entry, standard_id, written, wording)
        if standard is not None:
            standards[standard_id] = standard
    area_entries: dict[str, LocatedMap] = {}
    areas: dict[str, Area] = {}
    for area_id, field, entry in area_check.entries(area_doc, "areas", "area"):
        area_entries[area_id] = entry
        area = _read_area(area_check, field, entry, area_id)
        if area is not None:
            areas[area_id] = area
    areas = _order_subareas(areas, area_entries)
    _check_tree(area_check, areas, area_entries)
    _check_links(std_check, area_check, standards, std_entries, areas, area_entries)

    if problems:
        files = [str(standards_path), str(areas_path)]
        raise ChecklistError(sorted(problems, key=lambda p: (files.index(str(p.path))
                                                             if str(p.path) in files else 2,
                                                             p.line or 0)))
    logger.info("standards catalogue loaded: %d sources, %d standards, %d areas",
                len(sources), len(standards), len(areas))
    return Catalogue(MappingProxyType(standards), MappingProxyType(areas),
                     MappingProxyType(sources), languages, wording)


def _declared_languages(doc: Any, path: Path, problems: list[Problem]) -> tuple[str, ...]:
    """The file's ``languages: [en, es]`` (English first), else :data:`LANGUAGES`."""
    declared = doc.get("languages") if isinstance(doc, LocatedMap) else None
    if declared is None:
        return LANGUAGES
    codes = [c for c in declared if isinstance(c, str)] if isinstance(declared, LocatedList) else []
    if not codes or len(codes) != len(declared) or codes[0] != "en":
        problems.append(Problem(path, doc.line_of("languages"), "languages",
                                f"'languages' must be a list of language codes starting with "
                                f"'en', not {declared!r}.", "Write 'languages: [en, es]'."))
        return LANGUAGES
    return tuple(dict.fromkeys(codes))


def _read_wording(check: _FileChecker, doc: Any) -> Wording:
    """Read ``wording:`` (operators, units, to_verify), one text per declared language.

    Every problem is recorded; the English wording stands in for a missing or broken one.
    """
    raw = doc.get("wording") if isinstance(doc, LocatedMap) else None
    if not isinstance(raw, LocatedMap):
        declares = isinstance(doc, LocatedMap) and "languages" in doc
        if raw is not None or (len(check.languages) > 1 and declares):
            check.add(doc.line_of("wording" if raw is not None else "languages"), "wording",
                      "The file declares several languages but no usable 'wording:'.",
                      "Add 'wording:' with operators, units and to_verify in each language.")
        return ENGLISH
    before = len(check.problems)
    check.unknown_keys(raw, ("operators", "units", "to_verify"), "wording")
    operators = _read_operators(check, raw)
    units = _read_units(check, raw.get("units"))
    to_verify = check.local_text(raw, "to_verify", "wording")
    if len(check.problems) > before or to_verify is None:
        return ENGLISH
    return Wording(MappingProxyType(operators), MappingProxyType(units),
                   MappingProxyType({code: to_verify.get(code) for code in check.languages}))


def _read_operators(check: _FileChecker, raw: LocatedMap) -> dict[str, dict[str, str]]:
    """language → operator → phrase, from ``wording.operators`` (every operator required)."""
    phrases = raw.get("operators")
    if not isinstance(phrases, LocatedMap):
        check.add(raw.line_of("operators") if "operators" in raw else raw.line,
                  "wording.operators", "'operators' must map each operator to its words.",
                  f"Write '\">=\": {{en: at least, ...}}' for each of {', '.join(OPERATORS)}.")
        return {}
    texts = {op: check.local_text(phrases, op, "wording.operators") for op in OPERATORS}
    return {code: {op: text.get(code) for op, text in texts.items() if text is not None}
            for code in check.languages}


def _read_units(check: _FileChecker, words: Any) -> dict[str, dict[str, tuple[str, str]]]:
    """language → unit word → (singular, plural), from ``wording.units`` (all optional)."""
    units: dict[str, dict[str, tuple[str, str]]] = {code: {} for code in check.languages}
    for word, forms in (words.items() if isinstance(words, LocatedMap) else []):
        for code, pair in (forms.items() if isinstance(forms, LocatedMap) else []):
            if (isinstance(pair, LocatedList) and len(pair) == 2
                    and all(isinstance(p, str) for p in pair)):
                units.setdefault(str(code), {})[str(word)] = (pair[0], pair[1])
            else:
                check.add(forms.line_of(code), f"wording.units.{word}.{code}",
                          f"The {_language_name(str(code))} forms of '{word}' must be "
                          "[singular, plural].", f"Write '{code}: [singular, plural]'.")
    return units
