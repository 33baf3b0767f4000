"""Findings as the database keeps them, and back.

A submit stores each finding's status, severity and evidence: the question, the answer (never a
sensitive one), the status its rule gave, and — for a threshold rule — the threshold itself, as
numbers. The finding's sentence and the recommendation suggested from it are not stored: they
are said again from this record, in the reader's language, when a page or a report needs them.
That keeps a submit small (a visit has a hundred findings) and lets every catalogue language
read every visit, including languages added later.

Records written before thresholds were kept as numbers carry only the English condition
(``threshold``): their sentences leave the condition out until ``monitor compliance recompute``
rewrites them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from monitor.compliance.standards import Catalogue, Threshold, Wording
from monitor.compliance.types import Evidence, FindingResult, Severity, Status

__all__ = ["evidence_record", "finding_from_record", "finding_sentence", "threshold_record"]


def threshold_record(threshold: Threshold | None) -> dict[str, Any] | None:
    """A threshold as plain values (its wording comes from the catalogue when read back)."""
    if threshold is None:
        return None
    return {"measure": threshold.measure, "operator": threshold.operator,
            "value": threshold.value, "unit": threshold.unit}


def evidence_record(evidence: Evidence, sensitive: Collection[str] = ()) -> dict[str, Any]:
    """What is stored of one piece of evidence.

    :param sensitive: question ids whose answers must never be stored (the checklist's own
        marking, on top of the engine's).
    """
    hidden = evidence.sensitive or evidence.question_id in sensitive
    record: dict[str, Any] = {
        "question": evidence.question_id,
        "answer": None if hidden else evidence.answer,
        "status": evidence.status.value,
        "rule": evidence.rule_kind,
        "threshold": evidence.threshold_text,
        "sensitive": hidden,
    }
    # Only what a sentence needs beyond the above, and only when there is something to say.
    if evidence.unit and not hidden:
        record["unit"] = evidence.unit
    if evidence.threshold is not None:
        record["condition"] = threshold_record(evidence.threshold)
        if evidence.partial is not None:
            record["partial"] = threshold_record(evidence.partial)
        if evidence.from_standard:
            record["from_standard"] = True
    return record


def _threshold(record: Mapping[str, Any] | None, wording: Wording) -> Threshold | None:
    if not record:
        return None
    try:
        return Threshold(str(record["measure"]), str(record["operator"]), float(record["value"]),
                         str(record["unit"]), wording)
    except (KeyError, TypeError, ValueError):
        return None  # a record this version cannot read: the sentence leaves the condition out


def _status(value: Any) -> Status:
    try:
        return Status(str(getattr(value, "value", value)))
    except ValueError:
        return Status.NOT_ASSESSED


def _severity(value: Any) -> Severity:
    try:
        return Severity(str(getattr(value, "value", value)))
    except ValueError:
        return Severity.MEDIUM


def _evidence(record: Mapping[str, Any], wording: Wording) -> Evidence:
    hidden = bool(record.get("sensitive"))
    return Evidence(
        question_id=str(record.get("question") or ""),
        answer=None if hidden else _frozen(record.get("answer")),
        status=_status(record.get("status")),
        rule_kind=str(record.get("rule") or ""),
        threshold_text=record.get("threshold"),
        sensitive=hidden,
        unit=record.get("unit"),
        threshold=_threshold(record.get("condition"), wording),
        partial=_threshold(record.get("partial"), wording),
        from_standard=bool(record.get("from_standard")),
    )


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def finding_from_record(standard_id: str, area_id: str | None, status: Any, severity: Any,
                        evidence: Iterable[Mapping[str, Any]] | None,
                        catalogue: Catalogue) -> FindingResult:
    """Rebuild the engine's finding from its stored columns (the inverse of a submit's write).

    :param status: a status value (or enum member) as stored.
    :param evidence: the stored evidence records (see :func:`evidence_record`).
    """
    items = tuple(_evidence(record, catalogue.wording) for record in evidence or ()
                  if isinstance(record, Mapping))
    return FindingResult(standard_id, area_id, _status(status), _severity(severity), items)


def finding_sentence(finding: Any, catalogue: Catalogue, language: str = "en") -> str:
    """Say a stored finding (a :class:`~monitor.db.models.Finding` or alike) as a sentence."""
    result = finding_from_record(finding.standard_id, finding.area_id, finding.status,
                                 finding.severity, finding.evidence, catalogue)
    return result.text(catalogue, language)
