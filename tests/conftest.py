"""Fixtures shared by the whole suite: real SQLite and PostgreSQL databases, the app, users."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from monitor.core import paths
from monitor.core.crypto import generate_key
from monitor.core.settings import Settings
from monitor.db.migrate import upgrade_to_head
from monitor.db.session import make_session_factory
from tests import pg

DATA = Path(__file__).parent / "data"
_counter = itertools.count()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment leaks between tests are a real failure mode: start each from a clean slate."""
    for name in list(os.environ):
        if name.startswith("MONITOR_") and name not in {"MONITOR_TEST_POSTGRES_URL", "MONITOR_HOME"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)


# --- PostgreSQL ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """URL of a PostgreSQL server to create test databases on (started here if needed)."""
    given = os.environ.get("MONITOR_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bindir = pg.find_bindir()
    if bindir is None:
        message = "PostgreSQL is not installed: `./run test` installs it (Debian package postgresql)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = pg.Server(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


def _pg_exec(admin_url: str, statement: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> str:
    """A migrated template database; each test copies it (much faster than migrating)."""
    _pg_exec(postgres_admin_url, "DROP DATABASE IF EXISTS dm_template")
    _pg_exec(postgres_admin_url, "CREATE DATABASE dm_template")
    url = make_url(postgres_admin_url).set(database="dm_template").render_as_string(hide_password=False)
    upgrade_to_head(url)
    return "dm_template"


def fresh_postgres(admin_url: str, template: str | None) -> str:
    name = f"dm_test_{os.getpid()}_{next(_counter)}"
    _pg_exec(admin_url, f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


# --- SQLite ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as connection:  # fold the WAL into the file before copying it
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def fresh_sqlite(template: Path, folder: Path) -> str:
    target = folder / "test.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


# --- the database a test runs on -------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    admin = request.getfixturevalue("postgres_admin_url")
    return fresh_postgres(admin, request.getfixturevalue("postgres_template"))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database, for tests whose subject does not depend on the database."""
    return fresh_sqlite(sqlite_template, tmp_path)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


def make_settings(tmp_path: Path, database_url: str, **overrides) -> Settings:
    values = dict(
        database_url=database_url,
        secret_key="test-secret-key-for-the-suite-only",
        instance_dir=tmp_path / "instance",
        checklist_dir=paths.CHECKLISTS,
        export_dir=tmp_path / "exports",
        environment="test",
        data_keys=(generate_key(),),
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    """A session on the test's database (a fresh database, so commits are fine)."""
    factory = make_session_factory(settings.database_url)
    with factory() as session:
        yield session
    factory.kw["bind"].dispose()


@pytest.fixture
def app(settings: Settings):
    from monitor.web.app import create_app

    application = create_app(settings)
    application.config.update(TESTING=True)
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(db: Session) -> Callable[..., object]:
    """Create an account: ``make_user("monitor", org="Org A")`` → the User (password: "correct horse battery")."""
    from monitor.services import accounts

    def create(role: str = "monitor", *, email: str | None = None, org: str = "Test organisation"):
        user = accounts.create_user(db, email or f"{role}{next(_counter)}@test.example",
                                    PASSWORD, role=role, organisation=org)
        db.commit()
        return user

    return create


PASSWORD = "correct horse battery"


def login(client, email: str, password: str = PASSWORD):
    """Sign in through the real form (CSRF included) and return the response."""
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def csrf_token(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)
