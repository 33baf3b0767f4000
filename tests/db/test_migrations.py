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
