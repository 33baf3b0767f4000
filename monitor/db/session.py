"""Engines and sessions, usable with or without Flask."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from monitor.core.errors import ConfigError


def make_engine(url: str, **options: Any) -> Engine:
    """Create an engine for *url*; SQLite gets WAL mode, foreign keys and a busy timeout.

    :raises ConfigError: the URL cannot be understood.
    """
    try:
        parsed = make_url(url)
    except Exception as error:  # SQLAlchemy raises ArgumentError with a technical message
        raise ConfigError(f"DATABASE_URL is not a database address: {url!r}.") from error
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_on_connect)
        # pysqlite's own transaction handling breaks SAVEPOINTs; let SQLAlchemy emit BEGIN.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def _sqlite_begin(connection: Any) -> None:
    """Start a transaction; ``BEGIN IMMEDIATE`` when the caller said it will write.

    In WAL mode a transaction that has read cannot start writing once another process has
    committed in between: SQLite fails at once with "database is locked", whatever the busy
    timeout. A request that may write therefore takes the write lock at its first statement
    (``execution_options(sqlite_begin="IMMEDIATE")``) and waits its turn instead of failing.
    """
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def writing_session(factory: sessionmaker[Session]) -> Session:
    """A session whose SQLite transactions take the write lock at once (see _sqlite_begin)."""
    engine = factory.kw["bind"]
    if engine.dialect.name != "sqlite":
        return factory()
    return factory(bind=engine.execution_options(sqlite_begin="IMMEDIATE"))


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # see the "begin" listener above
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer commits; foreign keys are off unless asked for.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(url_or_engine: str | Engine) -> sessionmaker[Session]:
    """Return a session factory for a URL or an existing engine."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit if the block finishes, roll back if it raises. For the CLI and scripts."""
    with factory() as session, session.begin():
        yield session
