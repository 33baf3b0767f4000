"""The audit log: append-only in the database itself, written by every service that changes or
exports data, readable and exportable by administrators only (and the export is logged)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from monitor.core.crypto import Vault, generate_key
from monitor.db.models import AuditEvent, Finding, FindingStatus, VisitState
from monitor.db.models.finding import Severity
from monitor.db.session import make_session_factory
from monitor.services import (
    accounts,
    audit,
    audit_log,
    exports,
    findings,
    interviews,
    recommendations,
    users,
)
from monitor.services import facilities as registry
from monitor.services import visits as visit_service
from monitor.services.facilities import FacilityData
from tests.conftest import PASSWORD

# -- append-only ----------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'nothing.happened'",
    "UPDATE audit_events SET summary = '{}' WHERE id = :id",
    "DELETE FROM audit_events WHERE id = :id",
    "DELETE FROM audit_events",
])
def test_the_database_refuses_to_change_or_delete_audit_events(db, statement):
    event = audit.record(db, "test.event", summary={"n": 1})
    db.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text(statement), {"id": event.id})
        db.flush()
    db.rollback()
    assert db.scalar(select(func.count(AuditEvent.id))) == 1
    assert db.scalar(select(AuditEvent.action)) == "test.event"


# -- every service writes it ----------------------------------------------------------------------


class Recorder:
    """Runs one operation and returns the audit events it added."""

    def __init__(self, db) -> None:
        self.db = db

    def __call__(self, operation):
        before = self.db.scalar(select(func.max(AuditEvent.id))) or 0
        result = operation()
        self.db.commit()
        added = self.db.scalars(select(AuditEvent).where(AuditEvent.id > before)
                                .order_by(AuditEvent.id)).all()
        return result, added


def actions(events) -> list[str]:
    return [e.action for e in events]


def test_every_write_and_export_is_recorded_with_who_and_what(sqlite_url, tmp_path):
    from monitor.core import paths
    from monitor.services.catalog import load_catalog
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, sqlite_url)
    catalog = load_catalog(paths.CHECKLISTS)
    vault = Vault([generate_key()])
    factory = make_session_factory(sqlite_url)
    db = factory()
    run = Recorder(db)
    secret_value = "SECRET-ANSWER-never-in-the-log"

    admin, events = run(lambda: accounts.create_user(db, "a@test.example", PASSWORD, role="admin",
                                                     organisation="Org"))
    assert actions(events) == ["user.create"] and events[0].summary == {"role": "admin"}
    coordinator, _ = run(lambda: users.create(db, "c@test.example", role="coordinator",
                                              organisation="Org", by=admin)[0])
    author, _ = run(lambda: accounts.create_user(db, "m@test.example", PASSWORD, role="monitor",
                                                 organisation="Org", by=admin))
    _, events = run(lambda: users.set_role(db, coordinator, "viewer", by=admin))
    assert actions(events) == ["user.role"] and events[0].user_id == admin.id
    assert events[0].summary == {"before": "coordinator", "after": "viewer"}
    _, events = run(lambda: users.set_role(db, coordinator, "coordinator", by=admin))
    _, events = run(lambda: users.reset_password(db, author, by=admin))
    assert actions(events) == ["user.password"] and PASSWORD not in json.dumps(events[0].summary)

    facility, events = run(lambda: registry.create_facility(
        db, FacilityData(name="Centro", country="MEX"), by=author))
    assert actions(events) == ["facility.create"] and events[0].user_id == author.id
    duplicate, _ = run(lambda: registry.create_facility(
        db, FacilityData(name="Centro bis", country="MEX"), by=author))
    _, events = run(lambda: registry.update_facility(
        db, facility, FacilityData(name="Centro", country="MEX", capacity=40), by=author))
    assert actions(events) == ["facility.update"] and events[0].summary == {"fields": ["capacity"]}
    _, events = run(lambda: registry.merge_facilities(db, duplicate, facility, by=coordinator))
    assert actions(events) == ["facility.merge"]

    checklist = catalog.get("core")
    visit, events = run(lambda: visit_service.create_visit(
        db, facility=facility, by=author, checklist=checklist, start_date=date(2024, 3, 1)))
    assert actions(events) == ["visit.create"] and events[0].object_id == str(visit.id)
    sensitive = next(q for q in checklist.questions() if q.sensitive and q.type.value == "long_text")
    _, events = run(lambda: visit_service.save_answers(
        db, visit, {sensitive.id: secret_value}, by=author, vault=vault, checklist=checklist))
    assert actions(events) == ["visit.answers"] and events[0].summary == {"questions": 1}
    _, events = run(lambda: visit_service.set_team(db, visit, [coordinator], by=author))
    assert actions(events) == ["visit.team"]

    interview, events = run(lambda: interviews.create_interview(
        db, visit, interviews.InterviewData(consent_interview=True, notes=secret_value),
        by=author, vault=vault))
    assert actions(events) == ["interview.create"]
    _, events = run(lambda: interviews.update_interview(
        db, interview, interviews.InterviewData(consent_interview=True, notes="changed",
                                                language="Wolof"), by=author, vault=vault))
    assert actions(events) == ["interview.update"]
    assert sorted(events[0].summary["fields"]) == ["language", "notes"]
    _, events = run(lambda: interviews.delete_interview(db, interview, by=author))
    assert actions(events) == ["interview.delete"]

    rec, events = run(lambda: recommendations.add(db, visit, recommendations.Draft(
        text="Open the yard."), by=author))
    assert actions(events) == ["recommendation.confirm"]
    # A suggestion is drafted from stored findings; discarding and restoring it are audited.
    db.add(Finding(visit_id=visit.id, standard_id="mandela-r23", area_id="regime",
                   status=FindingStatus.NON_COMPLIANT, severity=Severity.HIGH, evidence=[]))
    visit.state, visit.submitted_at = VisitState.SUBMITTED, visit.created_at
    db.flush()
    _, events = run(lambda: recommendations.dismiss_suggestion(db, visit, "mandela-r23",
                                                               catalog=catalog, by=author))
    assert actions(events) == ["recommendation.discard"]
    assert events[0].summary == {"standard": "mandela-r23"}
    _, events = run(lambda: recommendations.restore_suggestion(db, visit, "mandela-r23",
                                                               by=author))
    assert actions(events) == ["recommendation.restore"]
    draft = recommendations.Draft(text="Give an hour outdoors every day.")
    _, events = run(lambda: recommendations.confirm_suggestion(db, visit, "mandela-r23", draft,
                                                               catalog=catalog, by=author))
    assert actions(events) == ["recommendation.confirm"]
    visit.state, visit.submitted_at = VisitState.DRAFT, None
    db.flush()
    _, events = run(lambda: recommendations.record_follow_up(db, rec, status="in_progress",
                                                             by=author))
    assert actions(events) == ["recommendation.follow_up"]

    for operation, expected in [
        (lambda: visit_service.mark_submitted(db, visit, by=author), "visit.submit"),
        (lambda: visit_service.return_visit(db, visit, by=coordinator, comment="Add data."),
         "visit.return"),
        (lambda: visit_service.mark_submitted(db, visit, by=author), "visit.submit"),
        (lambda: visit_service.accept_visit(db, visit, by=coordinator), "visit.review"),
        (lambda: visit_service.publish_visit(db, visit, by=coordinator), "visit.publish"),
        (lambda: visit_service.unpublish_visit(db, visit, by=coordinator), "visit.unpublish"),
        (lambda: findings.recompute(db, catalog, vault, by=admin), "compliance.recompute"),
    ]:
        _, events = run(operation)
        assert actions(events) == [expected]

    _, events = run(lambda: exports.run_export(db, exports.ExportRequest("findings"),
                                               tmp_path / "f.csv", catalog=catalog, vault=vault,
                                               settings=settings, by=coordinator))
    assert actions(events) == ["export.findings"] and events[0].user_id == coordinator.id
    _, events = run(lambda: audit_log.export_csv(db, tmp_path / "audit.csv",
                                                 audit_log.AuditFilter(), by=admin))
    assert actions(events) == ["audit.export"]
    _, events = run(lambda: users.set_active(db, author, False, by=admin))
    assert actions(events) == ["user.deactivate"]

    everything = db.scalars(select(AuditEvent)).all()
    assert len(everything) >= 30
    dumped = json.dumps([e.summary for e in everything])
    assert secret_value not in dumped and "changed" not in dumped  # ids and counts only
    db.close()
    factory.kw["bind"].dispose()


# -- the viewer and its export --------------------------------------------------------------------


def test_only_administrators_see_the_audit_log(world):
    for who in ("coordinator", "monitor", "viewer"):
        assert world.client(who).get("/admin/audit").status_code == 403
        assert world.client(who).get("/admin/audit.csv").status_code == 403
    assert world.client(None).get("/admin/audit").status_code == 302


def test_the_viewer_filters_by_person_action_and_day(world):
    admin = world.client("admin")
    world.client("monitor")  # make sure the monitor has signed in
    everything = admin.get("/admin/audit").get_data(as_text=True)
    assert "<code>user.login</code>" in everything and "<code>visit.create</code>" in everything
    person = admin.get(f"/admin/audit?user={world.users['monitor']}").get_data(as_text=True)
    assert "monitor@test.example" in person and "<code>visit.create</code>" not in person
    by_action = admin.get("/admin/audit?action=visit.").get_data(as_text=True)
    assert "<code>visit.create</code>" in by_action and "<code>user.login</code>" not in by_action
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert "No event matches" in admin.get(f"/admin/audit?from={tomorrow}").get_data(as_text=True)
    today = date.today().isoformat()
    assert "<code>visit.create</code>" in admin.get(f"/admin/audit?from={today}&to={today}").get_data(as_text=True)
    bad = admin.get("/admin/audit?from=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.get_data(as_text=True)


def test_the_viewer_pages_through_the_log(world):
    with world.sessions() as db:
        for number in range(60):
            audit.record(db, "test.paging", summary={"n": number})
        db.commit()
    admin = world.client("admin")
    first = admin.get("/admin/audit?action=test.paging").get_data(as_text=True)
    assert "60 events" in first and "Page 1 of 2" in first and "n: 59" in first
    second = admin.get("/admin/audit?action=test.paging&page=2").get_data(as_text=True)
    assert "n: 0" in second and "n: 59" not in second


def test_the_csv_export_is_filtered_and_itself_recorded(world):
    admin = world.client("admin")
    response = admin.get("/admin/audit.csv?action=visit.")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and {r["action"] for r in rows} <= {"visit.create", "visit.answers", "visit.team"}
    with world.sessions() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")
                           .order_by(AuditEvent.id.desc())).first()
    assert event.user_id == world.users["admin"]
    assert event.summary == {"rows": len(rows), "filters": {"action": "visit."}}


def test_the_audit_export_command(world, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from monitor.cli import cli

    monkeypatch.setenv("DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("MONITOR_INSTANCE", str(tmp_path))
    out = tmp_path / "audit.csv"
    today = date.today().isoformat()
    result = CliRunner().invoke(cli, ["audit", "export", "--out", str(out), "--from", today,
                                      "--to", today, "--action", "user.login"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows and {r["action"] for r in rows} == {"user.login"}
    assert f"{len(rows)} audit events written" in result.output
    with world.sessions() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")
                           .order_by(AuditEvent.id.desc())).first()
    assert event.user_id is None and event.summary["rows"] == len(rows)
    assert event.summary["filters"] == {"action": "user.login", "from": today, "to": today}
