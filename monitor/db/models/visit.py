"""A monitoring visit, its team and the answers recorded during it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from monitor.core.clock import utcnow
from monitor.db.base import Base, checked_enum

if TYPE_CHECKING:
    from monitor.db.models.account import Organisation, User
    from monitor.db.models.facility import Facility
    from monitor.db.models.finding import AreaScore, Finding, RedFlagRecord, VisitSummary
    from monitor.db.models.interview import Interview


class VisitState(enum.StrEnum):
    """draft → submitted → reviewed → published; a reviewer may return it to the team."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    REVIEWED = "reviewed"
    PUBLISHED = "published"


class VisitScope(enum.StrEnum):
    FULL = "full"
    THEMATIC = "thematic"
    FOLLOW_UP = "follow_up"


class Visit(Base):
    """One visit to one facility, answered against one version of one checklist."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="ends_after_start"),
        CheckConstraint(
            "state IN ('draft', 'returned') OR submitted_at IS NOT NULL", name="submitted_has_time"
        ),
        CheckConstraint("state <> 'published' OR published_at IS NOT NULL", name="published_has_time"),
        CheckConstraint("checklist_version > 0", name="checklist_version_positive"),
        Index("ix_visits_facility_start", "facility_id", "start_date"),
        Index("ix_visits_state_published", "state", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    announced: Mapped[bool] = mapped_column(default=False)
    scope: Mapped[VisitScope] = mapped_column(checked_enum(VisitScope, "visit_scope"))
    #: Section ids chosen for a thematic visit; ``None`` means the whole checklist.
    sections: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    checklist_id: Mapped[str] = mapped_column(String(64))
    checklist_version: Mapped[int]
    #: Digest of the checklist files the answers were given against.
    checklist_digest: Mapped[str] = mapped_column(String(64))
    state: Mapped[VisitState] = mapped_column(
        checked_enum(VisitState, "visit_state"), default=VisitState.DRAFT
    )
    #: Optimistic lock: every UPDATE checks and raises it, so concurrent saves cannot overwrite.
    lock_version: Mapped[int] = mapped_column(default=1)
    previous_visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_comment: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Internal notes of the team, encrypted (never public).
    notes_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Instance id of an ODK/KoboToolbox submission this visit was imported from.
    source_instance_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __mapper_args__ = {"version_id_col": lock_version}

    facility: Mapped[Facility] = relationship(back_populates="visits")
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    answers: Mapped[list[Answer]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="Answer.question_id"
    )
    members: Mapped[list[VisitMember]] = relationship(
        back_populates="visit", cascade="all, delete-orphan"
    )
    interviews: Mapped[list[Interview]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="Interview.id"
    )
    findings: Mapped[list[Finding]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="Finding.standard_id"
    )
    red_flags: Mapped[list[RedFlagRecord]] = relationship(
        back_populates="visit", cascade="all, delete-orphan"
    )
    area_scores: Mapped[list[AreaScore]] = relationship(
        back_populates="visit", cascade="all, delete-orphan"
    )
    summary: Mapped[VisitSummary | None] = relationship(
        back_populates="visit", cascade="all, delete-orphan", uselist=False
    )

    def has_member(self, user: User) -> bool:
        return any(m.user_id == user.id for m in self.members)

    def __repr__(self) -> str:
        return f"<Visit {self.id} {self.checklist_id}@{self.checklist_version} {self.state}>"


class VisitMember(Base):
    """A person on a visit team (names of team members are never public)."""

    __tablename__ = "visit_members"
    __table_args__ = (UniqueConstraint("visit_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32), default="member")

    visit: Mapped[Visit] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Answer(Base):
    """The value given to one question during one visit.

    Answers to sensitive questions are kept only in ``secret`` (encrypted); others in ``value``.
    """

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("visit_id", "question_id"),
        CheckConstraint("value IS NULL OR secret IS NULL", name="plain_or_secret"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    visit: Mapped[Visit] = relationship(back_populates="answers")
