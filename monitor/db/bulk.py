"""Many rows into one table at once, inside the caller's transaction.

A submit writes a hundred findings and fifty area scores. On PostgreSQL, psycopg sends an
``executemany`` as one statement per row (pipelined); ``COPY`` sends them all as one stream.
Measured here on the same rows: 11.5 ms by ``executemany``, 7.1 ms by ``COPY`` (26 ms as one
multi-row ``INSERT``). SQLite, in process, has no such cost and keeps the plain
``executemany``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert *rows* (mappings with the same keys, named after *table*'s columns) into *table*.

    Values go through each column type's own conversion first (enums, JSON, dates), exactly as
    an ``INSERT`` through SQLAlchemy would store them.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    if any(column.default is not None and column.name not in names for column in table.columns):
        # COPY knows only the database's own defaults; a default SQLAlchemy computes in Python
        # for a missing column needs the ordinary statement.
        session.execute(insert(table), rows)
        return
    columns = [table.c[name] for name in names]
    convert = [column.type._cached_bind_processor(dialect) for column in columns]
    statement = "COPY {} ({}) FROM STDIN".format(
        dialect.identifier_preparer.format_table(table),
        ", ".join(dialect.identifier_preparer.format_column(column) for column in columns))
    driver = connection.connection.dbapi_connection
    dbapi_error = dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] if step is None else step(row[name])
                                for name, step in zip(names, convert)])
    except dbapi_error as error:  # the same exceptions as a statement through SQLAlchemy
        raise DBAPIError.instance(statement, None, error, dbapi_error,
                                  dialect=dialect) from error
