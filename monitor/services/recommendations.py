"""Recommendations: suggested from findings, confirmed by the team, followed up at later visits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, selectinload

from monitor.core.clock import today, utcnow
from monitor.core.errors import InputError, InvalidState, RecordNotFound
from monitor.core.messages import N_
from monitor.db.models import Recommendation, RecommendationStatus, RecommendationUpdate, User, Visit
from monitor.db.models.recommendation import CLOSED_STATUSES, Priority
from monitor.services import audit, permissions

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


def store_suggestions(session: Session, visit: Visit, suggestions: Sequence, *, by: User | None = None) -> int:
    """Replace the visit's unconfirmed suggestions with fresh ones from the engine."""
    # Core statements in bulk: a visit with many breaches has dozens of suggestions, and one
    # ORM object each was a third of the time of a whole submit. Suggestions have no follow-up
    # history, so deleting them touches no other table.
    session.execute(delete(Recommendation).where(
        Recommendation.visit_id == visit.id,
        Recommendation.status == RecommendationStatus.SUGGESTED))
    created_at = utcnow()
    rows = [{
        "facility_id": visit.facility_id, "visit_id": visit.id, "text": s.text,
        "standards": [s.standard_id], "area_id": s.area_id, "addressee": s.addressee_hint,
        "priority": Priority(s.priority), "status": RecommendationStatus.SUGGESTED,
        "created_by_id": by.id if by else None, "created_at": created_at,
    } for s in suggestions]
    if rows:
        session.execute(insert(Recommendation.__table__), rows)
    audit.record(session, "recommendation.suggest", by=by, obj=visit,
                 summary={"suggestions": len(suggestions)})
    return len(suggestions)


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
    session.add(rec)
    _apply(rec, draft)
    session.flush()
    return confirm(session, rec, draft, by=by)


def discard(session: Session, rec: Recommendation, *, by: User) -> None:
    """Drop a suggestion the team does not want to make."""
    _require(session, rec, by)
    if rec.status is not RecommendationStatus.SUGGESTED:
        raise InvalidState(N_("Only a suggestion can be discarded; record a status change "
                              "instead."))
    session.delete(rec)
    session.flush()
    audit.record(session, "recommendation.discard", by=by, object_type="recommendations", object_id=rec.id)


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
