"""Turn checklist YAML into the model, collecting every problem instead of stopping at one.

This module checks the *shape* of a definition: that each value is of the kind its key expects,
that required keys are there and unknown keys are not, that included files exist and stay in
the checklist's folder. What the pieces mean together (ids unique, expressions valid and
pointing at real questions, translations complete...) is checked afterwards by
:mod:`monitor.checklists.validate`, from the :class:`ParsedChecklist` built here: besides the
model objects it keeps, for each of them, the file and the mapping it came from, so that every
later complaint can name a file, a line and a field.

Problems about a question name the question id as their ``field``; other problems name a dotted
place such as ``sections[staffing].title`` or ``red_flags[children_detained].when``.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.checklists.schema import (
    SEVERITIES,
    Checklist,
    Choice,
    LocalText,
    Question,
    QuestionType,
    RedFlag,
    RuleSpec,
    Section,
)
from monitor.checklists.yamlsource import LocatedList, LocatedMap, YamlDocument, load_yaml
from monitor.core.errors import Problem

__all__ = [
    "BUILT_IN_CHOICES",
    "ChoiceSet",
    "ExpressionRef",
    "IdRef",
    "ParsedChecklist",
    "Place",
    "QuestionEntry",
    "TextRef",
    "parse_checklist",
]

CHECKLIST_KEYS = ("id", "version", "title", "description", "languages", "choice_lists",
                  "sections", "red_flags")
SECTION_KEYS = ("id", "title", "area", "help", "relevant", "sections", "questions")
QUESTION_KEYS = ("id", "type", "label", "help", "required", "relevant", "constraint",
                 "constraint_message", "choices", "standards", "sensitive", "indicator", "rule",
                 "calculation", "unit")
CHOICE_KEYS = ("code", "label")
RED_FLAG_KEYS = ("id", "severity", "label", "when", "standards")
#: Keys every rule may have; the others are the parameters of its kind.
RULE_KEYS = ("kind", "standards", "severity")
#: Parameters of the ``expression`` rule kind that hold expressions.
RULE_EXPRESSION_PARAMS = ("compliant", "partial")
QUESTION_TYPES = tuple(t.value for t in QuestionType)
DEFAULT_LANGUAGES = ("en",)
#: A language code: ``en``, ``es``, ``pt-BR``.
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
DEFAULT_RULE_SEVERITY = "medium"


def _text(**by_language: str) -> LocalText:
    return LocalText(tuple(by_language.items()))


#: The choices of the two question types that bring their own (codes are what answers store).
BUILT_IN_CHOICES: dict[QuestionType, tuple[Choice, ...]] = {
    QuestionType.YES_NO: (
        Choice("yes", _text(en="Yes", es="Sí")),
        Choice("no", _text(en="No", es="No")),
    ),
    QuestionType.YES_NO_PARTLY_NA: (
        Choice("yes", _text(en="Yes", es="Sí")),
        Choice("no", _text(en="No", es="No")),
        Choice("partly", _text(en="Partly", es="Parcialmente")),
        Choice("na", _text(en="Not applicable", es="No aplica")),
    ),
}


# --- what parsing leaves for validation ------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a part of a checklist was written: the file, the mapping and its name in problems."""

    path: Path
    raw: LocatedMap
    field: str

    def line(self, key: str | None = None) -> int:
        """The line of *key* in this mapping (the mapping's own line when absent or ``None``)."""
        return self.raw.line if key is None else self.raw.line_of(key)


@dataclass(frozen=True)
class TextRef:
    """A text that must exist in every language of the checklist."""

    text: LocalText
    path: Path
    line: int
    field: str
    what: str  # how a message names it: "the label", "the label of choice 'daily'"
    plain: bool  # written as a plain string rather than a language map


@dataclass(frozen=True)
class ExpressionRef:
    """An expression as written, with what it belongs to.

    ``node`` is the dependency-graph node the expression makes depend on its references
    (``q:<id>`` for a question's relevant or calculation, ``s:<id>`` for a section's relevant),
    ``None`` for expressions that cannot make a cycle (constraints, rules, red flags).
    """

    text: str
    path: Path
    line: int
    field: str
    key: str
    node: str | None = None
    allows_current: bool = False
    sensitive: bool = False


@dataclass(frozen=True)
class IdRef:
    """A standard or area id cited somewhere."""

    value: str
    path: Path
    line: int
    field: str
    what: str  # "question", "section", "red flag"


@dataclass
class ChoiceSet:
    """A list of choices as written: a named list in ``choice_lists`` or a question's own."""

    title: str  # how messages name it: "the choice list 'frequency'", "the list of choices"
    path: Path
    field: str
    items: list[tuple[Choice, int]]
    line: int
    sensitive: bool = False
    named: bool = False


@dataclass
class QuestionEntry:
    """A parsed question with where it came from and what the model cannot hold."""

    question: Question
    place: Place
    type_known: bool = True
    choice_list: str | None = None  # the name given in ``choices``, when it is a name
    choices_written: bool = False


@dataclass
class SectionEntry:
    section: Section
    place: Place


@dataclass
class RedFlagEntry:
    red_flag: RedFlag
    place: Place


@dataclass
class ParsedChecklist:
    """Everything read from one checklist file and the files it includes."""

    path: Path
    files: list[Path] = field(default_factory=list)
    digest: str = ""
    problems: list[Problem] = field(default_factory=list)
    checklist: Checklist | None = None
    place: Place | None = None
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    choice_lists: dict[str, ChoiceSet] = field(default_factory=dict)
    choice_sets: list[ChoiceSet] = field(default_factory=list)
    sections: list[SectionEntry] = field(default_factory=list)
    questions: list[QuestionEntry] = field(default_factory=list)
    red_flags: list[RedFlagEntry] = field(default_factory=list)
    texts: list[TextRef] = field(default_factory=list)
    expressions: list[ExpressionRef] = field(default_factory=list)
    standard_refs: list[IdRef] = field(default_factory=list)
    area_refs: list[IdRef] = field(default_factory=list)

    def file_rank(self, path: Path | str) -> int:
        """Position of *path* in include order (for sorting problems file by file)."""
        try:
            return self.files.index(Path(path))
        except ValueError:
            return len(self.files)


# --- helpers for messages --------------------------------------------------------------------


def kind_of(value: Any) -> str:
    """Name the kind of a YAML value in words a checklist author knows."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a yes/no value)"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "an unusual YAML value"


def closest(word: Any, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to *word* in spelling, if one is near enough."""
    found = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def capital(text: str) -> str:
    """*text* with its first letter in upper case (unlike ``str.capitalize``, the rest is kept)."""
    return text[:1].upper() + text[1:]


def did_you_mean(word: Any, candidates: Collection[str], otherwise: str) -> str:
    guess = closest(word, candidates)
    return f"Did you mean '{guess}'?" if guess else otherwise


# --- the reader ------------------------------------------------------------------------------


class _Reader:
    """Walks one checklist (and its includes) and fills a :class:`ParsedChecklist`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.folder = path.parent
        self.out = ParsedChecklist(path=path)
        self.default_language = DEFAULT_LANGUAGES[0]
        self.digest = hashlib.sha256()
        self.documents: list[YamlDocument] = []
        self.map_fields: dict[int, str] = {}  # id(mapping) -> field, to name repeated keys
        self.included: dict[Path, tuple[Path, int]] = {}  # file -> where it was first included

    # reporting

    def problem(self, path: Path, line: int | None, where: str | None, message: str,
                hint: str | None = None) -> None:
        self.out.problems.append(Problem(path, line, where or None, message, hint))

    # files

    def read(self, path: Path, *, line_in_parent: int | None = None,
             parent: Path | None = None, where: str | None = None) -> Any:
        """Read and parse one file; report a missing or unreadable file where it was named."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            if parent is None:
                self.problem(path, None, None, "The checklist file does not exist.",
                             "Check the path.")
            else:
                self.problem(parent, line_in_parent, where,
                             f"The included file '{path.name}' does not exist in the "
                             f"checklist's folder.", self._file_hint(path))
            return None
        except OSError as error:
            self.problem(parent or path, line_in_parent, where,
                         f"The file '{path.name}' cannot be read ({error.strerror or error}).",
                         "Check that it is a file and that it may be read.")
            return None
        self.out.files.append(path)
        self.digest.update(data)
        document = load_yaml(data, path)
        self.documents.append(document)
        if document.error is not None:
            self.out.problems.append(document.error)
            return None
        if document.data is None:
            self.problem(path, 1, None, "The file is empty.",
                         "Write the checklist (id, version, title, sections) or remove the file."
                         if parent is None else "Write a section (id, title, questions) in it.")
        return document.data

    def _file_hint(self, path: Path) -> str:
        names = sorted(p.name for p in self.folder.glob("*.yaml") if p.name != self.path.name)
        return did_you_mean(path.name, names,
                            "Include files are named relative to the checklist's folder.")

    # generic value readers

    def keys(self, raw: LocatedMap, allowed: tuple[str, ...], path: Path, where: str,
             what: str) -> None:
        """Report keys that are not text or not known for *what*; remember *where* for *raw*."""
        self.map_fields[id(raw)] = where
        for key in raw:
            if key is None:
                self.problem(path, raw.line_of(key), where,
                             f"A line of this {what} has a value but no key before the ':'.",
                             f"Write the key, one of: {', '.join(allowed)}.")
            elif not isinstance(key, str):
                self.problem(path, raw.line_of(key), where,
                             f"The key {key!r} of this {what} is {kind_of(key)}, not a name.",
                             f"Use one of: {', '.join(allowed)}.")
            elif key not in allowed:
                listing = f"A {what} may have: {', '.join(allowed)}."
                self.problem(path, raw.line_of(key), where,
                             f"The key '{key}' is not known for a {what}.",
                             did_you_mean(key, allowed, listing))

    def string(self, raw: LocatedMap, key: str, place: Place, *, required: bool = False,
               what: str = "", hint: str | None = None) -> str | None:
        value = raw.get(key)
        if value is None:
            if required and key not in raw:
                self.problem(place.path, place.line(), place.field,
                             f"The {what or 'entry'} has no '{key}'.", hint or f"Add '{key}:'.")
            elif required:
                self.problem(place.path, place.line(key), place.field,
                             f"'{key}' is written but left empty.", hint or f"Add '{key}:'.")
            elif key in raw:
                self.problem(place.path, place.line(key), place.field,
                             f"'{key}' is written but left empty.",
                             f"Give it a value or remove the '{key}' line.")
            return None
        if not isinstance(value, str):
            self.problem(place.path, place.line(key), place.field,
                         f"'{key}' must be text, not {kind_of(value)}.",
                         "Put the value in quotes if it is meant as text.")
            return None
        if not value.strip():
            self.problem(place.path, place.line(key), place.field, f"'{key}' is empty.",
                         f"Give it a value or remove the '{key}' line.")
            return None
        return value

    def boolean(self, raw: LocatedMap, key: str, place: Place) -> bool:
        value = raw.get(key, False)
        if isinstance(value, bool):
            return value
        shown = f"'{value}'" if isinstance(value, str) else kind_of(value)
        self.problem(place.path, place.line(key), place.field,
                     f"'{key}' must be true or false, not {shown}.",
                     f"Write '{key}: true' or '{key}: false'.")
        return False

    def local_text(self, raw: LocatedMap, key: str, place: Place, what: str, *,
                   required: bool = False) -> LocalText | None:
        """Read a text written as a string or as a map of language -> string."""
        value = raw.get(key)
        line = place.line(key)
        if value is None:
            if required:
                self.problem(place.path, place.line(), place.field,
                             f"{capital(what)} is missing.",
                             f"Add '{key}:' with the text in each language of the checklist.")
            elif key in raw:
                self.problem(place.path, line, place.field, f"{capital(what)} is empty.",
                             f"Write the text, or remove the '{key}' line.")
            return None
        if isinstance(value, str):
            if not value.strip():
                self.problem(place.path, line, place.field, f"{capital(what)} is empty.",
                             f"Write the text, or remove the '{key}' line.")
                return None
            text = LocalText.of(value, self.default_language)
            self.out.texts.append(TextRef(text, place.path, line, place.field, what, plain=True))
            return text
        if isinstance(value, LocatedMap):
            self.map_fields[id(value)] = place.field
            values: list[tuple[str, str]] = []
            for language, words in value.items():
                at = value.line_of(language)
                if not isinstance(language, str):
                    self.problem(place.path, at, place.field,
                                 f"{capital(what)} has a language written as "
                                 f"{kind_of(language)}.",
                                 "Name each language by its code, such as en or es.")
                elif not LANGUAGE_CODE.match(language):
                    self.problem(place.path, at, place.field,
                                 f"{capital(what)} has an entry '{language}', which is not a "
                                 "language code.",
                                 "A comma inside { } ends a text: put texts that contain commas "
                                 "in quotes, such as {en: 'Ask detainees, not only staff.'}."
                                 if words is None or " " in language else
                                 "Name each language by its code, such as en or es.")
                elif words is None:
                    pass  # an empty text counts as missing: the translation check names it
                elif not isinstance(words, str):
                    self.problem(place.path, at, place.field,
                                 f"The {language} text of {what} must be text, "
                                 f"not {kind_of(words)}.",
                                 "Put it in quotes if it contains ': ' or starts with a symbol.")
                elif words.strip():
                    values.append((language, words))
                # An empty text counts as missing: the translation check names the language.
            text = LocalText(tuple(values))
            self.out.texts.append(TextRef(text, place.path, line, place.field, what, plain=False))
            return text
        self.problem(place.path, line, place.field,
                     f"{capital(what)} must be text or a map of language to text, "
                     f"not {kind_of(value)}.",
                     "Write it as 'text' or as {en: ..., es: ...}.")
        return None

    def expression(self, raw: LocatedMap, key: str, place: Place, *, node: str | None = None,
                   allows_current: bool = False, sensitive: bool = False,
                   required: bool = False, what: str = "") -> str | None:
        """Read an expression's text and keep it for validation (parsed there)."""
        value = raw.get(key)
        if value is None:
            if required and key not in raw:
                self.problem(place.path, place.line(), place.field,
                             f"The {what or 'entry'} has no '{key}' expression.",
                             f"Add '{key}:' with a condition such as \"${{question}} = 'yes'\".")
            elif key in raw:
                self.problem(place.path, place.line(key), place.field,
                             f"'{key}' is written but left empty.",
                             f"Write the expression in quotes, or remove the '{key}' line.")
            return None
        if not isinstance(value, str):
            self.problem(place.path, place.line(key), place.field,
                         f"'{key}' must be an expression written as text, not {kind_of(value)}.",
                         "Write it in quotes, such as \"${question} = 'yes'\".")
            return None
        self.out.expressions.append(ExpressionRef(
            value, place.path, place.line(key), place.field, key, node, allows_current, sensitive))
        return value

    def id_list(self, raw: LocatedMap, key: str, place: Place) -> list[tuple[str, int]]:
        """Read a list of ids (standards), keeping the line of each."""
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, LocatedList):
            self.problem(place.path, place.line(key), place.field,
                         f"'{key}' must be a list, not {kind_of(value)}.",
                         f"Write it as [{value}]." if isinstance(value, str)
                         else "Write it as [first-id, second-id].")
            return []
        found: list[tuple[str, int]] = []
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                found.append((item, value.line_of(index)))
            else:
                self.problem(place.path, value.line_of(index), place.field,
                             f"Entry {index + 1} of '{key}' must be an id written as text, "
                             f"not {kind_of(item)}.", "Write the id, or remove the entry.")
        return found

    def cite_standards(self, raw: LocatedMap, key: str, place: Place, what: str) -> tuple[str, ...]:
        """Read a list of standard ids and keep each for the catalogue check."""
        found = self.id_list(raw, key, place)
        for standard, line in found:
            self.out.standard_refs.append(IdRef(standard, place.path, line, place.field, what))
        return tuple(standard for standard, _ in found)

    def mapping_list(self, raw: LocatedMap, key: str, place: Place) -> LocatedList | None:
        value = raw.get(key)
        if value is None:
            if key in raw:
                self.problem(place.path, place.line(key), place.field,
                             f"'{key}' is written but left empty.",
                             f"List the {key.replace('_', ' ')} under it, or remove the line.")
            return None
        if not isinstance(value, LocatedList):
            self.problem(place.path, place.line(key), place.field,
                         f"'{key}' must be a list (lines starting with '- '), "
                         f"not {kind_of(value)}.", None)
            return None
        return value

    # the checklist

    def checklist(self) -> ParsedChecklist:
        data = self.read(self.path)
        if data is None:
            return self.finish(None)
        if not isinstance(data, LocatedMap):
            self.problem(self.path, getattr(data, "line", 1), None,
                         f"The file holds {kind_of(data)}, not a checklist.",
                         "A checklist file starts with id, version, title and sections.")
            return self.finish(None)
        place = Place(self.path, data, "")
        self.out.place = place
        self.keys(data, CHECKLIST_KEYS, self.path, "", "checklist")
        self.out.languages = self.languages(data, place)
        self.default_language = self.out.languages[0]

        def top(key: str) -> Place:
            return Place(self.path, data, key)

        checklist_id = self.string(data, "id", top("id"), required=True, what="checklist")
        version = data.get("version")
        if "version" not in data:
            self.problem(self.path, data.line, "version", "The checklist has no 'version'.",
                         "Add 'version: 1' (a whole number, raised whenever it changes).")
        title = self.local_text(data, "title", top("title"), "the title", required=True)
        description = self.local_text(data, "description", top("description"),
                                      "the description")
        self.choice_lists(data)
        sections: tuple[Section, ...] = ()
        listed = self.mapping_list(data, "sections", top("sections"))
        if listed is None and "sections" not in data:
            self.problem(self.path, data.line, "sections", "The checklist has no 'sections'.",
                         "Add 'sections:' with at least one section of questions.")
        elif listed is not None:
            if not listed:
                self.problem(self.path, data.line_of("sections"), "sections",
                             "The list of sections is empty.", "Add at least one section.")
            sections = self.sections(listed, self.path, "", None, (self.path.resolve(),))
        red_flags = self.red_flags(data)
        checklist = Checklist(
            id=checklist_id or "",
            version=version if isinstance(version, int) and not isinstance(version, bool) else 0,
            title=title or LocalText(()),
            languages=self.out.languages,
            sections=sections,
            red_flags=red_flags,
            digest=self.digest.hexdigest(),
            source=self.path,
            description=description,
        )
        return self.finish(checklist)

    def finish(self, checklist: Checklist | None) -> ParsedChecklist:
        self.out.checklist = checklist
        self.out.digest = self.digest.hexdigest()
        for document in self.documents:
            if document.error is None:  # a syntax error was reported when the file was read
                self.out.problems.extend(document.problems(lambda m: self.map_fields.get(id(m))))
        return self.out

    def languages(self, data: LocatedMap, place: Place) -> tuple[str, ...]:
        value = data.get("languages")
        if value is None:
            return DEFAULT_LANGUAGES
        if not isinstance(value, LocatedList) or not value:
            shown = "an empty list" if isinstance(value, list) else kind_of(value)
            self.problem(self.path, data.line_of("languages"), "languages",
                         f"'languages' must be a list of language codes, not {shown}.",
                         "Write it as [en, es].")
            return DEFAULT_LANGUAGES
        found = tuple(v for v in value if isinstance(v, str) and v.strip())
        if len(found) != len(value):
            self.problem(self.path, data.line_of("languages"), "languages",
                         "Every entry of 'languages' must be a language code such as en or es.",
                         None)
        return found or DEFAULT_LANGUAGES

    # choice lists

    def choice_lists(self, data: LocatedMap) -> None:
        value = data.get("choice_lists")
        if value is None:
            return
        if not isinstance(value, LocatedMap):
            self.problem(self.path, data.line_of("choice_lists"), "choice_lists",
                         f"'choice_lists' must map list names to lists of choices, "
                         f"not {kind_of(value)}.", None)
            return
        self.map_fields[id(value)] = "choice_lists"
        for name, items in value.items():
            where = f"choice_lists[{name}]"
            line = value.line_of(name)
            if not isinstance(name, str):
                self.problem(self.path, line, where,
                             f"The choice list name {name!r} is {kind_of(name)}, not a name.",
                             "Name the list with letters, digits and _.")
                continue
            if not isinstance(items, LocatedList):
                self.problem(self.path, line, where,
                             f"The choice list '{name}' must be a list of choices, "
                             f"not {kind_of(items)}.",
                             "Write each choice on its own line as - {code: ..., label: ...}.")
                self.out.choice_lists[name] = ChoiceSet(f"the choice list '{name}'", self.path,
                                                        where, [], line, named=True)
                continue
            choice_set = self.choices(items, self.path, where, f"the choice list '{name}'", line,
                                      sensitive=False)
            choice_set.named = True
            self.out.choice_lists[name] = choice_set

    def choices(self, items: LocatedList, path: Path, where: str, title: str, line: int, *,
                sensitive: bool) -> ChoiceSet:
        choice_set = ChoiceSet(title, path, where, [], line, sensitive)
        for index, item in enumerate(items):
            at = items.line_of(index)
            if not isinstance(item, LocatedMap):
                shown = "" if sensitive or not isinstance(item, str) else f" ('{item}')"
                self.problem(path, at, where,
                             f"Choice {index + 1}{shown} must be a mapping with a code and a "
                             f"label, not {kind_of(item)}.",
                             "Write it as - {code: daily, label: {en: Every day, es: Todos los "
                             "días}}.")
                continue
            place = Place(path, item, where)
            self.keys(item, CHOICE_KEYS, path, where, "choice")
            code = item.get("code")
            if code is None:
                self.problem(path, at, where, f"Choice {index + 1} has no code.",
                             "Add 'code:' with the value answers will store.")
                continue
            if not isinstance(code, str):
                self.problem(path, item.line_of("code"), where,
                             f"The code of choice {index + 1} is {kind_of(code)}; choice codes "
                             "are text.",
                             "Put the code in quotes (code: '...') so that it stays exactly as "
                             "written.")
                continue
            if not code.strip():
                self.problem(path, item.line_of("code"), where,
                             f"The code of choice {index + 1} is empty.", "Write a code.")
                continue
            shown = f"choice {index + 1}" if sensitive else f"choice '{code}'"
            label = self.local_text(item, "label", place, f"the label of {shown}", required=True)
            choice_set.items.append((Choice(code, label or LocalText(())), at))
        if not items:
            self.problem(path, line, where, f"{capital(title)} has no choices.",
                         "Add at least two choices.")
        self.out.choice_sets.append(choice_set)
        return choice_set

    # sections

    def sections(self, items: LocatedList, path: Path, prefix: str, parent_id: str | None,
                 stack: tuple[Path, ...]) -> tuple[Section, ...]:
        built: list[Section] = []
        for index, item in enumerate(items):
            at = items.line_of(index)
            if isinstance(item, LocatedMap) and "include" in item:
                section = self.include(item, path, f"{prefix}sections[{index}]", prefix,
                                       parent_id, stack)
            elif isinstance(item, LocatedMap):
                section = self.section(item, path, prefix, index, parent_id, stack)
            else:
                self.problem(path, at, f"{prefix}sections[{index}]",
                             f"Section {index + 1} must be a mapping (id, title, questions) or "
                             f"an include, not {kind_of(item)}.", None)
                section = None
            if section is not None:
                built.append(section)
        return tuple(built)

    def include(self, item: LocatedMap, path: Path, where: str, prefix: str,
                parent_id: str | None, stack: tuple[Path, ...]) -> Section | None:
        self.keys(item, ("include",), path, where, "section include")
        name = item.get("include")
        line = item.line_of("include")
        if not isinstance(name, str) or not name.strip():
            self.problem(path, line, where,
                         f"'include' must name a YAML file in the checklist's folder, "
                         f"not {kind_of(name)}.", "Write it as - include: health.yaml")
            return None
        target = self.folder / name
        folder = self.folder.resolve()
        resolved = target.resolve()
        if Path(name).is_absolute() or not resolved.is_relative_to(folder):
            self.problem(path, line, where,
                         f"The include '{name}' points outside the checklist's folder.",
                         "Keep the section files in the same folder as the checklist and name "
                         "them without '..' or a leading '/'.")
            return None
        earlier = self.included.get(resolved)
        if earlier is not None and resolved not in stack:
            self.problem(path, line, where,
                         f"The file '{name}' is already included on line {earlier[1]}"
                         + ("" if earlier[0] == path else f" of {earlier[0].name}") + ".",
                         "Include each section file once.")
            return None
        self.included.setdefault(resolved, (path, line))
        if resolved in stack:
            chain = " -> ".join(p.name for p in (*stack[stack.index(resolved):], resolved))
            self.problem(path, line, where,
                         f"The include of '{name}' makes a loop: {chain}.",
                         "Remove the include that leads back to a file already being read.")
            return None
        data = self.read(target, line_in_parent=line, parent=path, where=where)
        if data is None:
            return None
        if not isinstance(data, LocatedMap):
            self.problem(target, getattr(data, "line", 1), None,
                         f"The included file holds {kind_of(data)}, not a section.",
                         "An included file holds one section: id, title and questions.")
            return None
        if "include" in data:
            self.problem(target, data.line_of("include"), None,
                         "An included file must hold a section, not another include.",
                         "Move the include into the 'sections' list of a section.")
            return None
        return self.section(data, target, prefix, 0, parent_id, (*stack, resolved))

    def section(self, raw: LocatedMap, path: Path, prefix: str, index: int,
                parent_id: str | None, stack: tuple[Path, ...]) -> Section:
        raw_id = raw.get("id")
        section_id = raw_id if isinstance(raw_id, str) and raw_id.strip() else None
        where = f"{prefix}sections[{section_id if section_id else index}]"
        place = Place(path, raw, where)
        self.keys(raw, SECTION_KEYS, path, where, "section")
        self.string(raw, "id", place, required=True, what="section")
        title = self.local_text(raw, "title", Place(path, raw, f"{where}.title"), "the title",
                                required=True)
        area = self.string(raw, "area", place)
        if area is not None:
            self.out.area_refs.append(IdRef(area, path, place.line("area"), where, "section"))
        help_text = self.local_text(raw, "help", Place(path, raw, f"{where}.help"), "the help text")
        relevant = self.expression(raw, "relevant", Place(path, raw, f"{where}.relevant"),
                                   node=f"s:{section_id}" if section_id else None)
        children: tuple[Section, ...] = ()
        nested = self.mapping_list(raw, "sections", Place(path, raw, f"{where}.sections"))
        if nested is not None:
            children = self.sections(nested, path, f"{where}.", section_id, stack)
        questions: list[Question] = []
        listed = self.mapping_list(raw, "questions", Place(path, raw, f"{where}.questions"))
        if listed is not None:
            for position, item in enumerate(listed):
                if not isinstance(item, LocatedMap):
                    self.problem(path, listed.line_of(position), f"{where}.questions[{position}]",
                                 f"Question {position + 1} must be a mapping (id, type, label), "
                                 f"not {kind_of(item)}.", None)
                    continue
                entry = self.question(item, path, where, position, section_id or "")
                questions.append(entry.question)
        if "questions" not in raw and "sections" not in raw:
            self.problem(path, raw.line, where, "The section has no questions.",
                         "Add 'questions:' with at least one question, or remove the section.")
        elif listed is not None and not listed and not children:
            self.problem(path, place.line("questions"), where, "The list of questions is empty.",
                         "Add at least one question, or remove the section.")
        section = Section(
            id=section_id or "",
            title=title or LocalText(()),
            area=area,
            help=help_text,
            relevant=relevant,
            questions=tuple(questions),
            sections=children,
            parent_id=parent_id,
            line=raw.line,
            source=path,
        )
        self.out.sections.append(SectionEntry(section, place))
        return section

    # questions

    def question(self, raw: LocatedMap, path: Path, section_field: str, index: int,
                 section_id: str) -> QuestionEntry:
        raw_id = raw.get("id")
        question_id = raw_id if isinstance(raw_id, str) and raw_id.strip() else None
        where = question_id or f"{section_field}.questions[{index}]"
        place = Place(path, raw, where)
        self.keys(raw, QUESTION_KEYS, path, where, "question")
        self.string(raw, "id", place, required=True, what="question")
        sensitive = self.boolean(raw, "sensitive", place)
        kind, type_known = self.question_type(raw, place)
        label = self.local_text(raw, "label", place, "the label", required=True)
        help_text = self.local_text(raw, "help", place, "the help text")
        required = self.boolean(raw, "required", place)
        node = f"q:{question_id}" if question_id else None
        relevant = self.expression(raw, "relevant", place, node=node, sensitive=sensitive)
        constraint = self.expression(raw, "constraint", place, allows_current=True,
                                     sensitive=sensitive)
        message = self.local_text(raw, "constraint_message", place, "the constraint message")
        calculation = self.expression(raw, "calculation", place, node=node, sensitive=sensitive)
        standards = self.cite_standards(raw, "standards", place, "question")
        indicator = self.string(raw, "indicator", place)
        unit = self.string(raw, "unit", place)
        choices, list_name = self.question_choices(raw, place, kind, question_id or "",
                                                   sensitive)
        rule = self.rule(raw, place, standards, sensitive)
        question = Question(
            id=question_id or "",
            type=kind,
            label=label or LocalText(()),
            section_id=section_id,
            help=help_text,
            required=required,
            relevant=relevant,
            constraint=constraint,
            constraint_message=message,
            choices=choices,
            standards=standards,
            sensitive=sensitive,
            indicator=indicator,
            rule=rule,
            calculation=calculation,
            unit=unit,
            line=raw.line,
            source=path,
        )
        entry = QuestionEntry(question, place, type_known, list_name, "choices" in raw)
        self.out.questions.append(entry)
        return entry

    def question_type(self, raw: LocatedMap, place: Place) -> tuple[QuestionType, bool]:
        """The question's type; an unknown one is reported and stands in as ``text``."""
        value = raw.get("type")
        if value in QUESTION_TYPES:
            return QuestionType(value), True
        if value is None:
            self.problem(place.path, place.line("type") if "type" in raw else place.line(),
                         place.field, "The question has no type.",
                         f"Add 'type:' with one of: {', '.join(QUESTION_TYPES)}.")
        else:
            self.problem(place.path, place.line("type"), place.field,
                         f"Unknown question type '{value}'.",
                         did_you_mean(value, QUESTION_TYPES,
                                      f"Use one of: {', '.join(QUESTION_TYPES)}."))
        return QuestionType.TEXT, False

    def question_choices(self, raw: LocatedMap, place: Place, kind: QuestionType,
                         question_id: str, sensitive: bool
                         ) -> tuple[tuple[Choice, ...], str | None]:
        value = raw.get("choices")
        if value is None:
            return BUILT_IN_CHOICES.get(kind, ()), None
        if isinstance(value, str):
            known = self.out.choice_lists.get(value)
            choices = tuple(c for c, _ in known.items) if known else ()
            return choices, value
        if isinstance(value, LocatedList):
            choice_set = self.choices(value, place.path, place.field, "the list of choices",
                                      place.line("choices"), sensitive=sensitive)
            return tuple(c for c, _ in choice_set.items), None
        self.problem(place.path, place.line("choices"), place.field,
                     f"'choices' must be a list of choices or the name of a list in "
                     f"choice_lists, not {kind_of(value)}.", None)
        return (), None

    def rule(self, raw: LocatedMap, place: Place, question_standards: tuple[str, ...],
             sensitive: bool) -> RuleSpec | None:
        value = raw.get("rule")
        if value is None:
            if "rule" in raw:
                self.problem(place.path, place.line("rule"), place.field,
                             "'rule' is written but left empty.",
                             "Write the rule, such as {kind: map, values: {...}}, or remove it.")
            return None
        if not isinstance(value, LocatedMap):
            self.problem(place.path, place.line("rule"), place.field,
                         f"The rule must be a mapping, not {kind_of(value)}.",
                         "Write it as {kind: map, values: {'yes': compliant, 'no': "
                         "non_compliant}}.")
            return None
        self.map_fields[id(value)] = place.field
        rule_place = Place(place.path, value, place.field)
        kind = value.get("kind")
        own = tuple(standard for standard, _ in self.id_list(value, "standards", rule_place))
        severity = value.get("severity", DEFAULT_RULE_SEVERITY)
        params = {k: v for k, v in value.items() if k not in RULE_KEYS}
        if kind == "expression":
            for key in RULE_EXPRESSION_PARAMS:
                self.expression(value, key, rule_place, allows_current=True, sensitive=sensitive)
        return RuleSpec(
            kind=kind if isinstance(kind, str) else "",
            params=params,
            standards=own or question_standards,
            severity=severity if isinstance(severity, str) else str(severity),
            line=value.line,
        )

    # red flags

    def red_flags(self, data: LocatedMap) -> tuple[RedFlag, ...]:
        listed = self.mapping_list(data, "red_flags", Place(self.path, data, "red_flags"))
        if listed is None:
            return ()
        built: list[RedFlag] = []
        for index, item in enumerate(listed):
            if not isinstance(item, LocatedMap):
                self.problem(self.path, listed.line_of(index), f"red_flags[{index}]",
                             f"Red flag {index + 1} must be a mapping (id, severity, label, when), "
                             f"not {kind_of(item)}.", None)
                continue
            raw_id = item.get("id")
            flag_id = raw_id if isinstance(raw_id, str) and raw_id.strip() else None
            where = f"red_flags[{flag_id or index}]"
            place = Place(self.path, item, where)
            self.keys(item, RED_FLAG_KEYS, self.path, where, "red flag")
            self.string(item, "id", place, required=True, what="red flag")
            severity = self.string(item, "severity", place, required=True, what="red flag",
                                   hint=f"Add 'severity:' with one of: {', '.join(SEVERITIES)}.")
            label = self.local_text(item, "label", place, "the label", required=True)
            when = self.expression(item, "when", Place(self.path, item, f"{where}.when"),
                                   required=True, what="red flag")
            standards = self.cite_standards(item, "standards", place, "red flag")
            flag = RedFlag(
                id=flag_id or "",
                severity=severity or "",
                label=label or LocalText(()),
                when=when or "",
                standards=standards,
                line=item.line,
            )
            self.out.red_flags.append(RedFlagEntry(flag, place))
            built.append(flag)
        return tuple(built)


def parse_checklist(path: Path) -> ParsedChecklist:
    """Read the checklist file *path* and every file it includes.

    Never raises for what the files contain: every fault becomes a :class:`Problem` in
    ``problems``, and the model is built as far as it can be (``checklist`` is ``None`` only
    when the top of the file could not be read). Run :func:`monitor.checklists.validate.validate`
    on the result for the checks that need the whole checklist.

    :param path: the checklist file, as the caller names it (problems carry paths built from it).
    :returns: the model, the problems and where each part was written.
    """
    return _Reader(Path(path)).checklist()
