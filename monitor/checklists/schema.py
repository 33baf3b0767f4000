"""The checklist model: immutable objects built from the YAML definitions.

A :class:`Checklist` is what every other part of the system reads: the web form is built from
it, the compliance engine judges answers with it, the exporters name columns after it. Nothing
here knows about files, Flask or the database.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any


class QuestionType(enum.StrEnum):
    """The kinds of question a checklist can ask."""

    YES_NO = "yes_no"
    YES_NO_PARTLY_NA = "yes_no_partly_na"
    INTEGER = "integer"
    DECIMAL = "decimal"
    TEXT = "text"
    LONG_TEXT = "long_text"
    SELECT_ONE = "select_one"
    SELECT_MANY = "select_many"
    DATE = "date"
    CALCULATE = "calculate"


#: Types whose answer is one of a fixed set of codes.
CHOICE_TYPES = frozenset(
    {QuestionType.YES_NO, QuestionType.YES_NO_PARTLY_NA, QuestionType.SELECT_ONE,
     QuestionType.SELECT_MANY}
)
NUMBER_TYPES = frozenset({QuestionType.INTEGER, QuestionType.DECIMAL})

#: The statuses a compliance rule can give, from best to worst (``not_assessed`` aside).
STATUSES = ("compliant", "partially_compliant", "non_compliant", "not_assessed")
SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class LocalText:
    """A text in one or more languages (``{"en": ..., "es": ...}``)."""

    values: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, value: str | Mapping[str, str], default_language: str = "en") -> LocalText:
        """Build from a plain string (taken as *default_language*) or a language map."""
        if isinstance(value, str):
            return cls(((default_language, value),))
        return cls(tuple((str(k), str(v)) for k, v in value.items()))

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(lang for lang, _ in self.values)

    def get(self, language: str = "en", fallback: str = "en") -> str:
        """Return the text in *language*, else in *fallback*, else the first one written."""
        found = dict(self.values)
        return found.get(language) or found.get(fallback) or (self.values[0][1] if self.values else "")

    def __str__(self) -> str:
        return self.get()


@dataclass(frozen=True)
class Choice:
    """One possible answer of a choice question."""

    code: str
    label: LocalText


@dataclass(frozen=True)
class RuleSpec:
    """How an answer maps to a compliance status, as written in the checklist.

    ``params`` holds the kind's own parameters (``values`` for ``map``; ``operator``, ``value``,
    ``standard`` and ``partial`` for ``threshold``; ``compliant`` and ``partial`` for
    ``expression``). ``standards`` are the standards judged (the question's own when the rule
    does not name any).
    """

    kind: str
    params: Mapping[str, Any]
    standards: tuple[str, ...]
    severity: str = "medium"
    line: int | None = None


@dataclass(frozen=True)
class Question:
    """One question of a checklist (or one computed value)."""

    id: str
    type: QuestionType
    label: LocalText
    section_id: str
    help: LocalText | None = None
    required: bool = False
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: LocalText | None = None
    choices: tuple[Choice, ...] = ()
    standards: tuple[str, ...] = ()
    sensitive: bool = False
    indicator: str | None = None
    rule: RuleSpec | None = None
    calculation: str | None = None
    unit: str | None = None
    line: int | None = None
    source: Path | None = None

    @property
    def is_computed(self) -> bool:
        return self.type is QuestionType.CALCULATE

    def choice_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.choices)

    def choice_label(self, code: str, language: str = "en") -> str:
        for choice in self.choices:
            if choice.code == code:
                return choice.label.get(language)
        return code


@dataclass(frozen=True)
class Section:
    """A group of questions about one monitoring sub-area; sections may nest."""

    id: str
    title: LocalText
    area: str | None = None
    help: LocalText | None = None
    relevant: str | None = None
    questions: tuple[Question, ...] = ()
    sections: tuple[Section, ...] = ()
    parent_id: str | None = None
    line: int | None = None
    source: Path | None = None

    def walk(self) -> Iterator[Section]:
        """Yield this section and every section below it, depth first."""
        yield self
        for child in self.sections:
            yield from child.walk()


@dataclass(frozen=True)
class RedFlag:
    """A grave situation, raised when its expression is true for a visit's answers."""

    id: str
    severity: str
    label: LocalText
    when: str
    standards: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Checklist:
    """A complete, validated checklist definition at one version."""

    id: str
    version: int
    title: LocalText
    languages: tuple[str, ...]
    sections: tuple[Section, ...]
    red_flags: tuple[RedFlag, ...] = ()
    digest: str = ""
    source: Path | None = None
    description: LocalText | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (self.id, self.version)

    def all_sections(self) -> Iterator[Section]:
        """Every section, parents before their children, in document order."""
        for section in self.sections:
            yield from section.walk()

    def questions(self) -> Iterator[Question]:
        """Every question (computed values included) in document order."""
        for section in self.all_sections():
            yield from section.questions

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions()}

    @cached_property
    def section_by_id(self) -> dict[str, Section]:
        return {s.id: s for s in self.all_sections()}

    def question(self, question_id: str) -> Question:
        """Return the question *question_id*; :raises KeyError: there is none."""
        return self.by_id[question_id]

    @property
    def question_count(self) -> int:
        return len(self.by_id)

    def section_chain(self, section_id: str) -> list[Section]:
        """Return the section and its ancestors, outermost first."""
        chain: list[Section] = []
        current: str | None = section_id
        while current is not None:
            section = self.section_by_id[current]
            chain.append(section)
            current = section.parent_id
        return list(reversed(chain))

    def area_of(self, question_id: str) -> str | None:
        """Return the monitoring (sub-)area of the innermost section holding the question."""
        for section in reversed(self.section_chain(self.by_id[question_id].section_id)):
            if section.area:
                return section.area
        return None

    def sensitive_ids(self) -> frozenset[str]:
        return frozenset(q.id for q in self.questions() if q.sensitive)
