"""Interviews held during a visit: anonymised, consent first, notes encrypted.

Interviews are kept apart from the checklist answers. A person is known only by a short
generated code (``I-07``, ``G-02``); names never enter the system. Notes are sealed with the
installation's vault before they reach the database, and are never logged or written to the
audit log (events carry ids and the names of changed fields only).

Every function flushes and records an audit event; the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.core.crypto import Vault
from monitor.core.errors import InputError, RecordNotFound
from monitor.core.messages import N_, sentences
from monitor.db.models import Interview, InterviewKind, User, Visit
from monitor.db.models.interview import Urgency
from monitor.services import audit, permissions

#: A code is a short letter prefix and a number (``I-07``, ``G2``, ``MGT-1``): nothing that can
#: spell a name. Longer runs of letters are refused because they could be a name or initials
#: of a real person.
CODE_PATTERN = re.compile(r"^[A-Z]{1,3}-?[0-9]{1,4}$")

#: The prefix of generated codes for each kind of interview.
CODE_PREFIX: dict[InterviewKind, str] = {
    InterviewKind.INDIVIDUAL: "I",
    InterviewKind.GROUP: "G",
    InterviewKind.STAFF: "S",
    InterviewKind.MANAGEMENT: "M",
    InterviewKind.EXTERNAL: "E",
}

MAX_NOTES = 50_000


@dataclass(frozen=True)
class InterviewData:
    """What a person can set on an interview (the code is generated when left empty)."""

    kind: str = InterviewKind.INDIVIDUAL.value
    code: str | None = None
    language: str | None = None
    interpreter: bool = False
    consent_interview: bool = False
    consent_quote: bool = False
    consent_referral: bool = False
    consent_photo: bool = False
    notes: str | None = None
    follow_up: bool = False
    urgency: str = Urgency.NONE.value


def normalise_code(code: str) -> str:
    """Return *code* upper-cased and without spaces (``i 07`` → ``I07``)."""
    return "".join(code.split()).upper()


def code_problem(code: str) -> str | None:
    """Say what is wrong with an interview code, or return ``None`` when it can be used."""
    if not CODE_PATTERN.match(normalise_code(code)):
        return N_("'%(code)s' cannot be an interview code. Use one to three letters and a "
                  "number, such as I-07 or G-2, or leave it empty to get one generated. Never "
                  "write a name, initials or a room number: codes are how people stay "
                  "anonymous.", code=code)
    return None


def next_code(session: Session, visit: Visit, kind: InterviewKind) -> str:
    """Return the next free code for *kind* in *visit* (``I-01``, ``I-02``, …)."""
    prefix = CODE_PREFIX[kind]
    used = set(session.scalars(select(Interview.code).where(Interview.visit_id == visit.id)))
    number = 1
    while f"{prefix}-{number:02d}" in used:
        number += 1
    return f"{prefix}-{number:02d}"


def list_interviews(session: Session, visit: Visit, *, by: User) -> list[Interview]:
    """Return the visit's interviews in the order they were recorded.

    :raises NotAllowed: *by* is not on the visit team nor a coordinator of its organisation.
    """
    permissions.require(by, "interview.view", visit)
    return list(session.scalars(select(Interview).where(Interview.visit_id == visit.id)
                                .order_by(Interview.id)))


def get_interview(session: Session, visit: Visit, interview_id: int, *, by: User,
                  action: str = "interview.view") -> Interview:
    """Return one interview of *visit*.

    :raises NotAllowed: *by* may not do *action* on the visit's interviews.
    :raises RecordNotFound: the visit has no such interview.
    """
    permissions.require(by, action, visit)
    interview = session.get(Interview, interview_id)
    if interview is None or interview.visit_id != visit.id:
        raise RecordNotFound(N_("Visit %(visit)s has no interview %(id)s.", visit=visit.id,
                                 id=interview_id))
    return interview


def read_notes(interview: Interview, vault: Vault) -> str | None:
    """Return the decrypted notes of *interview* (``None`` when there are none)."""
    if interview.notes_secret is None:
        return None
    return vault.decrypt(interview.notes_secret)


def create_interview(session: Session, visit: Visit, data: InterviewData, *, by: User,
                     vault: Vault) -> Interview:
    """Record an interview; a code is generated when *data* has none.

    :raises NotAllowed: *by* may not edit the visit's interviews.
    :raises InputError: notes without consent to be interviewed, a code that could be a name,
        a code already used in this visit, or a follow-up without urgency.
    """
    permissions.require(by, "interview.edit", visit)
    kind = _kind(data.kind)
    given = data.code and data.code.strip()
    code = normalise_code(data.code) if given else next_code(session, visit, kind)
    _check(session, visit, data, code, interview_id=None)
    interview = Interview(visit_id=visit.id, code=code, kind=kind, created_by_id=by.id)
    _apply(interview, data, vault)
    session.add(interview)
    session.flush()
    audit.record(session, "interview.create", by=by, obj=interview,
                 summary={"visit": visit.id, "has_notes": interview.notes_secret is not None})
    return interview


def update_interview(session: Session, interview: Interview, data: InterviewData, *, by: User,
                     vault: Vault) -> list[str]:
    """Change an interview; return the names of the fields that changed.

    :raises NotAllowed: *by* may not edit the visit's interviews.
    :raises InputError: as for :func:`create_interview`; also when consent to be interviewed is
        withdrawn while notes remain (delete the notes first).
    """
    visit = interview.visit
    permissions.require(by, "interview.edit", visit)
    code = normalise_code(data.code) if data.code and data.code.strip() else interview.code
    _check(session, visit, data, code, interview_id=interview.id)
    before = _snapshot(interview, vault)
    interview.code = code
    interview.kind = _kind(data.kind)
    _apply(interview, data, vault, keep_sealed=before["notes"] == _clean_notes(data.notes))
    changed = [name for name, value in _snapshot(interview, vault).items() if before[name] != value]
    if changed:
        session.flush()
        # Field names only: never the notes, nor any other value.
        audit.record(session, "interview.update", by=by, obj=interview,
                     summary={"visit": visit.id, "fields": changed})
    return changed


def delete_interview(session: Session, interview: Interview, *, by: User) -> None:
    """Delete an interview and its notes.

    :raises NotAllowed: *by* may not edit the visit's interviews.
    """
    visit = interview.visit
    permissions.require(by, "interview.edit", visit)
    interview_id = interview.id
    session.delete(interview)
    session.flush()
    audit.record(session, "interview.delete", by=by, object_type="interviews",
                 object_id=interview_id, summary={"visit": visit.id})


# -- helpers ----------------------------------------------------------------------------------


def _kind(value: str) -> InterviewKind:
    try:
        return InterviewKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in InterviewKind)
        raise InputError(N_("Unknown kind of interview '%(kind)s'. Use one of: %(kinds)s.",
                            kind=value, kinds=kinds)) from None


def _clean_notes(notes: str | None) -> str | None:
    text = (notes or "").replace("\r\n", "\n").strip()
    return text or None


def _check(session: Session, visit: Visit, data: InterviewData, code: str,
           interview_id: int | None) -> None:
    problems: list[str] = []
    problem = code_problem(code)
    if problem:
        problems.append(problem)
    else:
        taken = session.scalar(select(Interview.id).where(Interview.visit_id == visit.id,
                                                          Interview.code == code))
        if taken is not None and taken != interview_id:
            problems.append(N_("Code %(code)s is already used in this visit: choose another, "
                               "or leave the code empty to get the next free one.", code=code))
    notes = _clean_notes(data.notes)
    if notes and not data.consent_interview:
        problems.append(N_("Notes can only be kept when the person consented to be "
                           "interviewed. Tick 'consents to be interviewed' or remove the notes."))
    if notes and len(notes) > MAX_NOTES:
        problems.append(N_("The notes are too long (%(length)d characters; at most %(limit)d).",
                           length=len(notes), limit=MAX_NOTES))
    try:
        urgency = Urgency(data.urgency or Urgency.NONE.value)
    except ValueError:
        urgencies = ", ".join(u.value for u in Urgency)
        problems.append(N_("Unknown urgency '%(urgency)s'. Use one of: %(urgencies)s.",
                           urgency=data.urgency, urgencies=urgencies))
    else:
        if data.follow_up and urgency is Urgency.NONE:
            problems.append(N_("A follow-up or referral needs an urgency: choose low, medium, "
                               "high or urgent."))
    if problems:
        raise InputError(sentences(problems))


def _apply(interview: Interview, data: InterviewData, vault: Vault,
           keep_sealed: bool = False) -> None:
    interview.language = " ".join((data.language or "").split())[:64] or None
    interview.interpreter = bool(data.interpreter)
    interview.consent_interview = bool(data.consent_interview)
    interview.consent_quote = bool(data.consent_quote)
    interview.consent_referral = bool(data.consent_referral)
    interview.consent_photo = bool(data.consent_photo)
    interview.follow_up = bool(data.follow_up)
    interview.urgency = Urgency(data.urgency or Urgency.NONE.value)
    if not keep_sealed:  # re-encrypting unchanged notes would only churn the stored token
        notes = _clean_notes(data.notes)
        interview.notes_secret = vault.encrypt(notes) if notes else None


def _snapshot(interview: Interview, vault: Vault) -> dict[str, Any]:
    return {
        "code": interview.code, "kind": interview.kind, "language": interview.language,
        "interpreter": interview.interpreter, "consent_interview": interview.consent_interview,
        "consent_quote": interview.consent_quote, "consent_referral": interview.consent_referral,
        "consent_photo": interview.consent_photo, "notes": read_notes(interview, vault),
        "follow_up": interview.follow_up, "urgency": interview.urgency,
    }
