"""One database session per request."""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.orm import Session

from monitor.db.session import writing_session

_READ_ONLY = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session() -> Session:
    """Return this request's session, opening it on first use.

    Requests that may write (POST and the like) take SQLite's write lock at their first
    statement, so concurrent writers queue instead of failing with "database is locked".
    """
    if "db_session" not in g:
        factory = current_app.extensions["monitor.sessions"]
        g.db_session = factory() if request.method in _READ_ONLY else writing_session(factory)
    return g.db_session


def close_session(error: BaseException | None = None) -> None:
    """Close the request's session; anything not committed is discarded."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
