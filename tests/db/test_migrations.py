"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DatabaseError

from monitor.db import models  # noqa: F401 - registers the tables
from monitor.db.base import Base
from monitor.db.migrate import downgrade_to_base, head_revision, is_up_to_date, upgrade_to_head


def test_migrated_schema_matches_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_database_reports_newest_revision(database_url):
    assert is_up_to_date(database_url)
    assert head_revision() is not None


def test_downgrade_to_base_and_back(database_url):
    downgrade_to_base(database_url)
    engine = create_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade_to_head(database_url)
    engine = create_engine(database_url)
    assert "visits" in inspect(engine).get_table_names()
    engine.dispose()


def test_audit_log_refuses_update_and_delete(database_url):
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_events (at, action, summary) "
                                "VALUES (CURRENT_TIMESTAMP, 'test.event', '{}')"))
    for statement in ("UPDATE audit_events SET action = 'changed'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT action FROM audit_events")).scalar_one() == "test.event"
    engine.dispose()


def test_0004_keeps_decisions_and_drops_what_is_said_on_reading(database_url):
    """Confirmed recommendations and findings survive; stored suggestions and sentences go."""
    import random
    from datetime import date

    from alembic import command

    from monitor.core import paths
    from monitor.core.crypto import Vault, generate_key
    from monitor.db.migrate import alembic_config
    from monitor.db.session import make_session_factory
    from monitor.services import accounts, findings, recommendations, visits
    from monitor.services.catalog import load_catalog
    from monitor.services.facilities import FacilityData, create_facility
    from monitor.services.synthetic import AnswerGenerator, FacilityProfile

    catalog, vault = load_catalog(paths.CHECKLISTS), Vault([generate_key()])
    sessions = make_session_factory(database_url)
    with sessions() as session:
        author = accounts.create_user(session, "m@test.example", "a long enough phrase",
                                      role="monitor", organisation="Org")
        facility = create_facility(session, FacilityData(name="Centro", country="MEX"), by=author)
        checklist = catalog.get("core")
        visit = visits.create_visit(session, facility=facility, by=author, checklist=checklist,
                                    start_date=date(2025, 1, 2))
        visits.save_answers(session, visit, AnswerGenerator(checklist, catalog.standards).answers(
            random.Random(3), FacilityProfile(60, "prison", 0.2)), by=author, vault=vault,
            checklist=checklist)
        findings.submit_and_evaluate(session, visit, by=author, catalog=catalog, vault=vault)
        first = recommendations.suggestions(session, visit, catalog)[0]
        recommendations.confirm_suggestion(session, visit, first.standard_id, recommendations.Draft(
            text="Kept."), catalog=catalog, by=author)
        session.commit()
        visit_id = visit.id
    sessions.kw["bind"].dispose()

    command.downgrade(alembic_config(database_url), "0003")
    engine = create_engine(database_url)
    with engine.begin() as connection:
        assert "text" in {c["name"] for c in inspect(connection).get_columns("findings")}
        connection.execute(text(
            "INSERT INTO recommendations (facility_id, visit_id, text, standards, priority, status,"
            " created_at) SELECT facility_id, visit_id, 'stored suggestion', standards, priority,"
            " 'suggested', created_at FROM recommendations"))
        findings_before = connection.execute(text("SELECT count(*) FROM findings")).scalar_one()
    engine.dispose()

    upgrade_to_head(database_url)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        assert "text" not in {c["name"] for c in inspect(connection).get_columns("findings")}
        assert connection.execute(text("SELECT text FROM recommendations")).scalars().all() == [
            "Kept."]
        assert connection.execute(text(
            "SELECT count(*) FROM findings WHERE visit_id = :v"), {"v": visit_id}).scalar_one() \
            == findings_before > 50
    engine.dispose()
