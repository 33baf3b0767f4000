"""What the compliance engine concluded about a visit, stored once at submit.

Dashboards, maps and reports read these tables; they never re-evaluate raw answers.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from monitor.core.clock import utcnow
from monitor.db.base import Base, checked_enum

if TYPE_CHECKING:
    from monitor.db.models.visit import Visit


class FindingStatus(enum.StrEnum):
    COMPLIANT = "compliant"
    PARTIALLY_COMPLIANT = "partially_compliant"
    NON_COMPLIANT = "non_compliant"
    NOT_ASSESSED = "not_assessed"


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Finding(Base):
    """The status of one standard at one visit, with the evidence that decided it."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("visit_id", "standard_id"),
        Index("ix_findings_standard_status", "standard_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    standard_id: Mapped[str] = mapped_column(String(64))
    area_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[FindingStatus] = mapped_column(checked_enum(FindingStatus, "finding_status"))
    severity: Mapped[Severity] = mapped_column(checked_enum(Severity, "severity"))
    #: Question ids, answers (never for sensitive questions) and thresholds that decided it,
    #: as :func:`monitor.compliance.stored.evidence_record` writes them. The finding's sentence
    #: is said from these on reading (:func:`monitor.compliance.stored.finding_sentence`).
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)

    visit: Mapped[Visit] = relationship(back_populates="findings")


class RedFlagRecord(Base):
    """A grave situation raised at a visit (children detained, access refused, ...)."""

    __tablename__ = "red_flags"
    __table_args__ = (UniqueConstraint("visit_id", "code"), Index("ix_red_flags_code", "code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    severity: Mapped[Severity] = mapped_column(checked_enum(Severity, "severity"))
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)

    visit: Mapped[Visit] = relationship(back_populates="red_flags")


class AreaScore(Base):
    """Share of assessed standards met in one monitoring area, and its four-point rating."""

    __tablename__ = "area_scores"
    __table_args__ = (
        UniqueConstraint("visit_id", "area_id"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 1)", name="score_share"),
        CheckConstraint("assessed_share >= 0 AND assessed_share <= 1", name="assessed_share_range"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 4)", name="rating_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    area_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    assessed_share: Mapped[float] = mapped_column(Float)
    standards_assessed: Mapped[int]
    standards_total: Mapped[int]
    rating: Mapped[int | None]
    #: Which rule produced the rating (a cap, or the share of standards met), per language.
    rating_rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def rating_rule_in(self, language: str) -> str:
        return self.rating_rule.get(language) or self.rating_rule.get("en") or ""

    visit: Mapped[Visit] = relationship(back_populates="area_scores")


class VisitSummary(Base):
    """One row per visit with the indicators dashboards and maps read.

    Denormalised on purpose (facility, dates, publication) so that an overview is one indexed
    query over this table, whatever the number of answers in the database.
    """

    __tablename__ = "visit_summaries"
    __table_args__ = (
        Index("ix_visit_summaries_facility_date", "facility_id", "visit_date"),
        Index("ix_visit_summaries_public", "is_published", "facility_id", "visit_date"),
    )

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True
    )
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    visit_date: Mapped[date] = mapped_column(Date)
    is_published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    population: Mapped[int | None]
    capacity: Mapped[int | None]
    occupancy_rate: Mapped[float | None] = mapped_column(Float)
    children: Mapped[int | None]
    unaccompanied_children: Mapped[int | None]
    women: Mapped[int | None]
    legal_access_denials: Mapped[int | None]
    days_to_doctor: Mapped[float | None] = mapped_column(Float)
    m2_per_person: Mapped[float | None] = mapped_column(Float)
    hours_outdoors: Mapped[float | None] = mapped_column(Float)
    longest_detention_days: Mapped[int | None]
    solitary_max_days: Mapped[int | None]
    deaths: Mapped[int | None]
    access_obstructed: Mapped[bool] = mapped_column(default=False)
    red_flag_count: Mapped[int] = mapped_column(default=0)
    red_flag_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    score_overall: Mapped[float | None] = mapped_column(Float)
    share_assessed: Mapped[float] = mapped_column(Float, default=0.0)
    standards_met: Mapped[int] = mapped_column(default=0)
    standards_assessed: Mapped[int] = mapped_column(default=0)
    #: Every indicator the checklist declares, including ones without a column above.
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    engine_version: Mapped[str] = mapped_column(String(16), default="1")

    visit: Mapped[Visit] = relationship(back_populates="summary")
