"""A demo world built once per module, with secret markers seeded wherever a leak would hurt.

Every marker is a unique string (numbers for numeric fields) planted in a place that must
never reach public output, on a *published* visit (so the public gate does let the visit
through, and only the policy stands between the marker and the page):

* answers to every sensitive question (encrypted; one left in plain text, as an old row might);
* the visit's internal notes, its review comment, an interview (notes, language, code);
* a team member's name and e-mail address;
* the facility's internal notes;
* recommendation wording (confirmed and suggested), follow-up notes, authority responses;
* finding sentences and evidence answers, red-flag evidence;
* summary fields that are never public (longest detention, solitary confinement, indicators).

And an unpublished (reviewed) visit, a submitted visit whose stale summary row claims to be
published, and a returned one, each with figures no published visit has.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.core.crypto import Vault
from monitor.core.settings import Settings
from monitor.db.models import (
    Answer,
    Finding,
    Interview,
    InterviewKind,
    Recommendation,
    RecommendationStatus,
    RecommendationUpdate,
    RedFlagRecord,
    Visit,
    VisitMember,
    VisitState,
    VisitSummary,
)
from monitor.db.models.recommendation import Priority
from monitor.db.session import make_session_factory
from monitor.services import accounts, demo
from monitor.services import facilities as registry
from monitor.services.catalog import ChecklistCatalog, load_catalog
from monitor.services.public import published_visit_ids
from tests.conftest import fresh_sqlite, make_settings

TAG = "ZQXMARK"

#: Figures of visits that are not public; no public output may contain them.
HIDDEN_NUMBERS = {
    "unpublished population": 777771,
    "stale-flag population": 666661,
    "returned population": 555551,
    "longest detention": 987651,
    "solitary days": 876541,
}
#: The small counts put on the marked facility's latest published visit.
SMALL_COUNTS = {"population": 3, "children": 2, "unaccompanied_children": 1, "women": 3,
                "legal_access_denials": 4, "deaths": 1}


@dataclass
class World:
    settings: Settings
    catalog: ChecklistCatalog
    vault: Vault
    sessions: sessionmaker[Session]
    facility: str = ""  #: public id of the facility whose latest public visit is marked
    visit_id: int = 0
    hidden_facility: str = ""  #: a facility whose only visit is not published
    markers: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("public-world")
    settings = make_settings(folder, fresh_sqlite(sqlite_template, folder))
    catalog = load_catalog(settings.checklist_dir)
    vault = Vault(settings.data_keys)
    factory = make_session_factory(settings.database_url)
    built = World(settings, catalog, vault, factory)
    with factory() as session:
        demo.load(session, catalog=catalog, vault=vault)
        _seed(session, built)
        session.commit()
    yield built
    factory.kw["bind"].dispose()


def _mark(world: World, key: str) -> str:
    text = f"{TAG}-{key}"
    world.markers[key] = text
    return text


def _seed(session: Session, world: World) -> None:
    public = set(session.scalars(published_visit_ids(world.settings)))
    # The latest public visit of one facility: its figures are what public pages show first.
    summary = session.scalars(select(VisitSummary).where(VisitSummary.visit_id.in_(public))
                              .order_by(VisitSummary.visit_date.desc())).first()
    visit = session.get(Visit, summary.visit_id)
    world.visit_id, world.facility = visit.id, visit.facility.public_id
    checklist = world.catalog.get(visit.checklist_id, visit.checklist_version)

    stored = {a.question_id: a for a in visit.answers}
    for number, qid in enumerate(sorted(checklist.sensitive_ids())):
        answer = stored.get(qid)
        if answer is None:
            answer = Answer(question_id=qid)
            visit.answers.append(answer)
        text = _mark(world, f"answer-{qid}")
        if number == 0:  # an old row in plain text: the column must stay internal all the same
            answer.value, answer.secret = text, None
        else:
            answer.value, answer.secret = None, world.vault.encrypt(text)
    visit.notes_secret = world.vault.encrypt(_mark(world, "visit-notes"))
    visit.review_comment = _mark(world, "review-comment")
    session.add(Interview(visit_id=visit.id, code="I-99", kind=InterviewKind.INDIVIDUAL,
                          language=_mark(world, "interview-language"), consent_interview=True,
                          notes_secret=world.vault.encrypt(_mark(world, "interview-notes"))))
    member = accounts.create_user(session, f"{TAG.lower()}.member@test.example",
                                  "a long enough phrase", role="monitor",
                                  organisation=visit.organisation.name,
                                  name=_mark(world, "team-member"))
    world.markers["team-email"] = f"{TAG.lower()}.member@test.example"
    session.flush()
    visit.members.append(VisitMember(user_id=member.id))
    visit.facility.notes = _mark(world, "facility-notes")

    rec = session.scalars(select(Recommendation).where(
        Recommendation.visit_id == visit.id,
        Recommendation.status != RecommendationStatus.SUGGESTED)).first()
    rec.text = _mark(world, "recommendation-text")
    rec.updates.append(RecommendationUpdate(
        status=RecommendationStatus.IN_PROGRESS, recorded_on=date(2026, 1, 2),
        note=_mark(world, "follow-up-note"),
        authority_response=_mark(world, "authority-response")))
    session.add(Recommendation(facility_id=visit.facility_id, visit_id=visit.id,
                               text=_mark(world, "suggestion"), standards=["mandela-r23"],
                               priority=Priority.LOW, status=RecommendationStatus.SUGGESTED))
    finding = session.scalars(select(Finding).where(Finding.visit_id == visit.id)).first()
    finding.evidence = [{"question": "population_total", "answer": _mark(world, "evidence"),
                         "status": finding.status.value, "rule": "threshold", "threshold": None,
                         "sensitive": False}]
    flag_evidence = [{"question": "x", "answer": _mark(world, "flag-evidence")}]
    if visit.red_flags:
        visit.red_flags[0].evidence = flag_evidence
    else:
        session.add(RedFlagRecord(visit_id=visit.id, code="ill_treatment_allegations",
                                  severity=finding.severity, evidence=flag_evidence))
    summary.indicators = {**(summary.indicators or {}), "note": _mark(world, "indicator")}
    summary.longest_detention_days = HIDDEN_NUMBERS["longest detention"]
    summary.solitary_max_days = HIDDEN_NUMBERS["solitary days"]
    for name, value in SMALL_COUNTS.items():
        setattr(summary, name, value)
    summary.capacity = 190
    summary.occupancy_rate = 1.57894  # population 3 of 190: would give the 3 back

    # Visits that are not public, with figures nothing public has.
    reviewed = session.scalars(select(Visit).where(Visit.state == VisitState.REVIEWED)
                               .order_by(Visit.id)).first()
    reviewed.summary.population = HIDDEN_NUMBERS["unpublished population"]
    for rec in session.scalars(select(Recommendation).where(
            Recommendation.visit_id == reviewed.id)):
        rec.text = _mark(world, "unpublished-recommendation")
    submitted = session.scalars(select(Visit).where(Visit.state == VisitState.SUBMITTED)
                                .order_by(Visit.id)).first()
    submitted.summary.population = HIDDEN_NUMBERS["stale-flag population"]
    submitted.summary.is_published = True  # a stale flag must not fool the gate
    returned = session.scalars(select(Visit).where(Visit.state == VisitState.SUBMITTED)
                               .order_by(Visit.id.desc())).first()
    assert returned.id != submitted.id, "the demo needs two submitted visits"
    returned.state = VisitState.RETURNED
    returned.summary.population = HIDDEN_NUMBERS["returned population"]
    # A facility visited only by an unpublished visit: the reviewed visit moves to a new one.
    lonely = registry.create_facility(session, registry.FacilityData(
        name="Centro sin visita publicada", country="GTM", latitude=15.5, longitude=-90.3))
    session.flush()
    reviewed.facility_id = reviewed.summary.facility_id = lonely.id
    for rec in session.scalars(select(Recommendation).where(
            Recommendation.visit_id == reviewed.id)):
        rec.facility_id = lonely.id
    world.hidden_facility = lonely.public_id
    session.flush()
