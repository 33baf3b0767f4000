"""The visit state machine: create, save answers, submit, review, publish.

draft ──submit──► submitted ──accept──► reviewed ──publish──► published
  ▲                   │                                         │
  └──── returned ◄────┘ (return with comments)     unpublish ◄──┘ (back to reviewed)

Every function flushes and records an audit event; the caller commits.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, object_session

from monitor.checklists.answers import AnswerError, coerce
from monitor.checklists.expr import is_empty
from monitor.checklists.schema import Checklist
from monitor.core.clock import utcnow
from monitor.core.crypto import Vault
from monitor.core.errors import ConflictError, InputError, InvalidState, RecordNotFound, message_of
from monitor.core.messages import N_
from monitor.db.models import Answer, Facility, User, Visit, VisitMember, VisitScope, VisitState
from monitor.services import audit, permissions

EDITABLE = frozenset({VisitState.DRAFT, VisitState.RETURNED})


def create_visit(session: Session, *, facility: Facility, by: User, checklist: Checklist,
                 start_date: date, end_date: date | None = None, scope: str = "full",
                 announced: bool = False, sections: Sequence[str] | None = None,
                 team: Sequence[User] = (), previous_visit: Visit | None = None) -> Visit:
    """Open a draft visit of *facility* answered against *checklist*.

    :raises InputError: dates out of order, unknown sections, or a thematic visit without any.
    """
    permissions.require(by, "visit.create")
    end_date = end_date or start_date
    if end_date < start_date:
        raise InputError(N_("The visit cannot end before it starts."))
    try:
        scope_value = VisitScope(scope)
    except ValueError:
        raise InputError(N_("Unknown visit scope '%(scope)s'.", scope=scope)) from None
    chosen = list(dict.fromkeys(sections or []))
    unknown = [s for s in chosen if s not in checklist.section_by_id]
    if unknown:
        raise InputError(N_("The checklist has no section '%(section)s'.", section=unknown[0]))
    if scope_value is VisitScope.THEMATIC and not chosen:
        raise InputError(N_("Choose at least one section for a thematic visit."))
    visit = Visit(
        facility_id=facility.id, organisation_id=by.organisation_id, created_by_id=by.id,
        start_date=start_date, end_date=end_date, announced=announced, scope=scope_value,
        sections=chosen or None, checklist_id=checklist.id, checklist_version=checklist.version,
        checklist_digest=checklist.digest, state=VisitState.DRAFT,
        previous_visit_id=previous_visit.id if previous_visit else None,
    )
    members = {by.id: by, **{u.id: u for u in team}}
    visit.members = [VisitMember(user_id=uid, role="lead" if uid == by.id else "member")
                     for uid in members]
    session.add(visit)
    session.flush()
    audit.record(session, "visit.create", by=by, obj=visit,
                 summary={"facility": facility.public_id, "scope": scope_value.value,
                          "checklist": f"{checklist.id}@{checklist.version}"})
    return visit


def get_visit(session: Session, visit_id: int, by: User | None, action: str = "visit.view") -> Visit:
    """Return the visit if *by* may do *action* on it.

    A visit of another organisation is reported as missing, so its existence is not revealed.

    :raises RecordNotFound: no such visit, or not visible to *by*.
    :raises NotAllowed: visible, but *action* is not allowed.
    """
    visit = session.get(Visit, visit_id)
    if visit is None or not permissions.can(by, "visit.view", visit):
        raise RecordNotFound(N_("There is no visit %(id)s.", id=visit_id))
    permissions.require(by, action, visit)
    return visit


def previous_visit_of(session: Session, visit: Visit) -> Visit | None:
    """Return the facility's last visit before *visit* (any state except draft), if any."""
    return session.scalar(
        select(Visit).where(Visit.facility_id == visit.facility_id, Visit.id != visit.id,
                            Visit.start_date <= visit.start_date,
                            Visit.state.not_in([VisitState.DRAFT, VisitState.RETURNED]))
        .order_by(Visit.start_date.desc(), Visit.id.desc()).limit(1)
    )


def current_answers(visit: Visit, vault: Vault) -> dict[str, Any]:
    """Return question id → value, decrypting the answers to sensitive questions."""
    session = object_session(visit)
    if session is None or "answers" in visit.__dict__:  # already loaded: no query needed
        rows = [(a.question_id, a.value, a.secret) for a in visit.answers]
    else:
        rows = session.execute(select(Answer.question_id, Answer.value, Answer.secret)
                               .where(Answer.visit_id == visit.id)).all()
    return {qid: vault.decrypt(secret) if secret is not None else value
            for qid, value, secret in rows}


@dataclass
class SaveResult:
    """What a save did: which questions changed, and the visit's new lock version."""

    changed: list[str] = field(default_factory=list)
    version: int = 0


@dataclass(frozen=True)
class Conflict:
    """One question both people changed: what is stored now, and what this person sent."""

    question_id: str
    theirs: Any
    yours: Any


class AnswerConflict(ConflictError):
    """Someone saved different answers to the same questions since this form was opened."""

    def __init__(self, conflicts: Sequence[Conflict], version: int) -> None:
        self.conflicts = tuple(conflicts)
        self.version = version
        ids = ", ".join(c.question_id for c in conflicts)
        super().__init__(N_("Someone else changed the same answers while you were editing "
                            "(%(ids)s). Nothing of yours was lost: compare and choose which to "
                            "keep.", ids=ids))


def coerce_answers(checklist: Checklist, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Type every raw value; return the typed values and question id → problem for the rest."""
    typed: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for question_id, value in raw.items():
        question = checklist.by_id.get(question_id)
        if question is None or question.is_computed:
            continue
        try:
            typed[question_id] = coerce(question, value)
        except AnswerError as error:
            problems[question_id] = message_of(error)  # keeps its template for the page
    return typed, problems


def save_answers(session: Session, visit: Visit, changes: Mapping[str, Any], *, by: User,
                 vault: Vault, checklist: Checklist, expected_version: int | None = None,
                 base: Mapping[str, Any] | None = None) -> SaveResult:
    """Store typed answers. Concurrent edits merge unless they touch the same question.

    :param expected_version: the visit's ``lock_version`` when the form was opened.
    :param base: the values the form was opened with; when the version moved on, a question
        counts as a conflict only if someone else changed it *and* this save changes it too.
    :raises InvalidState: the visit is not a draft (or returned) any more.
    :raises AnswerConflict: the same questions were changed by someone else; nothing is saved.
    """
    permissions.require(by, "visit.edit", visit)
    if visit.state not in EDITABLE:
        raise InvalidState(N_("Visit %(id)s is %(state)s: its answers can no longer be changed. "
                              "A coordinator can return it to the team.", id=visit.id,
                              state=visit.state))
    current = current_answers(visit, vault)
    if expected_version is not None and expected_version != visit.lock_version:
        base = base or {}
        conflicts = [
            Conflict(qid, current.get(qid), value) for qid, value in changes.items()
            if not _same(current.get(qid), base.get(qid)) and not _same(current.get(qid), value)
        ]
        if conflicts:
            raise AnswerConflict(conflicts, visit.lock_version)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for question_id, value in changes.items():
        question = checklist.by_id.get(question_id)
        if question is None or question.is_computed or _same(current.get(question_id), value):
            continue
        plain, secret = (None, None) if is_empty(value) else (
            (None, vault.encrypt(value)) if question.sensitive else (value, None))
        row = {"value": plain, "secret": secret, "updated_by_id": by.id, "updated_at": utcnow()}
        if question_id in current:
            updates.append({**row, "b_visit": visit.id, "b_question": question_id})
        else:
            inserts.append({**row, "visit_id": visit.id, "question_id": question_id})
    # Core statements in bulk: a complete visit is ~300 answers, and one ORM object per answer
    # made saving a full checklist take a tenth of a second.
    if inserts:
        session.execute(insert(Answer.__table__), inserts)
    if updates:
        session.execute(
            update(Answer.__table__)
            .where(Answer.__table__.c.visit_id == bindparam("b_visit"),
                   Answer.__table__.c.question_id == bindparam("b_question"))
            .values(value=bindparam("value"), secret=bindparam("secret"),
                    updated_by_id=bindparam("updated_by_id"), updated_at=bindparam("updated_at")),
            updates)
    changed = [r["question_id"] for r in inserts] + [r["b_question"] for r in updates]
    if changed:
        session.expire(visit, ["answers"])
        visit.updated_at = utcnow()  # bumps lock_version: other open forms will notice
        session.flush()
        audit.record(session, "visit.answers", by=by, obj=visit,
                     summary={"questions": len(changed)})
    return SaveResult(changed, visit.lock_version)


def _same(a: Any, b: Any) -> bool:
    return (is_empty(a) and is_empty(b)) or a == b


def set_team(session: Session, visit: Visit, team: Collection[User], *, by: User) -> None:
    """Replace the visit team (the author always stays on it)."""
    permissions.require(by, "visit.edit", visit)
    wanted = {u.id for u in team} | ({visit.created_by_id} if visit.created_by_id else set())
    visit.members = [m for m in visit.members if m.user_id in wanted] + [
        VisitMember(user_id=uid) for uid in wanted - {m.user_id for m in visit.members}
    ]
    session.flush()
    audit.record(session, "visit.team", by=by, obj=visit, summary={"members": len(wanted)})


def mark_submitted(session: Session, visit: Visit, *, by: User) -> None:
    """Close the visit for editing (after the caller validated it and stored findings)."""
    permissions.require(by, "visit.submit", visit)
    if visit.state not in EDITABLE:
        raise InvalidState(N_("Visit %(id)s is already %(state)s.", id=visit.id, state=visit.state))
    visit.state = VisitState.SUBMITTED
    visit.submitted_at = utcnow()
    visit.submitted_by_id = by.id
    session.flush()
    audit.record(session, "visit.submit", by=by, obj=visit)


def return_visit(session: Session, visit: Visit, *, by: User, comment: str) -> None:
    """Send a submitted visit back to its team with the reviewer's comments."""
    permissions.require(by, "visit.review", visit)
    if visit.state is not VisitState.SUBMITTED:
        raise InvalidState(N_("Only a submitted visit can be returned (this one is %(state)s).",
                              state=visit.state))
    if not comment.strip():
        raise InputError(N_("Say what the team should change: the comment is required."))
    visit.state = VisitState.RETURNED
    visit.review_comment = comment.strip()
    visit.reviewed_by_id = by.id
    visit.reviewed_at = utcnow()
    session.flush()
    audit.record(session, "visit.return", by=by, obj=visit)


def accept_visit(session: Session, visit: Visit, *, by: User, comment: str = "") -> None:
    """Accept a submitted visit after review (a coordinator other than the author)."""
    permissions.require(by, "visit.review", visit)
    if visit.state is not VisitState.SUBMITTED:
        raise InvalidState(N_("Only a submitted visit can be accepted (this one is %(state)s).",
                              state=visit.state))
    visit.state = VisitState.REVIEWED
    visit.reviewed_by_id = by.id
    visit.reviewed_at = utcnow()
    visit.review_comment = comment.strip() or None
    session.flush()
    audit.record(session, "visit.review", by=by, obj=visit)


def publish_visit(session: Session, visit: Visit, *, by: User) -> None:
    """Make a reviewed visit's vetted findings public (four-eyes: not by its author)."""
    permissions.require(by, "visit.publish", visit)
    if visit.state is not VisitState.REVIEWED:
        raise InvalidState(N_("Only a reviewed visit can be published; review it first."))
    visit.state = VisitState.PUBLISHED
    visit.published_at = utcnow()
    visit.published_by_id = by.id
    if visit.summary is not None:
        visit.summary.is_published = True
        visit.summary.published_at = visit.published_at
    session.flush()
    audit.record(session, "visit.publish", by=by, obj=visit)


def unpublish_visit(session: Session, visit: Visit, *, by: User, reason: str = "") -> None:
    """Withdraw a visit from every public page, map and export at once."""
    permissions.require(by, "visit.unpublish", visit)
    if visit.state is not VisitState.PUBLISHED:
        raise InvalidState(N_("This visit is not published."))
    visit.state = VisitState.REVIEWED
    visit.published_at = None
    if visit.summary is not None:
        visit.summary.is_published = False
        visit.summary.published_at = None
    session.flush()
    audit.record(session, "visit.unpublish", by=by, obj=visit, summary={"reason_given": bool(reason)})


def visits_of_facility(session: Session, facility_id: int, by: User) -> list[Visit]:
    """The facility's visits that *by* may see, newest first."""
    rows = session.scalars(select(Visit).where(Visit.facility_id == facility_id)
                           .order_by(Visit.start_date.desc(), Visit.id.desc())).all()
    return [v for v in rows if permissions.can(by, "visit.view", v)]


def require_visit(session: Session, visit_id: int) -> Visit:
    """Return a visit without permission checks (CLI and background jobs only)."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise RecordNotFound(N_("There is no visit %(id)s.", id=visit_id))
    return visit
