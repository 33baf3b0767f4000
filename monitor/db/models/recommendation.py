"""Recommendations made after visits, and what the authorities did with them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from monitor.core.clock import utcnow
from monitor.db.base import Base, checked_enum


class RecommendationStatus(enum.StrEnum):
    #: Only while a recommendation is being written: suggestions themselves are not stored
    #: (they are drafted from the findings when shown, see ``services.recommendations``).
    SUGGESTED = "suggested"
    NOT_IMPLEMENTED = "not_implemented"
    IN_PROGRESS = "in_progress"
    PARTIALLY_IMPLEMENTED = "partially_implemented"
    IMPLEMENTED = "implemented"
    REJECTED = "rejected"
    NO_LONGER_APPLICABLE = "no_longer_applicable"


#: Statuses after which a recommendation is no longer followed up.
CLOSED_STATUSES = frozenset(
    {RecommendationStatus.IMPLEMENTED, RecommendationStatus.NO_LONGER_APPLICABLE}
)


class Priority(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Recommendation(Base):
    """What a team asked an authority to change, and its current status."""

    __tablename__ = "recommendations"
    __table_args__ = (Index("ix_recommendations_facility_status", "facility_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    standards: Mapped[list[Any]] = mapped_column(JSON, default=list)
    area_id: Mapped[str | None] = mapped_column(String(64))
    addressee: Mapped[str | None] = mapped_column(String(300))
    priority: Mapped[Priority] = mapped_column(checked_enum(Priority, "priority"), default=Priority.MEDIUM)
    due_date: Mapped[date | None] = mapped_column(Date)
    #: When the recommendation was made to the authority (set on confirmation).
    issued_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[RecommendationStatus] = mapped_column(
        checked_enum(RecommendationStatus, "recommendation_status"),
        default=RecommendationStatus.SUGGESTED,
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updates: Mapped[list[RecommendationUpdate]] = relationship(
        back_populates="recommendation",
        cascade="all, delete-orphan",
        order_by="(RecommendationUpdate.recorded_on, RecommendationUpdate.id)",
    )

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES and self.status is not RecommendationStatus.SUGGESTED


class RecommendationUpdate(Base):
    """One dated status change of a recommendation, usually recorded at a follow-up visit."""

    __tablename__ = "recommendation_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), index=True
    )
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    status: Mapped[RecommendationStatus] = mapped_column(
        checked_enum(RecommendationStatus, "recommendation_status")
    )
    note: Mapped[str | None] = mapped_column(Text)
    authority_response: Mapped[str | None] = mapped_column(Text)
    recorded_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    recommendation: Mapped[Recommendation] = relationship(back_populates="updates")


class DismissedSuggestion(Base):
    """A standard whose suggested recommendation the team chose not to make at a visit.

    Suggestions are drafted from the stored findings each time they are shown; this is the only
    trace a discarded one leaves, so that it is not offered again (and can be brought back).
    """

    __tablename__ = "dismissed_suggestions"
    __table_args__ = (UniqueConstraint("visit_id", "standard_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    standard_id: Mapped[str] = mapped_column(String(64))
    dismissed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    dismissed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
