"""The demo world the report tests read, built once, with secret markers seeded where a leak
from a public report would hurt.

Every marker is a unique string planted on the latest *published* visit of one facility (so
the public gate lets the visit through, and only the report's own rules stand between the
marker and the page), plus markers on a visit that is reviewed but not published.
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
from monitor.db.session import make_session_factory
from monitor.services import accounts, demo
from monitor.services.catalog import ChecklistCatalog, load_catalog
from monitor.services.public import published_visit_ids
from tests.conftest import fresh_sqlite, make_settings

TAG = "RPTMARK"
#: A figure about one person: never in a public report.
LONGEST_DETENTION = 987651


@dataclass
class World:
    settings: Settings
    catalog: ChecklistCatalog
    vault: Vault
    sessions: sessionmaker[Session]
    url: str
    facility: str = ""  #: public id of the facility whose latest public visit is marked
    facility_id: int = 0
    visit_id: int = 0  #: that visit
    hidden_facility: str = ""  #: a facility with a reviewed, unpublished latest visit
    hidden_visit_id: int = 0
    #: Markers no public report may show, and markers the internal reports must show.
    secret: dict[str, str] = field(default_factory=dict)
    internal: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("reports-world")
    url = fresh_sqlite(sqlite_template, folder)
    settings = make_settings(folder, url, organisation_name="Observatorio de Prueba")
    catalog = load_catalog(settings.checklist_dir)
    vault = Vault(settings.data_keys)
    factory = make_session_factory(url)
    built = World(settings, catalog, vault, factory, url)
    with factory() as session:
        demo.load(session, catalog=catalog, vault=vault)
        _seed(session, built)
        session.commit()
    yield built
    factory.kw["bind"].dispose()


def _mark(world: World, key: str, *, shown_internally: bool = False) -> str:
    text = f"{TAG}{key.replace('-', '').upper()}"
    world.secret[key] = text
    if shown_internally:
        world.internal[key] = text
    return text


def _seed(session: Session, world: World) -> None:
    public = set(session.scalars(published_visit_ids(world.settings)))
    summary = session.scalars(select(VisitSummary).where(VisitSummary.visit_id.in_(public))
                              .order_by(VisitSummary.visit_date.desc(), VisitSummary.visit_id)
                              ).first()
    visit = session.get(Visit, summary.visit_id)
    world.visit_id, world.facility = visit.id, visit.facility.public_id
    world.facility_id = visit.facility_id
    checklist = world.catalog.get(visit.checklist_id, visit.checklist_version)

    # Answers to sensitive questions: one encrypted, one in plain text as an old row might be.
    stored = {a.question_id: a for a in visit.answers}
    for number, qid in enumerate(["access_notes", "children_notes"]):
        assert qid in checklist.sensitive_ids()
        answer = stored.get(qid) or Answer(question_id=qid)
        if answer not in visit.answers:
            visit.answers.append(answer)
        text = _mark(world, f"answer-{qid}")
        if number == 0:
            answer.value, answer.secret = text, None
        else:
            answer.value, answer.secret = None, world.vault.encrypt(text)
    visit.notes_secret = world.vault.encrypt(_mark(world, "visit-notes"))
    visit.review_comment = _mark(world, "review-comment")
    session.add(Interview(visit_id=visit.id, code=_mark(world, "interview-code")[:32],
                          kind=InterviewKind.INDIVIDUAL, consent_interview=True,
                          language=_mark(world, "interview-language"),
                          notes_secret=world.vault.encrypt(_mark(world, "interview-notes"))))
    member = accounts.create_user(session, "rptmark.member@test.example", "a long enough phrase",
                                  role="monitor", organisation=visit.organisation.name,
                                  name=_mark(world, "team-member", shown_internally=True))
    session.flush()
    visit.members.append(VisitMember(user_id=member.id))
    visit.facility.notes = _mark(world, "facility-notes")

    rec = session.scalars(select(Recommendation).where(
        Recommendation.visit_id == visit.id,
        Recommendation.status != RecommendationStatus.SUGGESTED)
        .order_by(Recommendation.id)).first()
    rec.text = _mark(world, "recommendation-text", shown_internally=True)
    rec.updates.append(RecommendationUpdate(
        status=RecommendationStatus.IN_PROGRESS, recorded_on=date(2026, 1, 2), visit_id=visit.id,
        note=_mark(world, "follow-up-note", shown_internally=True),
        authority_response=_mark(world, "authority-response", shown_internally=True)))
    finding = session.scalars(select(Finding).where(
        Finding.visit_id == visit.id, Finding.status == "non_compliant")
        .order_by(Finding.id)).first()
    finding.evidence = [{"question": "population_total",
                         "answer": _mark(world, "evidence", shown_internally=True),
                         "status": "non_compliant", "rule": "threshold", "threshold": None,
                         "sensitive": False}]
    flag_evidence = [{"question": "deaths_in_custody_12m",
                      "answer": _mark(world, "flag-evidence"), "status": "non_compliant",
                      "sensitive": False}]
    if visit.red_flags:
        visit.red_flags[0].evidence = flag_evidence
    else:
        session.add(RedFlagRecord(visit_id=visit.id, code="death_in_custody",
                                  severity=finding.severity, evidence=flag_evidence))
    # Small counts (public: "fewer than 5") and a figure about one person (never public).
    summary.children, summary.unaccompanied_children = 2, 1
    summary.longest_detention_days = LONGEST_DETENTION
    summary.indicators = {**(summary.indicators or {}), "children": 2,
                          "unaccompanied_children": 1,
                          "longest_detention_days": LONGEST_DETENTION}

    # A reviewed, unpublished visit: nothing of it may reach a public report.
    hidden = session.scalars(select(Visit).where(Visit.state == VisitState.REVIEWED)
                             .order_by(Visit.id)).first()
    world.hidden_visit_id, world.hidden_facility = hidden.id, hidden.facility.public_id
    for rec in session.scalars(select(Recommendation).where(Recommendation.visit_id == hidden.id)):
        rec.text = _mark(world, "unpublished-recommendation")
    hidden_finding = session.scalars(select(Finding).where(
        Finding.visit_id == hidden.id, Finding.status == "non_compliant")
        .order_by(Finding.id)).first()
    hidden_finding.evidence = [{"question": "population_total",
                                "answer": _mark(world, "unpublished-evidence"),
                                "status": "non_compliant", "sensitive": False}]
    session.flush()
