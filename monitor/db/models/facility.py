"""Places of detention: the registry everything else hangs on."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from monitor.core.clock import utcnow
from monitor.db.base import Base, checked_enum

if TYPE_CHECKING:
    from monitor.db.models.visit import Visit


class FacilityType(enum.StrEnum):
    """The controlled list of kinds of place where migrants are held."""

    IMMIGRATION_DETENTION_CENTRE = "immigration_detention_centre"
    PRISON = "prison"
    POLICE_STATION = "police_station"
    TRANSIT_ZONE = "transit_zone"
    BORDER_POST = "border_post"
    CLOSED_RECEPTION_CENTRE = "closed_reception_centre"
    CHILDREN_SHELTER = "children_shelter"
    OTHER = "other"


class FacilityStatus(enum.StrEnum):
    IN_USE = "in_use"
    CLOSED = "closed"
    UNKNOWN = "unknown"


class OperatorKind(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    UNKNOWN = "unknown"


class Facility(Base):
    """A place of detention. ``public_id`` is the citable identifier and never changes.

    When two records turn out to be the same place, one is merged into the other: it keeps its
    row (and so its history) with ``merged_into_id`` set, and its public id redirects.
    """

    __tablename__ = "facilities"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"
        ),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates_together"),
        CheckConstraint(
            "length(country) = 3 AND upper(country) = country", name="country_iso3"
        ),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_self"),
        Index("ix_facilities_country_type", "country", "type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(3))
    admin_area: Mapped[str | None] = mapped_column(String(200))
    locality: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    type: Mapped[FacilityType] = mapped_column(checked_enum(FacilityType, "facility_type"))
    operator_kind: Mapped[OperatorKind] = mapped_column(
        checked_enum(OperatorKind, "operator_kind"), default=OperatorKind.UNKNOWN
    )
    operator_name: Mapped[str | None] = mapped_column(String(300))
    capacity: Mapped[int | None]
    status: Mapped[FacilityStatus] = mapped_column(
        checked_enum(FacilityStatus, "facility_status"), default=FacilityStatus.IN_USE
    )
    notes: Mapped[str | None] = mapped_column(Text)
    #: Lower-case, accent-free name and aliases, for accent-insensitive search on any database.
    search_text: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    aliases: Mapped[list[FacilityAlias]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", order_by="FacilityAlias.id"
    )
    sources: Mapped[list[FacilitySource]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", order_by="FacilitySource.id"
    )
    visits: Mapped[list[Visit]] = relationship(back_populates="facility")

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def __repr__(self) -> str:
        return f"<Facility {self.public_id} {self.country}>"


class FacilityAlias(Base):
    """Another name of a facility: an alias, a former name or a name in another language."""

    __tablename__ = "facility_aliases"
    __table_args__ = (
        CheckConstraint("kind IN ('alias', 'former', 'translation')", name="alias_kind"),
        UniqueConstraint("facility_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16), default="alias")
    language: Mapped[str | None] = mapped_column(String(8))

    facility: Mapped[Facility] = relationship(back_populates="aliases")


class FacilitySource(Base):
    """Where a facility record came from (an import, a published list, a visit)."""

    __tablename__ = "facility_sources"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(1000))
    retrieved_on: Mapped[date | None] = mapped_column(Date)

    facility: Mapped[Facility] = relationship(back_populates="sources")
