"""Engines and sessions, usable with or without Flask."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from monitor.core.errors import ConfigError
from monitor.core.settings import normalise_database_url

logger = logging.getLogger(__name__)

#: WAL pages after which a committing SQLite connection copies the log back into the database
#: file (SQLite's own default). See :func:`make_engine`'s *deferred_checkpoints*.
CHECKPOINT_PAGES = 1_000
#: The same limit for engines that checkpoint after the response: a safety net only, reached
#: when nothing has called :func:`checkpoint` for a long run of writes (about 40 MB of log).
DEFERRED_CHECKPOINT_PAGES = 10_000


def make_engine(url: str, *, deferred_checkpoints: bool = False, **options: Any) -> Engine:
    """Create an engine for *url*; SQLite gets WAL mode, foreign keys and a busy timeout.

    In WAL mode SQLite copies the log back into the database file (a checkpoint) inside the
    commit that takes the log past :data:`CHECKPOINT_PAGES`: that commit waits for the copy and
    its syncs, 15 to 30 ms on a large database, every few saves. With *deferred_checkpoints*
    (the web application) commits leave that to :func:`checkpoint`, which the caller runs where
    nobody waits for it (after the response has been sent); SQLite still checkpoints by itself
    past :data:`DEFERRED_CHECKPOINT_PAGES`, so the log stays bounded whatever happens.

    A PostgreSQL URL written the usual way (``postgresql://``) uses the psycopg 3 driver, the one
    the project installs, wherever the URL came from (settings, ``--db``, a test).

    :raises ConfigError: the URL cannot be understood.
    """
    url = normalise_database_url(url)
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
        pages = DEFERRED_CHECKPOINT_PAGES if deferred_checkpoints else CHECKPOINT_PAGES
        event.listen(engine, "connect", functools.partial(_sqlite_on_connect, pages=pages))
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


def _sqlite_on_connect(dbapi_connection: Any, _record: Any, *, pages: int) -> None:
    dbapi_connection.isolation_level = None  # see the "begin" listener above
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer commits; foreign keys are off unless asked for.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")
    cursor.close()


def checkpoint(engine: Engine) -> tuple[int, int, int] | None:
    """Copy what SQLite's write-ahead log holds back into the database file, without waiting.

    A passive checkpoint: it copies what no reader still needs and never blocks readers or
    writers. Returns SQLite's ``(busy, log pages, pages copied)``, or ``None`` for other
    databases (which have nothing of the kind to do) and when it could not run; a failure is
    logged, never raised, since nobody is waiting for this.
    """
    if engine.dialect.name != "sqlite":
        return None
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            row = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            cursor.close()
        finally:
            connection.close()
    except Exception as error:  # a busy or closed database: the next checkpoint catches up
        logger.debug("checkpoint skipped: %s", error)
        return None
    return tuple(row) if row else None  # type: ignore[return-value]


def make_session_factory(url_or_engine: str | Engine, *,
                         deferred_checkpoints: bool = False) -> sessionmaker[Session]:
    """Return a session factory for a URL or an existing engine (see :func:`make_engine`)."""
    engine = (make_engine(url_or_engine, deferred_checkpoints=deferred_checkpoints)
              if isinstance(url_or_engine, str) else url_or_engine)
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit if the block finishes, roll back if it raises. For the CLI and scripts."""
    with factory() as session, session.begin():
        yield session
