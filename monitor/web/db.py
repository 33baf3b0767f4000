"""One database session per request."""

from __future__ import annotations

import functools

from flask import Response, current_app, g, request
from sqlalchemy.orm import Session

from monitor.db.session import checkpoint, writing_session

_READ_ONLY = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session() -> Session:
    """Return this request's session, opening it on first use.

    Requests that may write (POST and the like) take SQLite's write lock at their first
    statement, so concurrent writers queue instead of failing with "database is locked".
    """
    if "db_session" not in g:
        factory = current_app.extensions["monitor.sessions"]
        if request.method in _READ_ONLY:
            g.db_session = factory()
        else:
            g.db_session = writing_session(factory)
            g.db_may_have_written = True
    return g.db_session


def checkpoint_after_writes(response: Response) -> Response:
    """After a request that may have written, checkpoint SQLite's log once the response is sent.

    The web application's engine leaves checkpoints to this (see
    :func:`monitor.db.session.make_engine`), so no save waits for one; the server runs it when
    it closes the response, after the last byte has gone to the browser.
    """
    if g.get("db_may_have_written"):
        engine = current_app.extensions["monitor.sessions"].kw["bind"]
        if engine.dialect.name == "sqlite":
            response.call_on_close(functools.partial(checkpoint, engine))
    return response


def close_session(error: BaseException | None = None) -> None:
    """Close the request's session; anything not committed is discarded."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
