"""Reading the audit log: filtered pages for administrators, and CSV exports (themselves audited).

Writing to the log is :mod:`monitor.services.audit`; this module only reads it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from monitor.db.models import AuditEvent, Organisation, User
from monitor.outputs.tables import safe_cell, write_csv
from monitor.services import audit, permissions

COLUMNS = ("id", "at_utc", "user_id", "user_email", "organisation", "action", "object_type",
           "object_id", "summary", "remote_addr")


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show: by account, by action (exact, or a prefix ending in ``.``), by day."""

    user_id: int | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None

    def as_summary(self) -> dict[str, Any]:
        """The filter as it is written into the audit event of an export."""
        return {k: (v.isoformat() if isinstance(v, date) else v)
                for k, v in (("user_id", self.user_id), ("action", self.action),
                             ("from", self.start), ("to", self.end)) if v is not None}


@dataclass(frozen=True)
class AuditRow:
    """One event with the names a person needs to read it."""

    event: AuditEvent
    user_email: str | None
    organisation: str | None

    def values(self) -> Sequence[Any]:
        e = self.event
        at = e.at.replace(tzinfo=UTC) if e.at.tzinfo is None else e.at.astimezone(UTC)
        return (e.id, at.isoformat(timespec="seconds"), e.user_id, self.user_email,
                self.organisation, e.action, e.object_type, e.object_id,
                json.dumps(e.summary or {}, ensure_ascii=False, sort_keys=True), e.remote_addr)


def _statement(filters: AuditFilter) -> Select:
    who = aliased(User)
    org = aliased(Organisation)
    query = (select(AuditEvent, who.email, org.name)
             .outerjoin(who, AuditEvent.user_id == who.id)
             .outerjoin(org, AuditEvent.organisation_id == org.id))
    if filters.user_id is not None:
        query = query.where(AuditEvent.user_id == filters.user_id)
    action = (filters.action or "").strip()
    if action.endswith("."):
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    elif action:
        query = query.where(AuditEvent.action == action)
    if filters.start is not None:
        query = query.where(AuditEvent.at >= datetime.combine(filters.start, time.min, UTC))
    if filters.end is not None:
        query = query.where(AuditEvent.at < datetime.combine(filters.end + timedelta(days=1),
                                                             time.min, UTC))
    return query


def page(session: Session, filters: AuditFilter, *, by: User | None, number: int = 1,
         size: int = 50) -> tuple[list[AuditRow], int]:
    """One page of matching events, newest first, and the number of matches.

    :raises NotAllowed: *by* may not read the audit log.
    """
    if by is not None:
        permissions.require(by, "audit.view")
    statement = _statement(filters)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = session.execute(statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                           .limit(size).offset((max(1, number) - 1) * size)).all()
    return [AuditRow(event, email, org) for event, email, org in rows], total


def actions(session: Session) -> list[str]:
    """Every action that occurs in the log (for the filter's choices)."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def iter_rows(session: Session, filters: AuditFilter) -> Iterator[Sequence[Any]]:
    """Matching events oldest first, as CSV rows (streamed)."""
    statement = _statement(filters).order_by(AuditEvent.at, AuditEvent.id)
    for event, email, org in session.execute(statement.execution_options(yield_per=2000)):
        yield AuditRow(event, email, org).values()


def export_csv(session: Session, path: Path, filters: AuditFilter, *, by: User | None) -> int:
    """Write matching events to a CSV file and record the export; return the row count.

    :raises NotAllowed: *by* may not read the audit log.
    """
    if by is not None:
        permissions.require(by, "audit.view")
    count = write_csv(path, COLUMNS, iter_rows(session, filters))
    record_export(session, filters, count, by=by)
    return count


def csv_chunks(session: Session, filters: AuditFilter) -> Iterator[str]:
    """The CSV text of matching events, a few hundred rows at a time (for a web download)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # spreadsheet programs read the BOM as "this is UTF-8"
    writer.writerow(COLUMNS)
    for number, row in enumerate(iter_rows(session, filters), start=1):
        writer.writerow([safe_cell(v) for v in row])
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def count(session: Session, filters: AuditFilter) -> int:
    statement = _statement(filters)
    return session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0


def record_export(session: Session, filters: AuditFilter, rows: int, *, by: User | None,
                  remote_addr: str | None = None) -> None:
    """Write the audit event of an export of the audit log."""
    audit.record(session, "audit.export", by=by,
                 summary={"rows": rows, "filters": filters.as_summary()}, remote_addr=remote_addr)
