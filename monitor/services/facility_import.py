"""Import facility lists into the registry: plan (dry run) and apply.

Matching, so that importing the same file again updates instead of duplicating:

1. an id column holding one of our public ids (``F-7K2Q9X``) → that facility;
2. the file's own id for the same source (``--source``) → the facility it created before;
3. the same name (or one of its other names), folded for case and accents, in the same country.

Only the fields the file fills are compared and updated: an empty cell never erases what the
registry knows. Rows the cleaner rejected are counted as rejected with their reasons.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from monitor.core.messages import N_
from monitor.core.text import fold
from monitor.db.models import Facility, FacilitySource, User
from monitor.imports.facilities import (
    FacilityRecord,
    ImportResult,
    RowProblem,
    clean_rows,
    read_facility_table,
)
from monitor.services import audit
from monitor.services.facilities import FacilityData, create_facility, data_of, update_facility

PUBLIC_ID = re.compile(r"^F-[2-9A-HJ-NP-Z]{6}$")


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REJECT = "reject"


@dataclass
class PlannedRow:
    row: int
    action: Action
    record: FacilityRecord | None = None
    facility: Facility | None = None
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    """What an import would do (a dry run shows it; applying it does it)."""

    source: str
    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for r in self.rows if r.action is action)

    def summary(self) -> str:
        """"created 3, updated 1, unchanged 0, rejected 2" (a translatable message)."""
        return N_("created %(created)d, updated %(updated)d, unchanged %(unchanged)d, "
                  "rejected %(rejected)d", created=self.count(Action.CREATE),
                  updated=self.count(Action.UPDATE), unchanged=self.count(Action.UNCHANGED),
                  rejected=self.count(Action.REJECT))


def read_and_clean(path: Path, *, default_country: str | None = None) -> ImportResult:
    """Read a facility file and clean its rows, checking coordinates against country borders.

    :raises InputError: the file cannot be read at all.
    """
    from monitor.aggregate import geo  # geopandas is heavy: load it only for imports

    def locate(iso3: str, latitude: float, longitude: float) -> bool | None:
        try:
            return geo.check_country(iso3, latitude, longitude)
        except Exception:  # boundaries not installed: the check is skipped, not the import
            return None

    def country_at(latitude: float, longitude: float) -> str | None:
        try:
            points = geo.facilities_frame([{"latitude": latitude, "longitude": longitude}])
            found = geo.country_of_points(points, geo.load_countries("50m"))
        except Exception:  # boundaries not installed: the row keeps no country
            return None
        return None if found.empty or found.iloc[0] is None else str(found.iloc[0])

    table = read_facility_table(path)
    return clean_rows(table, locate=locate, default_country=default_country, country_at=country_at)


def plan_import(session: Session, result: ImportResult, *, source: str) -> ImportPlan:
    """Decide, row by row, what importing *result* would do. Nothing is written."""
    plan = ImportPlan(source=source, problems=list(result.problems))
    by_public = {f.public_id: f for f in session.scalars(
        select(Facility).options(selectinload(Facility.aliases)))}
    by_name: dict[tuple[str, str], Facility] = {}
    for facility in by_public.values():
        target = facility if facility.merged_into_id is None else None
        if target is None:
            continue
        for name in [facility.name, *(a.name for a in facility.aliases)]:
            by_name.setdefault((fold(name), facility.country), facility)
    by_external = {ext: by_public_id for ext, by_public_id in session.execute(
        select(FacilitySource.external_id, Facility.public_id)
        .join(Facility, FacilitySource.facility_id == Facility.id)
        .where(FacilitySource.source == source, FacilitySource.external_id.is_not(None)))}
    for row in result.rejected_rows:
        plan.rows.append(PlannedRow(row, Action.REJECT))
    for record in result.records:
        if not record.country:
            plan.rows.append(PlannedRow(record.row, Action.REJECT, record))
            plan.problems.append(RowProblem(record.row, None, N_(
                "no country: add a country column or give --country for a single-country "
                "list."), "error"))
            continue
        facility = _match(record, by_public, by_external, by_name)
        if facility is None:
            plan.rows.append(PlannedRow(record.row, Action.CREATE, record))
            by_name[(fold(record.name), record.country)] = Facility(name=record.name)  # in-file repeat
            continue
        if not facility.public_id:  # a placeholder from an earlier row of this file
            plan.rows.append(PlannedRow(record.row, Action.UNCHANGED, record))
            continue
        merged = _merged_data(facility, record)
        changes = [name for name, value in vars(merged).items() if getattr(data_of(facility), name) != value]
        plan.rows.append(PlannedRow(record.row, Action.UPDATE if changes else Action.UNCHANGED,
                                    record, facility, changes))
    plan.rows.sort(key=lambda r: r.row)
    return plan


def _match(record: FacilityRecord, by_public: dict[str, Facility], by_external: dict[str, str],
           by_name: dict[tuple[str, str], Facility]) -> Facility | None:
    ext = (record.external_id or "").strip()
    if PUBLIC_ID.match(ext.upper()) and ext.upper() in by_public:
        facility = by_public[ext.upper()]
        while facility.merged_into_id is not None:  # follow merges to the record kept
            facility = next(f for f in by_public.values() if f.id == facility.merged_into_id)
        return facility
    if ext and ext in by_external:
        return by_public[by_external[ext]]
    for name in (record.name, *record.other_names):
        found = by_name.get((fold(name), record.country))
        if found is not None:
            return found
    return None


def _merged_data(facility: Facility, record: FacilityRecord) -> FacilityData:
    """The facility's data with the fields the file fills replaced by the file's values."""
    data = data_of(facility)
    for name in ("admin_area", "locality", "operator_name", "capacity"):
        value = getattr(record, name)
        if value not in (None, ""):
            setattr(data, name, value)
    if record.latitude is not None and record.longitude is not None:
        data.latitude, data.longitude = record.latitude, record.longitude
    if record.type != "other":
        data.type = record.type
    if record.operator_kind != "unknown":
        data.operator_kind = record.operator_kind
    if record.status != "unknown":
        data.status = record.status
    extra = [n for n in record.other_names if n not in data.other_names and n != data.name]
    if record.name != facility.name and record.name not in data.other_names:
        extra.append(record.name)
    data.other_names = tuple([*data.other_names, *extra])
    return data


def _new_data(record: FacilityRecord) -> FacilityData:
    return FacilityData(
        name=record.name, country=record.country or "", type=record.type,
        admin_area=record.admin_area, locality=record.locality, latitude=record.latitude,
        longitude=record.longitude, operator_kind=record.operator_kind,
        operator_name=record.operator_name, capacity=record.capacity, status=record.status,
        other_names=record.other_names)


def apply_import(session: Session, plan: ImportPlan, *, by: User | None = None,
                 on_progress: Callable[[int], None] | None = None) -> None:
    """Carry out *plan* in the caller's transaction (all rows or, if it fails, none)."""
    for planned in plan.rows:
        record = planned.record
        if planned.action is Action.CREATE and record is not None:
            create_facility(session, _new_data(record), by=by, source=plan.source,
                            external_id=record.external_id, url=record.source_url,
                            retrieved_on=date.today())
        elif planned.action is Action.UPDATE and record is not None and planned.facility is not None:
            update_facility(session, planned.facility, _merged_data(planned.facility, record), by=by)
        if on_progress:
            on_progress(1)
    audit.record(session, "facility.import", by=by,
                 summary={"source": plan.source, "result": plan.summary()})
