"""SQLite's write-ahead log is copied back into the database after the response, not during it.

A commit that crosses SQLite's checkpoint threshold copies the whole log into the database file
before it returns; in a web request that is a save the person waits for. The web application's
engine leaves it to the moment the response has been sent.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from monitor.db.session import (
    CHECKPOINT_PAGES,
    DEFERRED_CHECKPOINT_PAGES,
    checkpoint,
    make_engine,
    make_session_factory,
)
from monitor.services import accounts
from tests.conftest import PASSWORD, csrf_token, make_settings


def _pages(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()


def _audit_rows_in_the_database_file(url: str) -> int:
    """Audit rows as the database file holds them, ignoring what is still only in the log."""
    path = Path(make_url(url).database)
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return connection.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    finally:
        connection.close()


@pytest.mark.parametrize("written", ["postgresql://u:p@db.example/monitor",
                                     "postgres://u:p@db.example/monitor"])
def test_postgresql_urls_written_the_usual_way_use_the_installed_driver(written):
    engine = make_engine(written)
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"


def test_only_the_web_engine_defers_checkpoints(sqlite_url):
    plain, deferred = make_engine(sqlite_url), make_engine(sqlite_url, deferred_checkpoints=True)
    try:
        assert _pages(plain) == CHECKPOINT_PAGES
        assert _pages(deferred) == DEFERRED_CHECKPOINT_PAGES
    finally:
        plain.dispose()
        deferred.dispose()


def test_checkpoint_is_nothing_to_do_on_postgresql():
    assert checkpoint(make_engine("postgresql://u:p@db.example/monitor")) is None


def test_a_write_reaches_the_database_file_only_once_the_response_is_closed(tmp_path, sqlite_url):
    from monitor.web.app import create_app

    factory = make_session_factory(sqlite_url)
    with factory() as session:
        accounts.create_user(session, "writer@test.example", PASSWORD, role="monitor",
                             organisation="Test organisation")
        session.commit()
    engine = factory.kw["bind"]
    with engine.connect() as connection:  # start from a database file that holds everything
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    app = create_app(make_settings(tmp_path, sqlite_url))
    app.config.update(TESTING=True)
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    before = _audit_rows_in_the_database_file(sqlite_url)

    response = client.post("/login", data={"email": "writer@test.example",
                                            "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    # Committed (the sign-in is audited), but still only in the log: the request did not wait
    # for a checkpoint.
    assert _audit_rows_in_the_database_file(sqlite_url) == before
    response.close()  # what the server does once the last byte is sent
    assert _audit_rows_in_the_database_file(sqlite_url) > before
    app.extensions["monitor.sessions"].kw["bind"].dispose()
