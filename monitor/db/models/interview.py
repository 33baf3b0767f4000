"""Interviews: recorded apart from observations, anonymised, consent first."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from monitor.core.clock import utcnow
from monitor.db.base import Base, checked_enum

if TYPE_CHECKING:
    from monitor.db.models.visit import Visit


class InterviewKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"
    STAFF = "staff"
    MANAGEMENT = "management"
    EXTERNAL = "external"


class Urgency(enum.StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Interview(Base):
    """One interview. ``code`` is an anonymised code, never a name; notes are encrypted."""

    __tablename__ = "interviews"
    __table_args__ = (
        UniqueConstraint("visit_id", "code"),
        CheckConstraint("notes_secret IS NULL OR consent_interview", name="notes_need_consent"),
        CheckConstraint("NOT follow_up OR urgency <> 'none'", name="follow_up_has_urgency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[InterviewKind] = mapped_column(checked_enum(InterviewKind, "interview_kind"))
    language: Mapped[str | None] = mapped_column(String(64))
    interpreter: Mapped[bool] = mapped_column(default=False)
    consent_interview: Mapped[bool] = mapped_column(default=False)
    consent_quote: Mapped[bool] = mapped_column(default=False)
    consent_referral: Mapped[bool] = mapped_column(default=False)
    consent_photo: Mapped[bool] = mapped_column(default=False)
    notes_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    follow_up: Mapped[bool] = mapped_column(default=False)
    urgency: Mapped[Urgency] = mapped_column(checked_enum(Urgency, "urgency"), default=Urgency.NONE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    visit: Mapped[Visit] = relationship(back_populates="interviews")
