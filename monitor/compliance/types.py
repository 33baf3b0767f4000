"""What the compliance engine produces: statuses, severities, evidence, findings and ratings.

Everything here is immutable and free of Flask and SQLAlchemy; services store these objects as
rows, reports and pages read them. Evidence never holds the answer to a sensitive question:
:class:`Evidence` keeps only the question id and the status for those.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.checklists.schema import LocalText

if TYPE_CHECKING:
    from monitor.compliance.standards import Catalogue, Threshold

__all__ = [
    "RATING_LABELS",
    "AreaResult",
    "Evidence",
    "FindingResult",
    "RedFlagResult",
    "Severity",
    "Status",
    "VisitEvaluation",
    "format_value",
]


class Status(enum.StrEnum):
    """How far a visit's answers show a standard to be met.

    :attr:`rank` orders the statuses from worst to best: ``non_compliant`` (0),
    ``partially_compliant`` (1), ``compliant`` (2). ``not_assessed`` (3) sorts after them all
    but is not "better": it means nobody knows, and it never wins a "worst status" contest.
    """

    COMPLIANT = "compliant"
    PARTIALLY_COMPLIANT = "partially_compliant"
    NON_COMPLIANT = "non_compliant"
    NOT_ASSESSED = "not_assessed"

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]

    @property
    def is_assessed(self) -> bool:
        return self is not Status.NOT_ASSESSED

    @classmethod
    def worst_first(cls) -> tuple[Status, ...]:
        """The assessed statuses from worst to best, then ``not_assessed``."""
        return (cls.NON_COMPLIANT, cls.PARTIALLY_COMPLIANT, cls.COMPLIANT, cls.NOT_ASSESSED)

    @classmethod
    def worst(cls, statuses: Iterable[Status]) -> Status:
        """Return the worst assessed status, or ``not_assessed`` when none is assessed."""
        return min(statuses, key=_STATUS_RANK.__getitem__, default=cls.NOT_ASSESSED)

    def label(self, language: str = "en") -> str:
        """The status in words (``Not met``, ``No se cumple``)."""
        return _STATUS_LABELS[self].get(language)


_STATUS_RANK = {Status.NON_COMPLIANT: 0, Status.PARTIALLY_COMPLIANT: 1, Status.COMPLIANT: 2,
                Status.NOT_ASSESSED: 3}
_STATUS_LABELS = {
    Status.COMPLIANT: LocalText((("en", "Met"), ("es", "Se cumple"))),
    Status.PARTIALLY_COMPLIANT: LocalText((("en", "Partly met"), ("es", "Se cumple en parte"))),
    Status.NON_COMPLIANT: LocalText((("en", "Not met"), ("es", "No se cumple"))),
    Status.NOT_ASSESSED: LocalText((("en", "Not assessed"), ("es", "No evaluado"))),
}


class Severity(enum.StrEnum):
    """How serious a breach is; :attr:`rank` runs from ``low`` (0) to ``critical`` (3)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def label(self, language: str = "en") -> str:
        return _SEVERITY_LABELS[self].get(language)


_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}
_SEVERITY_LABELS = {
    Severity.LOW: LocalText((("en", "low"), ("es", "baja"))),
    Severity.MEDIUM: LocalText((("en", "medium"), ("es", "media"))),
    Severity.HIGH: LocalText((("en", "high"), ("es", "alta"))),
    Severity.CRITICAL: LocalText((("en", "critical"), ("es", "crítica"))),
}

#: The four-point rating scale of an area (4 is best).
RATING_LABELS: Mapping[int, LocalText] = {
    4: LocalText((("en", "good"), ("es", "bueno"))),
    3: LocalText((("en", "reasonably good"), ("es", "razonablemente bueno"))),
    2: LocalText((("en", "not sufficiently good"), ("es", "no suficientemente bueno"))),
    1: LocalText((("en", "poor"), ("es", "deficiente"))),
}


def format_value(value: Any, unit: str | None = None) -> str:
    """Write an answer for a sentence: numbers without noise, codes in quotes, a unit after.

    :param value: an answer or computed value (never a sensitive one).
    :param unit: the question's unit, shown after a number.
    """
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".") if value == value else "NaN"
    elif isinstance(value, (list, tuple)):
        return ", ".join(f"'{item}'" for item in value) or "nothing"
    else:
        return f"'{value}'"
    return f"{text} {unit}" if unit else text


@dataclass(frozen=True, slots=True)
class Evidence:
    """One answer (or computed value) and what a rule made of it.

    ``answer`` is ``None`` when the question is sensitive (or was not answered): sensitive
    values never travel in evidence. ``threshold_text`` says the compliant condition of a
    threshold rule in English (``at least 1 hour/day``); ``threshold`` and ``partial`` let a
    report say it in another language. ``from_standard`` tells whether the threshold is the
    catalogue's own (``standard:`` in the rule) rather than one the checklist wrote.
    """

    question_id: str
    answer: Any
    status: Status
    rule_kind: str
    threshold_text: str | None
    sensitive: bool
    severity: Severity = Severity.MEDIUM
    unit: str | None = None
    threshold: Threshold | None = None
    partial: Threshold | None = None
    from_standard: bool = False

    def answer_text(self, language: str = "en") -> str:
        """The answer as a sentence shows it; a sensitive one is withheld."""
        if self.sensitive:
            return "respuesta confidencial" if language == "es" else "confidential answer"
        if self.answer is None:
            return "sin respuesta" if language == "es" else "no answer"
        return format_value(self.answer, self.unit)

    def condition_text(self, language: str = "en") -> str | None:
        """The compliant condition in *language* (``None`` for rules without a threshold)."""
        if self.threshold is None:
            return None
        return self.threshold.describe(language).strip()


def _citation(catalogue: Catalogue, standard_id: str, language: str) -> str:
    standard = catalogue.standards.get(standard_id)
    return standard.citation(language, flag_uncertain=True) if standard else standard_id


_FINDING_WORDS = {
    "en": {"question": "question", "questions": "questions", "asks": "the standard asks for",
           "checklist_asks": "the checklist asks for", "unanswered":
           "no answer could be judged (questions {ids})", "partly_from": "partly met from"},
    "es": {"question": "pregunta", "questions": "preguntas", "asks": "la norma exige",
           "checklist_asks": "la lista de verificación exige", "unanswered":
           "ninguna respuesta pudo evaluarse (preguntas {ids})", "partly_from":
           "cumplimiento parcial desde"},
}


@dataclass(frozen=True, slots=True)
class FindingResult:
    """A visit's verdict on one standard, with the evidence behind it.

    ``evidence`` holds one item per rule that judges the standard, in checklist order; the
    decisive ones are those whose status equals the finding's (:meth:`decisive`).
    """

    standard_id: str
    area_id: str | None
    status: Status
    severity: Severity
    evidence: tuple[Evidence, ...]

    def decisive(self) -> tuple[Evidence, ...]:
        """The evidence that produced the finding's status (all of it when not assessed)."""
        if self.status is Status.NOT_ASSESSED:
            return self.evidence
        return tuple(item for item in self.evidence if item.status is self.status)

    def text(self, catalogue: Catalogue, language: str = "en") -> str:
        """Say the finding as a sentence citing the standard from the catalogue.

        For example: ``Not met: Nelson Mandela Rules, Rule 23(1) — 0.5 hours/day (question
        outdoor_hours_per_day); the standard asks for at least 1 hour/day.``

        :param catalogue: where the citation comes from.
        :param language: ``en`` or ``es`` (anything else gets English).
        """
        head = f"{self.status.label(language)}: {_citation(catalogue, self.standard_id, language)}"
        return f"{head} — {self.evidence_text(language)}."

    def evidence_text(self, language: str = "en") -> str:
        """The decisive answers and, for a breach, what the threshold asks (no final stop)."""
        words = _FINDING_WORDS.get(language, _FINDING_WORDS["en"])
        if self.status is Status.NOT_ASSESSED:
            ids = ", ".join(item.question_id for item in self.evidence)
            return words["unanswered"].format(ids=ids)
        decisive = self.decisive()
        sentence = "; ".join(f"{item.answer_text(language)} ({words['question']} "
                             f"{item.question_id})" for item in decisive)
        with_threshold = next((item for item in decisive if item.threshold is not None), None)
        if with_threshold is not None and self.status is not Status.COMPLIANT:
            asks = words["asks"] if with_threshold.from_standard else words["checklist_asks"]
            sentence += f"; {asks} {with_threshold.condition_text(language)}"
            if with_threshold.partial is not None:
                sentence += (f" ({words['partly_from']} "
                             f"{with_threshold.partial.describe(language).strip()})")
        return sentence


@dataclass(frozen=True, slots=True)
class RedFlagResult:
    """A grave situation found at a visit.

    ``evidence`` lists the answers the red flag's condition read, with the status each
    question's own rule gave (``not_assessed`` for questions without a rule).
    """

    code: str
    severity: Severity
    label: LocalText
    evidence: tuple[Evidence, ...]
    standards: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AreaResult:
    """The score and rating of one monitoring area or sub-area for a visit.

    ``score`` is ``(met + 0.5 × partly met) / assessed`` (``None`` when nothing is assessed).
    ``standards_total`` counts the standards of the area the checklist judges,
    ``standards_asked`` those with at least one question actually asked (not skipped, inside
    the visit's sections), ``standards_assessed`` those with a status, and ``assessed_share``
    is assessed ÷ asked. ``rating`` is 4 (good) to 1 (poor), ``None`` when not rated;
    ``rating_reason`` says which rule gave it.
    """

    area_id: str
    level: str  # 'area' or 'subarea'
    score: float | None
    assessed_share: float | None
    standards_assessed: int
    standards_total: int
    standards_met: int
    rating: int | None
    rating_reason: LocalText
    standards_partly: int = 0
    standards_asked: int = 0

    @property
    def rating_rule(self) -> str:
        """Which rule produced the rating, in English."""
        return self.rating_reason.get("en")

    def rating_rule_in(self, language: str) -> str:
        """Which rule produced the rating, in *language* (English when missing)."""
        return self.rating_reason.get(language)

    def rating_label(self, language: str = "en") -> str | None:
        return RATING_LABELS[self.rating].get(language) if self.rating is not None else None


@dataclass(frozen=True)
class VisitEvaluation:
    """Everything the engine concludes from one visit's answers.

    ``values`` are the answers left after skip logic plus the computed values (internal: they
    may include sensitive answers and must never be published as they are); ``indicators``
    maps indicator names to values of non-sensitive questions; ``relevant`` holds the ids of
    the questions that were asked. Findings, red flags and areas are in a fixed order: areas
    in catalogue order, findings by area then catalogue order, red flags in checklist order.
    """

    findings: tuple[FindingResult, ...]
    red_flags: tuple[RedFlagResult, ...]
    areas: tuple[AreaResult, ...]
    score_overall: float | None
    share_assessed: float | None
    standards_met: int
    standards_assessed: int
    indicators: dict[str, Any]
    values: dict[str, Any] = field(repr=False)  # may hold sensitive answers: never in a log
    relevant: frozenset[str] = frozenset()
    standards_partly: int = 0
    standards_asked: int = 0
    standards_total: int = 0

    def finding(self, standard_id: str) -> FindingResult:
        """Return the finding on *standard_id*; :raises KeyError: the checklist does not judge it."""
        for finding in self.findings:
            if finding.standard_id == standard_id:
                return finding
        raise KeyError(f"The checklist judges no standard '{standard_id}'.")

    def area(self, area_id: str) -> AreaResult:
        """Return the result of an area or sub-area; :raises KeyError: there is none."""
        for area in self.areas:
            if area.area_id == area_id:
                return area
        raise KeyError(f"There is no monitoring area '{area_id}' in this evaluation.")
