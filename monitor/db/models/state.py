"""A change counter: one row whose version moves on with every write to what pages show.

Database triggers (migration 0003) bump it, so every path that writes — web, command line,
imports, a hand-typed SQL statement — invalidates the page caches that key on it
(:mod:`monitor.web.pagecache`), with no service having to remember to.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Integer, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from monitor.db.base import Base

#: The tables whose rows appear on cached pages (dashboards, profiles). Findings and area
#: scores are written together with their visit's summary row, which is tracked, so their bulk
#: inserts carry no trigger; answers are drafts' working data and never shown on those pages.
TRACKED_TABLES = ("organisations", "facilities", "facility_aliases", "facility_sources",
                  "visits", "visit_members", "visit_summaries", "red_flags", "interviews",
                  "recommendations", "recommendation_updates")


class DataState(Base):
    """The single row (``id`` 1) holding the data version."""

    __tablename__ = "data_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def data_version(session: Session) -> int:
    """The current data version (read it *before* the data a cached page is built from)."""
    return session.scalar(select(DataState.version).where(DataState.id == 1)) or 0
