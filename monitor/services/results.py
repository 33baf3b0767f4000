"""Read models for a visit's results page: stored findings grouped by area, and the comparison
with the facility's previous visit (better, worse, unchanged per standard)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.compliance.standards import Catalogue
from monitor.db.models import AreaScore, Finding, FindingStatus, RedFlagRecord, Visit, VisitState
from monitor.services.visits import previous_visit_of

_RANK = {FindingStatus.NON_COMPLIANT: 0, FindingStatus.PARTIALLY_COMPLIANT: 1,
         FindingStatus.COMPLIANT: 2}
_SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass
class AreaBlock:
    """One monitoring area on the results page."""

    area_id: str
    score: AreaScore | None
    findings: list[Finding] = field(default_factory=list)


@dataclass
class VisitResults:
    visit: Visit
    previous: Visit | None
    red_flags: list[RedFlagRecord]
    areas: list[AreaBlock]
    overall: AreaScore | None
    trend: dict[str, str]  # standard id → better | worse | unchanged | new


def trend_of(current: FindingStatus, before: FindingStatus | None) -> str:
    """Compare a standard's status with the previous visit's."""
    if before is None or before is FindingStatus.NOT_ASSESSED or current is FindingStatus.NOT_ASSESSED:
        return "new" if before is None else "not_comparable"
    if _RANK[current] > _RANK[before]:
        return "better"
    if _RANK[current] < _RANK[before]:
        return "worse"
    return "unchanged"


def visit_results(session: Session, visit: Visit, catalogue: Catalogue) -> VisitResults:
    """Collect what the results page shows for *visit* (findings must have been stored)."""
    findings = list(session.scalars(select(Finding).where(Finding.visit_id == visit.id)))
    scores = {s.area_id: s for s in session.scalars(select(AreaScore).where(AreaScore.visit_id == visit.id))}
    flags = sorted(session.scalars(select(RedFlagRecord).where(RedFlagRecord.visit_id == visit.id)),
                   key=lambda f: (_SEVERITY.get(f.severity.value, 9), f.code))
    previous = previous_visit_of(session, visit)
    before: dict[str, FindingStatus] = {}
    if previous is not None and previous.state is not VisitState.DRAFT:
        before = {f.standard_id: f.status for f in session.scalars(
            select(Finding).where(Finding.visit_id == previous.id))}
    trend = {f.standard_id: trend_of(f.status, before.get(f.standard_id)) for f in findings}
    by_area: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        top = _top_area(finding.area_id, catalogue)
        by_area[top].append(finding)
    order = {a.id: a.order for a in catalogue.top_areas()}
    blocks = []
    for area_id in sorted(by_area, key=lambda a: (order.get(a, 99), a)):
        items = sorted(by_area[area_id], key=lambda f: (
            _RANK.get(f.status, 3), _SEVERITY.get(f.severity.value, 9), f.standard_id))
        blocks.append(AreaBlock(area_id, scores.get(area_id), items))
    return VisitResults(visit, previous, flags, blocks, scores.get("overall"), trend)


def _top_area(area_id: str | None, catalogue: Catalogue) -> str:
    if not area_id or area_id not in catalogue.areas:
        return "other"
    area = catalogue.areas[area_id]
    return area.parent or area.id
