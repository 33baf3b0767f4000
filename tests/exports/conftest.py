"""A demo database built once per module, with secret markers seeded where leaks would hurt.

Markers are planted in every place a public export must never reach: answers to sensitive
questions of a *published* visit (encrypted, and one stored in plain text as an old row might
be), the visit's internal notes, a team member's name, a facility's internal notes, notes and
authority responses of a recommendation's history, and an unpublished visit's answers and
follow-up. Internal exports must contain them (so the tests can tell a leak from a marker
that was never planted).
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
    Recommendation,
    RecommendationStatus,
    RecommendationUpdate,
    Visit,
    VisitMember,
    VisitState,
)
from monitor.db.session import make_session_factory
from monitor.services import accounts, demo
from monitor.services.catalog import ChecklistCatalog, load_catalog
from monitor.services.public import published_visit_ids
from tests.conftest import fresh_sqlite, make_settings
from tests.exports.support import MARK


@dataclass
class DemoWorld:
    settings: Settings
    catalog: ChecklistCatalog
    vault: Vault
    sessions: sessionmaker[Session]
    published_visit: int = 0
    unpublished_visit: int = 0
    markers: dict[str, str] = field(default_factory=dict)

    def session(self) -> Session:
        return self.sessions()


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWorld]:
    folder = tmp_path_factory.mktemp("exports-demo")
    settings = make_settings(folder, fresh_sqlite(sqlite_template, folder))
    catalog = load_catalog(settings.checklist_dir)
    vault = Vault(settings.data_keys)
    factory = make_session_factory(settings.database_url)
    built = DemoWorld(settings, catalog, vault, factory)
    with factory() as session:
        demo.load(session, catalog=catalog, vault=vault)
        seed_markers(session, built)
        session.commit()
    yield built
    factory.kw["bind"].dispose()


def seed_markers(session: Session, world: DemoWorld) -> None:
    """Plant a marker in every kind of place that must stay internal."""
    vault, markers = world.vault, world.markers
    public_ids = set(session.scalars(published_visit_ids(world.settings)))
    visit = session.get(Visit, min(public_ids))
    checklist = world.catalog.get(visit.checklist_id, visit.checklist_version)
    stored = {a.question_id: a for a in visit.answers}
    sensitive = sorted(checklist.sensitive_ids())
    for number, qid in enumerate(sensitive):
        answer = stored.get(qid) or Answer(question_id=qid)
        if answer not in visit.answers:
            visit.answers.append(answer)
        text = f"SENSITIVE-{qid}-{MARK}"
        markers[f"answer:{qid}"] = text
        if number == 0:  # an old row kept in plain text: its column must go all the same
            answer.value, answer.secret = text, None
        else:
            answer.value, answer.secret = None, vault.encrypt(text)
    markers["notes"] = f"VISITNOTE-{MARK}"
    visit.notes_secret = vault.encrypt(markers["notes"])
    markers["team"] = f"TEAMMEMBER-{MARK}"
    member = accounts.create_user(session, "marker.member@test.example", "a long enough phrase",
                                  role="monitor", organisation=visit.organisation.name,
                                  name=markers["team"])
    session.flush()
    visit.members.append(VisitMember(user_id=member.id))
    markers["facility"] = f"FACILITYNOTE-{MARK}"
    visit.facility.notes = markers["facility"]
    rec = session.scalars(select(Recommendation).where(
        Recommendation.visit_id == visit.id,
        Recommendation.status != RecommendationStatus.SUGGESTED)).first()
    markers["rec_note"] = f"RECNOTE-{MARK}"
    markers["authority"] = f"AUTHORITY-{MARK}"
    rec.updates.append(RecommendationUpdate(
        status=RecommendationStatus.IN_PROGRESS, recorded_on=date(2026, 1, 2),
        note=markers["rec_note"], authority_response=markers["authority"]))
    # An unpublished visit: its answers and the follow-up it recorded stay internal.
    hidden = session.scalars(select(Visit).where(Visit.state == VisitState.REVIEWED)
                             .order_by(Visit.id)).first()
    markers["unpublished"] = f"UNPUBLISHED-{MARK}"
    plain = next(a for a in hidden.answers
                 if a.value is not None and not checklist.by_id[a.question_id].sensitive)
    plain.value = markers["unpublished"]
    rec.updates.append(RecommendationUpdate(
        status=RecommendationStatus.IMPLEMENTED, recorded_on=date(2026, 3, 4),
        visit_id=hidden.id, note="follow-up at an unpublished visit"))
    rec.status = RecommendationStatus.IMPLEMENTED
    world.published_visit, world.unpublished_visit = visit.id, hidden.id
    world.markers["rec_id"] = str(rec.id)
    session.flush()
