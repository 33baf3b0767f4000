"""The facility registry: create, edit, search, merge duplicates."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pycountry
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from monitor.core.errors import InputError, RecordNotFound
from monitor.core.messages import N_, sentences
from monitor.core.text import clean, fold
from monitor.db.models import (
    Facility,
    FacilityAlias,
    FacilitySource,
    FacilityStatus,
    FacilityType,
    OperatorKind,
    Recommendation,
    User,
    Visit,
    VisitSummary,
)
from monitor.services import audit

_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: ids are read aloud and typed


def country_name(iso3: str) -> str:
    """Return the English short name of the country with code *iso3* (the code if unknown)."""
    country = pycountry.countries.get(alpha_3=iso3)
    return getattr(country, "common_name", None) or (country.name if country else iso3)


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as ``(alpha-3, name)``, sorted by name."""
    return sorted(((c.alpha_3, country_name(c.alpha_3)) for c in pycountry.countries),
                  key=lambda pair: fold(pair[1]))


def is_country(iso3: str | None) -> bool:
    return bool(iso3) and pycountry.countries.get(alpha_3=str(iso3).upper()) is not None


@dataclass
class FacilityData:
    """The editable fields of a facility, as typed in a form or read from an import."""

    name: str
    country: str
    type: str = FacilityType.OTHER.value
    admin_area: str | None = None
    locality: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    operator_kind: str = OperatorKind.UNKNOWN.value
    operator_name: str | None = None
    capacity: int | None = None
    status: str = FacilityStatus.IN_USE.value
    notes: str | None = None
    other_names: Sequence[str] = field(default_factory=tuple)

    def problems(self) -> dict[str, str]:
        """Return field name → sentence for every value that cannot be stored."""
        found: dict[str, str] = {}
        if not clean(self.name):
            found["name"] = N_("The facility needs a name.")
        if not is_country(self.country):
            found["country"] = N_("'%(code)s' is not an ISO 3166-1 alpha-3 country code.",
                                  code=self.country)
        if self.type not in {t.value for t in FacilityType}:
            found["type"] = N_("'%(value)s' is not a facility type.", value=self.type)
        if self.status not in {s.value for s in FacilityStatus}:
            found["status"] = N_("'%(value)s' is not a facility status.", value=self.status)
        if self.operator_kind not in {k.value for k in OperatorKind}:
            found["operator_kind"] = N_("'%(value)s' is not an operator kind.",
                                        value=self.operator_kind)
        if (self.latitude is None) != (self.longitude is None):
            found["latitude" if self.latitude is None else "longitude"] = (
                N_("Give both latitude and longitude, or neither.")
            )
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            found["latitude"] = N_("Latitude must be between -90 and 90.")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            found["longitude"] = N_("Longitude must be between -180 and 180.")
        if self.capacity is not None and self.capacity < 0:
            found["capacity"] = N_("Capacity cannot be negative.")
        return found


def new_public_id(session: Session) -> str:
    """Return an unused citable identifier such as ``F-7K2Q9X``."""
    while True:
        candidate = "F-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))
        if session.scalar(select(Facility.id).where(Facility.public_id == candidate)) is None:
            return candidate


def _apply(facility: Facility, data: FacilityData) -> list[str]:
    """Copy *data* onto *facility*; return the names of the fields that changed."""
    values: dict[str, Any] = {
        "name": clean(data.name),
        "country": data.country.upper(),
        "type": FacilityType(data.type),
        "admin_area": clean(data.admin_area) or None,
        "locality": clean(data.locality) or None,
        "latitude": data.latitude,
        "longitude": data.longitude,
        "operator_kind": OperatorKind(data.operator_kind),
        "operator_name": clean(data.operator_name) or None,
        "capacity": data.capacity,
        "status": FacilityStatus(data.status),
        "notes": (data.notes or "").strip() or None,
    }
    changed = [name for name, value in values.items() if getattr(facility, name) != value]
    for name in changed:
        setattr(facility, name, values[name])
    wanted = [n for n in dict.fromkeys(clean(n) for n in data.other_names) if n and n != values["name"]]
    existing = {a.name for a in facility.aliases}
    if set(wanted) != existing:
        changed.append("other_names")
        facility.aliases = [a for a in facility.aliases if a.name in wanted] + [
            FacilityAlias(name=n, kind="alias") for n in wanted if n not in existing
        ]
    refresh_search_text(facility)
    return changed


def refresh_search_text(facility: Facility) -> None:
    """Recompute the folded text used by accent-insensitive search."""
    parts = [facility.name, *(a.name for a in facility.aliases), facility.locality or "",
             facility.admin_area or "", facility.operator_name or "", facility.public_id or ""]
    facility.search_text = " | ".join(fold(p) for p in parts if p)


def create_facility(session: Session, data: FacilityData, *, by: User | None = None,
                    source: str | None = None, external_id: str | None = None,
                    url: str | None = None, retrieved_on: date | None = None) -> Facility:
    """Add a facility to the registry; the caller commits.

    :raises InputError: a field is unusable (the message lists each one).
    """
    _raise_problems(data)
    facility = Facility(public_id=new_public_id(session), name="", country="", type=FacilityType.OTHER)
    session.add(facility)
    _apply(facility, data)
    if source:
        facility.sources.append(FacilitySource(source=source, external_id=external_id, url=url,
                                               retrieved_on=retrieved_on))
    session.flush()
    audit.record(session, "facility.create", by=by, obj=facility,
                 summary={"public_id": facility.public_id, "source": source})
    return facility


def update_facility(session: Session, facility: Facility, data: FacilityData, *,
                    by: User | None = None) -> list[str]:
    """Change a facility; return the names of the changed fields (empty: nothing changed)."""
    _raise_problems(data)
    changed = _apply(facility, data)
    if changed:
        session.flush()
        audit.record(session, "facility.update", by=by, obj=facility, summary={"fields": changed})
    return changed


def _raise_problems(data: FacilityData) -> None:
    problems = data.problems()
    if problems:
        raise InputError(sentences(problems.values()))


def data_of(facility: Facility) -> FacilityData:
    """Return the editable fields of *facility* (for forms and re-import comparison)."""
    return FacilityData(
        name=facility.name, country=facility.country, type=facility.type.value,
        admin_area=facility.admin_area, locality=facility.locality, latitude=facility.latitude,
        longitude=facility.longitude, operator_kind=facility.operator_kind.value,
        operator_name=facility.operator_name, capacity=facility.capacity,
        status=facility.status.value, notes=facility.notes,
        other_names=tuple(a.name for a in facility.aliases),
    )


def get_facility(session: Session, public_or_db_id: str | int, *, follow_merges: bool = True) -> Facility:
    """Return a facility by public id (``F-7K2Q9X``) or database id, following merges.

    :raises RecordNotFound: there is no such facility.
    """
    if isinstance(public_or_db_id, int) or str(public_or_db_id).isdigit():
        facility = session.get(Facility, int(public_or_db_id))
    else:
        facility = session.scalar(
            select(Facility).where(Facility.public_id == str(public_or_db_id).upper())
        )
    if facility is None:
        raise RecordNotFound(N_("There is no facility %(id)s.", id=public_or_db_id))
    seen = {facility.id}
    while follow_merges and facility.merged_into_id is not None:
        facility = session.get(Facility, facility.merged_into_id)
        if facility is None or facility.id in seen:  # a broken chain must not loop forever
            raise RecordNotFound(N_("Facility %(id)s was merged into a missing record.",
                                    id=public_or_db_id))
        seen.add(facility.id)
    return facility


@dataclass(frozen=True)
class FacilityFilter:
    """What the registry list is narrowed to."""

    text: str = ""
    country: str | None = None
    type: str | None = None
    status: str | None = None
    operator: str | None = None


def search_statement(filters: FacilityFilter) -> Select[tuple[Facility]]:
    """Return the query for facilities matching *filters* (merged records excluded)."""
    query = select(Facility).where(Facility.merged_into_id.is_(None))
    for word in fold(filters.text).split():
        query = query.where(Facility.search_text.contains(word, autoescape=True))
    if filters.country:
        query = query.where(Facility.country == filters.country.upper())
    if filters.type:
        query = query.where(Facility.type == filters.type)
    if filters.status:
        query = query.where(Facility.status == filters.status)
    if filters.operator:
        needle = f"%{filters.operator.strip().lower()}%"
        query = query.where(or_(func.lower(Facility.operator_name).like(needle),
                                Facility.operator_kind == filters.operator.strip().lower()))
    return query.order_by(Facility.country, Facility.name)


def search_facilities(session: Session, filters: FacilityFilter, *, limit: int = 200,
                      offset: int = 0) -> tuple[list[Facility], int]:
    """Return one page of matching facilities and the total number of matches."""
    statement = search_statement(filters)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = session.scalars(
        statement.options(selectinload(Facility.aliases)).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def merge_facilities(session: Session, duplicate: Facility, keep: Facility, *,
                     by: User | None = None) -> Facility:
    """Merge *duplicate* into *keep*: visits, recommendations, names and sources move over.

    The duplicate keeps its row and public id, which from now on redirects to *keep*.

    :raises InputError: the two are the same record, or *keep* is itself merged.
    """
    if duplicate.id == keep.id:
        raise InputError(N_("A facility cannot be merged into itself."))
    if keep.merged_into_id is not None:
        raise InputError(N_("%(id)s was itself merged; merge into the record it points to.",
                            id=keep.public_id))
    moved_visits = 0
    for visit in session.scalars(select(Visit).where(Visit.facility_id == duplicate.id)):
        visit.facility_id = keep.id
        moved_visits += 1
    for rec in session.scalars(select(Recommendation).where(Recommendation.facility_id == duplicate.id)):
        rec.facility_id = keep.id
    known = {a.name for a in keep.aliases} | {keep.name}
    for name in [duplicate.name, *(a.name for a in duplicate.aliases)]:
        if name not in known:
            keep.aliases.append(FacilityAlias(name=name, kind="alias"))
            known.add(name)
    for src in list(duplicate.sources):
        src.facility = keep
    duplicate.merged_into_id = keep.id
    refresh_search_text(keep)
    for summary in session.scalars(select(VisitSummary).where(VisitSummary.facility_id == duplicate.id)):
        summary.facility_id = keep.id
    session.flush()
    audit.record(session, "facility.merge", by=by, obj=keep,
                 summary={"merged": duplicate.public_id, "into": keep.public_id,
                          "visits_moved": moved_visits})
    return keep
