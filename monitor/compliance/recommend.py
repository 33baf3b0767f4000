"""Draft recommendations from a visit's findings, for the team to edit before a report.

One suggestion per finding that is not met or only partly met. The text restates the standard
in the catalogue's own paraphrase and names the answers that fell short; the team rewrites it in
their voice, adds the addressee and a due date. Nothing is sent anywhere from here.

Priority
--------
From the finding's severity: ``critical`` → ``urgent``, ``high`` → ``high``, ``medium`` →
``medium``, ``low`` → ``low``. A partly met standard is one step less pressing than a breach of
the same severity (never below ``low``). A standard cited by a raised red flag is at least as
pressing as the flag: ``urgent`` for a critical flag, ``high`` otherwise.

Order
-----
Grouped by monitoring area (the catalogue's order), most pressing first within an area, then in
the order of the findings — so a report can print them area by area.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from monitor.checklists.schema import LocalText
from monitor.compliance.standards import Catalogue
from monitor.compliance.types import FindingResult, Severity, Status, VisitEvaluation

__all__ = ["PRIORITIES", "SuggestedRecommendation", "suggest", "suggest_recommendations"]

#: Priorities from most to least pressing.
PRIORITIES: tuple[str, ...] = ("urgent", "high", "medium", "low")
_FROM_SEVERITY = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


def _text(en: str, es: str) -> LocalText:
    return LocalText((("en", en), ("es", es)))


#: Who usually acts on a recommendation, by top-level monitoring area.
ADDRESSEES: dict[str, LocalText] = {
    "proc": _text("the immigration authority and the authority that orders detention",
                  "la autoridad migratoria y la autoridad que ordena la detención"),
    "treat": _text("the facility's management and the authority responsible for oversight",
                   "la dirección del centro y la autoridad responsable de su supervisión"),
    "cond": _text("the facility's management and the authority that funds the facility",
                  "la dirección del centro y la autoridad que lo financia"),
    "regime": _text("the facility's management", "la dirección del centro"),
    "health": _text("the facility's health service and the health authority",
                    "el servicio médico del centro y la autoridad sanitaria"),
    "staff": _text("the facility's management and the operator that employs its staff",
                   "la dirección del centro y la entidad que emplea a su personal"),
    "vuln": _text("the immigration authority, with child-protection and social services",
                  "la autoridad migratoria, con los servicios de protección de la infancia y "
                  "sociales"),
}
_DEFAULT_ADDRESSEE = _text("the facility's management", "la dirección del centro")

_WORDS = {
    "en": {
        Status.NON_COMPLIANT: "Bring practice into line with {citation}: {paraphrase} "
                              "At this visit: {evidence}.",
        Status.PARTIALLY_COMPLIANT: "Complete the measures needed to meet {citation}: "
                                    "{paraphrase} At this visit it was only partly met: "
                                    "{evidence}.",
    },
    "es": {
        Status.NON_COMPLIANT: "Ajustar la práctica a {citation}: {paraphrase} "
                              "En esta visita: {evidence}.",
        Status.PARTIALLY_COMPLIANT: "Completar las medidas necesarias para cumplir {citation}: "
                                    "{paraphrase} En esta visita se cumplió solo en parte: "
                                    "{evidence}.",
    },
}


@dataclass(frozen=True, slots=True)
class SuggestedRecommendation:
    """A draft recommendation: what to change, how pressing it is, and whom it is for."""

    standard_id: str
    area_id: str | None
    text: str
    priority: str
    addressee_hint: str


def suggest_recommendations(evaluation: VisitEvaluation, catalogue: Catalogue,
                            language: str = "en") -> list[SuggestedRecommendation]:
    """Draft one recommendation per standard not met or only partly met at a visit.

    :param evaluation: what :func:`monitor.compliance.engine.evaluate` returned.
    :param catalogue: the standards catalogue (citations and paraphrases).
    :param language: ``en`` or ``es`` (anything else gets English).
    :returns: the suggestions, grouped by area and most pressing first within an area.
    """
    flags = [(flag.severity, flag.standards) for flag in evaluation.red_flags]
    return suggest(evaluation.findings, flags, catalogue, language)


def suggest(findings: Iterable[FindingResult], red_flags: Iterable[tuple[Any, Iterable[str]]],
            catalogue: Catalogue, language: str = "en") -> list[SuggestedRecommendation]:
    """Draft the suggestions from findings and raised red flags (live or read back from storage).

    :param findings: the visit's findings, in checklist order (only unmet ones are used).
    :param red_flags: ``(severity, cited standard ids)`` of each red flag raised.
    """
    if language not in _WORDS:
        language = "en"
    floors = _red_flag_floors(red_flags)
    area_rank = _area_rank(catalogue)
    drafted: list[tuple[int, int, int, SuggestedRecommendation]] = []
    for position, finding in enumerate(findings):
        if finding.status not in (Status.NON_COMPLIANT, Status.PARTIALLY_COMPLIANT):
            continue
        urgency = _urgency(finding, floors.get(finding.standard_id))
        top = _top_area(catalogue, finding.area_id)
        addressee = ADDRESSEES.get(top or "", _DEFAULT_ADDRESSEE).get(language)
        suggestion = SuggestedRecommendation(
            standard_id=finding.standard_id, area_id=finding.area_id,
            text=_draft(finding, catalogue, language), priority=PRIORITIES[urgency],
            addressee_hint=addressee)
        drafted.append((area_rank.get(top or "", len(area_rank)), urgency, position, suggestion))
    drafted.sort(key=lambda item: item[:3])
    return [item[3] for item in drafted]


def _urgency(finding: FindingResult, floor: int | None) -> int:
    urgency = _FROM_SEVERITY[finding.severity]
    if finding.status is Status.PARTIALLY_COMPLIANT:
        urgency = min(urgency + 1, len(PRIORITIES) - 1)
    if floor is not None:
        urgency = min(urgency, floor)
    return urgency


def _red_flag_floors(red_flags: Iterable[tuple[Any, Iterable[str]]]) -> dict[str, int]:
    """Standard id -> the most pressing priority a raised red flag citing it demands."""
    floors: dict[str, int] = {}
    for severity, standards in red_flags:
        floor = 0 if Severity(str(getattr(severity, "value", severity))) is Severity.CRITICAL else 1
        for standard_id in standards:
            floors[standard_id] = min(floors.get(standard_id, floor), floor)
    return floors


def _area_rank(catalogue: Catalogue) -> dict[str, int]:
    return {area.id: rank for rank, area in enumerate(catalogue.top_areas())}


def _top_area(catalogue: Catalogue, area_id: str | None) -> str | None:
    if area_id is None:
        return None
    area = catalogue.areas.get(area_id)
    if area is None:
        return area_id.split(".")[0]
    return area.parent or area.id


def _draft(finding: FindingResult, catalogue: Catalogue, language: str) -> str:
    standard = catalogue.standards.get(finding.standard_id)
    if standard is None:
        citation, paraphrase = finding.standard_id, ""
    else:
        citation = standard.citation(language, flag_uncertain=True)
        paraphrase = standard.paraphrase.get(language).strip()
        if paraphrase and paraphrase[-1] not in ".!?":
            paraphrase += "."
    template = _WORDS[language][finding.status]
    text = template.format(citation=citation, paraphrase=paraphrase,
                           evidence=finding.evidence_text(language))
    return " ".join(text.split())  # one space wherever the paraphrase was left empty
