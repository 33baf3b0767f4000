"""Compute a visit's findings once and store them; recompute after a rule or catalogue change.

Dashboards, maps and reports read what is stored here and never re-evaluate answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.checklists.answers import constraint_problems, missing_required
from monitor.checklists.expr import is_empty
from monitor.compliance.engine import evaluate
from monitor.compliance.stored import evidence_record
from monitor.compliance.types import VisitEvaluation
from monitor.core.clock import utcnow
from monitor.core.crypto import Vault
from monitor.core.errors import InputError
from monitor.core.messages import N_
from monitor.db.bulk import insert_rows
from monitor.db.models import (
    AreaScore,
    Finding,
    FindingStatus,
    RedFlagRecord,
    User,
    Visit,
    VisitState,
    VisitSummary,
)
from monitor.db.models.finding import Severity
from monitor.services import audit, visits
from monitor.services.catalog import ChecklistCatalog

logger = logging.getLogger(__name__)
ENGINE_VERSION = "1"

#: Indicators with a column of their own in ``visit_summaries``; others stay in its JSON.
_INT_COLUMNS = ("population", "capacity", "children", "unaccompanied_children", "women",
                "legal_access_denials", "longest_detention_days", "solitary_max_days", "deaths")
_FLOAT_COLUMNS = ("occupancy_rate", "days_to_doctor", "m2_per_person", "hours_outdoors")


class IncompleteVisit(InputError):
    """The visit cannot be submitted yet; ``missing`` and ``invalid`` say what to fix."""

    def __init__(self, missing: list[str], invalid: dict[str, str]) -> None:
        self.missing = missing
        self.invalid = invalid
        counts = {"missing": len(missing), "invalid": len(invalid)}
        if missing and invalid:
            message = N_("The visit cannot be submitted yet: %(missing)d required question(s) "
                         "unanswered and %(invalid)d answer(s) not possible.", **counts)
        elif missing:
            message = N_("The visit cannot be submitted yet: %(missing)d required question(s) "
                         "unanswered.", missing=counts["missing"])
        else:
            message = N_("The visit cannot be submitted yet: %(invalid)d answer(s) not "
                         "possible.", invalid=counts["invalid"])
        super().__init__(message)


def evaluate_visit(visit: Visit, catalog: ChecklistCatalog, vault: Vault) -> VisitEvaluation:
    """Run the compliance engine on a visit's stored answers (pure; nothing is written)."""
    checklist = catalog.get(visit.checklist_id, visit.checklist_version)
    answers = visits.current_answers(visit, vault)
    return evaluate(checklist, answers, catalog.standards, sections=visit.sections or None)


def submit_and_evaluate(session: Session, visit: Visit, *, by: User, catalog: ChecklistCatalog,
                        vault: Vault) -> VisitEvaluation:
    """Validate a draft fully, store its findings and close it for editing.

    Recommendations are not written here: the results page suggests one for every standard not
    met, from the stored findings, and the team confirms, edits or discards each
    (:func:`monitor.services.recommendations.suggestions`).

    :raises IncompleteVisit: required answers are missing or answers break constraints;
        nothing is changed and the draft stays as it was.
    """
    checklist = catalog.get(visit.checklist_id, visit.checklist_version)
    evaluation = evaluate_visit(visit, catalog, vault)
    missing = missing_required(checklist, evaluation.values, evaluation.relevant)
    invalid = constraint_problems(checklist, evaluation.values, evaluation.relevant)
    if missing or invalid:
        raise IncompleteVisit(missing, invalid)
    # A draft submitted for the first time has nothing stored to replace; a returned one has.
    first_submit = visit.submitted_at is None
    visits.mark_submitted(session, visit, by=by)
    store_evaluation(session, visit, evaluation, catalog, replace=not first_submit)
    return evaluation


def store_evaluation(session: Session, visit: Visit, evaluation: VisitEvaluation,
                     catalog: ChecklistCatalog, *, replace: bool = True) -> None:
    """Replace the visit's stored findings, red flags, area scores and summary row.

    :param replace: ``False`` when the caller knows nothing is stored yet (a first submit):
        the deletes and the summary lookup are skipped.
    """
    checklist = catalog.get(visit.checklist_id, visit.checklist_version)
    sensitive = checklist.sensitive_ids()
    if replace:
        for table in (Finding, RedFlagRecord, AreaScore):
            session.execute(delete(table).where(table.visit_id == visit.id))
    languages = catalog.standards.languages  # area rules are kept in every catalogue language
    # Bulk inserts: a visit has a hundred findings or more, and they are written again on every
    # recompute. Their sentences are said on reading (monitor.compliance.stored).
    finding_rows = [{
        "visit_id": visit.id, "standard_id": f.standard_id, "area_id": f.area_id,
        "status": FindingStatus(f.status.value), "severity": Severity(f.severity.value),
        "evidence": [evidence_record(e, sensitive) for e in f.evidence],
    } for f in evaluation.findings]
    flag_rows = [{
        "visit_id": visit.id, "code": flag.code, "severity": Severity(flag.severity.value),
        "evidence": [evidence_record(e, sensitive) for e in flag.evidence],
    } for flag in evaluation.red_flags]
    area_rows = [{
        "visit_id": visit.id, "area_id": area.area_id, "score": area.score,
        "assessed_share": area.assessed_share or 0.0, "standards_assessed": area.standards_assessed,
        "standards_total": area.standards_total, "rating": area.rating,
        "rating_rule": {lang: area.rating_rule_in(lang) for lang in languages},
    } for area in evaluation.areas]
    for model, rows in ((Finding, finding_rows), (RedFlagRecord, flag_rows), (AreaScore, area_rows)):
        insert_rows(session, model.__table__, rows)
    session.expire(visit, ["findings", "red_flags", "area_scores"])
    summary = (session.get(VisitSummary, visit.id) if replace else None) or VisitSummary(
        visit_id=visit.id)
    session.add(summary)
    _fill_summary(summary, visit, evaluation)
    session.flush()


def _number(value: Any, kind: type) -> Any:
    if is_empty(value) or isinstance(value, (str, list, bool)):
        return None
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _fill_summary(summary: VisitSummary, visit: Visit, evaluation: VisitEvaluation) -> None:
    indicators = {k: v for k, v in evaluation.indicators.items() if not isinstance(v, (list, dict))}
    summary.facility_id = visit.facility_id
    summary.visit_date = visit.start_date
    summary.is_published = visit.state is VisitState.PUBLISHED
    summary.published_at = visit.published_at
    for name in _INT_COLUMNS:
        setattr(summary, name, _number(indicators.get(name), int))
    for name in _FLOAT_COLUMNS:
        setattr(summary, name, _number(indicators.get(name), float))
    codes = sorted(flag.code for flag in evaluation.red_flags)
    summary.access_obstructed = bool(_number(indicators.get("access_obstructed"), float)) or (
        "access_obstructed" in codes)
    summary.red_flag_count = len(codes)
    summary.red_flag_codes = codes
    summary.score_overall = evaluation.score_overall
    summary.share_assessed = evaluation.share_assessed or 0.0
    summary.standards_met = evaluation.standards_met
    summary.standards_assessed = evaluation.standards_assessed
    summary.indicators = indicators
    summary.computed_at = utcnow()
    summary.engine_version = ENGINE_VERSION


def recompute(session: Session, catalog: ChecklistCatalog, vault: Vault, *,
              visit_ids: Iterable[int] | None = None,
              on_progress: Callable[[int], None] | None = None,
              by: User | None = None) -> int:
    """Recompute stored findings for submitted (and later) visits; return how many.

    Drafts have no stored findings and are skipped. Run after changing rules or the catalogue.
    """
    query = select(Visit.id).where(Visit.state.not_in([VisitState.DRAFT, VisitState.RETURNED]))
    if visit_ids is not None:
        query = query.where(Visit.id.in_(list(visit_ids)))
    ids = list(session.scalars(query.order_by(Visit.id)))
    for visit_id in ids:
        visit = session.get(Visit, visit_id)
        store_evaluation(session, visit, evaluate_visit(visit, catalog, vault), catalog)
        if on_progress:
            on_progress(1)
    audit.record(session, "compliance.recompute", by=by, summary={"visits": len(ids)})
    return len(ids)
