"""A small world shared by the security tests: two organisations, every role, a draft visit with
an interview and a recommendation, built once per module on SQLite (these tests are about the
web layer; the database-specific ones use the ``database_url`` fixture)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from monitor.core.settings import Settings
from monitor.db.session import make_session_factory
from monitor.services import accounts, interviews, recommendations
from monitor.services import facilities as registry
from monitor.services import visits as visit_service
from monitor.services.facilities import FacilityData
from monitor.web.security import LoginThrottle
from tests.conftest import PASSWORD, csrf_token, fresh_sqlite, login, make_settings

ORG_A, ORG_B = "Org A", "Org B"
#: name → (role, organisation, on the team of the main visit)
PEOPLE = {
    "admin": ("admin", ORG_A, False),
    "coordinator": ("coordinator", ORG_A, False),
    "monitor": ("monitor", ORG_A, True),
    "viewer": ("viewer", ORG_A, True),
    "outsider": ("monitor", ORG_A, False),  # same organisation, not on the team
    "author": ("monitor", ORG_A, False),  # created the main visit
    "other_coordinator": ("coordinator", ORG_B, False),
    "other_monitor": ("monitor", ORG_B, False),
}


@dataclass
class World:
    app: Flask
    settings: Settings
    sessions: sessionmaker[Session]
    users: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, who: str | None):
        """A test client signed in as *who* (``None``: anonymous), kept for the module."""
        key = who or "anonymous"
        if key not in self._clients:
            client = self.app.test_client()
            if who is not None:
                response = login(client, self.emails[who])
                assert response.status_code == 302, f"{who} could not sign in"
            self._clients[key] = client
        return self._clients[key]

    def token(self, who: str | None) -> str:
        """A CSRF token valid for *who*'s session."""
        page = self.client(who).get("/login" if who is None else "/dashboard/")
        return csrf_token(page.get_data(as_text=True))

    def url_values(self) -> dict[str, Any]:
        """A real value for every URL argument name the application uses."""
        return {
            "visit_id": self.ids["visit"], "section_id": "access", "rec_id": self.ids["rec"],
            "interview_id": self.ids["interview"], "public_id": self.ids["facility"],
            "user_id": self.users["viewer"], "code": "es", "checklist_id": "core", "version": 1,
            "iso3": "MEX", "kind": "findings", "filename": "findings.csv",
            "standard_id": "mandela-r23",
        }


def build_world(folder: Path, database_url: str) -> World:
    settings = make_settings(folder, database_url)
    from monitor.web.app import create_app

    app = create_app(settings)
    app.config.update(TESTING=True)
    # Many sign-ins from one address in a module: the limits are tested on their own.
    app.extensions["monitor.login_throttle"] = LoginThrottle(per_address=10_000, per_account=10_000)
    world = World(app, settings, make_session_factory(database_url))
    catalog = app.extensions["monitor.catalog"]
    vault = app.extensions["monitor.vault"]
    with world.sessions() as db:
        people = {}
        for name, (role, org, _team) in PEOPLE.items():
            user = accounts.create_user(db, f"{name}@test.example", PASSWORD, role=role,
                                        organisation=org, name=name.replace("_", " ").title())
            people[name] = user
            world.users[name], world.emails[name] = user.id, user.email
        facility = registry.create_facility(db, FacilityData(name="Centro Uno", country="MEX",
                                                             type="immigration_detention_centre"))
        spare = registry.create_facility(db, FacilityData(name="Centro Dos", country="MEX"))
        checklist = catalog.get("core")
        team = [people[n] for n, (_r, _o, on_team) in PEOPLE.items() if on_team]
        visit = visit_service.create_visit(db, facility=facility, by=people["author"],
                                           checklist=checklist, start_date=date(2024, 3, 18),
                                           team=team)
        own = visit_service.create_visit(db, facility=facility, by=people["coordinator"],
                                         checklist=checklist, start_date=date(2024, 4, 2))
        foreign = visit_service.create_visit(db, facility=spare, by=people["other_monitor"],
                                             checklist=checklist, start_date=date(2024, 5, 6))
        interview = interviews.create_interview(
            db, visit, interviews.InterviewData(consent_interview=True, notes="notes"),
            by=people["author"], vault=vault)
        rec = recommendations.add(db, visit, recommendations.Draft(text="Open the yard daily."),
                                  by=people["author"])
        db.commit()
        world.ids.update(visit=visit.id, coordinator_visit=own.id, foreign_visit=foreign.id,
                         interview=interview.id, rec=rec.id, facility=facility.public_id,
                         spare=spare.public_id)
    return world


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("world")
    built = build_world(folder, fresh_sqlite(sqlite_template, folder))
    yield built
    built.sessions.kw["bind"].dispose()


def database_fingerprint(sessions: sessionmaker[Session]) -> dict[str, str]:
    """Table name → SHA-256 of every row in canonical form (any change shows)."""
    from monitor.services.backup import _table_lines, model_tables

    found = {}
    with sessions() as db:
        connection = db.connection()
        for table in model_tables():
            digest = hashlib.sha256()
            for line in _table_lines(connection, table):
                digest.update(line)
            found[table.name] = digest.hexdigest()
    return found
