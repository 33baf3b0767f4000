"""One database session per request."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["monitor.sessions"]()
    return g.db_session


def close_session(error: BaseException | None = None) -> None:
    """Close the request's session; anything not committed is discarded."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
