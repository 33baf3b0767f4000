"""Recommendations: suggested from findings, confirmed by the team, followed up at later visits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from monitor.compliance.recommend import SuggestedRecommendation, suggest
from monitor.compliance.stored import finding_from_record
from monitor.core.clock import today
from monitor.core.errors import InputError, InvalidState, RecordNotFound
from monitor.core.messages import N_
from monitor.db.models import (
    DismissedSuggestion,
    Finding,
    FindingStatus,
    Recommendation,
    RecommendationStatus,
    RecommendationUpdate,
    RedFlagRecord,
    User,
    Visit,
    VisitState,
)
from monitor.db.models.recommendation import CLOSED_STATUSES, Priority
from monitor.services import audit, permissions
from monitor.services.catalog import ChecklistCatalog

#: Statuses a follow-up visit can record (``suggested`` is only the state before confirmation).
FOLLOW_UP_STATUSES = tuple(s for s in RecommendationStatus if s is not RecommendationStatus.SUGGESTED)


@dataclass(frozen=True)
class Draft:
    """A recommendation as the team edits it before confirming."""

    text: str
    standards: Sequence[str] = ()
    area_id: str | None = None
    addressee: str | None = None
    priority: str = "medium"
    due_date: date | None = None


def confirm(session: Session, rec: Recommendation, draft: Draft, *, by: User,
            on: date | None = None) -> Recommendation:
    """Confirm a suggestion (with the team's edits): it becomes open, "not implemented".

    :param on: the day it was made to the authority (default: today).
    """
    _require(session, rec, by)
    _apply(rec, draft)
    if rec.status is RecommendationStatus.SUGGESTED:
        rec.status = RecommendationStatus.NOT_IMPLEMENTED
        rec.issued_on = on or today()
        rec.updates.append(RecommendationUpdate(status=rec.status, recorded_on=rec.issued_on,
                                                visit_id=rec.visit_id, recorded_by_id=by.id,
                                                note="Recommendation issued."))
    session.flush()
    audit.record(session, "recommendation.confirm", by=by, obj=rec)
    return rec


def add(session: Session, visit: Visit, draft: Draft, *, by: User) -> Recommendation:
    """Write a recommendation by hand (not from a suggestion); it is open at once."""
    permissions.require(by, "recommendation.edit", visit)
    rec = Recommendation(facility_id=visit.facility_id, visit_id=visit.id, text="",
                         status=RecommendationStatus.SUGGESTED, created_by_id=by.id)
    _apply(rec, draft)  # before it joins the session: a refused draft leaves nothing behind
    session.add(rec)
    session.flush()
    return confirm(session, rec, draft, by=by)


# -- suggestions ------------------------------------------------------------------------------
# A suggestion is not stored: it is drafted from the visit's stored findings each time it is
# shown, in the reader's language. What is stored is the team's decision on it: a confirmed
# recommendation citing the standard, or a dismissal.


def suggestions(session: Session, visit: Visit, catalog: ChecklistCatalog,
                language: str = "en") -> list[SuggestedRecommendation]:
    """Recommendations to suggest for the visit: one per standard not met or only partly met.

    Standards the visit already has a recommendation for, and suggestions the team discarded,
    are left out. A draft (or a returned visit) has nothing to suggest.
    """
    if visit.state in (VisitState.DRAFT, VisitState.RETURNED):
        return []
    checklist = catalog.get(visit.checklist_id, visit.checklist_version)
    cited = {flag.id: flag.standards for flag in checklist.red_flags}
    flags = [(flag.severity.value, cited.get(flag.code, ())) for flag in session.scalars(
        select(RedFlagRecord).where(RedFlagRecord.visit_id == visit.id))]
    findings = [finding_from_record(f.standard_id, f.area_id, f.status, f.severity, f.evidence,
                                    catalog.standards)
                for f in session.scalars(select(Finding).where(
                    Finding.visit_id == visit.id,
                    Finding.status.in_([FindingStatus.NON_COMPLIANT,
                                        FindingStatus.PARTIALLY_COMPLIANT]))
                    .order_by(Finding.id))]
    decided = _decided(session, visit)
    return [s for s in suggest(findings, flags, catalog.standards, language)
            if s.standard_id not in decided]


def dismissed(session: Session, visit: Visit) -> list[str]:
    """Standards whose suggestion the team discarded at this visit, in the order discarded."""
    return list(session.scalars(select(DismissedSuggestion.standard_id).where(
        DismissedSuggestion.visit_id == visit.id).order_by(DismissedSuggestion.id)))


def confirm_suggestion(session: Session, visit: Visit, standard_id: str, draft: Draft, *,
                       catalog: ChecklistCatalog, by: User,
                       on: date | None = None) -> Recommendation:
    """Make the suggestion for *standard_id* (with the team's edits) a recommendation.

    :raises InvalidState: nothing is suggested for that standard at this visit (it is met,
        already has a recommendation, or was discarded).
    :raises InputError: the draft is refused (no text, unknown priority).
    """
    permissions.require(by, "recommendation.edit", visit)
    suggestion = _pending(session, visit, standard_id, catalog)
    draft = Draft(text=draft.text, standards=(standard_id,), area_id=suggestion.area_id,
                  addressee=draft.addressee, priority=draft.priority, due_date=draft.due_date)
    rec = Recommendation(facility_id=visit.facility_id, visit_id=visit.id, text="",
                         status=RecommendationStatus.SUGGESTED, created_by_id=by.id)
    _apply(rec, draft)
    session.add(rec)
    session.flush()
    return confirm(session, rec, draft, by=by, on=on)


def dismiss_suggestion(session: Session, visit: Visit, standard_id: str, *,
                       catalog: ChecklistCatalog, by: User) -> None:
    """Discard the suggestion for *standard_id*: it is not offered again at this visit."""
    permissions.require(by, "recommendation.edit", visit)
    _pending(session, visit, standard_id, catalog)
    session.add(DismissedSuggestion(visit_id=visit.id, standard_id=standard_id,
                                    dismissed_by_id=by.id))
    session.flush()
    audit.record(session, "recommendation.discard", by=by, obj=visit,
                 summary={"standard": standard_id})


def restore_suggestion(session: Session, visit: Visit, standard_id: str, *, by: User) -> None:
    """Offer a discarded suggestion again."""
    permissions.require(by, "recommendation.edit", visit)
    found = session.scalar(select(DismissedSuggestion).where(
        DismissedSuggestion.visit_id == visit.id, DismissedSuggestion.standard_id == standard_id))
    if found is None:
        raise InvalidState(N_("The suggestion for %(standard)s was not discarded.",
                              standard=standard_id))
    session.delete(found)
    session.flush()
    audit.record(session, "recommendation.restore", by=by, obj=visit,
                 summary={"standard": standard_id})


def _decided(session: Session, visit: Visit) -> set[str]:
    """Standards of the visit already acted upon: recommended, or their suggestion discarded."""
    decided = set(dismissed(session, visit))
    for standards in session.scalars(select(Recommendation.standards).where(
            Recommendation.visit_id == visit.id,
            Recommendation.status != RecommendationStatus.SUGGESTED)):
        decided.update(str(s) for s in standards or ())
    return decided


def _pending(session: Session, visit: Visit, standard_id: str,
             catalog: ChecklistCatalog) -> SuggestedRecommendation:
    for suggestion in suggestions(session, visit, catalog):
        if suggestion.standard_id == standard_id:
            return suggestion
    raise InvalidState(N_("Nothing is suggested for %(standard)s at this visit: it is met, "
                          "already has a recommendation, or was discarded.", standard=standard_id))


def record_follow_up(session: Session, rec: Recommendation, *, status: str, by: User,
                     visit: Visit | None = None, note: str = "", authority_response: str = "",
                     on: date | None = None) -> RecommendationUpdate:
    """Record what became of a recommendation (usually during a follow-up visit).

    :raises InputError: unknown status, or a date in the future.
    """
    _require(session, rec, by, visit)
    try:
        new_status = RecommendationStatus(status)
    except ValueError:
        raise InputError(N_("Unknown recommendation status '%(status)s'.", status=status)) from None
    if new_status is RecommendationStatus.SUGGESTED:
        raise InputError(N_("A recommendation cannot go back to being a suggestion."))
    on = on or today()
    if on > today():
        raise InputError(N_("The date of a follow-up cannot be in the future."))
    update = RecommendationUpdate(status=new_status, note=note.strip() or None,
                                  authority_response=authority_response.strip() or None,
                                  recorded_on=on, visit_id=visit.id if visit else None,
                                  recorded_by_id=by.id)
    rec.updates.append(update)
    rec.status = new_status
    session.flush()
    audit.record(session, "recommendation.follow_up", by=by, obj=rec, summary={"status": new_status.value})
    return update


def open_for_facility(session: Session, facility_id: int) -> list[Recommendation]:
    """Confirmed recommendations of the facility not yet implemented or closed, oldest first."""
    return list(session.scalars(
        select(Recommendation).where(
            Recommendation.facility_id == facility_id,
            Recommendation.status.not_in([RecommendationStatus.SUGGESTED, *CLOSED_STATUSES]))
        .options(selectinload(Recommendation.updates))
        .order_by(Recommendation.created_at, Recommendation.id)))


def for_facility(session: Session, facility_id: int) -> list[Recommendation]:
    """Every confirmed recommendation of the facility with its history, newest first."""
    return list(session.scalars(
        select(Recommendation).where(Recommendation.facility_id == facility_id,
                                     Recommendation.status != RecommendationStatus.SUGGESTED)
        .options(selectinload(Recommendation.updates))
        .order_by(Recommendation.created_at.desc(), Recommendation.id.desc())))


def age_days(rec: Recommendation, on: date | None = None) -> int:
    """Days since the recommendation was made to the authority."""
    issued = rec.issued_on or rec.created_at.date()
    return ((on or today()) - issued).days


def is_overdue(rec: Recommendation, on: date | None = None) -> bool:
    return rec.due_date is not None and rec.is_open and rec.due_date < (on or today())


def _apply(rec: Recommendation, draft: Draft) -> None:
    text = (draft.text or "").strip()
    if not text:
        raise InputError(N_("A recommendation needs a text."))
    try:
        rec.priority = Priority(draft.priority)
    except ValueError:
        raise InputError(N_("Unknown priority '%(priority)s'.", priority=draft.priority)) from None
    rec.text = text
    rec.standards = list(draft.standards)
    rec.area_id = draft.area_id
    rec.addressee = (draft.addressee or "").strip() or None
    rec.due_date = draft.due_date


def _require(session: Session, rec: Recommendation | None, by: User, visit: Visit | None = None) -> None:
    if rec is None:
        raise RecordNotFound(N_("There is no such recommendation."))
    origin = session.get(Visit, rec.visit_id)
    permissions.require(by, "recommendation.edit", visit or origin)
