"""Interviews: anonymised codes, consent before notes, notes encrypted, team-only access."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from monitor.core.errors import InputError
from monitor.db.models import AuditEvent, Interview, Visit
from monitor.services import interviews as interview_service
from monitor.services import visits as visit_service
from monitor.services.interviews import InterviewData, code_problem
from tests.conftest import csrf_token, login
from tests.web.test_visits import make_facility, open_visit

NOTES = "Beaten in the yard on 3 March; afraid of reprisals; wants a lawyer"


@pytest.fixture
def team(make_user):
    return make_user("monitor", org="Colectivo Frontera")


@pytest.fixture
def visit_id(client, db, team):
    login(client, team.email)
    return open_visit(client, make_facility(db))


def record(client, visit_id: int, **fields):
    page = client.get(f"/visits/{visit_id}/interviews/new").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "kind": "individual", "urgency": "none", **fields}
    return client.post(f"/visits/{visit_id}/interviews/new", data=data)


def test_notes_are_refused_without_consent_to_be_interviewed(client, db, visit_id):
    response = record(client, visit_id, notes=NOTES, consent_quote="y")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Notes can only be kept when the person consented to be interviewed" in html
    assert NOTES in html  # kept in the form, not lost
    assert db.scalar(select(Interview.id)) is None


def test_notes_are_stored_encrypted_and_shown_only_on_the_edit_page(app, client, db, visit_id):
    response = record(
        client, visit_id, notes=NOTES, consent_interview="y", language="Tigrinya", interpreter="y"
    )
    assert response.status_code == 302
    db.rollback()
    interview = db.scalar(select(Interview))
    assert interview.code == "I-01" and interview.consent_interview and not interview.consent_quote
    raw = db.execute(text("SELECT notes_secret FROM interviews")).scalar_one()
    assert b"Beaten" not in bytes(raw) and b"reprisals" not in bytes(raw)
    assert app.extensions["monitor.vault"].decrypt(raw) == NOTES
    listing = client.get(f"/visits/{visit_id}/interviews/").get_data(as_text=True)
    assert "I-01" in listing and "Tigrinya" in listing and "Beaten" not in listing
    edit = client.get(f"/visits/{visit_id}/interviews/{interview.id}").get_data(as_text=True)
    assert NOTES in edit
    summaries = json.dumps([e.summary for e in db.scalars(select(AuditEvent))])
    assert "Beaten" not in summaries and "Tigrinya" not in summaries


def test_codes_are_generated_per_kind_and_names_are_refused(client, db, visit_id):
    record(client, visit_id, consent_interview="y")
    record(client, visit_id, consent_interview="y")
    record(client, visit_id, kind="group", consent_interview="y")
    db.rollback()
    assert sorted(db.scalars(select(Interview.code))) == ["G-01", "I-01", "I-02"]
    refused = record(client, visit_id, code="Maria Lopez", consent_interview="y")
    assert refused.status_code == 422
    assert "Never write a name" in refused.get_data(as_text=True)
    taken = record(client, visit_id, code="i-01", consent_interview="y")
    assert taken.status_code == 422 and "already used" in taken.get_data(as_text=True)


@pytest.mark.parametrize(
    "code, ok",
    [
        ("I-07", True),
        ("g2", True),
        ("MGT-12", True),
        ("Ana", False),
        ("JL", False),
        ("Room 12", False),
        ("ABCD-1", False),
        ("I-12345", False),
    ],
)
def test_code_rules(code, ok):
    assert (code_problem(code) is None) is ok


def test_a_follow_up_needs_an_urgency_and_warns_without_consent_to_refer(client, db, visit_id):
    refused = record(client, visit_id, consent_interview="y", follow_up="y", urgency="none")
    assert refused.status_code == 422
    assert "A follow-up or referral needs an urgency." in refused.get_data(as_text=True)
    accepted = record(client, visit_id, consent_interview="y", follow_up="y", urgency="urgent")
    assert accepted.status_code == 302
    page = client.get(accepted.headers["Location"]).get_data(as_text=True)
    assert "without the person&#39;s consent to be referred" in page
    assert "Urgent: risk to life or health" in page


def test_editing_withdrawing_consent_with_notes_is_refused_and_delete_removes_the_notes(
    client, db, visit_id
):
    record(client, visit_id, notes=NOTES, consent_interview="y")
    db.rollback()
    interview_id = db.scalar(select(Interview.id))
    url = f"/visits/{visit_id}/interviews/{interview_id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    refused = client.post(
        url,
        data={
            "csrf_token": token,
            "kind": "individual",
            "urgency": "none",
            "notes": NOTES,
            "code": "I-01",
        },
    )
    assert refused.status_code == 422
    changed = client.post(
        url,
        data={
            "csrf_token": token,
            "kind": "individual",
            "urgency": "none",
            "notes": NOTES + " Seen again.",
            "consent_interview": "y",
            "consent_photo": "y",
            "code": "I-01",
        },
    )
    assert changed.status_code == 302
    db.rollback()
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "interview.update")).one()
    assert set(event.summary["fields"]) == {"consent_photo", "notes"}
    deleted = client.post(url + "/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    db.rollback()
    assert db.scalar(select(Interview.id)) is None


def test_the_database_refuses_notes_without_consent(app, db, team):
    checklist = app.extensions["monitor.catalog"].get("core")
    visit = visit_service.create_visit(
        db, facility=make_facility(db), by=team, checklist=checklist, start_date=date(2024, 3, 18)
    )
    db.add(
        Interview(
            visit_id=visit.id,
            code="I-01",
            kind="individual",
            consent_interview=False,
            notes_secret=b"sealed",
        )
    )
    with pytest.raises(IntegrityError):
        db.flush()


def test_the_service_refuses_notes_without_consent(app, db, visit_id, team):
    visit = db.get(Visit, visit_id)
    with pytest.raises(InputError, match="consented to be interviewed"):
        interview_service.create_interview(
            db, visit, InterviewData(notes="x"), by=team, vault=app.extensions["monitor.vault"]
        )


def test_only_the_team_and_coordinators_see_interviews(app, client, db, visit_id, make_user):
    record(client, visit_id, notes=NOTES, consent_interview="y")
    people = {
        "viewer": (make_user("viewer", org="Colectivo Frontera"), 403),
        "monitor not on the team": (make_user("monitor", org="Colectivo Frontera"), 403),
        "coordinator": (make_user("coordinator", org="Colectivo Frontera"), 200),
        "monitor of another group": (make_user("monitor", org="Another group"), 404),
    }
    for who, (user, status) in people.items():
        other = app.test_client()
        login(other, user.email)
        assert other.get(f"/visits/{visit_id}/interviews/").status_code == status, who
        assert other.get(f"/visits/{visit_id}/interviews/new").status_code in (status, 403), who
