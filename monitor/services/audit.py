"""Writing to the audit log. Every state-changing service calls :func:`record`."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from monitor.db.models import AuditEvent, User

logger = logging.getLogger(__name__)


def record(
    session: Session,
    action: str,
    *,
    by: User | None = None,
    obj: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    summary: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> AuditEvent:
    """Append one event to the audit log (flushed with the caller's transaction).

    :param action: dotted verb, e.g. ``visit.submit``.
    :param obj: the record acted on; its table name and id are stored.
    :param summary: ids, counts and names of changed fields — never answer values or notes.
    """
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    event = AuditEvent(
        action=action,
        user_id=by.id if by is not None else None,
        organisation_id=by.organisation_id if by is not None else None,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        summary=summary or {},
        remote_addr=remote_addr,
    )
    session.add(event)
    logger.info("audit %s %s %s", action, object_type, object_id)
    return event
